"""## What it does
Finds a `collections.deque` created without `maxlen` (or with `maxlen=None`) that outlives a call
and is only appended to: nothing pops, clears or re-binds it.

## Why is this bad?
A deque without `maxlen` is an unbounded list with a faster left end. Used as a history it grows
for the life of the process. (A deque drained with `popleft()` is a queue, not a leak, and is not
reported.)

## Example
```python
from collections import deque

class EventTracker:
    def __init__(self):
        self.events = deque()

    def on_event(self, e):
        self.events.append(e)

    def last(self):
        return self.events[-1]
```

## Use instead
```python
from collections import deque

class EventTracker:
    def __init__(self):
        self.events = deque(maxlen=1000)

    def on_event(self, e):
        self.events.append(e)

    def last(self):
        return self.events[-1]
```

## Fix safety
`maxlen=N` is added; N is chosen as in MF101 (a bound-like constant, attribute or `__init__`
parameter, referenced by name, else `--max-len`). Safe when every reader looks only at the last N
items (`x[-1]`) or at emptiness. Unsafe when a reader sees the whole deque (`len()`, iteration),
when it escapes, when items are added on the left (a full deque drops from the other end), when
the owner's lifetime is unknown (low confidence), or when the deque has a public name: code in
other modules may read it.

## Fix availability
Always available unless no bound can be spelled at the definition.

## References
- [collections.deque](https://docs.python.org/3/library/collections.html#collections.deque)
"""

from __future__ import annotations

from memfix.fixer import Fixer, Invalid, Rule, Valid
from memfix.fixers._growth_filters import unbounded_deque_filter
from memfix.fixers._growth_rewrite import GrowthDetector, GrowthTransformer
from memfix.model import Safety

RULE = Rule(
    code="MF103",
    name="unbounded-deque",
    summary="deque() without maxlen that only grows",
    fix_title="Add maxlen=N",
)

EXAMPLES = (
    Invalid(
        "from collections import deque\n\n"
        "class EventTracker:\n"
        "    def __init__(self, max_events=500):\n"
        "        self.max_events = max_events\n"
        "        self.events = deque()\n\n"
        "    def on_event(self, e):\n"
        "        self.events.append(e)\n\n"
        "    def last(self):\n"
        "        return self.events[-1]\n",
        fixed="from collections import deque\n\n"
        "class EventTracker:\n"
        "    def __init__(self, max_events=500):\n"
        "        self.max_events = max_events\n"
        "        self.events = deque(maxlen=max_events)\n\n"
        "    def on_event(self, e):\n"
        "        self.events.append(e)\n\n"
        "    def last(self):\n"
        "        return self.events[-1]\n",
        safety=Safety.UNSAFE,
    ),
    Valid(
        "from collections import deque\n\n"
        "class Worker:\n"
        "    def __init__(self):\n"
        "        self.jobs = deque()\n\n"
        "    def submit(self, job):\n"
        "        self.jobs.append(job)\n\n"
        "    def run_one(self):\n"
        "        return self.jobs.popleft()\n"
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
    needles=(b"deque",),
    ast_filter=unbounded_deque_filter,
)
