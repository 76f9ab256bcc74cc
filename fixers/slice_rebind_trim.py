"""## What it does
Finds growing lists that are already bounded by re-binding them to their own tail after an append:
`x = x[-N:]` (or `if len(x) > N: x = x[-N:]`), including per-key lists of a `defaultdict(list)`.

## Why is this bad?
The bound works, but each trim copies up to N items and re-binds the name: every other reference
to the list (an alias, a caller that kept it) silently keeps the old, untrimmed list.

## Example
```python
class MetricsMonitor:
    MAX_HISTORY = 1000

    def __init__(self):
        self.history = []

    def latest(self):
        return self.history[-1]

    def collect(self, m):
        self.history.append(m)
        if len(self.history) > self.MAX_HISTORY:
            self.history = self.history[-self.MAX_HISTORY:]
```

## Use instead
```python
from collections import deque

class MetricsMonitor:
    MAX_HISTORY = 1000

    def __init__(self):
        self.history = deque(maxlen=self.MAX_HISTORY)

    def latest(self):
        return self.history[-1]

    def collect(self, m):
        self.history.append(m)
```

## Fix safety
When every use works on a deque, the list becomes `deque(maxlen=N)` with the trim's own N, and the
trim (with its `if len(x) > N:` guard) goes away. This is safe when the trim follows every growth
site with a guard that fires at N or earlier, so the deque holds exactly what the list held, and
the list does not escape (an escaped reference would now see the live deque instead of a stale
copy). Otherwise the trim becomes the in-place `del x[:-N]`, which keeps the list and drops exactly
what the copy dropped: safe unless the list escapes. A list that nothing in the module reads but
its trim is read elsewhere: it keeps its type (the in-place trim), and the fix is unsafe, since
those readers are out of sight. For the same reason a list with a public name (an attribute or
module global without a leading underscore) gets an unsafe fix: code in other modules may hold the
list the trim used to replace, or get a deque where it had a list.

## Fix availability
Always available.

## References
- [collections.deque](https://docs.python.org/3/library/collections.html#collections.deque)
"""

from __future__ import annotations

from memfix.fixer import Fixer, Invalid, Rule, Valid
from memfix.fixers._growth_filters import slice_rebind_filter
from memfix.fixers._growth_rewrite import GrowthDetector, GrowthTransformer
from memfix.model import Safety

RULE = Rule(
    code="MF105",
    name="slice-rebind-trim",
    summary="existing x = x[-N:] trim after append",
    fix_title="Use deque(maxlen=N) (or trim in place)",
)

EXAMPLES = (
    Invalid(
        "class MetricsMonitor:\n"
        "    MAX_HISTORY = 1000\n\n"
        "    def __init__(self):\n"
        "        self._history = []\n\n"
        "    def latest(self):\n"
        "        return self._history[-1]\n\n"
        "    def collect(self, m):\n"
        "        self._history.append(m)\n"
        "        if len(self._history) > self.MAX_HISTORY:\n"
        "            self._history = self._history[-self.MAX_HISTORY:]\n",
        fixed="from collections import deque\n\n"
        "class MetricsMonitor:\n"
        "    MAX_HISTORY = 1000\n\n"
        "    def __init__(self):\n"
        "        self._history = deque(maxlen=self.MAX_HISTORY)\n\n"
        "    def latest(self):\n"
        "        return self._history[-1]\n\n"
        "    def collect(self, m):\n"
        "        self._history.append(m)\n",
        safety=Safety.SAFE,
    ),
    Valid(
        "def tail(xs):\n"
        "    xs = xs[-10:]\n"
        "    return xs\n"
    ),
)


class Detector(GrowthDetector):
    pass


class Transformer(GrowthTransformer):
    pass


FIXER = Fixer(
    rule=RULE,
    doc=__doc__ or "",
    examples=EXAMPLES,
    detector=Detector,
    transformer=Transformer,
    needles=(b"[",),  # x = x[-K:] is a subscript, however it is spaced or split over lines
    ast_filter=slice_rebind_filter,
)
