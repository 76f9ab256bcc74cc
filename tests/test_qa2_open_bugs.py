"""QA round 2: behaviour-changing SAFE fixes the QA round left open; both are fixed now.

- MF105 (and any rule taking N from an ``__init__`` attribute): ``deque(maxlen=self.window)``
  freezes the bound at construction, but the attribute is re-assigned later (``resize``): the
  copying trim ``x = x[-self.window:]`` followed the new value, the deque does not. Fixing it needs
  the analysis to see every writer of the attribute, which the growth pre-filter's slice may drop
  (it keeps code spelling the container's name, not the bound's).
- MF104: ``defaultdict(list)`` -> ``defaultdict(lambda: deque(maxlen=N))`` makes the owner
  unpicklable (a lambda cannot be pickled): ``pickle.dumps(tracker)`` raised AttributeError.
  ``functools.partial(deque, maxlen=N)`` pickles; the lead owns that design change.
"""

from __future__ import annotations

from pathlib import Path

from memfix.api import fix_source
from memfix.config import Settings
from memfix.testing import assert_same_behaviour

RESIZED_WINDOW = """\
class MetricsMonitor:
    def __init__(self, window=3):
        self._history = []
        self.window = window

    def resize(self, n):
        self.window = n

    def collect(self, m):
        self._history.append(m)
        if len(self._history) > self.window:
            self._history = self._history[-self.window:]

    def report(self):
        return len(self._history), sum(self._history)


mon = MetricsMonitor()
for i in range(6):
    mon.collect(i)
mon.resize(5)
for i in range(6):
    mon.collect(i)
    print(mon.report())
"""

PICKLED_OWNER = """\
import pickle
from collections import defaultdict


class ErrorTracker:
    \"\"\"Long-lived error tracker service.\"\"\"

    def __init__(self):
        self._errors = defaultdict(list)

    def record(self, comp, e):
        self._errors[comp].append(e)

    def last(self, comp):
        return self._errors[comp][-1]


t = ErrorTracker()
for i in range(10):
    t.record("a", i)
print(t.last("a"), pickle.loads(pickle.dumps(t)).last("a"))
"""


def test_resized_window_keeps_behaviour(tmp_path: Path):
    """Fixed: a bound attribute stored again after construction (Bound.rebound) is not frozen
    into deque(maxlen=...); MF105 keeps an in-place trim that reads it each time."""
    _check(tmp_path, RESIZED_WINDOW)
    assert "del self._history[:-self.window]" in fix_source(RESIZED_WINDOW, Settings(select=("MF1",), cache=False)).text


def test_a_window_set_only_in_init_still_becomes_a_deque(tmp_path: Path):
    code = RESIZED_WINDOW.replace("    def resize(self, n):\n        self.window = n\n\n", "").replace("mon.resize(5)\n", "")
    _check(tmp_path, code)
    assert "deque(maxlen=window)" in fix_source(code, Settings(select=("MF1",), cache=False)).text


def test_a_window_stored_in_a_method_the_slice_would_drop_is_seen_with_the_prefilter():
    from memfix import engine
    from memfix.fixers import FIXERS

    code = RESIZED_WINDOW.replace("    def resize(self, n):\n        self.window = n\n", "    def resize(self, n):\n        other, self.window = None, n\n")
    settings = Settings(select=("MF1",), cache=False)
    sliced = engine.detect(code, "m.py", settings, FIXERS)
    whole = engine.detect(code, "m.py", settings, FIXERS, prefilter=False)
    assert [f.message for f in sliced.findings] == [f.message for f in whole.findings]
    assert "del self._history[:-self.window]" in fix_source(code, settings).text


def test_pickled_owner_keeps_behaviour(tmp_path: Path):
    """Fixed: a module that pickles (by identifier: pickle, copyreg, shelve, multiprocessing,
    __reduce__...) gets the lambda factory only as an unsafe fix."""
    _check(tmp_path, PICKLED_OWNER)
    unsafe = fix_source(PICKLED_OWNER, Settings(select=("MF1",), cache=False, max_len=3, unsafe_fixes=True))
    assert "lambda" in unsafe.text
    assert any("pickled" in f.message for f in unsafe.findings)


def test_owner_of_a_module_that_does_not_pickle_keeps_the_safe_fix():
    code = PICKLED_OWNER.replace("import pickle\n", "").replace(
        'print(t.last("a"), pickle.loads(pickle.dumps(t)).last("a"))', 'print(t.last("a"))'
    )
    result = fix_source(code, Settings(select=("MF1",), cache=False, max_len=3))
    assert "lambda: deque(maxlen=" in result.text


def _check(tmp_path: Path, code: str) -> None:
    result = fix_source(code, Settings(select=("MF1",), cache=False, max_len=3))
    assert result.error is None
    assert_same_behaviour(tmp_path, code, result.text)


def test_pickling_seen_in_code_the_prefilter_slices_away():
    from memfix import engine
    from memfix.fixers import FIXERS

    code = PICKLED_OWNER.replace("import pickle\n", "").replace(
        "    def last(self, comp):",
        "    def save(self):\n        import pickle\n        return pickle.dumps(self)\n\n    def last(self, comp):",
    ).replace('print(t.last("a"), pickle.loads(pickle.dumps(t)).last("a"))', 'print(t.last("a"))')
    settings = Settings(select=("MF1",), cache=False, max_len=3)
    sliced = engine.detect(code, "t.py", settings, FIXERS)
    whole = engine.detect(code, "t.py", settings, FIXERS, prefilter=False)
    assert [f.message for f in sliced.findings] == [f.message for f in whole.findings]
    assert any("pickle" in f.message for f in sliced.findings)
