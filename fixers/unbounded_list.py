"""## What it does
Finds lists that outlive a call (an instance attribute set in `__init__` or a dataclass
`field(default_factory=list)`, a class attribute, a module global, a closure variable) that are
appended to and never cleared, popped, trimmed or re-bound, where every use also works on a
`collections.deque`.

## Why is this bad?
A history, metric or event list on a long-lived object grows by one item per event for the life of
the process. Readers usually look at the last few items only, so the rest is memory held for
nothing until the process runs out of it.

## Example
```python
class LatencyMonitor:
    def __init__(self):
        self.samples = []

    def record(self, ms):
        self.samples.append(ms)

    def recent(self):
        return self.samples[-100:]
```

## Use instead
```python
from collections import deque

class LatencyMonitor:
    def __init__(self):
        self.samples = deque(maxlen=100)

    def record(self, ms):
        self.samples.append(ms)

    def recent(self):
        return list(self.samples)
```

## Fix safety
The list becomes `deque(maxlen=N)` (an existing `deque` import or alias is reused, a `list[T]`
annotation becomes `deque[T]`, and a tail read `x[-K:]` becomes `list(x)` when K >= N). N comes
from the code: the largest tail read, else a constant, attribute or `__init__` parameter named like
a bound (referenced by name), else `--max-len`. The message says which.
Safe when every reader memfix can see looks only at the last N items (`x[-1]`, `x[-K:]` with
K <= N) or only at emptiness. Unsafe when a reader sees the whole list (`len()`, iteration, `in`,
`sum()`...), when the list escapes (returned, passed to another function), when an access through
an object of unknown type may be this list, when nothing shows that the owner lives long
(low confidence), or when the list has a public name (an attribute or module global without a
leading underscore): code in other modules may read it whole, or compare it with a list, and memfix
reads one module at a time.

## Fix availability
Lists whose uses need a list (slices other than the tail, `+`, `sort()`, `json.dumps`, comparison
with a list, returned or passed on) are MF102's, and so are lists nothing in the module reads: their
readers are elsewhere, and a deque would change the type they get. Not reported: locals, lists that are cleared,
popped, trimmed, re-bound or length-checked anywhere in the module, lists only filled while they are
built (in `__init__` or at import time).

## References
- [collections.deque](https://docs.python.org/3/library/collections.html#collections.deque)
"""

from __future__ import annotations

import ast

from memfix.fixer import Fixer, Invalid, Rule, Valid
from memfix.fixers._growth_filters import growing_list_filter
from memfix.fixers._growth_rewrite import GrowthDetector, GrowthTransformer
from memfix.model import Safety

RULE = Rule(
    code="MF101",
    name="unbounded-list",
    summary="list attribute/global that only grows",
    fix_title="Replace the list with deque(maxlen=N)",
)

EXAMPLES = (
    Invalid(
        "class LatencyMonitor:\n"
        "    def __init__(self):\n"
        "        self._samples = []\n\n"
        "    def record(self, ms):\n"
        "        self._samples.append(ms)\n\n"
        "    def recent(self):\n"
        "        return self._samples[-100:]\n",
        fixed="from collections import deque\n\n"
        "class LatencyMonitor:\n"
        "    def __init__(self):\n"
        "        self._samples = deque(maxlen=100)\n\n"
        "    def record(self, ms):\n"
        "        self._samples.append(ms)\n\n"
        "    def recent(self):\n"
        "        return list(self._samples)\n",
        safety=Safety.SAFE,
    ),
    Invalid(
        "EVENTS = []\n\n"
        "def on_event(e):\n"
        "    EVENTS.append(e)\n\n"
        "def count():\n"
        "    return len(EVENTS)\n",
        fixed="from collections import deque\n\n"
        "EVENTS = deque(maxlen=1000)\n\n"
        "def on_event(e):\n"
        "    EVENTS.append(e)\n\n"
        "def count():\n"
        "    return len(EVENTS)\n",
        safety=Safety.UNSAFE,
    ),
    Valid(
        "class Batcher:\n"
        "    def __init__(self):\n"
        "        self.pending = []\n\n"
        "    def add(self, item):\n"
        "        self.pending.append(item)\n\n"
        "    def flush(self):\n"
        "        self.pending.clear()\n"
    ),
    Valid("def collect(items):\n    out = []\n    for item in items:\n        out.append(item)\n    return out\n"),
)


class Detector(GrowthDetector):
    pass


class Transformer(GrowthTransformer):
    pass


def _ast_filter(tree: ast.Module) -> bool:
    return growing_list_filter(tree)


FIXER = Fixer(
    rule=RULE,
    doc=__doc__ or "",
    examples=EXAMPLES,
    detector=Detector,
    transformer=Transformer,
    # the definition the rule starts from: a list display or list() / field(default_factory=list);
    # growth can be spelled too many ways for a byte search (x = [v] + x, x = [*x, v])
    needles=(b"[", b"list"),
    ast_filter=_ast_filter,
)
