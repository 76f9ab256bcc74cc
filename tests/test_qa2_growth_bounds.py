"""QA round 2: safe growth fixes (MF101/MF103/MF105) whose bound broke the program.

Each program runs before and after ``fix_source`` (safe fixes only, max-len 3) and must print the
same thing, with the container well beyond its bound. Found by black-box testing:
- MF105 read a trim guard it could not interpret (``if len(x) > 2 * MAX:``, hysteresis) as no
  guard, called the deque "exactly the same items" and dropped the guard: ``len()``/``sum()`` of
  the history changed;
- a bound taken from an ``__init__`` attribute assigned *after* the container
  (``self._events = []`` then ``self.max_events = 3``) was spelled ``deque(maxlen=self.max_events)``
  at the definition: AttributeError when the object is built (MF101, MF103, MF105).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from memfix.api import fix_source
from memfix.config import Settings
from memfix.testing import assert_same_behaviour, run_program

HYSTERESIS = """\
class MetricsMonitor:
    MAX_HISTORY = 3

    def __init__(self):
        self._history = []

    def collect(self, m):
        self._history.append(m)
        if len(self._history) > 2 * self.MAX_HISTORY:
            self._history = self._history[-self.MAX_HISTORY:]

    def report(self):
        return len(self._history), sum(self._history)


mon = MetricsMonitor()
for i in range(10):
    mon.collect(i)
    print(mon.report())
"""

LATE_ATTR_LIST = """\
class EventTracker:
    def __init__(self):
        self._events = []
        self.max_events = 3

    def track(self, e):
        self._events.append(e)

    def last(self):
        return self._events[-1]


t = EventTracker()
for i in range(10):
    t.track(i)
print(t.last())
"""

LATE_ATTR_DEQUE = """\
from collections import deque


class EventTracker:
    def __init__(self):
        self._events = deque()
        self.history_window = 3

    def track(self, e):
        self._events.append(e)

    def last(self):
        return self._events[-1]


t = EventTracker()
for i in range(10):
    t.track(i)
print(t.last())
"""

LATE_ATTR_TRIM = """\
class MetricsMonitor:
    def __init__(self):
        self._history = []
        self.window = 3

    def collect(self, m):
        self._history.append(m)
        if len(self._history) > self.window:
            self._history = self._history[-self.window:]

    def report(self):
        return len(self._history), sum(self._history)


mon = MetricsMonitor()
for i in range(10):
    mon.collect(i)
    print(mon.report())
"""

# negative case: the attribute is set before the container, so `self.window` can be spelled there
EARLY_ATTR_TRIM = LATE_ATTR_TRIM.replace(
    "        self._history = []\n        self.window = 3\n", "        self.window = 3\n        self._history = []\n"
)

CASES = {
    "hysteresis-guard": HYSTERESIS,
    "late-attr-list": LATE_ATTR_LIST,
    "late-attr-deque": LATE_ATTR_DEQUE,
    "late-attr-trim": LATE_ATTR_TRIM,
    "early-attr-trim": EARLY_ATTR_TRIM,
}


def _fix(code: str, unsafe: bool = False) -> str:
    result = fix_source(code, Settings(select=("MF1",), cache=False, max_len=3, unsafe_fixes=unsafe))
    assert result.error is None
    return result.text


@pytest.mark.parametrize("code", list(CASES.values()), ids=list(CASES))
def test_safe_fix_keeps_behaviour(tmp_path: Path, code: str):
    assert_same_behaviour(tmp_path, code, _fix(code))


@pytest.mark.parametrize("code", list(CASES.values()), ids=list(CASES))
def test_unsafe_fix_still_runs(tmp_path: Path, code: str):
    after = run_program(tmp_path, _fix(code, unsafe=True))
    assert after.returncode == 0, after.stderr


def test_early_attribute_is_still_used_as_the_bound():
    fixed = _fix(EARLY_ATTR_TRIM)
    assert "deque(maxlen=self.window)" in fixed
    assert "self._history[-self.window:]" not in fixed
