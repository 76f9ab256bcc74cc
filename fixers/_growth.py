"""Shared usage analysis for the growth rules (MF101-MF105).

One question drives all five rules: *which containers outlive a call, only grow, and who reads
them?* The analysis answers it once per module, and decides which single rule owns each container,
so that two rules never report (or rewrite) the same one.

1. **Definitions** (:class:`Container`): a list, ``deque()`` or ``defaultdict(list)`` bound where
   it outlives a call: an instance attribute set in ``__init__`` (or a dataclass
   ``field(default_factory=list)``), a class attribute, a module global, or a function local
   captured by a nested function.
2. **Uses** (:class:`Use`): every access in the module, found through ``self``, ``cls``, the class
   name, module-level instances (``engine.items``), annotated parameters (``t: Tracker``), instance
   attributes holding instances (``self.tracker.items``), local aliases (``h = self.items``) and
   the scope provider for globals and closures. Each use is classified: does it grow or bound the
   container, what does it see (nothing, the tail, the whole), does it still work on a deque,
   does the container escape to code we cannot see?
3. **Ownership**: bounded containers (cleared, popped, trimmed, re-bound, length-checked) are not
   findings. A growing list goes to MF101 when every use works on a deque and to MF102 otherwise;
   a list already trimmed with ``x = x[-N:]`` goes to MF105; a ``deque()`` without ``maxlen`` to
   MF103; a ``defaultdict(list)`` to MF104.
4. **Bound N** (:func:`bound_candidates`), per LEAK_PATTERNS "Choosing N": the largest tail read,
   an existing trim, a nearby constant, attribute or ``__init__`` parameter (referenced by name,
   never copied), then the configured default.
5. **Safety** (:func:`judge`), per LEAK_PATTERNS "What safe means": safe only when every visible
   reader observes what it did before (tail reads within N); unsafe when a reader sees the whole
   container, the container escapes, or nothing shows that its owner lives long (low confidence).

Plans and rewrites are built in ``_growth_rewrite``; this module only looks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst
from libcst.metadata import (
    Assignment,
    PositionProvider,
    ScopeProvider,
)

from memfix.model import Confidence
from memfix.nodes import MetadataView, walk


# ---------------------------------------------------------------------------------------------
# model


class Kind(str, Enum):
    LIST = "list"
    DEQUE = "deque"
    DEFAULTDICT = "defaultdict(list)"


class Owner(str, Enum):
    INSTANCE = "instance attribute"
    CLASS = "class attribute"
    GLOBAL = "module global"
    CLOSURE = "closure variable"


class Effect(str, Enum):
    GROW = "grow"
    BOUND = "bound"  # clear, pop, popleft, remove, del, re-bind, a length check on the growth
    TRIM = "trim"  # x = x[-K:]: bounded, but by a copy (MF105)
    READ = "read"
    ESCAPE = "escape"  # returned, passed on, stored elsewhere: code we cannot see
    NONE = "none"


class Sees(str, Enum):
    NOTHING = "nothing"  # writes, emptiness tests
    TAIL = "tail"  # x[-k], x[-K:]
    WHOLE = "whole"  # len, iteration, serialisation, head indexes...


@dataclass(frozen=True)
class Bound:
    """A bound N as the code can spell it.

    ``kind``: ``literal`` (``value``), ``module`` (a module constant ``name``), ``class`` (a class
    constant ``name`` of ``class_name``), ``attr`` (an instance attribute ``name``; ``param`` is
    the ``__init__`` parameter it was copied from, if any) or ``param`` (an ``__init__`` parameter
    with no attribute copy: usable only in ``__init__``). ``origin`` says where it came from, for
    the message.
    """

    kind: str
    value: Optional[int] = None
    name: str = ""
    class_name: str = ""
    param: str = ""
    origin: str = ""

    @property
    def text(self) -> str:
        return str(self.value) if self.kind == "literal" else self.name

    @property
    def shown(self) -> str:
        """For messages: ``100``, ``self.window``, ``Cls.MAX``, ``MAX``."""
        if self.kind == "literal":
            return str(self.value)
        if self.kind == "class":
            return f"`{self.class_name}.{self.name}`"
        if self.kind == "attr":
            return f"`self.{self.name}`"
        return f"`{self.name}`"

    def same_as(self, other: "Bound") -> bool:
        if self.kind == "literal" or other.kind == "literal":
            return self.value is not None and self.value == other.value
        return self.kind == other.kind and self.name == other.name

    def covers(self, k: "Bound") -> bool:
        """True when a read of the last ``k`` items provably stays within this bound."""
        if self.same_as(k):
            return True
        return self.value is not None and k.value is not None and k.value <= self.value

    def render(self, where: "Where") -> Optional[str]:
        """Spell the bound at a place in the code, or None when it is not reachable there."""
        if self.kind == "literal":
            return str(self.value)
        if self.kind == "module":
            return self.name
        if self.kind == "class":
            if where.context == "class_body":
                return self.name
            if where.receiver and where.context in ("init", "method"):
                return f"{where.receiver}.{self.name}"
            return f"{self.class_name}.{self.name}"
        if self.kind == "attr":
            if where.context == "init" and self.param:
                return self.param
            if where.receiver and where.context in ("init", "method"):
                return f"{where.receiver}.{self.name}"
            return None
        if self.kind == "param":
            return self.name if where.context == "init" else None
        return None


@dataclass(frozen=True)
class Where:
    """Where a bound is spelled: ``context`` is init | method | class_body | module | function |
    factory (a default factory lambda, evaluated later outside the class body)."""

    context: str
    receiver: str = ""


@dataclass
class Use:
    """One access to a container (or, for a defaultdict, to one key's list)."""

    node: cst.BaseExpression  # the expression that denotes the container at this site
    line: int
    text: str  # the code shown in messages
    effect: Effect
    sees: Sees = Sees.NOTHING
    deque_ok: bool = True  # still works unchanged when the container becomes a deque
    why: str = ""  # "sees the whole history", "is returned", ...
    tail: Optional[Bound] = None  # K for a tail read
    tail_slice: Optional[cst.Subscript] = None  # x[-K:] (a deque needs list(x) instead)
    statement: Optional[cst.CSTNode] = None  # the statement of a growth or trim site
    trim: Optional[cst.CSTNode] = None  # for TRIM: the statement to remove (the trim or its guard)
    trim_guard: Optional[Bound] = None  # the K2 of an `if len(x) > K2:` guard around the trim
    method: str = ""  # the method called, for growth sites
    per_key: bool = False  # a defaultdict use of one key's list (d[k])
    key: Optional[cst.BaseExpression] = None  # the key expression of a per-key use
    receiver: str = ""  # the code of the receiver (``self`` in ``self.items``), for spelling N
    function: Optional[cst.FunctionDef] = None  # the function the use is in
    unresolved: bool = False  # the receiver's type is unknown: it may or may not be this container
    opaque: bool = False  # bound to another name memfix does not follow: it may be bounded there


@dataclass
class Container:
    kind: Kind
    owner: Owner
    name: str  # attribute or variable name
    symbol: str  # stable across rewrites: "Tracker.history", "HISTORY", "make.<locals>.acc"
    statement: cst.CSTNode  # the defining Assign / AnnAssign (the reported node)
    value: cst.BaseExpression  # the defining expression
    annotation: Optional[cst.Annotation]
    where: Where  # how a bound is spelled at the definition
    class_name: str = ""
    function: Optional[cst.FunctionDef] = None  # the defining function (__init__, closure owner)
    dataclass_field: bool = False
    uses: List[Use] = field(default_factory=list)
    confidence: Confidence = Confidence.HIGH
    confidence_reason: str = ""

    @property
    def label(self) -> str:
        shown = self.symbol if self.owner is not Owner.INSTANCE else f"self.{self.name}"
        return f"`{shown}`" if self.owner is not Owner.INSTANCE else f"`{shown}` ({self.symbol})"

    def grows(self) -> List[Use]:
        return [u for u in self.uses if u.effect is Effect.GROW]

    def bounds(self) -> List[Use]:
        return [u for u in self.uses if u.effect is Effect.BOUND]

    def trims(self) -> List[Use]:
        return [u for u in self.uses if u.effect is Effect.TRIM]


# ---------------------------------------------------------------------------------------------
# vocabularies

GROW_METHODS = frozenset({"append", "extend", "insert", "appendleft", "extendleft"})
BOUND_METHODS = frozenset({"clear", "pop", "popleft", "remove"})
#: methods that work on a deque and read the whole container
WHOLE_READ_METHODS = frozenset({"count", "index", "reverse", "rotate"})
#: builtins and stdlib calls that accept any iterable/sequence and keep no reference to it
ITERABLE_CONSUMERS = frozenset(
    {
        "builtins.len",
        "builtins.list",
        "builtins.tuple",
        "builtins.sorted",
        "builtins.sum",
        "builtins.min",
        "builtins.max",
        "builtins.any",
        "builtins.all",
        "builtins.set",
        "builtins.frozenset",
        "builtins.enumerate",
        "builtins.reversed",
        "builtins.zip",
        "builtins.map",
        "builtins.filter",
        "math.fsum",
        "math.prod",
        "random.choice",
        "random.sample",
        "heapq.nlargest",
        "heapq.nsmallest",
        "collections.Counter",
    }
)
ITERABLE_CONSUMER_PREFIXES = ("statistics.", "itertools.")
#: calls whose result depends on the container being a list (repr, serialisation, type checks)
LIST_ONLY_CALLS = frozenset(
    {
        "builtins.str",
        "builtins.repr",
        "builtins.print",
        "builtins.format",
        "builtins.isinstance",
        "builtins.type",
        "json.dumps",
        "json.dump",
        "pickle.dumps",
        "pickle.dump",
        "copy.copy",
        "copy.deepcopy",
    }
)
#: a class whose name or docstring says this lives as long as the process
LONG_LIVED_WORDS = ("service", "monitor", "tracker", "engine", "manager", "cache", "daemon", "worker")
#: weaker hints: often long-lived, not always
MAYBE_LONG_LIVED_WORDS = (
    "handler",
    "controller",
    "system",
    "server",
    "scheduler",
    "collector",
    "registry",
    "pool",
    "bus",
    "agent",
    "coordinator",
    "processor",
    "recorder",
    "listener",
    "watcher",
    "profiler",
    "dispatcher",
    "bot",
)
#: calls that keep a callable running in the background
BACKGROUND_CALLS = frozenset(
    {
        "threading.Thread",
        "threading.Timer",
        "asyncio.create_task",
        "asyncio.ensure_future",
        "signal.signal",
        "atexit.register",
        "sched.scheduler.enter",
    }
)
BOUND_NAME_TOKENS = frozenset({"max", "maxlen", "limit", "window", "capacity", "cap", "size", "keep", "len", "length", "retention"})
#: a name with one of these is a bound on its own (``history_window``, ``maxlen``)
STRONG_BOUND_TOKENS = frozenset({"maxlen", "window", "limit", "capacity", "retention"})
#: ``max_*`` needs a size word or a word of the container's name (``MAX_HISTORY_SIZE``, ``max_events``)
SIZE_WORDS = frozenset({"size", "len", "length", "history", "count", "entries", "items", "records", "events", "samples"})
NOT_BOUND_TOKENS = frozenset(
    {"workers", "worker", "timeout", "interval", "retries", "retry", "delay", "threads", "age", "seconds", "ttl", "bytes", "mb", "kb", "depth", "width", "height", "font", "batch", "chunk", "page", "port", "level", "version", "name", "id", "code", "value", "width"}
)

_WS = re.compile(r"\s+")


def _int_value(node: Optional[cst.BaseExpression]) -> Optional[int]:
    if isinstance(node, cst.Integer):
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            return None
    return None


def _negated(node: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
    """``-K`` -> ``K``; anything else -> None."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return node.expression
    return None


def _name_tokens(name: str) -> Set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return {t for t in spaced.lower().split("_") if t}


def is_pure(expr: cst.BaseExpression) -> bool:
    """Cheap to evaluate twice and free of side effects: names, attribute chains, literals."""
    if isinstance(expr, cst.Name):
        return True
    if isinstance(expr, cst.Attribute):
        return is_pure(expr.value)
    if isinstance(expr, (cst.Integer, cst.SimpleString, cst.Float)):
        return True
    if isinstance(expr, cst.Tuple):
        return all(is_pure(el.value) for el in expr.elements)
    return False


# ---------------------------------------------------------------------------------------------
# module facts: classes, constants, instances, candidate definitions


@dataclass
class ClassInfo:
    node: cst.ClassDef
    name: str
    bases: Tuple[str, ...]
    is_dataclass: bool = False
    docstring: str = ""
    #: NAME = <int> in the class body -> (value, the defining statement)
    constants: Dict[str, Tuple[Optional[int], cst.CSTNode]] = field(default_factory=dict)
    init: Optional[cst.FunctionDef] = None
    init_self: str = ""
    #: self.X = <expr> in __init__ (first assignment), with its line
    init_attrs: Dict[str, Tuple[cst.BaseExpression, int]] = field(default_factory=dict)
    #: __init__ parameters -> their integer default (None when absent or not an int)
    init_params: Dict[str, Optional[int]] = field(default_factory=dict)
    long_lived: str = ""  # evidence, for the message
    maybe_long_lived: str = ""


@dataclass
class _Definition:
    owner: Owner
    name: str
    statement: Union[cst.Assign, cst.AnnAssign]
    target: cst.BaseExpression
    value: cst.BaseExpression
    annotation: Optional[cst.Annotation]
    class_name: str = ""
    function: Optional[cst.FunctionDef] = None
    receiver: str = ""
    dataclass_field: bool = False


class _FactCollector(cst.CSTVisitor):
    """One plain walk that records the module's shape; no metadata, no decisions."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: List[cst.CSTNode] = []
        self.classes: Dict[str, ClassInfo] = {}
        self.constants: Dict[str, Tuple[Optional[int], cst.CSTNode]] = {}  # module level
        self.definitions: List[_Definition] = []
        self.attributes: List[cst.Attribute] = []
        self.module_calls: List[cst.Call] = []  # calls evaluated at import time
        self.calls: List[Tuple[cst.Call, Optional[str]]] = []  # every call, with its class
        self.while_true: Set[str] = set()  # classes with a `while True:` loop
        self.exported: Set[str] = set()  # names in __all__

    # -- frames -------------------------------------------------------------------------------

    def _class(self) -> Optional[cst.ClassDef]:
        for node in reversed(self.stack):
            if isinstance(node, cst.ClassDef):
                return node
        return None

    def _frame(self) -> Optional[cst.CSTNode]:
        return self.stack[-1] if self.stack else None

    def _method_class(self, func: cst.FunctionDef) -> Optional[cst.ClassDef]:
        index = self.stack.index(func)
        if index > 0 and isinstance(self.stack[index - 1], cst.ClassDef):
            return self.stack[index - 1]  # type: ignore[return-value]
        return None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = tuple(
            _dotted(arg.value) for arg in node.bases if arg.keyword is None and _dotted(arg.value)
        )
        decorators = {_dotted(d.decorator if not isinstance(d.decorator, cst.Call) else d.decorator.func) for d in node.decorators}
        info = ClassInfo(
            node=node,
            name=node.name.value,
            bases=bases,
            is_dataclass=bool(decorators & {"dataclass", "dataclasses.dataclass"}),
            docstring=node.get_docstring() or "",
        )
        self.classes.setdefault(node.name.value, info)
        self.stack.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.stack.append(node)
        owner = self._method_class(node)
        if owner is not None and node.name.value in ("__init__", "__post_init__"):
            info = self.classes[owner.name.value]
            params = node.params.posonly_params + node.params.params
            if info.init is None and params:
                info.init = node
                info.init_self = params[0].name.value
                for param in (*params[1:], *node.params.kwonly_params):
                    info.init_params[param.name.value] = _int_value(param.default) if param.default else None

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.stack.append(node)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.stack.pop()

    # -- records ------------------------------------------------------------------------------

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.attributes.append(node)

    def visit_Call(self, node: cst.Call) -> None:
        cls = self._class()
        self.calls.append((node, cls.name.value if cls is not None else None))
        if not any(isinstance(f, (cst.FunctionDef, cst.Lambda)) for f in self.stack):
            self.module_calls.append(node)

    def visit_While(self, node: cst.While) -> None:
        cls = self._class()
        if cls is not None and isinstance(node.test, (cst.Name, cst.Integer)) and _code_of(node.test) in ("True", "1"):
            # `while True: ... break` is a parsing loop, `while True: yield x` a generator
            if not _leaves_loop(node.body) and not any(isinstance(n, cst.Yield) for n in walk(node.body)):
                self.while_true.add(cls.name.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assignment(node, target.target, node.value, None)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assignment(node, node.target, node.value, node.annotation)

    def _assignment(
        self,
        statement: Union[cst.Assign, cst.AnnAssign],
        target: cst.BaseExpression,
        value: cst.BaseExpression,
        annotation: Optional[cst.Annotation],
    ) -> None:
        frame = self._frame()
        if frame is None:  # module level
            if isinstance(target, cst.Name):
                if target.value == "__all__":
                    self.exported |= _string_elements(value)
                elif isinstance(value, cst.Integer):
                    self.constants.setdefault(target.value, (_int_value(value), statement))
                self.definitions.append(_Definition(Owner.GLOBAL, target.value, statement, target, value, annotation))
            return
        if isinstance(frame, cst.ClassDef):
            if isinstance(target, cst.Name):
                info = self.classes[frame.name.value]
                if isinstance(value, cst.Integer):
                    info.constants.setdefault(target.value, (_int_value(value), statement))
                owner = Owner.INSTANCE if info.is_dataclass else Owner.CLASS
                self.definitions.append(
                    _Definition(
                        owner,
                        target.value,
                        statement,
                        target,
                        value,
                        annotation,
                        class_name=info.name,
                        dataclass_field=info.is_dataclass,
                    )
                )
            return
        if not isinstance(frame, cst.FunctionDef):
            return
        owner_class = self._method_class(frame) if frame in self.stack else None
        if (
            owner_class is not None
            and frame.name.value in ("__init__", "__post_init__")
            and isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
        ):
            info = self.classes[owner_class.name.value]
            if info.init is frame and target.value.value == info.init_self:
                info.init_attrs.setdefault(target.attr.value, (value, 0))
                self.definitions.append(
                    _Definition(
                        Owner.INSTANCE,
                        target.attr.value,
                        statement,
                        target,
                        value,
                        annotation,
                        class_name=info.name,
                        function=frame,
                        receiver=info.init_self,
                    )
                )
            return
        if isinstance(target, cst.Name):
            self.definitions.append(_Definition(Owner.CLOSURE, target.value, statement, target, value, annotation, function=frame))


def _code_of(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _leaves_loop(body: cst.CSTNode) -> bool:
    """A ``break`` or ``return`` of this loop (not of a nested loop or function)."""
    for child in body.children:
        if isinstance(child, (cst.Break, cst.Return)):
            return True
        if isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(child, (cst.For, cst.While)):
            if any(_leaves_loop(c) for c in child.children if isinstance(c, cst.Return)):
                return True
            if _returns(child.body):
                return True
            continue
        if _leaves_loop(child):
            return True
    return False


def _returns(body: cst.CSTNode) -> bool:
    for child in body.children:
        if isinstance(child, cst.Return):
            return True
        if isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if _returns(child):
            return True
    return False


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr.value}" if head else ""
    return ""


def _string_elements(value: cst.BaseExpression) -> Set[str]:
    names: Set[str] = set()
    if isinstance(value, (cst.List, cst.Tuple)):
        for el in value.elements:
            if isinstance(el.value, cst.SimpleString):
                names.add(el.value.evaluated_value if isinstance(el.value.evaluated_value, str) else "")
    return names


# ---------------------------------------------------------------------------------------------
# the analysis


class _Meta(MetadataView):
    """Metadata lookups that never raise KeyError.

    Holds the resolved metadata mapping itself, not the detector: libcst empties a visitor's
    ``metadata`` after its visit, and the analysis outlives the detector that built it (the five
    growth rules share one analysis per file).
    """

    def __init__(self, detector: object, module: cst.Module) -> None:
        super().__init__(detector.metadata)  # type: ignore[attr-defined]
        self.module = module

    def line(self, node: cst.CSTNode) -> int:
        pos = self.get(PositionProvider, node)
        return pos.start.line if pos is not None else 0  # type: ignore[attr-defined]

    def scope(self, node: cst.CSTNode) -> Optional[object]:
        return self.get(ScopeProvider, node)

    def code(self, node: cst.CSTNode) -> str:
        return _WS.sub(" ", self.module.code_for_node(node)).strip()

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)

    def function_of(self, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef):
                return ancestor
        return None

    def statement_of(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The small statement holding ``node`` (Expr, Assign, AugAssign, Del...), if it is a
        statement of a block (not inside a lambda or comprehension)."""
        current = node
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
                return None
            if isinstance(ancestor, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
                return current if isinstance(current, cst.BaseSmallStatement) else None
            if isinstance(ancestor, cst.BaseCompoundStatement):
                return None
            current = ancestor
        return None

    def is_inside(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        return any(a is container for a in self.ancestors(node))


# receiver resolution results
_OTHER = "<other>"
_UNKNOWN = "<unknown>"


class GrowthAnalysis:
    """Finds the growth containers of one module and classifies every use of them."""

    def __init__(self, detector: object, module: cst.Module) -> None:
        self.meta = _Meta(detector, module)
        self.module = module
        facts = _FactCollector()
        module.visit(facts)
        self.facts = facts
        self.classes = facts.classes
        self.containers: List[Container] = []
        self._by_class_attr: Dict[Tuple[str, str], Container] = {}
        self._module_instances: Set[str] = set()

    # -- entry point --------------------------------------------------------------------------

    def run(self) -> List[Container]:
        self._find_long_lived_classes()
        for definition in self.facts.definitions:
            container = self._container(definition)
            if container is not None:
                self.containers.append(container)
                if container.owner in (Owner.INSTANCE, Owner.CLASS):
                    key = (container.class_name, container.name)
                    existing = self._by_class_attr.get(key)
                    # an instance attribute set in __init__ wins over a class-level default
                    if existing is None or (existing.owner is Owner.CLASS and container.owner is Owner.INSTANCE):
                        self._by_class_attr[key] = container
        self.containers = [
            c
            for c in self.containers
            if c.owner not in (Owner.INSTANCE, Owner.CLASS) or self._by_class_attr.get((c.class_name, c.name)) is c
        ]
        self._drop_redefined()
        self._attribute_uses()
        for container in self.containers:
            if container.owner in (Owner.GLOBAL, Owner.CLOSURE):
                self._name_uses(container)
        for container in self.containers:
            # scope accesses come out of sets: put uses in source order so that messages, the
            # evidence they cite and the plans are the same on every run
            container.uses.sort(key=self._position)
            self._mark_growth_during_iteration(container)
            container.confidence, container.confidence_reason = self._confidence(container)
        return [c for c in self.containers if self._is_candidate(c)]

    def _position(self, use: Use) -> Tuple[int, int, str]:
        pos = self.meta.get(PositionProvider, use.node)
        column = pos.start.column if pos is not None else 0  # type: ignore[attr-defined]
        return (use.line, column, use.text)

    # -- definitions --------------------------------------------------------------------------

    def _drop_redefined(self) -> None:
        """A global or local defined twice at the same level is re-bound: not ours to judge."""
        seen: Dict[Tuple[Owner, int, str], int] = {}
        for c in self.containers:
            if c.owner in (Owner.GLOBAL, Owner.CLOSURE):
                key = (c.owner, id(c.function), c.name)
                seen[key] = seen.get(key, 0) + 1
        self.containers = [
            c for c in self.containers if c.owner not in (Owner.GLOBAL, Owner.CLOSURE) or seen[(c.owner, id(c.function), c.name)] == 1
        ]

    def container_kind(self, value: cst.BaseExpression) -> Optional[Kind]:
        if isinstance(value, cst.List):
            return Kind.LIST
        if not isinstance(value, cst.Call):
            return None
        names = self.meta.qualified(value.func)
        positional = [a for a in value.args if a.keyword is None and a.star == ""]
        keywords = {a.keyword.value: a.value for a in value.args if a.keyword is not None}
        if "builtins.list" in names and len(value.args) <= 1 and len(positional) == len(value.args):
            return Kind.LIST
        if "collections.deque" in names and len(positional) <= 1 and not any(a.star for a in value.args):
            maxlen = keywords.get("maxlen")
            if maxlen is None or (isinstance(maxlen, cst.Name) and maxlen.value == "None"):
                return Kind.DEQUE
            return None
        if "collections.defaultdict" in names and len(value.args) == 1 and positional:
            if "builtins.list" in self.meta.qualified(positional[0].value):
                return Kind.DEFAULTDICT
            return None
        if "dataclasses.field" in names:
            factory = keywords.get("default_factory")
            if factory is not None and "builtins.list" in self.meta.qualified(factory):
                return Kind.LIST
        return None

    def _container(self, d: _Definition) -> Optional[Container]:
        kind = self.container_kind(d.value)
        if kind is None:
            return None
        if d.dataclass_field and not isinstance(d.value, cst.Call):
            return None  # a mutable default in a dataclass raises at class creation
        if d.owner is Owner.CLASS and isinstance(d.value, cst.Call) and "dataclasses.field" in self.meta.qualified(d.value.func):
            return None
        if d.owner is Owner.GLOBAL:
            symbol, where = d.name, Where("module")
        elif d.owner is Owner.CLOSURE:
            assert d.function is not None
            symbol, where = f"{d.function.name.value}.<locals>.{d.name}", Where("function")
        elif d.dataclass_field:
            symbol, where = f"{d.class_name}.{d.name}", Where("factory")
        elif d.owner is Owner.CLASS:
            symbol, where = f"{d.class_name}.{d.name}", Where("class_body")
        else:
            symbol, where = f"{d.class_name}.{d.name}", Where("init", d.receiver)
        return Container(
            kind=kind,
            owner=d.owner,
            name=d.name,
            symbol=symbol,
            statement=d.statement,
            value=d.value,
            annotation=d.annotation,
            where=where,
            class_name=d.class_name,
            function=d.function,
            dataclass_field=d.dataclass_field,
        )

    def class_container(self, class_name: str, attr: str) -> Optional[Container]:
        """The container ``attr`` of ``class_name`` or of a base class defined in this module."""
        seen: Set[str] = set()
        todo = [class_name]
        while todo:
            name = todo.pop(0)
            if name in seen or name not in self.classes:
                continue
            seen.add(name)
            found = self._by_class_attr.get((name, attr))
            if found is not None:
                return found
            todo.extend(b.rsplit(".", 1)[-1] for b in self.classes[name].bases)
        return None

    # -- receivers ----------------------------------------------------------------------------

    def class_of(self, expr: cst.BaseExpression) -> str:
        """The module class an expression is an instance (or the class object) of, else
        ``_OTHER`` (known not to be one) or ``_UNKNOWN``."""
        if isinstance(expr, cst.Name):
            scope = self.meta.scope(expr)
            if scope is None:
                return _UNKNOWN
            try:
                assignments = list(scope[expr.value])  # type: ignore[index]
            except Exception:
                return _UNKNOWN
            if not assignments:
                return _OTHER
            results = {self._class_of_assignment(a) for a in assignments}
            return results.pop() if len(results) == 1 else _UNKNOWN
        if isinstance(expr, cst.Attribute):
            holder = self.class_of(expr.value)
            if holder in self.classes:
                value = self.classes[holder].init_attrs.get(expr.attr.value)
                if value is not None:
                    return self._class_of_value(value[0])
                return _UNKNOWN
            return _OTHER if holder == _OTHER and isinstance(expr.value, cst.Name) else _UNKNOWN
        if isinstance(expr, cst.Call):
            return self._class_of_value(expr)
        if isinstance(expr, (cst.SimpleString, cst.List, cst.Dict, cst.Tuple, cst.Integer)):
            return _OTHER
        return _UNKNOWN

    def _class_of_value(self, value: cst.BaseExpression) -> str:
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
            return value.func.value if value.func.value in self.classes else _UNKNOWN
        if isinstance(value, (cst.List, cst.Dict, cst.Tuple, cst.Set, cst.SimpleString, cst.Integer, cst.Float)):
            return _OTHER
        return _UNKNOWN

    def _class_of_assignment(self, assignment: object) -> str:
        if not isinstance(assignment, Assignment):
            return _OTHER  # builtins
        node = assignment.node
        if isinstance(node, cst.ClassDef):
            return node.name.value
        if isinstance(node, cst.Param):
            return self._class_of_param(node)
        if isinstance(node, (cst.Import, cst.ImportFrom, cst.FunctionDef)):
            return _OTHER
        if isinstance(node, cst.Name):
            target_parent = self.meta.parent(node)
            statement = self.meta.parent(target_parent) if isinstance(target_parent, cst.AssignTarget) else target_parent
            if isinstance(statement, (cst.Assign, cst.AnnAssign)) and statement.value is not None:
                return self._class_of_value(statement.value)
        return _UNKNOWN

    def _class_of_param(self, param: cst.Param) -> str:
        params = self.meta.parent(param)
        func = self.meta.parent(params) if params is not None else None
        if not isinstance(func, cst.FunctionDef) or not isinstance(params, cst.Parameters):
            return _UNKNOWN
        positional = params.posonly_params + params.params
        body = self.meta.parent(func)
        cls = self.meta.parent(body) if body is not None else None
        decorators = {_dotted(d.decorator) for d in func.decorators}
        if isinstance(cls, cst.ClassDef) and positional and positional[0] is param and "staticmethod" not in decorators:
            return cls.name.value
        if param.annotation is not None:
            ann = param.annotation.annotation
            if isinstance(ann, cst.SimpleString):
                name = ann.evaluated_value if isinstance(ann.evaluated_value, str) else ""
            else:
                name = _dotted(ann)
            if name in self.classes:
                return name
            return _OTHER if name else _UNKNOWN
        return _UNKNOWN

    # -- collecting uses ----------------------------------------------------------------------

    def _attribute_uses(self) -> None:
        by_attr: Dict[str, List[Container]] = {}
        for c in self.containers:
            if c.owner in (Owner.INSTANCE, Owner.CLASS):
                by_attr.setdefault(c.name, []).append(c)
        definition_targets = {
            id(c.statement.target if isinstance(c.statement, cst.AnnAssign) else None) for c in self.containers
        }
        for c in self.containers:
            if isinstance(c.statement, cst.Assign):
                definition_targets |= {id(t.target) for t in c.statement.targets}
        for attr in self.facts.attributes:
            candidates = by_attr.get(attr.attr.value)
            if not candidates or id(attr) in definition_targets:
                continue
            owner = self.class_of(attr.value)
            if owner in self.classes:
                container = self.class_container(owner, attr.attr.value)
                if container is not None:
                    self._add_use(container, attr, receiver=self.meta.code(attr.value))
                continue
            if owner == _OTHER:
                continue
            parent = self.meta.parent(attr)
            if isinstance(parent, cst.Call) and parent.func is attr:
                continue  # `x.items()`: a method call on something else, never one of our lists
            for container in candidates:
                self._add_use(container, attr, receiver=self.meta.code(attr.value), unresolved=True)

    def _name_uses(self, container: Container) -> None:
        target = container.statement.target if isinstance(container.statement, cst.AnnAssign) else container.statement.targets[0].target  # type: ignore[union-attr]
        scope = self.meta.scope(target)
        if scope is None:
            return
        try:
            assignments = [a for a in scope.assignments[container.name] if isinstance(a, Assignment)]  # type: ignore[attr-defined]
        except Exception:
            return
        seen: Set[int] = set()
        for assignment in assignments:
            node = assignment.node
            if node is not target and isinstance(node, cst.CSTNode):
                # another binding of the same name (global x / nonlocal x): an assignment is
                # classified like any use (x += [v] grows, x = x[-K:] trims, x = [] re-binds);
                # any other binding (a loop target, an import...) re-binds it
                if isinstance(self.meta.parent(node), (cst.AugAssign, cst.AssignTarget, cst.AnnAssign)):
                    if id(node) not in seen:
                        seen.add(id(node))
                        self._add_use(container, node)  # type: ignore[arg-type]
                else:
                    self._add_rebind(container, node)
            for access in assignment.references:
                node = access.node
                if id(node) in seen or not isinstance(node, cst.Name):
                    continue
                seen.add(id(node))
                self._add_use(container, node)

    def _add_rebind(self, container: Container, node: cst.CSTNode) -> None:
        container.uses.append(
            Use(node=node, line=self.meta.line(node), text=self.meta.code(node), effect=Effect.BOUND, why="is re-bound")  # type: ignore[arg-type]
        )

    def _add_use(
        self, container: Container, expr: cst.BaseExpression, receiver: str = "", unresolved: bool = False, depth: int = 0
    ) -> None:
        for use in self.classify(container, expr, receiver, depth):
            use.unresolved = unresolved
            container.uses.append(use)

    # -- classifying one use ------------------------------------------------------------------

    def classify(self, c: Container, expr: cst.BaseExpression, receiver: str = "", depth: int = 0) -> List[Use]:
        """Classify the use of ``c`` at ``expr``; may yield several uses (aliases, per-key)."""
        if c.kind is Kind.DEFAULTDICT:
            return self._classify_mapping(c, expr, receiver, depth)
        return [self._classify_sequence(c, expr, receiver, depth, per_key=False)] + self._alias_uses(c, expr, receiver, depth)

    def _use(self, c: Container, expr: cst.BaseExpression, shown: cst.CSTNode, effect: Effect, **kw: object) -> Use:
        return Use(
            node=expr,
            line=self.meta.line(expr),
            text=self.meta.code(shown),
            effect=effect,
            function=self.meta.function_of(expr),
            **kw,  # type: ignore[arg-type]
        )

    def _classify_sequence(
        self, c: Container, expr: cst.BaseExpression, receiver: str, depth: int, per_key: bool, key: Optional[cst.BaseExpression] = None
    ) -> Use:
        meta = self.meta
        parent = meta.parent(expr)
        common = dict(receiver=receiver, per_key=per_key, key=key)

        # x.method(...)
        if isinstance(parent, cst.Attribute) and parent.value is expr:
            call = meta.parent(parent)
            if isinstance(call, cst.Call) and call.func is parent:
                return self._method_use(c, expr, call, parent.attr.value, common)
            if parent.attr.value == "maxlen" and c.kind is Kind.DEQUE:
                return self._use(c, expr, parent, Effect.READ, **common)
            # `pop = self.items.pop` / `add = self.items.append`: called later under another name
            if parent.attr.value in BOUND_METHODS:
                return self._use(c, expr, parent, Effect.BOUND, why=f"is consumed through .{parent.attr.value}", **common)
            if parent.attr.value in GROW_METHODS:
                return self._use(c, expr, parent, Effect.GROW, deque_ok=parent.attr.value != "insert", method=parent.attr.value, **common)
            return self._use(c, expr, parent, Effect.ESCAPE, deque_ok=False, why="uses an attribute memfix does not model", **common)

        # x[...]
        if isinstance(parent, cst.Subscript) and parent.value is expr:
            return self._subscript_use(c, expr, parent, common)

        # f(x)
        if isinstance(parent, cst.Arg):
            call = meta.parent(parent)
            if isinstance(call, cst.Call) and parent.keyword is None and parent.star == "":
                names = meta.qualified(call.func)
                if names & ITERABLE_CONSUMERS or any(n.startswith(ITERABLE_CONSUMER_PREFIXES) for n in names):
                    return self._use(c, expr, call, Effect.READ, sees=Sees.WHOLE, why="sees the whole history", **common)
                if "builtins.bool" in names:
                    return self._use(c, expr, call, Effect.READ, **common)
                if names & LIST_ONLY_CALLS:
                    why = "serialises it" if any(n.startswith(("json.", "pickle.")) for n in names) else "needs a list"
                    return self._use(c, expr, call, Effect.READ, sees=Sees.WHOLE, deque_ok=False, why=why, **common)
                if "builtins.id" in names:
                    return self._use(c, expr, call, Effect.READ, **common)
                if isinstance(call.func, cst.Attribute) and call.func.attr.value == "join" and len(call.args) == 1:
                    return self._use(c, expr, call, Effect.READ, sees=Sees.WHOLE, why="joins the whole history", **common)
            shown = call if isinstance(call, cst.Call) else parent
            return self._use(c, expr, shown, Effect.ESCAPE, sees=Sees.WHOLE, deque_ok=False, why="is passed to code memfix cannot see", **common)

        # v in x, x == [...]
        if isinstance(parent, cst.ComparisonTarget) and parent.comparator is expr:
            comparison = meta.parent(parent)
            if isinstance(parent.operator, (cst.In, cst.NotIn)):
                return self._use(c, expr, comparison or parent, Effect.READ, sees=Sees.WHOLE, why="searches the whole history", **common)
            if isinstance(parent.operator, (cst.Is, cst.IsNot)):
                return self._use(c, expr, comparison or parent, Effect.READ, **common)
            return self._use(c, expr, comparison or parent, Effect.READ, sees=Sees.WHOLE, deque_ok=False, why="is compared as a list", **common)
        if isinstance(parent, cst.Comparison) and parent.left is expr:
            first = parent.comparisons[0].operator
            if isinstance(first, (cst.Is, cst.IsNot)):
                return self._use(c, expr, parent, Effect.READ, **common)
            return self._use(c, expr, parent, Effect.READ, sees=Sees.WHOLE, deque_ok=False, why="is compared as a list", **common)

        # for v in x / [... for v in x]
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is expr:
            shown = parent.iter
            return self._use(c, expr, shown, Effect.READ, sees=Sees.WHOLE, why="iterates the whole history", statement=parent, **common)

        # x += [...]
        if isinstance(parent, cst.AugAssign) and parent.target is expr:
            statement = meta.statement_of(expr)
            if isinstance(parent.operator, cst.AddAssign):
                return self._use(c, expr, parent, Effect.GROW, statement=statement, method="+=", **common)
            return self._use(c, expr, parent, Effect.ESCAPE, deque_ok=False, why="is changed in a way memfix does not model", **common)

        # x = ... (re-bind) / y = x (alias or store)
        if isinstance(parent, cst.AssignTarget) and parent.target is expr:
            assign = meta.parent(parent)
            if isinstance(assign, cst.Assign):
                return self._rebind_use(c, expr, assign, assign.value, common)
        if isinstance(parent, cst.AnnAssign) and parent.target is expr and parent.value is not None:
            return self._rebind_use(c, expr, parent, parent.value, common)
        if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is expr:
            alias = self._alias_target(parent)
            if alias is not None:
                return self._use(c, expr, parent, Effect.NONE, why="is aliased", **common)
            return self._use(c, expr, parent, Effect.ESCAPE, sees=Sees.WHOLE, deque_ok=False, opaque=True, why="is stored under another name", **common)

        # del x
        if isinstance(parent, cst.Del) or (isinstance(parent, cst.Element) and isinstance(meta.parent(meta.parent(parent) or parent), cst.Del)):
            return self._use(c, expr, parent, Effect.BOUND, why="is deleted", **common)

        # if x: / not x / x and y in a test
        if self._truth_context(expr):
            return self._use(c, expr, expr, Effect.READ, why="tests emptiness", **common)
        if isinstance(parent, cst.Element) and self._assigned_in_tuple(parent):
            return self._use(c, expr, parent, Effect.ESCAPE, sees=Sees.WHOLE, deque_ok=False, opaque=True, why="is bound to another name", **common)

        if isinstance(parent, (cst.Return, cst.Yield)):
            return self._use(c, expr, parent, Effect.ESCAPE, sees=Sees.WHOLE, deque_ok=False, why="is returned to code memfix cannot see", **common)
        if isinstance(parent, cst.Expr):
            return self._use(c, expr, expr, Effect.NONE, **common)
        if isinstance(parent, cst.BinaryOperation):
            if self._concatenation_growth(expr, parent):
                return self._use(c, expr, parent, Effect.NONE, **common)  # the read half of x = x + [v]
            return self._use(c, expr, parent, Effect.READ, sees=Sees.WHOLE, deque_ok=False, why="is combined as a list", **common)
        if isinstance(parent, cst.FormattedStringExpression):
            return self._use(c, expr, parent, Effect.READ, sees=Sees.WHOLE, deque_ok=False, why="is formatted as a list", **common)
        return self._use(c, expr, parent or expr, Effect.ESCAPE, sees=Sees.WHOLE, deque_ok=False, why="is used in a way memfix does not model", **common)

    def _concatenation_growth(self, expr: cst.BaseExpression, operation: cst.BinaryOperation) -> bool:
        """``expr`` is the left side of ``x = x + [...]`` (the growth site reads it)."""
        assign = self.meta.parent(operation)
        return (
            isinstance(assign, cst.Assign)
            and assign.value is operation
            and operation.left is expr
            and isinstance(operation.operator, cst.Add)
            and len(assign.targets) == 1
            and self.meta.code(assign.targets[0].target) == self.meta.code(expr)
        )

    def _assigned_in_tuple(self, element: cst.Element) -> bool:
        display = self.meta.parent(element)
        assign = self.meta.parent(display) if isinstance(display, (cst.Tuple, cst.List)) else None
        return isinstance(assign, cst.Assign) and assign.value is display

    def _truth_context(self, expr: cst.BaseExpression) -> bool:
        node: cst.CSTNode = expr
        while True:
            parent = self.meta.parent(node)
            if isinstance(parent, (cst.If, cst.While, cst.Assert)) and parent.test is node:
                return True
            if isinstance(parent, cst.IfExp) and parent.test is node:
                return True
            if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
                return True
            if isinstance(parent, cst.BooleanOperation):
                node = parent
                continue
            return False

    def _method_use(self, c: Container, expr: cst.BaseExpression, call: cst.Call, method: str, common: Dict[str, object]) -> Use:
        statement = self.meta.statement_of(call)
        if method in GROW_METHODS:
            deque_ok = method != "insert"
            use = self._use(c, expr, call, Effect.GROW, deque_ok=deque_ok, statement=statement, method=method, **common)
            if not deque_ok:
                use.why = "inserts by position"
            if self._length_guarded(expr, call):
                use.effect = Effect.BOUND
                use.why = "is length-checked before it grows"
            return use
        if method in BOUND_METHODS:
            deque_ok = not (method == "pop" and call.args) or c.kind is Kind.DEQUE
            return self._use(c, expr, call, Effect.BOUND, deque_ok=deque_ok, why=f"is consumed with {method}()", **common)
        if method in WHOLE_READ_METHODS:
            return self._use(c, expr, call, Effect.READ, sees=Sees.WHOLE, why="sees the whole history", **common)
        if method == "sort":
            return self._use(c, expr, call, Effect.READ, sees=Sees.WHOLE, deque_ok=False, why="sorts the whole list", **common)
        return self._use(c, expr, call, Effect.ESCAPE, sees=Sees.WHOLE, deque_ok=False, why=f"calls .{method}() memfix does not model", **common)

    def _length_guarded(self, expr: cst.BaseExpression, call: cst.Call) -> bool:
        """The growth sits under ``if len(x) < K:`` (or any test measuring the same container)."""
        shown = self.meta.code(expr)
        for ancestor in self.meta.ancestors(call):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
                return False
            if isinstance(ancestor, (cst.If, cst.While)):
                for node in walk(ancestor.test):
                    if (
                        isinstance(node, cst.Call)
                        and isinstance(node.func, cst.Name)
                        and node.func.value == "len"
                        and node.args
                        and self.meta.code(node.args[0].value) == shown
                    ):
                        return True
        return False

    def _subscript_use(self, c: Container, expr: cst.BaseExpression, sub: cst.Subscript, common: Dict[str, object]) -> Use:
        meta = self.meta
        context = meta.parent(sub)
        deleted = isinstance(context, cst.Del) or (
            isinstance(context, cst.Element) and isinstance(meta.parent(meta.parent(context) or context), cst.Del)
        )
        stored = (isinstance(context, cst.AssignTarget) and context.target is sub) or (
            isinstance(context, (cst.AugAssign, cst.AnnAssign)) and context.target is sub
        )
        if deleted:
            return self._use(c, expr, context, Effect.BOUND, deque_ok=self._single_index(sub), why="is trimmed with del", **common)  # type: ignore[arg-type]
        element = sub.slice[0].slice if len(sub.slice) == 1 else None
        if isinstance(element, cst.Slice):
            if stored:
                return self._use(c, expr, context, Effect.BOUND, deque_ok=False, why="is re-filled by slice assignment", **common)  # type: ignore[arg-type]
            k = _negated(element.lower)
            if k is not None and element.upper is None and element.step is None:
                bound = self.bound_from_expr(k, c, str(common.get("receiver", "")), f" from the read `{meta.code(sub)}` at line {meta.line(sub)}")
                if bound is not None:
                    return self._use(c, expr, sub, Effect.READ, sees=Sees.TAIL, deque_ok=False, tail=bound, tail_slice=sub, why="reads a slice", **common)
            return self._use(c, expr, sub, Effect.READ, sees=Sees.WHOLE, deque_ok=False, why="reads a slice", **common)
        if isinstance(element, cst.Index):
            k = _negated(element.value)
            k_value = _int_value(k)
            tail = Bound("literal", k_value, origin=f" from the read `{meta.code(sub)}` at line {meta.line(sub)}") if k_value else None
            if stored:
                return self._use(c, expr, sub, Effect.NONE, sees=Sees.TAIL if tail else Sees.WHOLE, tail=tail, why="writes by position", **common)
            if tail is not None:
                return self._use(c, expr, sub, Effect.READ, sees=Sees.TAIL, tail=tail, **common)
            return self._use(c, expr, sub, Effect.READ, sees=Sees.WHOLE, why="indexes from the start", **common)
        return self._use(c, expr, sub, Effect.ESCAPE, sees=Sees.WHOLE, deque_ok=False, why="is indexed in a way memfix does not model", **common)

    @staticmethod
    def _single_index(sub: cst.Subscript) -> bool:
        return len(sub.slice) == 1 and isinstance(sub.slice[0].slice, cst.Index)

    def _rebind_use(self, c: Container, expr: cst.BaseExpression, statement: cst.CSTNode, value: cst.BaseExpression, common: Dict[str, object]) -> Use:
        meta = self.meta
        shown = meta.code(expr)
        # x = x[-K:]: the existing trim (MF105)
        if isinstance(value, cst.Subscript) and meta.code(value.value) == shown and len(value.slice) == 1:
            element = value.slice[0].slice
            k = _negated(element.lower) if isinstance(element, cst.Slice) else None
            if isinstance(element, cst.Slice) and k is not None and element.upper is None and element.step is None:
                bound = self.bound_from_expr(k, c, str(common.get("receiver", "")), f" from the trim `{meta.code(statement)}` at line {meta.line(statement)}")
                if bound is not None:
                    removable, guard = self._trim_statement(statement, shown, c, str(common.get("receiver", "")))
                    return self._use(c, expr, statement, Effect.TRIM, tail=bound, statement=statement, trim=removable, trim_guard=guard, why="is trimmed by a copy", **common)
            return self._use(c, expr, statement, Effect.BOUND, why="is re-bound to a slice of itself", **common)
        # x = x + [...] / x = [*x, v]: growth by a copy
        if any(meta.code(n) == shown for n in walk(value) if isinstance(n, (cst.Name, cst.Attribute, cst.Subscript))) and isinstance(value, (cst.BinaryOperation, cst.List)):
            return self._use(c, expr, statement, Effect.GROW, deque_ok=False, statement=statement, method="=", why="grows by concatenation", **common)
        if c.function is not None and meta.function_of(expr) is c.function and c.owner is Owner.INSTANCE:
            return self._use(c, expr, statement, Effect.NONE, **common)  # set twice in __init__
        return self._use(c, expr, statement, Effect.BOUND, why="is re-bound", **common)

    def _trim_statement(self, statement: cst.CSTNode, shown: str, c: Container, receiver: str) -> Tuple[Optional[cst.CSTNode], Optional[Bound]]:
        """The statement a deque makes redundant: the trim's ``if len(x) > K2:`` guard when the
        guard holds nothing else, else the trim itself; and the guard's K2."""
        line = self.meta.parent(statement)
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return None, None
        block = self.meta.parent(line)
        guard = self.meta.parent(block) if isinstance(block, cst.IndentedBlock) else None
        if isinstance(guard, cst.If) and guard.orelse is None and len(guard.body.body) == 1 and isinstance(block, cst.IndentedBlock):
            test = guard.test
            if (
                isinstance(test, cst.Comparison)
                and len(test.comparisons) == 1
                and isinstance(test.comparisons[0].operator, (cst.GreaterThan, cst.GreaterThanEqual))
                and isinstance(test.left, cst.Call)
                and isinstance(test.left.func, cst.Name)
                and test.left.func.value == "len"
                and test.left.args
                and self.meta.code(test.left.args[0].value) == shown
            ):
                k2 = self.bound_from_expr(test.comparisons[0].comparator, c, receiver, "")
                if k2 is not None and isinstance(test.comparisons[0].operator, cst.GreaterThanEqual) and k2.value is not None:
                    k2 = Bound("literal", k2.value - 1)
                return guard, k2
            return line, Bound("literal", None)  # guarded by something else: keep the guard
        return line, None

    # -- aliases and per-key uses -------------------------------------------------------------

    def _alias_target(self, statement: Union[cst.Assign, cst.AnnAssign]) -> Optional[cst.Name]:
        if isinstance(statement, cst.Assign):
            if len(statement.targets) != 1:
                return None
            target = statement.targets[0].target
        else:
            target = statement.target
        if not isinstance(target, cst.Name) or self.meta.function_of(statement) is None:
            return None
        scope = self.meta.scope(target)
        try:
            assignments = [a for a in scope.assignments[target.value]]  # type: ignore[union-attr]
        except Exception:
            return None
        if len(assignments) != 1 or type(scope).__name__ != "FunctionScope":
            return None  # re-bound, or global/nonlocal: not a plain local alias
        return target

    def _alias_uses(self, c: Container, expr: cst.BaseExpression, receiver: str, depth: int) -> List[Use]:
        parent = self.meta.parent(expr)
        if not isinstance(parent, (cst.Assign, cst.AnnAssign)) or parent.value is not expr or depth > 3:
            return []
        alias = self._alias_target(parent)
        if alias is None:
            return []
        scope = self.meta.scope(alias)
        uses: List[Use] = []
        for assignment in scope.assignments[alias.value]:  # type: ignore[union-attr]
            for access in assignment.references:
                if isinstance(access.node, cst.Name):
                    # a local alias lives in the function of the original access, so the
                    # original receiver (``self``) is in scope wherever the alias is used
                    uses.extend(self.classify(c, access.node, receiver, depth + 1))
        return uses

    def _classify_mapping(self, c: Container, expr: cst.BaseExpression, receiver: str, depth: int) -> List[Use]:
        """A defaultdict(list): ``d[k]`` is one key's list (classified like a list), the rest are
        uses of the key set."""
        meta = self.meta
        parent = meta.parent(expr)
        common: Dict[str, object] = dict(receiver=receiver)
        if isinstance(parent, cst.Subscript) and parent.value is expr and self._single_index(parent):
            key = parent.slice[0].slice.value  # type: ignore[union-attr]
            context = meta.parent(parent)
            if isinstance(context, cst.Del) or (isinstance(context, cst.Element) and isinstance(meta.parent(meta.parent(context) or context), cst.Del)):
                return [self._use(c, expr, context, Effect.BOUND, why="drops a key", **common)]  # type: ignore[arg-type]
            use = self._classify_sequence(c, parent, receiver, depth, per_key=True, key=key)
            return [use] + self._alias_uses(c, parent, receiver, depth)
        if isinstance(parent, cst.Attribute) and parent.value is expr:
            call = meta.parent(parent)
            method = parent.attr.value
            if isinstance(call, cst.Call) and call.func is parent:
                if method in ("pop", "popitem", "clear"):
                    return [self._use(c, expr, call, Effect.BOUND, why=f"drops keys with {method}()", **common)]
                if method == "keys":
                    return [self._use(c, expr, call, Effect.READ, **common)]
                if method in ("items", "values", "get", "setdefault", "copy", "update"):
                    return [self._use(c, expr, call, Effect.ESCAPE, sees=Sees.WHOLE, deque_ok=False, per_key=True, why="hands out the per-key lists", **common)]
            return [self._use(c, expr, parent, Effect.ESCAPE, sees=Sees.WHOLE, deque_ok=False, why="uses an attribute memfix does not model", **common)]
        if isinstance(parent, cst.Arg):
            call = meta.parent(parent)
            if isinstance(call, cst.Call) and meta.qualified(call.func) & {"builtins.len", "builtins.list", "builtins.sorted", "builtins.set", "builtins.tuple"}:
                return [self._use(c, expr, call, Effect.READ, **common)]  # reads the keys only
        if isinstance(parent, cst.ComparisonTarget) and isinstance(parent.operator, (cst.In, cst.NotIn)):
            return [self._use(c, expr, meta.parent(parent) or parent, Effect.READ, **common)]
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is expr:
            return [self._use(c, expr, parent.iter, Effect.READ, **common)]
        if self._truth_context(expr):
            return [self._use(c, expr, expr, Effect.READ, **common)]
        if isinstance(parent, cst.AssignTarget) and parent.target is expr:
            assign = meta.parent(parent)
            if c.function is not None and meta.function_of(expr) is c.function:
                return [self._use(c, expr, assign or parent, Effect.NONE, **common)]
            return [self._use(c, expr, assign or parent, Effect.BOUND, why="is re-bound", **common)]
        if isinstance(parent, cst.Expr):
            return [self._use(c, expr, expr, Effect.NONE, **common)]
        return [self._use(c, expr, parent or expr, Effect.ESCAPE, sees=Sees.WHOLE, deque_ok=False, per_key=True, why="is used in a way memfix does not model", **common)]

    def _mark_growth_during_iteration(self, c: Container) -> None:
        """A deque raises RuntimeError when appended to while it is iterated; a list does not."""
        loops = [u for u in c.uses if isinstance(u.statement, cst.For) and u.effect is Effect.READ]
        for loop in loops:
            assert isinstance(loop.statement, cst.For)
            if any(g.effect is Effect.GROW and self.meta.is_inside(g.node, loop.statement.body) for g in c.uses):
                loop.deque_ok = False
                loop.why = "is appended to while it is iterated"

    # -- bounds -------------------------------------------------------------------------------

    def bound_from_expr(self, k: cst.BaseExpression, c: Container, receiver: str, origin: str) -> Optional[Bound]:
        """Interpret a ``K`` the code wrote (``100``, ``self.window``, ``MAX``, ``Cls.MAX``)."""
        value = _int_value(k)
        if value is not None:
            return Bound("literal", value, origin=origin)
        if isinstance(k, cst.Name):
            if k.value in self.facts.constants:
                return Bound("module", self.facts.constants[k.value][0], name=k.value, origin=origin)
            return None
        if isinstance(k, cst.Attribute) and isinstance(k.value, cst.Name):
            owner = self.class_of(k.value)
            attr = k.attr.value
            if owner not in self.classes:
                return None
            info = self.classes[owner]
            if attr in info.constants:
                return Bound("class", info.constants[attr][0], name=attr, class_name=owner, origin=origin)
            if attr in info.init_attrs and self.meta.code(k.value) == (receiver or self.meta.code(k.value)):
                value_expr = info.init_attrs[attr][0]
                param = value_expr.value if isinstance(value_expr, cst.Name) and value_expr.value in info.init_params else ""
                return Bound("attr", _int_value(value_expr), name=attr, class_name=owner, param=param, origin=origin)
        return None

    def bound_candidates(self, c: Container, default: int) -> List[Bound]:
        """Bounds in the order of LEAK_PATTERNS "Choosing N"; the caller takes the first that
        can be spelled everywhere the fix needs it."""
        out: List[Bound] = []
        tails = [u.tail for u in c.uses if u.sees is Sees.TAIL and u.tail_slice is not None and u.tail is not None]
        if tails:
            out.extend(_widest(tails))
        trims = [u.tail for u in c.uses if u.effect is Effect.TRIM and u.tail is not None]
        if trims:
            out.extend(_widest(trims))
        out.extend(self._named_bounds(c))
        out.append(Bound("literal", default, origin=" (the configured default, --max-len)"))
        return out

    def _named_bounds(self, c: Container) -> List[Bound]:
        scored: List[Tuple[int, int, Bound]] = []
        stem = _name_tokens(c.name)

        def consider(name: str, bound: Bound, order: int) -> None:
            tokens = _name_tokens(name)
            if tokens & NOT_BOUND_TOKENS:
                return
            shared = (tokens - BOUND_NAME_TOKENS) & stem
            strong = tokens & STRONG_BOUND_TOKENS
            max_like = tokens & {"max", "cap", "keep"}
            if not (strong or (max_like and (shared or tokens & SIZE_WORDS)) or (shared and tokens & BOUND_NAME_TOKENS)):
                return
            score = 2 * len(shared) + (1 if strong or max_like else 0)
            scored.append((-score, order, bound))

        order = 0
        info = self.classes.get(c.class_name) if c.class_name else None
        if info is not None:
            for name, (value, where) in info.constants.items():
                order += 1
                if c.where.context == "class_body" and not self._defined_before(where, c.statement):
                    continue  # spelled bare in the class body: must already exist there
                consider(name, Bound("class", value, name=name, class_name=info.name, origin=f" (a class constant, value {value})" if value is not None else " (a class constant)"), order)
            for name, (value_expr, _) in info.init_attrs.items():
                order += 1
                value = _int_value(value_expr)
                param = value_expr.value if isinstance(value_expr, cst.Name) and value_expr.value in info.init_params else ""
                if value is None and not param:
                    continue
                consider(name, Bound("attr", value, name=name, class_name=info.name, param=param, origin=" (an attribute set in `__init__`)"), order)
            copied = {v[0].value for v in info.init_attrs.values() if isinstance(v[0], cst.Name)}
            for name, default in info.init_params.items():
                order += 1
                if name not in copied:
                    consider(name, Bound("param", None, name=name, origin=" (an `__init__` parameter)"), order)
        for name, (value, where) in self.facts.constants.items():
            order += 1
            if c.owner is Owner.GLOBAL and not self._defined_before(where, c.statement):
                continue  # evaluated at import: must already exist
            consider(name, Bound("module", value, name=name, origin=f" (a module constant, value {value})" if value is not None else " (a module constant)"), order)
        scored.sort(key=lambda t: (t[0], t[1]))
        return [b for _, _, b in scored]

    def _defined_before(self, definition: cst.CSTNode, use: cst.CSTNode) -> bool:
        return 0 < self.meta.line(definition) < self.meta.line(use)

    # -- owner lifetime -----------------------------------------------------------------------

    def _find_long_lived_classes(self) -> None:
        for call in self.facts.module_calls:
            if isinstance(call.func, cst.Name) and call.func.value in self.classes:
                self.classes[call.func.value].long_lived = f"an instance is created at module level (line {self.meta.line(call)})"
        for name in self.facts.while_true:
            info = self.classes.get(name)
            if info is not None and not info.long_lived:
                info.long_lived = "it runs a `while True` loop"
        for call, class_name in self.facts.calls:
            if class_name is None or class_name not in self.classes or self.classes[class_name].long_lived:
                continue
            names = self.meta.qualified(call.func)
            if names & BACKGROUND_CALLS or any(n.endswith((".create_task", ".call_later", ".call_soon", ".run_forever", ".submit")) for n in names):
                self.classes[class_name].long_lived = f"it starts background work (line {self.meta.line(call)})"
        for info in self.classes.values():
            if info.long_lived:
                continue
            if any(b.endswith(("Thread", "Process")) for b in info.bases):
                info.long_lived = "it is a thread"
                continue
            if "_instance" in {d.name for d in self.facts.definitions if d.class_name == info.name and d.owner is Owner.CLASS} or "_instance" in info.constants:
                info.long_lived = "it is a singleton"
                continue
            words = _name_tokens(info.name) | set(re.findall(r"[a-z]+", info.docstring.lower()))
            strong = [w for w in LONG_LIVED_WORDS if w in words]
            if strong:
                info.long_lived = f"its name or docstring says {strong[0]}"
                continue
            weak = [w for w in MAYBE_LONG_LIVED_WORDS if w in words]
            if weak:
                info.maybe_long_lived = f"its name or docstring says {weak[0]}"

    def _confidence(self, c: Container) -> Tuple[Confidence, str]:
        if c.owner is Owner.GLOBAL:
            return Confidence.HIGH, "a module global lives as long as the process"
        if c.owner is Owner.CLASS:
            return Confidence.HIGH, f"a class attribute of `{c.class_name}` lives as long as the process"
        if c.owner is Owner.CLOSURE:
            return Confidence.MEDIUM, "it lives as long as the closure that captures it"
        info = self.classes.get(c.class_name)
        if info is not None and info.long_lived:
            return Confidence.HIGH, f"`{c.class_name}` looks long-lived: {info.long_lived}"
        if info is not None and info.maybe_long_lived:
            return Confidence.MEDIUM, f"`{c.class_name}` may be long-lived: {info.maybe_long_lived}"
        return Confidence.LOW, f"nothing shows that `{c.class_name}` instances outlive a call, so this may be a short-lived accumulator"

    # -- candidates ---------------------------------------------------------------------------

    def _is_candidate(self, c: Container) -> bool:
        """Grows after its definition, outside the code that builds it."""
        return any(self._counts_as_growth(c, u) for u in c.grows())

    def _counts_as_growth(self, c: Container, use: Use) -> bool:
        func = use.function
        if c.owner in (Owner.GLOBAL, Owner.CLASS):
            # growth at import time (directly, or in a helper only import-time code calls)
            # builds a constant
            return func is not None and not self._runs_only_at_import(func)
        if c.owner is Owner.CLOSURE:
            # only a nested function that outlives the call keeps the list alive
            return func is not None and func is not c.function and self._escaping_closure(c, func)
        if c.function is not None and func is c.function:
            return False  # filled in __init__
        return True

    def _runs_only_at_import(self, func: cst.FunctionDef) -> bool:
        """A module-level function whose every use is a call or decorator at module level
        (``def rule(f): _rules.append(f)`` used as ``@rule`` on module-level functions)."""
        if not isinstance(self.meta.parent(func), cst.Module):
            return False
        scope = self.meta.scope(func)
        try:
            assignments = list(scope.assignments[func.name.value])  # type: ignore[union-attr]
        except Exception:
            return False
        references = [r.node for a in assignments for r in a.references]
        if not references:
            return False  # called from elsewhere, at any time
        for node in references:
            parent = self.meta.parent(node)
            if isinstance(parent, cst.Call) and parent.func is node:
                where = self.meta.function_of(parent)
            elif isinstance(parent, cst.Del) or (isinstance(parent, cst.Element) and isinstance(self.meta.parent(self.meta.parent(parent) or parent), cst.Del)):
                where = self.meta.function_of(parent)  # `del helper` once the module is built
            elif isinstance(parent, cst.Decorator):
                decorated = self.meta.parent(parent)
                where = self.meta.function_of(decorated) if decorated is not None else None
                if isinstance(decorated, cst.FunctionDef) and not isinstance(self.meta.parent(decorated), cst.Module):
                    return False
            else:
                return False
            if where is not None:
                return False
        return True

    def _escaping_closure(self, c: Container, func: cst.FunctionDef) -> bool:
        """``func`` (nested somewhere in ``c.function``) is handed out: returned, stored, passed
        on or decorated, rather than only called while ``c.function`` runs."""
        nested: Optional[cst.FunctionDef] = func
        while nested is not None and self.meta.function_of(nested) is not c.function:
            nested = self.meta.function_of(nested)
        if nested is None:
            return False
        if nested.decorators:
            return True
        scope = self.meta.scope(nested)
        try:
            assignments = list(scope.assignments[nested.name.value])  # type: ignore[union-attr]
        except Exception:
            return True
        for assignment in assignments:
            for access in assignment.references:
                parent = self.meta.parent(access.node)
                if not (isinstance(parent, cst.Call) and parent.func is access.node):
                    return True
        return False


def _widest(bounds: Sequence[Bound]) -> List[Bound]:
    """The largest known K first; symbolic Ks (the code's own names) before smaller literals."""
    known = sorted((b for b in bounds if b.value is not None), key=lambda b: -int(b.value or 0))
    symbolic = [b for b in bounds if b.value is None]
    if symbolic and all(s.same_as(symbolic[0]) for s in symbolic):
        return [symbolic[0], *known]
    return known + symbolic


# ---------------------------------------------------------------------------------------------
# ownership and safety


def owning_rule(c: Container) -> Optional[str]:
    """The one rule that reports ``c``, or None when it is bounded (not a finding), or when an
    alias memfix cannot follow may bound it (a false positive costs a reviewer's trust)."""
    if any(u.opaque for u in c.uses):
        return None
    if c.kind is Kind.DEQUE:
        return None if c.bounds() or c.trims() else "MF103"
    if c.bounds():
        return None
    if c.trims():
        return "MF105"
    if c.kind is Kind.DEFAULTDICT:
        return "MF104"
    return "MF101" if deque_compatible(c) else "MF102"


def deque_compatible(c: Container) -> bool:
    """Every use works on a deque, counting tail slices (rewritten to ``list(x)``) as working."""
    return all(u.deque_ok or (u.tail_slice is not None and u.tail is not None) for u in c.uses if u.effect is not Effect.TRIM)


def problems(c: Container, bound: Bound, exact: bool = False) -> List[str]:
    """Why bounding ``c`` at ``bound`` could change what some reader observes. ``exact``: the
    contents stay the same (an MF105 trim replaced by the same bound), so only aliasing counts."""
    found: List[str] = []
    if not any(u.effect in (Effect.READ, Effect.ESCAPE) or u.sees is not Sees.NOTHING for u in c.uses):
        found.append("nothing in this module reads it, so whoever does is out of sight")
    for u in c.uses:
        if u.unresolved:
            found.append(f"`{u.text}` at line {u.line} may be this attribute (its receiver's type is unknown)")
        elif u.effect is Effect.ESCAPE:
            found.append(f"`{u.text}` at line {u.line} {u.why}")
        elif exact:
            continue
        elif u.sees is Sees.WHOLE:
            found.append(f"`{u.text}` at line {u.line} {u.why or 'sees the whole history'}")
        elif u.sees is Sees.TAIL and u.tail is not None and not bound.covers(u.tail):
            found.append(f"`{u.text}` at line {u.line} reads the last {u.tail.shown} items, more than the bound {bound.shown} is known to keep")
        elif u.effect is Effect.GROW and u.method in ("appendleft", "extendleft"):
            found.append(f"`{u.text}` at line {u.line} adds at the left, where a full deque drops items")
    return found


__all__ = [
    "Bound",
    "Container",
    "Effect",
    "GrowthAnalysis",
    "Kind",
    "Owner",
    "Sees",
    "Use",
    "Where",
    "deque_compatible",
    "owning_rule",
    "problems",
]
