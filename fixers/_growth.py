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
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst
from libcst.metadata import (
    Assignment,
    PositionProvider,
    ScopeProvider,
)

from memfix.fixers._growth_facts import ClassInfo, Definition, FactCollector, int_value
from memfix.fixers._growth_model import Bound, Container, Effect, Kind, Owner, Sees, Use, Where
from memfix.fixers._growth_vocab import (
    BACKGROUND_CALLS,
    BOUND_METHODS,
    GROW_METHODS,
    ITERABLE_CONSUMER_PREFIXES,
    ITERABLE_CONSUMERS,
    LIST_ONLY_CALLS,
    LONG_LIVED_WORDS,
    MAYBE_LONG_LIVED_WORDS,
    REFLECTIVE_BUILTINS,
    WHOLE_READ_METHODS,
    name_tokens,
    named_bound_score,
)
from memfix.fixers._visibility import ATTRIBUTE, MODULE_GLOBAL, read_elsewhere
from memfix.model import Confidence
from memfix.nodes import MetadataView, children_in, dispatch, dotted_name, walk

_WS = re.compile(r"\s+")


def _negated(node: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
    """``-K`` -> ``K``; anything else -> None."""
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return node.expression
    return None


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
        facts = FactCollector()
        # statements keep source order; see memfix.nodes.dispatch
        dispatch(module, facts, children_in(detector.metadata))  # type: ignore[attr-defined]
        self.facts = facts
        self.classes = facts.classes
        self.containers: List[Container] = []
        self._by_class_attr: Dict[Tuple[str, str], Container] = {}
        self._module_instances: Set[str] = set()
        #: attribute name -> the function of each store to it (None: outside any function, or
        #: setattr), read by _reassigned
        self._stores: Optional[Dict[str, List[Optional[cst.FunctionDef]]]] = None
        self._reflective: Optional[List[Tuple[cst.Call, Set[str]]]] = None

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
        self._reflective_uses()
        for container in self.containers:
            if container.owner in (Owner.GLOBAL, Owner.CLOSURE):
                self._name_uses(container)
        pickling = sorted(_PICKLING & self.meta.identifiers(self.module))
        for container in self.containers:
            if container.kind is Kind.DEFAULTDICT and pickling:
                container.pickled_by = pickling[0]
        for container in self.containers:
            # scope accesses come out of sets: put uses in source order so that messages, the
            # evidence they cite and the plans are the same on every run
            container.uses.sort(key=self._position)
            self._mark_reads_in_trims(container)
            self._mark_growth_during_iteration(container)
            container.confidence, container.confidence_reason = self._confidence(container)
        return [c for c in self.containers if self._is_candidate(c)]

    def _mark_reads_in_trims(self, c: Container) -> None:
        trims = [site for u in c.uses if u.effect is Effect.TRIM for site in (u.statement, u.trim) if site is not None]
        for u in c.uses if trims else ():
            if u.effect is not Effect.TRIM and any(self.meta.is_inside(u.node, site) for site in trims):
                u.in_trim = True

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

    def _container(self, d: Definition) -> Optional[Container]:
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
        decorators = {dotted_name(d.decorator) for d in func.decorators}
        if isinstance(cls, cst.ClassDef) and positional and positional[0] is param and "staticmethod" not in decorators:
            return cls.name.value
        if param.annotation is not None:
            ann = param.annotation.annotation
            if isinstance(ann, cst.SimpleString):
                name = ann.evaluated_value if isinstance(ann.evaluated_value, str) else ""
            else:
                name = dotted_name(ann)
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

    def _reflective_uses(self) -> None:
        """Attributes reached by name: ``getattr(self, "items")[1:]``, ``vars(obj)``,
        ``obj.__dict__["items"]``. The attribute walk never sees them, so a fix judged safe could
        break them (a deque cannot be sliced); each is an escape to code the analysis cannot read."""
        by_class: Dict[str, List[Container]] = {}
        for c in self.containers:
            if c.owner in (Owner.INSTANCE, Owner.CLASS):
                by_class.setdefault(c.class_name, []).append(c)
        if not by_class:
            return
        for call, names in self._reflective_calls():
            if names & {"builtins.getattr", "builtins.setattr", "builtins.delattr"} and len(call.args) >= 2:
                attr = call.args[1].value
                literal = attr.evaluated_value if isinstance(attr, cst.SimpleString) else None
                how = f"is reached by name through `{self.meta.code(call.func)}()`"
            elif "builtins.vars" in names and len(call.args) == 1:
                literal, how = None, "is reached through `vars()`"
            else:
                continue
            self._reflective_escape(call, call.args[0].value, literal, how, by_class)
        for attr in self.facts.attributes:
            if attr.attr.value == "__dict__":
                self._reflective_escape(attr, attr.value, None, "is reached through `__dict__`", by_class)

    def _reflective_escape(
        self, node: cst.BaseExpression, receiver: cst.BaseExpression, literal: object, how: str, by_class: Dict[str, List[Container]]
    ) -> None:
        owner = self.class_of(receiver)
        if owner == _OTHER:
            return
        for class_name, containers in by_class.items():
            if owner in self.classes and self.class_container(owner, containers[0].name) is not containers[0]:
                continue  # an instance of an unrelated class of this module
            for c in containers:
                if isinstance(literal, str) and literal != c.name:
                    continue
                if literal is None and owner not in self.classes:
                    continue  # getattr(module, name), vars(thing): not known to be this object
                c.uses.append(
                    Use(
                        node=node,
                        line=self.meta.line(node),
                        text=self.meta.code(node),
                        effect=Effect.ESCAPE,
                        sees=Sees.WHOLE,
                        deque_ok=False,
                        why=f"{how}, which the analysis does not follow",
                        function=self.meta.function_of(node),
                    )
                )

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
        for assignment in self.meta.in_order(assignments):
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
            for access in self.meta.in_order(assignment.references):
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
            k_value = int_value(k)
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
                if k2 is None:
                    # a guard K2 memfix cannot read (`2 * MAX`, `MAX + 10`, a local): the list may
                    # hold up to K2 items at rest, so it is not known to fire at K or earlier
                    return guard, Bound("literal", None)
                if isinstance(test.comparisons[0].operator, cst.GreaterThanEqual) and k2.value is not None:
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
        for assignment in self.meta.in_order(scope.assignments[alias.value]):  # type: ignore[union-attr]
            for access in self.meta.in_order(assignment.references):
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
        value = int_value(k)
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
                return Bound(
                    "attr", int_value(value_expr), name=attr, class_name=owner, param=param, origin=origin,
                    late=self._set_after(value_expr, c), rebound=self._reassigned(attr, info),
                )
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
        stem = name_tokens(c.name)

        def consider(name: str, bound: Bound, order: int) -> None:
            score = named_bound_score(name, stem)
            if score is not None:
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
                value = int_value(value_expr)
                param = value_expr.value if isinstance(value_expr, cst.Name) and value_expr.value in info.init_params else ""
                if value is None and not param:
                    continue
                late = self._set_after(value_expr, c)
                rebound = self._reassigned(name, info)
                consider(name, Bound("attr", value, name=name, class_name=info.name, param=param, origin=" (an attribute set in `__init__`)", late=late, rebound=rebound), order)
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

    def _reassigned(self, attr: str, info: ClassInfo) -> bool:
        """The attribute ``attr`` is stored outside the ``__init__`` that sets it (by any receiver:
        ``self.window = n`` in a method, ``monitor.window = 5`` elsewhere, ``setattr(x, "window",
        n)``), so its value can change after construction."""
        if self._stores is None:
            stores: Dict[str, List[Optional[cst.FunctionDef]]] = {}
            for node in self.facts.attributes:
                if _is_store_target(node, self.meta.parent):
                    stores.setdefault(node.attr.value, []).append(self.meta.function_of(node))
            for call, names in self._reflective_calls():
                if "builtins.setattr" in names and len(call.args) >= 2 and isinstance(call.args[1].value, cst.SimpleString):
                    literal = call.args[1].value.evaluated_value
                    if isinstance(literal, str):
                        stores.setdefault(literal, []).append(None)
            self._stores = stores
        return any(where is not info.init for where in self._stores.get(attr, ()))  # info.init: never None here

    def _reflective_calls(self) -> List[Tuple[cst.Call, Set[str]]]:
        """Calls of a plain ``getattr``/``setattr``/``delattr``/``vars`` name, with their qualified
        names (only a plain name can resolve to these builtins: no lookup for the other calls)."""
        if self._reflective is None:
            self._reflective = [
                (call, self.meta.qualified(call.func))
                for call, _ in self.facts.calls
                if isinstance(call.func, cst.Name) and call.func.value in REFLECTIVE_BUILTINS
            ]
        return self._reflective

    def _set_after(self, attr_value: cst.BaseExpression, c: Container) -> bool:
        """An ``__init__`` attribute (by its value) is assigned after ``c`` is built there:
        ``deque(maxlen=self.X)`` at the definition would run before ``self.X = ...``."""
        return c.where.context == "init" and self.meta.line(attr_value) >= self.meta.line(c.statement)

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
            words = name_tokens(info.name) | set(re.findall(r"[a-z]+", info.docstring.lower()))
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
    """Every use works on a deque, counting tail slices (rewritten to ``list(x)``) as working, and
    some use in this module reads it. A container nothing here reads is read by code out of sight
    (``TestResult.skipped`` is only appended to in ``unittest.result``; the runner and the tests
    read it, and compare it with lists): a deque changes the type every such reader gets, where an
    in-place trim only shows them less, which is what an unsafe fix may do."""
    return read_in_sight(c) and all(
        u.deque_ok or (u.tail_slice is not None and u.tail is not None) for u in c.uses if u.effect is not Effect.TRIM
    )


def read_in_sight(c: Container) -> bool:
    """Some use in this module reads ``c`` (or hands it on): not only grows it or trims it (an
    existing ``x = x[-K:]`` reads the list only to bound it)."""
    return any((u.effect in (Effect.READ, Effect.ESCAPE) or u.sees is not Sees.NOTHING) and not u.in_trim for u in c.uses)


#: identifiers that show a module pickling objects: a defaultdict's factory is pickled with it,
#: and the bounded factory is a lambda, which pickle refuses. Identifiers, not imports: the
#: pre-filter's slice keeps every identifier of the file, not every import inside a function
_PICKLING = frozenset({"pickle", "cPickle", "copyreg", "shelve", "dill", "cloudpickle", "multiprocessing", "__getstate__", "__reduce__", "__reduce_ex__"})


def _is_store_target(node: cst.CSTNode, parent_of: Callable[[cst.CSTNode], Optional[cst.CSTNode]]) -> bool:
    """``node`` is assigned to, augmented, annotated-assigned, deleted or bound by a loop, also
    inside a tuple or list of targets."""
    child, parent = node, parent_of(node)
    while isinstance(parent, (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
        child, parent = parent, parent_of(parent)
    if isinstance(parent, (cst.AssignTarget, cst.Del)):
        return True
    if isinstance(parent, (cst.AugAssign, cst.AnnAssign, cst.For, cst.CompFor)):
        return parent.target is child
    return False


#: how code in other modules could reach a container of each owner (memfix.fixers._visibility)
_REACHED_AS = {Owner.INSTANCE: ATTRIBUTE, Owner.CLASS: ATTRIBUTE, Owner.GLOBAL: MODULE_GLOBAL}


def problems(c: Container, bound: Bound, exact: bool = False) -> List[str]:
    """Why bounding ``c`` at ``bound`` could change what some reader observes. ``exact``: the
    contents stay the same (an MF105 trim replaced by the same bound), so only aliasing counts."""
    found: List[str] = []
    if c.pickled_by:
        found.append(
            f"the module uses `{c.pickled_by}`: a `defaultdict` whose factory becomes a lambda can no longer be pickled"
        )
    if c.dataclass_field:
        # code generated by @dataclass reads the field whole, where the analysis cannot see it:
        # a deque or a trimmed list changes what they print, compare and convert
        found.append(
            f"`{c.name}` is a dataclass field: the generated `__repr__` and `__eq__`, and `dataclasses.asdict()`, "
            "see the whole list and its type"
        )
    if not read_in_sight(c):
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


def out_of_sight(c: Container) -> str:
    """Why readers in other modules may exist ("" when none can): a public attribute or module
    global. Asked after :func:`problems`, whose reasons point at a line and say more."""
    return read_elsewhere(_REACHED_AS.get(c.owner, ""), c.name, f"`{c.name}`")


__all__ = [
    "GrowthAnalysis",
    "deque_compatible",
    "out_of_sight",
    "owning_rule",
    "problems",
    "read_in_sight",
]
