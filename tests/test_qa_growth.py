"""QA: safe growth fixes (MF101) that changed behaviour through readers the analysis did not see.

Each program is run before and after ``fix_source`` with safe fixes only, with the list well under
any bound; a safe fix must print the same thing. Found by black-box testing:
- a dataclass field became a deque: the generated ``__eq__``/``__repr__`` and ``asdict`` see it
  (``Stats(values=[1, 2]) == s`` turned False, ``json.dumps(asdict(s))`` raised TypeError);
- an attribute read by name (``getattr(self, "d")[1:]``, ``obj.__dict__["f"][1:]``) became a deque
  that cannot be sliced (TypeError).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from memfix.api import fix_source
from memfix.config import Settings
from memfix.model import Safety
from memfix.testing import assert_same_behaviour, assert_same_for_a_reader_elsewhere

DATACLASS = """\
import dataclasses
import json
from dataclasses import dataclass, field


@dataclass
class Stats:
    \"\"\"Long-lived stats tracker service.\"\"\"
    _values: list = field(default_factory=list)

    def add(self, v):
        self._values.append(v)

    def latest(self):
        return self._values[-1]


s = Stats()
s.add(1)
s.add(2)
print(s.latest(), s == Stats(_values=[1, 2]), s)
print(json.dumps(dataclasses.asdict(s)))
"""

GETATTR = """\
class Service:
    \"\"\"Long-running service.\"\"\"

    def __init__(self):
        self._d = []

    def add(self, v):
        self._d.append(v)

    def last(self):
        return self._d[-1]

    def tail(self):
        return getattr(self, "_d")[1:]


svc = Service()
for i in range(4):
    svc.add(i)
print(svc.last(), svc.tail())
"""

DUNDER_DICT = """\
class Service:
    \"\"\"Long-running service.\"\"\"

    def __init__(self):
        self._f = []

    def add(self, v):
        self._f.append(v)

    def last(self):
        return self._f[-1]


svc = Service()
for i in range(4):
    svc.add(i)
print(svc.last(), svc.__dict__["_f"][1:])
"""

# negative case: no reflective access, the safe fix stays
PLAIN = """\
class Service:
    \"\"\"Long-running service.\"\"\"

    def __init__(self):
        self._f = []

    def add(self, v):
        self._f.append(v)

    def last(self):
        return self._f[-1]


svc = Service()
for i in range(4):
    svc.add(i)
print(svc.last(), getattr(svc, "other", None))
"""

CASES = {"dataclass": DATACLASS, "getattr": GETATTR, "dunder-dict": DUNDER_DICT}


def _fix(code: str) -> str:
    result = fix_source(code, Settings(select=("MF1",), cache=False))
    assert result.error is None
    return result.text


@pytest.mark.parametrize("code", list(CASES.values()), ids=list(CASES))
def test_safe_fix_keeps_behaviour(tmp_path: Path, code: str):
    assert_same_behaviour(tmp_path, code, _fix(code))


@pytest.mark.parametrize("code", list(CASES.values()), ids=list(CASES))
def test_hidden_reader_makes_the_fix_unsafe(code: str):
    findings = fix_source(code, Settings(select=("MF1",), cache=False)).findings
    assert findings, "still reported"
    assert all(f.fix is None or f.fix.safety is Safety.UNSAFE for f in findings)
    assert not any("public attribute" in f.message for f in findings)  # the hidden reader made it unsafe


def test_unrelated_getattr_keeps_the_safe_fix(tmp_path: Path):
    fixed = _fix(PLAIN)
    assert "deque(maxlen=" in fixed
    assert_same_behaviour(tmp_path, PLAIN, fixed)


# -- a list nothing in its module reads: the readers are elsewhere, and keep getting a list ------

RESULT_MODULE = """\
class Result:
    def __init__(self):
        self.skipped = []

    def add_skip(self, test, reason):
        self.skipped.append((test, reason))
"""

#: a reader in another module, as unittest's runner and tests read ``TestResult.skipped``
OUTSIDE_READER = """\
import result

r = result.Result()
r.add_skip("t1", "why")
print(r.skipped == [("t1", "why")], r.skipped[:1], r.skipped + [], isinstance(r.skipped, list))
"""


def _unsafe(code: str):
    return fix_source(code, Settings(select=("MF1",), cache=False, unsafe_fixes=True))


def test_a_list_only_grown_here_is_trimmed_in_place_not_made_a_deque(tmp_path: Path):
    """unittest's ``TestResult.skipped`` became ``deque(maxlen=1000)`` under --unsafe-fixes and the
    tests that compare it with lists failed. Unsafe means a reader may see less, not a different
    type: the trim keeps the list, and the reader elsewhere runs as before."""
    fixed = _unsafe(RESULT_MODULE)
    assert fixed.error is None
    [finding] = fixed.findings
    assert finding.code == "MF102" and finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    assert "deque" not in fixed.text and "del self.skipped[:-1000]" in fixed.text
    assert_same_for_a_reader_elsewhere(tmp_path, "result", RESULT_MODULE, fixed.text, OUTSIDE_READER)
    assert _unsafe(fixed.text).changed is False


def test_a_list_read_here_with_deque_compatible_reads_still_becomes_a_deque():
    """negative case: one reader in sight (``len()``) and the list stays MF101's deque."""
    code = RESULT_MODULE + "\n    def count(self):\n        return len(self.skipped)\n"
    fixed = _unsafe(code)
    [finding] = fixed.findings
    assert finding.code == "MF101"
    assert "deque(maxlen=1000)" in fixed.text
