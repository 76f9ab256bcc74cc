"""A container with a public name may be read by modules memfix does not read: its bounding fixes
are unsafe whatever the readers in sight do (memfix.fixers._visibility)."""

from __future__ import annotations

from pathlib import Path

import pytest

from memfix.api import fix_source
from memfix.config import Settings
from memfix.model import Safety
from memfix.testing import run_program

#: one program per rule whose fix is safe when the container is private; NAME is the container
PROGRAMS = {
    "MF101": (
        "class Monitor:\n"
        "    def __init__(self):\n"
        "        self.NAME = []\n\n"
        "    def record(self, v):\n"
        "        self.NAME.append(v)\n\n"
        "    def recent(self):\n"
        "        return self.NAME[-10:]\n"
    ),
    "MF103": (
        "from collections import deque\n\n\n"
        "class Tracker:\n"
        "    MAX_EVENTS = 10\n\n"
        "    def __init__(self):\n"
        "        self.NAME = deque()\n\n"
        "    def on_event(self, e):\n"
        "        self.NAME.append(e)\n\n"
        "    def last(self):\n"
        "        return self.NAME[-1]\n"
    ),
    "MF104": (
        "from collections import defaultdict\n\n\n"
        "class Engine:\n"
        "    def __init__(self):\n"
        "        self.NAME = defaultdict(list)\n\n"
        "    def record(self, k, t):\n"
        "        self.NAME[k].append(t)\n\n"
        "    def recent(self, k):\n"
        "        return self.NAME[k][-10:]\n"
    ),
    "MF105": (
        "class Metrics:\n"
        "    def __init__(self):\n"
        "        self.NAME = []\n\n"
        "    def latest(self):\n"
        "        return self.NAME[-1]\n\n"
        "    def collect(self, m):\n"
        "        self.NAME.append(m)\n"
        "        if len(self.NAME) > 10:\n"
        "            self.NAME = self.NAME[-10:]\n"
    ),
    "MF201": (
        "NAME = {}\n\n\n"
        "def resolve(host):\n"
        "    if host not in NAME:\n"
        "        NAME[host] = host.lower()\n"
        "    return NAME[host]\n"
    ),
}


def _only_finding(code: str, rule: str):
    result = fix_source(code, Settings(select=(rule,), cache=False))
    [finding] = result.findings
    assert finding.code == rule, finding.message
    return result, finding


@pytest.mark.parametrize("rule", sorted(PROGRAMS))
def test_a_public_container_gets_only_an_unsafe_fix(rule: str) -> None:
    name = "cache" if rule == "MF201" else "history"
    result, finding = _only_finding(PROGRAMS[rule].replace("NAME", name), rule)
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    assert f"(unsafe fix: `{name}` is a public" in finding.message
    assert not result.changed  # --apply leaves it alone
    unsafe = fix_source(result.text, Settings(select=(rule,), cache=False, unsafe_fixes=True))
    assert unsafe.changed and fix_source(unsafe.text, Settings(select=(rule,), cache=False, unsafe_fixes=True)).text == unsafe.text


@pytest.mark.parametrize("rule", sorted(PROGRAMS))
def test_the_same_container_spelled_private_keeps_its_safe_fix(rule: str) -> None:
    """negative case: nothing but the name differs, and every reader is in sight."""
    name = "_cache" if rule == "MF201" else "_history"
    result, finding = _only_finding(PROGRAMS[rule].replace("NAME", name), rule)
    assert finding.fix is not None and finding.fix.safety is Safety.SAFE, finding.message
    assert result.changed
    assert fix_source(result.text, Settings(select=(rule,), cache=False)).text == result.text


def test_a_closure_variable_is_never_public() -> None:
    code = (
        "def make_counter():\n"
        "    seen = []\n\n"
        "    def count(value):\n"
        "        seen.append(value)\n"
        "        return seen[-10:]\n\n"
        "    return count\n"
    )
    _, finding = _only_finding(code, "MF101")
    assert finding.fix is not None and finding.fix.safety is Safety.SAFE, finding.message


#: the reader the unsafe class protects: another module serialising the public list
OUTSIDE_READER = """\
import json
import monitor

m = monitor.Monitor()
for i in range(3):
    m.record(i)
print(json.dumps(m.history))
"""


def test_the_reader_out_of_sight_is_why_the_fix_is_not_safe(tmp_path: Path) -> None:
    """What the unsafe class warns about, run: the deque the unsafe fix writes breaks a module
    that serialises the list, and the safe run leaves that module working."""
    code = PROGRAMS["MF101"].replace("NAME", "history")
    for mode, expect_ok in ((False, True), (True, False)):
        fixed = fix_source(code, Settings(select=("MF101",), cache=False, unsafe_fixes=mode)).text
        folder = tmp_path / ("unsafe" if mode else "safe")
        folder.mkdir()
        (folder / "monitor.py").write_text(fixed)
        done = run_program(folder, OUTSIDE_READER)
        assert (done.returncode == 0) is expect_ok, done.stderr
        if expect_ok:
            assert done.stdout == "[0, 1, 2]\n"
        else:
            assert "not JSON serializable" in done.stderr
