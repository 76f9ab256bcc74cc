"""QA: MF201 calls a dict a memo (safe fix) when its stored value depends on changing state.

LEAK_PATTERNS "What safe means": the fix is safe only when "on a miss the value is computed in
that code from the key alone". ``self._cache[key] = (key, self.epoch)`` reads ``self.epoch``,
which another method changes: once the entry is evicted, a lookup recomputes a different value.
Found by black-box testing. The analysis now treats any read of the object's own state in the
stored value (``self.epoch``, directly or through a local) as "not computed from the key alone":
it cannot tell which other methods change that attribute, since the pre-filter's slice keeps only
the code spelling the cache.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from memfix.api import fix_source
from memfix.config import Settings
from memfix.model import Safety
from memfix.testing import assert_same_behaviour

STAMPER = '''\
class Stamper:
    """Long-lived stamp service."""

    def __init__(self):
        self._cache = {}
        self.epoch = 0

    def tick(self):
        self.epoch += 1

    def stamp(self, key):
        if key not in self._cache:
            self._cache[key] = (key, self.epoch)
        return self._cache[key]


s = Stamper()
out = [s.stamp("a")]
s.tick()
out += [s.stamp("b"), s.stamp("c"), s.stamp("a")]
print(out)
'''


def test_value_depending_on_changing_state_is_not_a_safe_memo(tmp_path: Path):
    result = fix_source(STAMPER, Settings(select=("MF201",), max_len=2, cache=False))
    (finding,) = result.findings
    assert finding.fix is None or finding.fix.safety is not Safety.SAFE
    # with N = 2 the safe fix evicts "a", and the last lookup recomputes ("a", 1) for ("a", 0)
    assert_same_behaviour(tmp_path, STAMPER, result.text)


def test_a_method_called_on_self_still_makes_a_safe_memo():
    """The near miss: calling a method of the object computes the value, it does not read state
    (the value a `str`, so that what it is does not make the fix unsafe either)."""
    code = STAMPER.replace("(key, self.epoch)", "str(self._compute(key))").replace(
        "    def tick(self):", "    def _compute(self, key):\n        return key.upper()\n\n    def tick(self):"
    )
    result = fix_source(code, Settings(select=("MF201",), cache=False))
    (finding,) = result.findings
    assert finding.fix is not None and finding.fix.safety is Safety.SAFE


def test_state_read_through_a_local_is_not_a_safe_memo():
    code = STAMPER.replace(
        "            self._cache[key] = (key, self.epoch)",
        "            epoch = self.epoch\n            self._cache[key] = (key, epoch)",
    )
    result = fix_source(code, Settings(select=("MF201",), cache=False))
    (finding,) = result.findings
    assert finding.fix is None or finding.fix.safety is not Safety.SAFE
    assert "self.epoch" in finding.message


GLOBAL_STAMPER = '''\
EPOCH = 0
_cache = {}


def tick():
    global EPOCH
    EPOCH += 1


def stamp(key):
    if key not in _cache:
        _cache[key] = (key, EPOCH)
    return _cache[key]
'''

#: called from another module: calls at the module's own top level would be import-time only
DRIVER = 'from stamper import stamp, tick\nout = [stamp("a")]\ntick()\nout += [stamp("b"), stamp("c"), stamp("a")]\nprint(out)\n'


def _run_module(tmp_path: Path, code: str) -> str:
    (tmp_path / "stamper.py").write_text(code)
    (tmp_path / "driver.py").write_text(DRIVER)
    return subprocess.run(
        [sys.executable, "driver.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True
    ).stdout


def test_value_depending_on_a_global_re_bound_at_run_time_is_not_a_safe_memo(tmp_path: Path):
    from memfix import engine
    from memfix.fixers import FIXERS

    settings = Settings(select=("MF201",), max_len=2, cache=False)
    result = fix_source(GLOBAL_STAMPER, settings)
    (finding,) = result.findings
    assert finding.fix is None or finding.fix.safety is not Safety.SAFE
    assert "EPOCH" in finding.message
    assert _run_module(tmp_path, result.text) == _run_module(tmp_path, GLOBAL_STAMPER)
    # the function declaring `global EPOCH` spells neither the cache nor its user: the pre-filter
    # must keep it for the analysis all the same
    rules = [f for f in FIXERS if f.code == "MF201"]
    sliced = engine.detect(GLOBAL_STAMPER, "g.py", settings, rules)
    whole = engine.detect(GLOBAL_STAMPER, "g.py", settings, rules, prefilter=False)
    assert [f.message for f in sliced.findings] == [f.message for f in whole.findings]


# -- an iterated dict keeps its order: the unsafe fix evicts first-in first-out --------------------

#: graphlib's shape: a dict looked up by key and walked in insertion order (``.values()``). An
#: LRU moves each looked-up key to the end, so the walk saw the nodes reordered and
#: TopologicalSorter's results changed under --unsafe-fixes (CPython's test_graphlib failed)
ORDERED_WALK = '''\
class Graph:
    """Long-lived graph service."""

    def __init__(self):
        self._nodes = {}

    def node(self, name):
        if (info := self._nodes.get(name)) is None:
            self._nodes[name] = info = [name]
        return info

    def names(self):
        return [info[0] for info in self._nodes.values()]


g = Graph()
for name in ("a", "b", "c", "a", "b"):
    g.node(name)
print(g.names())
'''


def _unsafe_fix(code: str):
    result = fix_source(code, Settings(select=("MF201",), cache=False, unsafe_fixes=True))
    assert result.error is None
    return result


def test_an_iterated_dict_is_bounded_without_reordering_it(tmp_path: Path):
    fixed = _unsafe_fix(ORDERED_WALK)
    [finding] = fixed.findings
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    assert "first-in first-out" in finding.fix.description
    assert "popitem(last=False)" in fixed.text and "move_to_end" not in fixed.text
    assert_same_behaviour(tmp_path, ORDERED_WALK, fixed.text)
    assert _unsafe_fix(fixed.text).changed is False


def test_a_dict_only_looked_up_by_key_stays_an_lru():
    """negative case: no use sees the order, so a lookup still refreshes its key."""
    code = ORDERED_WALK.replace("        return [info[0] for info in self._nodes.values()]\n", "        return self._nodes.get(name)\n").replace(
        "def names(self):", "def peek(self, name):"
    ).replace("print(g.names())", "print(g.peek('a'))")
    fixed = _unsafe_fix(code)
    [finding] = fixed.findings
    assert finding.fix is not None and "LRU" in finding.fix.description
    assert "move_to_end" in fixed.text
