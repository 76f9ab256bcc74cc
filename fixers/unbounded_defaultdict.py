"""## What it does
Finds a `defaultdict(list)` that outlives a call whose per-key lists are appended to and never
trimmed, and whose keys are never removed (seed 000: `self.recovery_times[component].append(t)`).

## Why is this bad?
It grows in two directions: every key's list grows by one item per event, and every new key adds
a list. Readers usually look at the last few items of one key.

## Example
```python
from collections import defaultdict

class ErrorEngine:
    def __init__(self):
        self.recovery_times = defaultdict(list)

    def record(self, component, t):
        self.recovery_times[component].append(t)

    def recent(self, component):
        return self.recovery_times[component][-100:]
```

## Use instead
```python
from collections import defaultdict, deque

class ErrorEngine:
    def __init__(self):
        self.recovery_times = defaultdict(lambda: deque(maxlen=100))

    def record(self, component, t):
        self.recovery_times[component].append(t)

    def recent(self, component):
        return list(self.recovery_times[component])
```

## Fix safety
When every per-key use works on a deque (and something in the module reads the mapping: readers
out of sight keep getting lists), each key's list becomes `deque(maxlen=N)` (a
`dict[str, list[T]]` annotation becomes `dict[str, deque[T]]`, tail reads `d[k][-K:]` with K >= N
become `list(d[k])`); otherwise `del d[k][:-N]` follows each append. N is chosen as in MF101. Safe
when every reader of a key's list looks only at its last N items. Unsafe when a reader sees a whole
list (`len(d[k])`, iteration), when the lists are handed out (`d.values()`, `d.items()`,
`d.get(k)`), when the owner's lifetime is unknown, or when the mapping has a public name: code in
other modules may read its lists. The key set stays unbounded: the message
reports it, and bounding it needs a decision about which keys may be forgotten.

## Fix availability
No trim fix when the key expression at a growth site is not a plain name or attribute (it would
be evaluated twice).

## References
- [collections.defaultdict](https://docs.python.org/3/library/collections.html#collections.defaultdict)
"""

from __future__ import annotations

from memfix.fixer import Fixer, Invalid, Rule, Valid
from memfix.fixers._growth_filters import defaultdict_list_filter
from memfix.fixers._growth_rewrite import GrowthDetector, GrowthTransformer
from memfix.model import Safety

RULE = Rule(
    code="MF104",
    name="unbounded-defaultdict",
    summary="defaultdict(list) whose per-key lists only grow",
    fix_title="Bound each key's list",
)

EXAMPLES = (
    Invalid(
        "from collections import defaultdict\n\n"
        "class ErrorEngine:\n"
        "    def __init__(self):\n"
        "        self._recovery_times = defaultdict(list)\n\n"
        "    def record(self, component, t):\n"
        "        self._recovery_times[component].append(t)\n\n"
        "    def recent(self, component):\n"
        "        return self._recovery_times[component][-100:]\n",
        fixed="from collections import deque, defaultdict\n\n"
        "class ErrorEngine:\n"
        "    def __init__(self):\n"
        "        self._recovery_times = defaultdict(lambda: deque(maxlen=100))\n\n"
        "    def record(self, component, t):\n"
        "        self._recovery_times[component].append(t)\n\n"
        "    def recent(self, component):\n"
        "        return list(self._recovery_times[component])\n",
        safety=Safety.SAFE,
    ),
    Valid(
        "from collections import defaultdict\n\n"
        "def group(pairs):\n"
        "    out = defaultdict(list)\n"
        "    for k, v in pairs:\n"
        "        out[k].append(v)\n"
        "    return out\n"
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
    needles=(b"defaultdict",),
    ast_filter=defaultdict_list_filter,
)
