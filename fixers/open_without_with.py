"""## What it does
Finds files opened with `open()` whose handle is not managed by a with-block: `f = open(p)` ...
`f.close()`, `data = open(p).read()`, `json.load(open(p))`, `for line in open(p):`.

## Why is this bad?
The handle is closed only by an explicit `close()` that an exception skips, or by the garbage
collector, whenever it runs (never, on some interpreters, while a reference cycle holds it). A
long-running service leaks one file descriptor per failure until `open()` raises
`OSError: [Errno 24] Too many open files`.

## Example
```python
def load(path):
    f = open(path)
    data = f.read()
    f.close()
    return data
```

## Use instead
```python
def load(path):
    with open(path) as f:
        data = f.read()
    return data
```

## Fix safety
Safe when every use of the handle is in the same block, after the open, and the handle does not
escape: the statements from the open to the last use (or the `close()`) move into the with-block
and the `close()` goes away. Unsafe when the handle is passed to a function memfix cannot see
(it may keep it), when wrapping would move the open ahead of another call in the same statement,
or in a class body (the new name becomes a class attribute).

What the handle hands out is followed like the handle: a descriptor (`fd = f.fileno()`), the
`buffer`, or a method kept rather than called (`read = f.readline`) must be used inside the block
too, which is extended to its last use. A kept method passed to another function is a callback
that may run after the block closes the file: no fix (`self.addCleanup(f.flush)`), or unsafe for
a late `close` (`self.addCleanup(f.close)`, which then does nothing but now closes the file earlier
than the code asked). And `with open(p) as f` binds `f` to what `open(p).__enter__()` returns: the
file itself, but another object when a mock has replaced `open`, so in a module that mocks and
names `open` in a patch target (`patch("builtins.open")`, `patch(__name__ + ".open")`) the fix is
unsafe.

## Fix availability
No fix when the handle escapes: stored on `self`, in a container or under another name, captured by
a nested function, re-bound, used outside its block, or opened conditionally or per iteration.
A handle passed to a function this module defines (`self.initfp(f)` for a method of the same
class, `helper(f)`, `Reader(f)` with its `__init__`) escapes when that function stores the
parameter on an object or in a container, returns or yields it, or lets a nested function
capture it: the with-block would close the file under the object that keeps it (CPython's
`aifc` stores the file it opens through `self.initfp`). A callee that only reads through the
handle leaves the fix unsafe, as for any function memfix does not follow further. A value that
still depends on the open file (`f.buffer`, `f.fileno()`, a bound method) gets the same checks as
the handle: kept by such a function, or by the result of the calls it is passed to, it escapes.
Not reported at all: factories (the handle is returned or yielded), handles closed in `finally:`,
handles closed by the expression that opens them (`open(p, "w").close()`), and handles given to
`with`, `contextlib.closing` or `ExitStack.enter_context`.

A call that is a statement of its own (`open(p)`, run for its error) becomes
`with open(p):` with a `pass` body. Two handles opened in one statement become one with-statement
whose items open them in the order the calls ran.

## References
- [Reading and writing files](https://docs.python.org/3/tutorial/inputoutput.html#reading-and-writing-files)
- ruff SIM115, pylint R1732 consider-using-with (detection only)
"""

from __future__ import annotations

import ast
from typing import List, Union

from memfix.astindex import AstIndex
from memfix.fixer import Fixer, Invalid, Rule, Valid
from memfix.fixers._resource_filter import QualifiedNames, ancestors, managed_or_returned, with_callees
from memfix.fixers._with_rewrite import CONSUMERS, MANAGING_METHODS, WithRewriteDetector
from memfix.fixers._with_transform import WithRewriteTransformer
from memfix.model import Safety
from memfix.prefilter import FilterResult, enclosing_functions

RULE = Rule(
    code="MF301",
    name="open-without-with",
    summary="open() whose handle is not managed by a with-block",
    fix_title="Wrap the uses of the handle in a with-block",
)

EXAMPLES = (
    Invalid(
        "def load(path):\n    f = open(path)\n    data = f.read()\n    f.close()\n    return data\n",
        fixed="def load(path):\n    with open(path) as f:\n        data = f.read()\n    return data\n",
        safety=Safety.SAFE,
    ),
    Invalid(
        "import json\n\ndef config(path):\n    return json.load(open(path))\n",
        fixed="import json\n\ndef config(path):\n    with open(path) as f:\n        return json.load(f)\n",
        safety=Safety.SAFE,
    ),
    Invalid(
        "class Log:\n    def __init__(self, path):\n        self.out = open(path, 'a')\n",
    ),
    Valid("def load(path):\n    with open(path) as f:\n        return f.read()\n"),
    Valid("def opener(path):\n    f = open(path)\n    return f\n"),
)


class Detector(WithRewriteDetector):
    OPENERS = frozenset({"builtins.open"})


class Transformer(WithRewriteTransformer):
    pass


def _ast_filter(tree: Union[ast.Module, AstIndex]) -> FilterResult:
    """Some call of the builtin `open` (`open(...)`, `builtins.open(...)`) that is not directly a
    with-item. The analysis of a handle stays in the function that opens it, so only those
    functions need libcst (memfix.prefilter). Aliases count: `from builtins import open as o`,
    `import builtins as b`. Calls the detector certainly does not report are dropped."""
    index = AstIndex.of(tree)
    modules = {"builtins"}
    names = {"open"}
    for node in index.nodes(ast.ImportFrom):
        if node.module == "builtins":
            for alias in node.names:
                if alias.name == "*":
                    return True
                if alias.name == "open":
                    names.add(alias.asname or alias.name)
    for node in index.nodes(ast.Import):
        modules.update(a.asname for a in node.names if a.name == "builtins" and a.asname)
    managed = {id(item.context_expr) for node in index.nodes(ast.With, ast.AsyncWith) for item in node.items}
    calls = [
        node
        for node in index.nodes(ast.Call)
        if isinstance(node.func, ast.Name)
        or (isinstance(node.func, ast.Attribute) and node.func.attr == "open" and isinstance(node.func.value, ast.Name))
    ]
    calls = [
        node
        for node in calls
        if id(node) not in managed
        and (
            (isinstance(node.func, ast.Name) and node.func.id in names)
            or (isinstance(node.func, ast.Attribute) and node.func.value.id in modules)  # type: ignore[attr-defined]
        )
    ]
    return with_callees(index, enclosing_functions(index.tree, _reportable(index, calls)))


#: roots whose qualified names the consumer test reads (a class named like one of them makes
#: libcst's names differ, and then every call is kept)
_ROOTS = frozenset(name.split(".")[0] for name in CONSUMERS) | {"builtins"}


def _reportable(index: AstIndex, calls: List[ast.Call]) -> List[ast.Call]:
    """``calls`` without those the detector certainly does not report: managed (a with-item,
    ``closing()``, ``enter_context()``, a lambda's body) or returned to the caller, read as
    MF302's filter reads them (``_resource_filter.managed_or_returned``: both rules share
    ``WithRewriteDetector.visit_Call``)."""
    if not calls:
        return calls
    qualified = QualifiedNames(index, _ROOTS)
    if not qualified.complete:
        return calls

    def maybe_consumer(call: ast.Call) -> bool:
        return bool(qualified.of(call.func) & CONSUMERS)

    places = ancestors(index, calls)
    kept: List[ast.Call] = []
    for call in calls:
        place = places.get(id(call))
        if place is None or not managed_or_returned(call, place[0], place[1], MANAGING_METHODS, maybe_consumer, False):
            kept.append(call)
    return kept


FIXER = Fixer(
    rule=RULE,
    doc=__doc__ or "",
    examples=EXAMPLES,
    detector=Detector,
    transformer=Transformer,
    needles=(b"open",),
    ast_filter=_ast_filter,
)
