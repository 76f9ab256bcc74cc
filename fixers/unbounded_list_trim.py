"""## What it does
Finds the same growth as MF101 (a list that outlives a call, is appended to and never cleared,
popped, trimmed or re-bound) where the code needs list semantics: it slices the list, concatenates
it, sorts it, serialises it, compares it with a list, or hands it to code memfix cannot see. A
list that nothing in its module reads is MF102's too: its readers are elsewhere, so it keeps its
type and only its old items go.

## Why is this bad?
The list grows by one item per event for the life of the process. A `deque` would not fit
(`deque` has no slicing, no `+` with a list, no `sort()`, is not JSON serialisable, and never
equals a list), so the bound has to keep the list.

## Example
```python
class ReportService:
    def __init__(self):
        self.rows = []

    def add(self, row):
        self.rows.append(row)

    def page(self):
        return self.rows[-50:-25]
```

## Use instead
```python
class ReportService:
    def __init__(self):
        self.rows = []

    def add(self, row):
        self.rows.append(row)
        del self.rows[:-1000]

    def page(self):
        return self.rows[-50:-25]
```

## Fix safety
A `del x[:-N]` goes right after each growth site: in place, so every alias stays consistent (the
seed's `x = x[-N:]` copies on each append and silently detaches aliases). N is chosen as in MF101
and referenced by name when the code has one (`del self.rows[:-self.max_rows]`).
Safe when every reader looks only at the last N items. Unsafe when a reader sees the whole list,
when the list escapes (returned, passed on, serialised), when the owner's lifetime is unknown
(low confidence), or when the list has a public name: code in other modules may read it.

## Fix availability
No fix when a growth site is not a statement (inside a lambda or a comprehension), when items are
inserted by position (`insert`: which end is old is unknown), or when no bound can be spelled at a
growth site.

## References
- [del statement](https://docs.python.org/3/reference/simple_stmts.html#the-del-statement)
"""

from __future__ import annotations

from memfix.fixer import Fixer, Invalid, Rule, Valid
from memfix.fixers._growth_filters import growing_list_filter
from memfix.fixers._growth_rewrite import GrowthDetector, GrowthTransformer
from memfix.model import Safety

RULE = Rule(
    code="MF102",
    name="unbounded-list-trim",
    summary="growing list that needs list semantics",
    fix_title="Trim the list in place after each append",
)

EXAMPLES = (
    Invalid(
        "class ReportService:\n"
        "    MAX_ROWS = 500\n\n"
        "    def __init__(self):\n"
        "        self.rows = []\n\n"
        "    def add(self, row):\n"
        "        self.rows.append(row)\n\n"
        "    def first_page(self):\n"
        "        return self.rows[:20]\n",
        fixed="class ReportService:\n"
        "    MAX_ROWS = 500\n\n"
        "    def __init__(self):\n"
        "        self.rows = []\n\n"
        "    def add(self, row):\n"
        "        self.rows.append(row)\n"
        "        del self.rows[:-self.MAX_ROWS]\n\n"
        "    def first_page(self):\n"
        "        return self.rows[:20]\n",
        safety=Safety.UNSAFE,
    ),
    Valid(
        "class Stack:\n"
        "    def __init__(self):\n"
        "        self.items = []\n\n"
        "    def push(self, x):\n"
        "        self.items.append(x)\n\n"
        "    def pop(self):\n"
        "        return self.items.pop()\n"
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
    # the definition the rule starts from: a list display or list() / field(default_factory=list);
    # growth can be spelled too many ways for a byte search (x = [v] + x, x = [*x, v])
    needles=(b"[", b"list"),
    ast_filter=growing_list_filter,
)
