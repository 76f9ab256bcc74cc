"""## What it does
Finds queues created without a bound — `queue.Queue`, `LifoQueue`, `PriorityQueue`,
`SimpleQueue`, `asyncio.Queue` (and its `LifoQueue`/`PriorityQueue`), `multiprocessing.Queue`
(and `JoinableQueue`/`SimpleQueue`) with no `maxsize`, or `maxsize=0` or less — that are stored
where they outlive a call (a module global, a class attribute, an instance attribute) and that the
code `put()`s into. Calls are recognised through the module's imports (`from queue import Queue as
Q`), never by spelling.

## Why is this bad?
An unbounded queue between a producer and a consumer absorbs every burst: when the consumer is
slower, stalls or dies, the queue keeps every item and the process grows until it runs out of
memory, with no back-pressure telling the producer to slow down.

## Example
```python
import queue

class UploadWorker:
    def __init__(self):
        self.pending = queue.Queue()

    def submit(self, item):
        self.pending.put(item)
```

## Use instead
```python
import queue

class UploadWorker:
    def __init__(self):
        self.pending = queue.Queue(maxsize=1000)

    def submit(self, item):
        self.pending.put(item)  # now blocks while 1000 items wait
```

## Fix safety
There is no automatic fix. A bound changes what producers do when the queue is full:
`queue.Queue.put()` and `multiprocessing.Queue.put()` block (or raise `queue.Full` with
`block=False` or a timeout), `await asyncio.Queue.put()` waits for a free slot, and every
`put_nowait()` raises (`queue.Full`, `asyncio.QueueFull`). Whether a full queue should block the
producer, drop items or fail is a design decision; a blocking `put()` on the consumer's own thread
can deadlock. `SimpleQueue` has no bound at all: bounding it means switching to `Queue(maxsize=N)`.

## Fix availability
Report only. Not reported: queues with a `maxsize` the analysis cannot evaluate (a name, an
expression), local queues that die with the call, queues nothing in the module `put()`s into, and
queues built from a context object (`ctx.Queue()`) or a manager. An instance attribute is reported
with high confidence when its class shows a long life (a `while` loop, a thread or task target, a
name such as worker/service/manager, an instance created at module level), medium otherwise.

## References
- [queue — A synchronized queue class](https://docs.python.org/3/library/queue.html)
- [asyncio.Queue](https://docs.python.org/3/library/asyncio-queue.html)
- [multiprocessing.Queue](https://docs.python.org/3/library/multiprocessing.html#multiprocessing.Queue)
"""

from __future__ import annotations

import ast
import re
from typing import FrozenSet, List, Optional, Set, Tuple, Union

import libcst as cst
from libcst.metadata import (
    ClassScope,
    GlobalScope,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from memfix.astindex import AstIndex
from memfix.prefilter import FilterResult, spelling_regions
from memfix.fixer import BaseDetector, Fixer, Invalid, Rule, Valid
from memfix.nodes import dispatch
from memfix.model import Confidence

RULE = Rule(
    code="MF401",
    name="unbounded-queue",
    summary="queue without maxsize in a long-lived object, fed by put()",
    fix_title="Give the queue a maxsize and decide what a full queue means",
)

EXAMPLES = (
    Invalid(
        "import queue\n\nclass UploadWorker:\n    def __init__(self):\n        self.pending = queue.Queue()\n\n"
        "    def submit(self, item):\n        self.pending.put(item)\n"
    ),
    Invalid("import asyncio\n\nEVENTS = asyncio.Queue()\n\nasync def publish(event):\n    await EVENTS.put(event)\n"),
    Valid("import queue\n\nJOBS = queue.Queue(maxsize=100)\n\ndef submit(job):\n    JOBS.put(job)\n"),
    Valid("import queue\n\ndef drain(items):\n    q = queue.Queue()\n    for item in items:\n        q.put(item)\n    return q.qsize()\n"),
)

_THREAD_FULL = "`put()` block when the queue is full (or raise `queue.Full` with `block=False` or a timeout) and `put_nowait()` raise `queue.Full`"
_ASYNC_FULL = "`await put()` wait for a free slot and `put_nowait()` raise `asyncio.QueueFull`"
_SIMPLE = "it has no maxsize parameter: a bound means switching to `{bounded}(maxsize=N)`, whose `put()` blocks when full and `put_nowait()` raises `queue.Full`"

#: qualified name -> (what a bound would change, or None for queues without a maxsize parameter)
QUEUES = {
    "queue.Queue": _THREAD_FULL,
    "queue.LifoQueue": _THREAD_FULL,
    "queue.PriorityQueue": _THREAD_FULL,
    "queue.SimpleQueue": None,
    "asyncio.Queue": _ASYNC_FULL,
    "asyncio.LifoQueue": _ASYNC_FULL,
    "asyncio.PriorityQueue": _ASYNC_FULL,
    "multiprocessing.Queue": _THREAD_FULL,
    "multiprocessing.JoinableQueue": _THREAD_FULL,
    "multiprocessing.SimpleQueue": None,
}
_BOUNDED_FOR_SIMPLE = {"queue.SimpleQueue": "queue.Queue", "multiprocessing.SimpleQueue": "multiprocessing.Queue"}
_PUTS: FrozenSet[str] = frozenset({"put", "put_nowait"})
_LONG_LIVED_NAME = re.compile(
    r"service|monitor|tracker|engine|manager|cache|daemon|worker|server|broker|dispatch|schedul|consumer|"
    r"producer|pool|listener|poller|agent",
    re.IGNORECASE,
)
_SPAWNERS = frozenset(
    {"threading.Thread", "threading.Timer", "asyncio.create_task", "asyncio.ensure_future", "multiprocessing.Process"}
)


def _unbounded(call: cst.Call) -> Optional[bool]:
    """True: no maxsize, or a literal one <= 0; False: bounded; None: cannot tell."""
    value: Optional[cst.BaseExpression] = None
    for index, arg in enumerate(call.args):
        if arg.star:
            return None
        if arg.keyword is not None and arg.keyword.value == "maxsize":
            value = arg.value
        elif arg.keyword is None and index == 0:
            value = arg.value
    if value is None:
        return True
    number = _int_literal(value)
    if number is None:
        return None
    return number <= 0


def _int_literal(node: cst.BaseExpression) -> Optional[int]:
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _int_literal(node.expression)
        return None if inner is None else -inner
    return None


class Detector(BaseDetector):
    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider, ScopeProvider, QualifiedNameProvider)

    # -- helpers ------------------------------------------------------------------------------

    def _enclosing(self, node: cst.CSTNode) -> Tuple[Optional[cst.FunctionDef], Optional[cst.ClassDef]]:
        """The innermost function, and the class that function (or the statement) belongs to."""
        function: Optional[cst.FunctionDef] = None
        current = self.parent(node)
        while current is not None:
            if isinstance(current, cst.FunctionDef) and function is None:
                function = current
            elif isinstance(current, cst.ClassDef):
                return function, current
            current = self.parent(current)
        return function, None

    # -- entry --------------------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        names = self.qualified(node.func) & set(QUEUES)
        if not names:
            return
        qualified = min(names)
        effect = QUEUES[qualified]
        if effect is not None and _unbounded(node) is not True:
            return
        parent = self.parent(node)
        if isinstance(parent, cst.Assign) and parent.value is node and len(parent.targets) == 1:
            target = parent.targets[0].target
        elif isinstance(parent, cst.AnnAssign) and parent.value is node:
            target = parent.target
        else:
            return
        owner = self._owner(node, target)
        if owner is None:
            return
        symbol, shown, puts, confidence, why = owner
        if not puts:
            return
        label = qualified + "()"
        put_line = self.line_of(puts[0])
        put_text = f"`{shown}.{puts[0].func.attr.value}()` at line {put_line}"  # type: ignore[attr-defined]
        if effect is None:
            change = _SIMPLE.format(bounded=_BOUNDED_FOR_SIMPLE[qualified])
            message = f"`{label}` in `{shown}` is unbounded and {put_text} adds to it ({why}); {change}"
        else:
            message = (
                f"`{label}` in `{shown}` has no maxsize and {put_text} adds to it ({why}): it grows without limit "
                f"while producers outpace the consumer; a bound would make {effect}"
            )
        self.report(
            node,
            symbol=symbol,
            message=message,
            no_fix_reason="report only; choose N and whether a full queue should block, drop or fail",
            confidence=confidence,
        )

    # -- where the queue lives ----------------------------------------------------------------

    def _owner(
        self, call: cst.Call, target: cst.BaseExpression
    ) -> Optional[Tuple[str, str, List[cst.Call], Confidence, str]]:
        function, klass = self._enclosing(call)
        scope = self.get_metadata(ScopeProvider, call, None)
        if isinstance(target, cst.Name):
            name = target.value
            if isinstance(scope, GlobalScope) or (function is not None and self._declared_global(function, name)):
                return f"<module>.{name}", name, self._puts_on_global(name), Confidence.HIGH, "a module global"
            if isinstance(scope, ClassScope) and klass is not None:
                shown = f"{klass.name.value}.{name}"
                puts = self._puts_on_attribute(klass, name)
                return shown, shown, puts, Confidence.HIGH, "a class attribute, shared by every instance"
            return None  # a local: dies with the call
        if (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and klass is not None
            and function is not None
            and function.params.params
            and target.value.value == function.params.params[0].name.value
        ):
            attr = target.attr.value
            evidence = self._long_life(klass)
            confidence = Confidence.HIGH if evidence else Confidence.MEDIUM
            why = f"an instance attribute; {evidence}" if evidence else "an instance attribute of a class with no sign of a long life"
            return f"{klass.name.value}.{attr}", f"self.{attr}", self._puts_on_attribute(klass, attr), confidence, why
        return None

    def _declared_global(self, function: cst.FunctionDef, name: str) -> bool:
        found = []

        class _Globals(cst.CSTVisitor):
            def visit_Global(self, node: cst.Global) -> None:
                found.extend(item.name.value for item in node.names)

            def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
                return node is function

        function.visit(_Globals())
        return name in found

    def _puts_on_global(self, name: str) -> List[cst.Call]:
        scope = self.get_metadata(ScopeProvider, self.module, None)
        if scope is None:
            return []
        calls: List[cst.Call] = []
        for assignment in scope.assignments[name]:
            for access in assignment.references:
                call = self._put_call(access.node)
                if call is not None:
                    calls.append(call)
        return sorted(set(calls), key=self.line_of)

    def _put_call(self, holder: cst.CSTNode) -> Optional[cst.Call]:
        attribute = self.parent(holder)
        if not (isinstance(attribute, cst.Attribute) and attribute.value is holder and attribute.attr.value in _PUTS):
            return None
        call = self.parent(attribute)
        return call if isinstance(call, cst.Call) and call.func is attribute else None

    def _puts_on_attribute(self, klass: cst.ClassDef, attr: str) -> List[cst.Call]:
        """``self.<attr>.put(...)``, ``cls.<attr>.put(...)`` in the class, ``<Class>.<attr>.put(...)``
        anywhere in the module."""
        class_name = klass.name.value
        found: List[cst.Call] = []

        class _Puts(cst.CSTVisitor):
            def __init__(self, receivers: FrozenSet[str]) -> None:
                self.receivers = receivers

            def visit_Call(self, node: cst.Call) -> None:
                func = node.func
                if (
                    isinstance(func, cst.Attribute)
                    and func.attr.value in _PUTS
                    and isinstance(func.value, cst.Attribute)
                    and func.value.attr.value == attr
                    and isinstance(func.value.value, cst.Name)
                    and func.value.value.value in self.receivers
                ):
                    found.append(node)

        dispatch(klass, _Puts(frozenset({"self", "cls", class_name})))
        dispatch(self.module, _Puts(frozenset({class_name})))
        return sorted(set(found), key=self.line_of)

    def _long_life(self, klass: cst.ClassDef) -> str:
        """Evidence that instances of ``klass`` live long (LEAK_PATTERNS, owner lifetime), or ""."""
        name = klass.name.value
        if _LONG_LIVED_NAME.search(name):
            return f"the class name `{name}` says it is long-lived"
        detector = self
        evidence: List[str] = []

        class _Evidence(cst.CSTVisitor):
            def visit_While(self, node: cst.While) -> None:
                evidence.append(f"the class runs a loop at line {detector.line_of(node)}")

            def visit_Call(self, node: cst.Call) -> None:
                spawned = detector.qualified(node.func) & _SPAWNERS
                if spawned:
                    evidence.append(f"`{min(spawned)}()` at line {detector.line_of(node)} runs it in the background")

        klass.visit(_Evidence())
        for statement in self.module.body:
            if (
                isinstance(statement, cst.SimpleStatementLine)
                and isinstance(statement.body[0], (cst.Assign, cst.AnnAssign))
                and isinstance(statement.body[0].value, cst.Call)
                and isinstance(statement.body[0].value.func, cst.Name)
                and statement.body[0].value.func.value == name
            ):
                evidence.append(f"an instance is created at module level, line {self.line_of(statement)}")
        return evidence[0] if evidence else ""


_NAMES = frozenset({"Queue", "LifoQueue", "PriorityQueue", "SimpleQueue", "JoinableQueue"})
_MODULES = frozenset({"queue", "asyncio", "multiprocessing"})


def _ast_filter(tree: Union[ast.Module, AstIndex]) -> FilterResult:
    """A queue module is imported, some call is spelled like a queue class (or a name imported
    from those modules), and some call is a `.put(` / `.put_nowait(`. The analysis reads the
    class (or function) that builds the queue and the puts on it, found by the name they spell."""
    index = AstIndex.of(tree)
    imported = False
    names: Set[str] = set(_NAMES)
    for node in index.nodes(ast.Import, ast.ImportFrom):
        if isinstance(node, ast.Import):
            imported = imported or any(alias.name.split(".")[0] in _MODULES for alias in node.names)
        elif node.module and node.module.split(".")[0] in _MODULES:
            imported = True
            names.update(alias.asname for alias in node.names if alias.asname)
    if not imported:
        return False
    queues: List[ast.Call] = []
    receivers: Set[str] = set()
    for node in index.nodes(ast.Call):
        func = node.func
        spelled = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if spelled in names:
            queues.append(node)
        if isinstance(func, ast.Attribute) and func.attr in _PUTS:
            holder = func.value
            if isinstance(holder, (ast.Name, ast.Attribute)):
                receivers.add(holder.id if isinstance(holder, ast.Name) else holder.attr)
    if not queues or not receivers:
        return False
    return spelling_regions(index, queues, receivers)


FIXER = Fixer(
    rule=RULE,
    doc=__doc__ or "",
    examples=EXAMPLES,
    detector=Detector,
    transformer=None,
    needles=(b"Queue",),
    ast_filter=_ast_filter,
)
