"""Growth definitions the shared analysis (``fixers._growth``) certainly cannot report, decided on
the ``ast`` tree, so that the pre-filter skips files in which every candidate is one of them.

Most files the shape filter lets through end with no growth finding, and each costs a libcst
parse plus scope metadata. The analysis rejects a container for a few reasons that the ``ast``
shows as well, when they are spelled plainly:

* it never grows where growth counts (``GrowthAnalysis._counts_as_growth``): an instance list
  grown only in the ``__init__`` that builds it, a module or class list grown only outside any
  function (at import), a closure list grown only in the function that owns it or in nested
  functions that are only ever called there (``_escaping_closure``);
* it is bounded (``owning_rule``: any use with ``Effect.BOUND``): ``.clear()``, ``.pop()``,
  ``.popleft()``, ``.remove()`` (called or not), ``del x[...]``, ``del x``, ``x[a:b] = ...``, or a
  re-bind to a value that does not spell the name (outside the building ``__init__``);
* it is opaque (``owning_rule``: a use with ``opaque``): stored under a name the analysis does not
  follow (``self.other = self.items``, ``a = b = items``, ``ALIAS = ITEMS`` at module level).

Every check errs the same way: a use counts only when the receiver or name certainly resolves to
the container the analysis builds for the definition (``self`` as the first parameter of a method
of the class, the class itself by name, a module name not bound in any enclosing scope), and a
growth site is assumed wherever a use of the same name could grow (any receiver, any alias). When
unsure, the definition stays a candidate.
"""

from __future__ import annotations

import ast
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Set, Tuple, Union

from memfix.astindex import DEFINITIONS, FUNCTIONS, AstIndex, child_nodes, statement_lists
from memfix.fixers._growth_sites import aliased, augmented_target, grown_receiver, rebinds_to_copy, targets_and_value
from memfix.fixers._growth_vocab import BOUND_METHODS

Position = Tuple[int, int]
Key = Tuple[str, str]  # ("attr", name) or ("name", name)

_DEFS, _FUNCS = DEFINITIONS, FUNCTIONS
_INITS = ("__init__", "__post_init__")


def _position(node: ast.AST) -> Position:
    return (node.lineno, node.col_offset)  # type: ignore[attr-defined]


def _first(stmt: ast.stmt) -> Position:
    """Where a statement starts, decorators included."""
    start = _position(stmt)
    for decorator in getattr(stmt, "decorator_list", ()) or ():
        start = min(start, (decorator.lineno, decorator.col_offset - 1))
    return start


@dataclass(eq=False)
class Frame:
    """A function or class, with the span of its body (its header belongs to the scope around)."""

    node: ast.stmt
    parent: Optional["Frame"]
    start: Position
    end: Position

    @property
    def is_class(self) -> bool:
        return isinstance(self.node, ast.ClassDef)

    def holds(self, position: Position) -> bool:
        return self.start <= position < self.end

    def function(self) -> Optional["Frame"]:
        """The innermost function at or around this frame (the analysis's ``function_of``)."""
        frame: Optional[Frame] = self
        while frame is not None and frame.is_class:
            frame = frame.parent
        return frame


@dataclass
class _Own:
    """The names a scope binds (a superset: comprehension targets too) and declares."""

    bound: Set[str] = field(default_factory=set)
    globals: Set[str] = field(default_factory=set)
    nonlocals: Set[str] = field(default_factory=set)


#: the scope a name resolves to: a frame, the module (None), or not known for certain
_UNSURE = "unsure"
Scope = Union[Frame, None, str]


class Scopes:
    """Functions and classes of one file by body span, and name resolution over them, after
    Python's rules (a class body is not visible from the functions in it)."""

    def __init__(self, index: AstIndex) -> None:
        self.index = index
        frames: List[Frame] = []
        stack: List[Tuple[ast.stmt, Optional[Frame]]] = [(s, None) for s in reversed(index.tree.body)]
        while stack:
            stmt, parent = stack.pop()
            if isinstance(stmt, _DEFS):
                end = (stmt.end_lineno or stmt.lineno, stmt.end_col_offset or 0)
                frame = Frame(stmt, parent, _first(stmt.body[0]), end)
                frames.append(frame)
                stack.extend((inner, frame) for inner in reversed(stmt.body))
            else:
                for block in reversed(statement_lists(stmt)):
                    stack.extend((inner, parent) for inner in reversed(block))
        frames.sort(key=lambda f: f.start)
        self.frames = frames
        self._starts = [f.start for f in frames]
        self._own: Dict[int, _Own] = {}
        self._classes: Optional[Set[Tuple[str, int]]] = None
        self._by_node: Optional[Dict[int, Frame]] = None

    def frame_of(self, node: ast.stmt) -> Optional[Frame]:
        """The frame of a function or class statement."""
        if self._by_node is None:
            self._by_node = {id(f.node): f for f in self.frames}
        return self._by_node.get(id(node))

    def at(self, node: ast.AST) -> Optional[Frame]:
        """The innermost function or class whose body holds ``node`` (None: module level)."""
        position = _position(node)
        index = bisect_right(self._starts, position) - 1
        frame = self.frames[index] if index >= 0 else None
        while frame is not None and not frame.holds(position):
            frame = frame.parent
        return frame

    def own(self, frame: Frame) -> _Own:
        found = self._own.get(id(frame))
        if found is not None:
            return found
        own = self._own[id(frame)] = _Own()
        node = frame.node
        if isinstance(node, _FUNCS):
            args = node.args
            own.bound.update(a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs))
            own.bound.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
        todo: List[ast.AST] = list(node.body)
        while todo:
            child = todo.pop()
            if isinstance(child, _DEFS):
                own.bound.add(child.name)
                todo.extend(child.decorator_list)  # evaluated here: a walrus there binds here
                if isinstance(child, ast.ClassDef):
                    todo.extend((*child.bases, *child.keywords))
                else:
                    todo.extend(d for d in (*child.args.defaults, *child.args.kw_defaults) if d is not None)
                continue
            if isinstance(child, ast.Lambda):
                todo.extend(d for d in (*child.args.defaults, *child.args.kw_defaults) if d is not None)
                continue
            if isinstance(child, ast.Name):
                if not isinstance(child.ctx, ast.Load):
                    own.bound.add(child.id)
                continue
            if isinstance(child, ast.alias):
                own.bound.add((child.asname or child.name).split(".")[0])
            elif isinstance(child, ast.Global):
                own.globals.update(child.names)
            elif isinstance(child, ast.Nonlocal):
                own.nonlocals.update(child.names)
            else:
                for name in ("name", "rest"):  # except ... as e, match captures
                    value = getattr(child, name, None)
                    if isinstance(value, str):
                        own.bound.add(value)
            todo.extend(child_nodes(child))  # ast.iter_child_nodes but the childless leaves
        return own

    def resolve(self, name: str, frame: Optional[Frame]) -> Scope:
        """The scope a name read in ``frame``'s body binds to (lambda and comprehension scopes are
        the caller's concern)."""
        first = True
        while frame is not None:
            if not (frame.is_class and not first):
                own = self.own(frame)
                if name in own.globals:
                    return None
                if name in own.nonlocals:
                    return _UNSURE
                if name in own.bound:
                    return frame
            frame = frame.parent
            first = False
        return None

    def binding_scope(self, name: str, frame: Optional[Frame]) -> Scope:
        """The scope a binding of ``name`` made in ``frame``'s own body lands in."""
        if frame is None:
            return None
        own = self.own(frame)
        if name in own.globals:
            return None
        if name in own.nonlocals:
            return _UNSURE
        return frame

    def classes_named(self, name: str, scope: Optional[Frame]) -> bool:
        """A ``class name:`` written directly in ``scope`` (None: module level)."""
        if self._classes is None:
            self._classes = {(f.node.name, _scope_id(f.parent)) for f in self.frames if f.is_class}  # type: ignore[attr-defined]
        return (name, _scope_id(scope)) in self._classes


@dataclass(frozen=True)
class Site:
    """Where a use of a name or attribute may grow the container: at ``node``; ``alias``: the
    value of an assignment, so growth may follow through the new name anywhere in its scope."""

    node: ast.AST
    alias: bool = False


@dataclass
class GrowthUses:
    """The uses of one file that decide whether a growth definition can be reported."""

    scopes: Scopes
    #: every place a use of the key could grow its container (a superset)
    grows: Dict[Key, List[Site]] = field(default_factory=dict)
    #: (class name, attribute) -> the statements (ids) where the container of that class is
    #: certainly bounded or made opaque
    bounded_attrs: Dict[Tuple[str, str], Set[int]] = field(default_factory=dict)
    #: attribute -> the same for every container of that name (a receiver of unknown type)
    bounded_any: Dict[str, Set[int]] = field(default_factory=dict)
    #: (id of the scope's frame or 0 for the module, name) -> the same for a variable
    bounded_names: Dict[Tuple[int, str], Set[int]] = field(default_factory=dict)
    #: names some lambda or comprehension binds: a read of one may not be the container
    shadowable: FrozenSet[str] = frozenset()
    #: names declared global or nonlocal somewhere
    shared: FrozenSet[str] = frozenset()
    #: names of classes some decorator may make a dataclass (fields are instance attributes)
    dataclasses: FrozenSet[str] = frozenset()
    #: id of a Name node -> it is the function of a call
    called: FrozenSet[int] = frozenset()
    _reads: Optional[Dict[str, List[Position]]] = None
    _strings: Optional[List[Tuple[Position, str]]] = None
    _function_spans: Optional[List[Tuple[Position, Position]]] = None
    #: id of a function's frame -> it runs only at import (one answer per function, not per site)
    _import_only: Dict[int, bool] = field(default_factory=dict)

    def in_some_function(self, node: ast.AST) -> bool:
        """``node`` lies in a function definition, its decorators, defaults and annotations
        included (where the analysis's ``function_of`` finds a FunctionDef among the ancestors)."""
        if self._function_spans is None:
            self._function_spans = [
                (_first(f.node), (f.node.end_lineno or f.node.lineno, f.node.end_col_offset or 0))  # type: ignore[attr-defined]
                for f in self.scopes.frames
                if isinstance(f.node, _FUNCS)
            ]
        position = _position(node)
        return any(start <= position < end for start, end in self._function_spans)

    def reads(self, name: str) -> List[Position]:
        """Where ``name`` is read other than as the function of a call."""
        if self._reads is None:
            self._reads = {}
            for node in self.scopes.index.nodes(ast.Name):
                if isinstance(node.ctx, ast.Load) and id(node) not in self.called:
                    self._reads.setdefault(node.id, []).append(_position(node))
        return self._reads.get(name, [])

    def strings(self) -> List[Tuple[Position, str]]:
        """Strings libcst's scope analysis may read as code (a string annotation, a ``cast`` type):
        those that parse, since it drops the ones that do not."""
        if self._strings is None:
            self._strings = [
                (_position(node), node.value)
                for node in self.scopes.index.nodes(ast.Constant)
                if isinstance(node.value, str) and _parses(node.value)
            ]
        return self._strings

    def bounded(self, key: object, table: Dict, statement: ast.stmt) -> bool:  # type: ignore[type-arg]
        return bool(table.get(key, set()) - {id(statement)})


def key_of(node: ast.AST) -> Optional[Key]:
    """How the growth filters and the analysis file a container: by attribute or by name."""
    if isinstance(node, ast.Attribute):
        return ("attr", node.attr)
    if isinstance(node, ast.Name):
        return ("name", node.id)
    return None


def _scope_id(scope: Optional[Frame]) -> int:
    return 0 if scope is None else id(scope)


def _parses(text: str) -> bool:
    if not text.strip() or not any(c.isidentifier() for c in text):
        return False
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        # libcst's parser may still take what this interpreter's grammar does not; only prose
        # (words separated by spaces, no operator between them) is certainly no code
        return not _prose(text)
    except (RecursionError, MemoryError):
        return True
    return True


def _prose(text: str) -> bool:
    words = text.split()
    if words and words[0] in ("type", "match", "case"):  # soft keywords of newer grammars
        return False
    return len(words) > 1 and any(a[-1:].isalnum() and b[:1].isalnum() for a, b in zip(words, words[1:]))


def _positional(function: ast.stmt) -> List[ast.arg]:
    args = function.args  # type: ignore[attr-defined]
    return [*args.posonlyargs, *args.args]


def _unknown_value(value: ast.expr) -> bool:
    """``_class_of_value`` gives ``<unknown>``: not a literal and not a call of a plain name (which
    may be a class)."""
    if isinstance(value, (ast.Constant, ast.List, ast.Dict, ast.Tuple, ast.Set, ast.JoinedStr)):
        return False
    return not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name))


#: a receiver of a type the analysis cannot name: its uses reach every container of the attribute
ANY = "<any class>"


class _Collector:
    def __init__(self, index: AstIndex, wanted: FrozenSet[Key]) -> None:
        self.index = index
        self.wanted = wanted
        self.scopes = Scopes(index)
        self._unknown: Optional[Dict[int, Set[str]]] = None
        self._typed_init: Optional[Set[str]] = None
        shadowable: Set[str] = set()
        for comp in index.nodes(ast.comprehension):
            shadowable |= {n.id for n in ast.walk(comp.target) if isinstance(n, ast.Name)}
        for lam in index.nodes(ast.Lambda):
            args = lam.args
            shadowable |= {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg) if a}
        shadowable |= {n.target.id for n in index.nodes(ast.NamedExpr) if isinstance(n.target, ast.Name)}
        dataclasses = {
            c.name for c in index.nodes(ast.ClassDef) if any("dataclass" in index.spelled(d) for d in c.decorator_list)
        }
        self.uses = GrowthUses(
            self.scopes,
            shadowable=frozenset(shadowable),
            shared=frozenset(name for node in index.nodes(ast.Global, ast.Nonlocal) for name in node.names),  # type: ignore[attr-defined]
            dataclasses=frozenset(dataclasses),
            called=frozenset(id(c.func) for c in index.nodes(ast.Call) if isinstance(c.func, ast.Name)),
        )

    # -- growth sites ---------------------------------------------------------------------------

    def grow(self, node: ast.AST, alias: bool = False) -> None:
        key = key_of(node)
        if key in self.wanted:
            self.uses.grows.setdefault(key, []).append(Site(node, alias))

    # -- bounds ---------------------------------------------------------------------------------

    def bound(self, expr: ast.expr, at: ast.AST, read: bool, rebind: bool = False) -> None:
        """``expr`` (``recv.attr`` or ``name``) is certainly bounded or made opaque at ``at``.
        ``read``: a read of ``expr`` (resolved as a read); else a binding of the name made by a
        statement. ``rebind``: an attribute re-bind, which counts outside ``__init__`` only."""
        if key_of(expr) not in self.wanted:
            return
        frame = self.scopes.at(at)
        if isinstance(expr, ast.Attribute):
            owner = self.receiver_class(expr.value, frame)
            if owner is None:
                return
            if rebind:
                function = frame.function() if frame is not None else None
                if function is not None and function.node.name in _INITS:  # type: ignore[attr-defined]
                    return  # may be the building __init__ (set twice there: not a bound)
            if owner == ANY:
                self.uses.bounded_any.setdefault(expr.attr, set()).add(id(at))
            else:
                self.uses.bounded_attrs.setdefault((owner, expr.attr), set()).add(id(at))
        elif isinstance(expr, ast.Name):
            if read:
                if expr.id in self.uses.shadowable:
                    return
                scope = self.scopes.resolve(expr.id, frame)
            else:
                scope = self.scopes.binding_scope(expr.id, frame)
            if scope != _UNSURE:
                self.uses.bounded_names.setdefault((_scope_id(scope), expr.id), set()).add(id(at))  # type: ignore[arg-type]

    def receiver_class(self, receiver: ast.expr, frame: Optional[Frame]) -> Optional[str]:
        """The class a receiver certainly stands for as the analysis's ``class_of`` finds it, or
        ``ANY`` when its type is certainly unknown to it (such a use reaches every container of the
        attribute's name), or None."""
        if isinstance(receiver, ast.Attribute):
            # `holder.attr`: unknown when the holder is, or when the holder's class sets no
            # `.attr` in an __init__ to something whose class the analysis could name
            holder = self.receiver_class(receiver.value, frame)
            if holder == ANY or (holder is not None and receiver.attr not in self.typed_init_attrs()):
                return ANY
            return None
        if not isinstance(receiver, ast.Name):
            return None
        scope = self.scopes.resolve(receiver.id, frame)
        if scope == _UNSURE:
            return None
        if receiver.id in self.unknown_bindings(scope):  # type: ignore[arg-type]
            return ANY  # one binding of unknown type makes the whole name unknown
        # `self` (`cls`): the unannotated first parameter of a method, read where it resolves to
        # it (in the method or a function nested in it); a lambda or comprehension re-binding
        # it, or another binding in the method, makes the type unknown, which counts as well
        if isinstance(scope, Frame) and not scope.is_class and scope.parent is not None and scope.parent.is_class:
            params = _positional(scope.node)
            if params and params[0].arg == receiver.id:
                return scope.parent.node.name if params[0].annotation is None else None  # type: ignore[attr-defined]
        # the class by its name, bound by a class statement where the name resolves
        if self.scopes.classes_named(receiver.id, scope):  # type: ignore[arg-type]
            return receiver.id
        return None

    def unknown_bindings(self, scope: Optional[Frame]) -> Set[str]:
        """Names ``scope`` (None: the module) certainly binds to something of a type the analysis
        cannot name (``_class_of_assignment`` gives ``<unknown>``): unannotated parameters (not a
        method's first), loop and ``with`` targets, ``name = <call of an attribute, attribute,
        subscript, name...>``."""
        if self._unknown is None:
            table: Dict[int, Set[str]] = {}
            for frame in self.scopes.frames:
                if not frame.is_class:
                    args = frame.node.args  # type: ignore[attr-defined]
                    params = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
                    first = _positional(frame.node)[:1] if frame.parent is not None and frame.parent.is_class else []
                    table[id(frame)] = {a.arg for a in params if a is not None and a.annotation is None and a not in first}
            for placed in self.index.simple_statements():
                stmt = placed.stmt
                if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None and _unknown_value(stmt.value):
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    names = {t.id for t in targets if isinstance(t, ast.Name)}
                    table.setdefault(self._frame_id(placed.frame), set()).update(names)
            for node in self.index.nodes(ast.For, ast.AsyncFor, ast.With, ast.AsyncWith):
                targets = [node.target] if isinstance(node, (ast.For, ast.AsyncFor)) else [i.optional_vars for i in node.items]  # type: ignore[attr-defined]
                at = self.scopes.at(node)
                names = {
                    n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
                }
                table.setdefault(_scope_id(at), set()).update(names)
            self._unknown = table
        return self._unknown.get(_scope_id(scope), set())

    def _frame_id(self, node: Optional[ast.stmt]) -> int:
        if node is None:
            return 0
        frame = self.scopes.frame_of(node)
        return id(frame) if frame is not None else -1

    def typed_init_attrs(self) -> Set[str]:
        """Attributes some ``__init__`` sets to a value the analysis may give a class."""
        if self._typed_init is None:
            self._typed_init = set()
            for placed in self.index.simple_statements():
                stmt = placed.stmt
                function = placed.frame if isinstance(placed.frame, _FUNCS) else None
                if function is None or function.name not in _INITS or not isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                    continue
                if stmt.value is None or _unknown_value(stmt.value):
                    continue
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                self._typed_init.update(t.attr for t in targets if isinstance(t, ast.Attribute))
        return self._typed_init

    # -- the walk -------------------------------------------------------------------------------

    def collect(self) -> GrowthUses:
        """The growth sites of the wanted keys are the shapes of memfix.fixers._growth_sites read
        wide (a superset: a missed site would dismiss what the analysis reports): any augmented
        assignment (``x -= v`` too), any re-bind whose value spells the name (``x = sorted(x)``
        too, which the analysis takes as a bound), every alias but a function's local that
        nothing there grows (:func:`names_grown_in`)."""
        index = self.index
        for node in index.nodes(ast.Attribute):
            value = node.value
            if grown_receiver(node) is not None:
                self.grow(value)
            elif node.attr in BOUND_METHODS and isinstance(value, (ast.Attribute, ast.Name)):
                self.bound(value, node, read=True)  # .clear() / .pop ...: called or handed out
        for placed in index.simple_statements():
            stmt = placed.stmt
            augmented = augmented_target(stmt, exact=False)
            if augmented is not None:
                self.grow(augmented)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                self.assignment(stmt, placed.frame)
            elif isinstance(stmt, ast.Delete):
                for target in stmt.targets:
                    held = target.value if isinstance(target, ast.Subscript) else target
                    if isinstance(held, (ast.Attribute, ast.Name)):
                        self.bound(held, stmt, read=True)
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                for alias in stmt.names:
                    bound = (alias.asname or alias.name).split(".")[0]
                    self.bound(ast.Name(bound, ast.Store(), lineno=stmt.lineno, col_offset=stmt.col_offset), stmt, read=False)
        for loop in index.nodes(ast.For, ast.AsyncFor):
            for target in ast.walk(loop.target):  # type: ignore[attr-defined]
                if isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store):
                    self.bound(target, loop, read=False)
        for definition in index.nodes(*_DEFS):
            name = ast.Name(definition.name, ast.Store(), lineno=definition.lineno, col_offset=definition.col_offset)  # type: ignore[attr-defined]
            self.bound(name, definition, read=False)
        return self.uses

    def assignment(self, stmt: Union[ast.Assign, ast.AnnAssign], frame: Optional[ast.stmt]) -> None:
        assigned = targets_and_value(stmt)
        if assigned is None:
            return
        targets, value = assigned
        for target in targets:
            if isinstance(target, (ast.Attribute, ast.Name)):
                if key_of(target) not in self.wanted:
                    continue
                if rebinds_to_copy(target, value, self.index.spelled, exact=False):
                    self.grow(target)  # x = x + [v], x = [*x, v]: growth by a copy
                else:
                    self.bound(target, stmt, read=False, rebind=True)
            elif isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Slice):
                if isinstance(target.value, (ast.Attribute, ast.Name)):
                    self.bound(target.value, stmt, read=True)  # x[a:b] = ...: re-filled
            elif isinstance(target, (ast.Tuple, ast.List)):
                for element in target.elts:
                    if isinstance(element, ast.Name):
                        self.bound(element, stmt, read=False)  # a, x = ...: re-bound
        if aliased(value):
            # `h = self.items` in a function: the analysis follows the local `h` to its uses in
            # the function (closures included), so the alias grows the container only if `h` is
            # grown there; any other store is taken as a possible growth, as before
            local = targets[0].id if len(targets) == 1 and isinstance(targets[0], ast.Name) and isinstance(frame, _FUNCS) else None
            if key_of(value) in self.wanted and (local is None or local in names_grown_in(self.index, frame)):  # type: ignore[arg-type]
                self.grow(value, alias=True)
            # stored where the analysis does not follow: not one plain local of a function
            if len(targets) > 1 or not isinstance(targets[0], ast.Name) or not isinstance(frame, _FUNCS):
                self.bound(value, stmt, read=True)
        elif isinstance(value, (ast.Tuple, ast.List)) and isinstance(stmt, ast.Assign):
            for element in value.elts:
                if isinstance(element, (ast.Attribute, ast.Name)):
                    self.bound(element, stmt, read=True)  # a, b = x, y: bound to another name


def names_grown_in(index: AstIndex, function: ast.stmt) -> FrozenSet[str]:
    """The plain names a use inside ``function`` (its closures included) may grow through, in the
    shapes of memfix.fixers._growth_sites: called with a growth method, augmented (any operator:
    wider than the analysis, which only keeps more files), re-bound to a copy that spells them
    (``h = h + [v]``, as the analysis reads it: the alias it follows is a local assigned once, so
    a re-bind ends the alias rather than growing it), or aliased again (``g = h``: followed no
    further here, so any alias of the name counts as its growth)."""
    known: Dict[int, FrozenSet[str]] = index.memo("names-grown-in", lambda _: {})
    names = known.get(id(function))
    if names is None:
        found: Set[str] = set()
        for node in ast.walk(function):
            receiver = grown_receiver(node)
            if receiver is None:
                receiver = augmented_target(node, exact=False)
            if receiver is not None:
                if isinstance(receiver, ast.Name):
                    found.add(receiver.id)
                continue
            assigned = targets_and_value(node)
            if assigned is None:
                continue
            targets, value = assigned
            if aliased(value):
                if isinstance(value, ast.Name):
                    found.add(value.id)
            else:
                found.update(
                    t.id for t in targets if isinstance(t, ast.Name) and rebinds_to_copy(t, value, index.spelled, exact=True)
                )
        names = known[id(function)] = frozenset(found)
    return names


def growth_uses(tree: Union[ast.Module, AstIndex], wanted: FrozenSet[Key]) -> GrowthUses:
    """The uses of the keys in ``wanted`` (the same set for every call on one index: the keys of
    every definition the growth filters start from)."""
    return AstIndex.of(tree).memo("growth-uses", lambda index: _Collector(index, wanted).collect())


# -------------------------------------------------------------------------------------------------
# the verdict for one definition


def dismissed(
    uses: GrowthUses, owner: str, key: Key, class_name: Optional[str], statement: ast.stmt
) -> Optional[str]:
    """Why the analysis cannot report the container ``statement`` defines (None: it may).

    ``owner``: ``instance`` (``self.x = []`` in ``__init__``), ``class`` (a class body),
    ``global`` (module level) or ``closure`` (a function's local)."""
    name = key[1]
    scopes = uses.scopes
    frame = scopes.at(statement)
    if owner in ("instance", "class"):
        if uses.bounded(name, uses.bounded_any, statement) or (
            class_name is not None and uses.bounded((class_name, name), uses.bounded_attrs, statement)
        ):
            return "bounded"
        sites = uses.grows.get(("attr", name), [])
        if owner == "class" and class_name in uses.dataclasses:
            return None if sites else "never grown"  # a field: growth counts anywhere
        if owner == "class":
            return "grown only at import" if all(_at_import(uses, s.node) for s in sites) else None
        builder = frame.function() if frame is not None else None
        if builder is None:
            return None
        for site in sites:
            at = scopes.at(site.node)
            if (at.function() if at is not None else None) is not builder:
                return None
            if site.alias and any(f.parent is not None and _within(f, builder) for f in scopes.frames if not f.is_class):
                return None  # the alias may be grown by a nested function
        return "grown only in __init__"
    if owner == "global":
        if uses.bounded((0, name), uses.bounded_names, statement):
            return "bounded"
        for site in uses.grows.get(("name", name), []):
            if name not in uses.shadowable and isinstance(scopes.resolve(name, scopes.at(site.node)), Frame):
                continue  # a function's own local of that name, not the module's list
            if not _at_import(uses, site.node):
                return None
        return "grown only at import"
    if owner == "closure":
        if frame is None or frame.is_class or name in uses.shared:
            return None
        if uses.bounded((id(frame), name), uses.bounded_names, statement):
            return "bounded"
        for site in uses.grows.get(("name", name), []):
            position = _position(site.node)
            if not frame.holds(position):
                continue  # another function's name: not this local (no global/nonlocal of it)
            at = scopes.at(site.node)
            function = at.function() if at is not None else None
            if function is frame:
                if site.alias:
                    return None  # the alias may be grown by a nested function
                continue
            if function is None or not _stays_inside(uses, function, frame):
                return None
        return "grown only while its function runs"
    return None


def _within(frame: Frame, outer: Frame) -> bool:
    parent = frame.parent
    while parent is not None:
        if parent is outer:
            return True
        parent = parent.parent
    return False


def _at_import(uses: GrowthUses, node: ast.AST) -> bool:
    """``node`` runs only while the module is imported: outside every function, or in a
    module-level helper that only import-time code calls (``GrowthAnalysis._counts_as_growth``)."""
    at = uses.scopes.at(node)
    function = at.function() if at is not None else None
    if function is None:
        return True
    known = uses._import_only.get(id(function))
    if known is None:
        known = uses._import_only[id(function)] = _runs_only_at_import(uses, function)
    return known


def _runs_only_at_import(uses: GrowthUses, function: Frame) -> bool:
    """A module-level function whose name is only called outside every function (decorators,
    defaults and annotations of a function count as inside it) or used as the decorator of a
    module-level definition, as ``GrowthAnalysis._runs_only_at_import`` reads it. Anything else
    (a read of the name, a ``global`` of it, a string that may name it, no use at all) keeps it
    a runtime function."""
    node = function.node
    index = uses.scopes.index
    if function.parent is not None or not isinstance(node, _FUNCS) or not any(stmt is node for stmt in index.tree.body):
        return False  # the analysis asks for a function whose parent is the module itself
    name = node.name
    if name in uses.shared or uses.reads(name) and not _only_decorators(uses, name):
        return False
    if any(name in text for _, text in uses.strings()):
        return False
    calls: List[ast.AST] = [c for c in index.nodes(ast.Call) if isinstance(c.func, ast.Name) and c.func.id == name]
    # `del helper` once the module is built is a use too
    deleted = [n for d in index.nodes(ast.Delete) for t in d.targets for n in ast.walk(t) if isinstance(n, ast.Name) and n.id == name]
    if not calls and not deleted and not uses.reads(name):
        return False  # never used here: called from elsewhere, at any time
    return not any(uses.in_some_function(use) for use in (*calls, *deleted))


def _only_decorators(uses: GrowthUses, name: str) -> bool:
    """Every read of ``name`` (other than calls) is the decorator of a top-level definition."""
    top_level = [
        d for stmt in uses.scopes.index.tree.body if isinstance(stmt, _DEFS) for d in stmt.decorator_list
    ]
    positions = {_position(d) for d in top_level if isinstance(d, ast.Name) and d.id == name}
    return all(read in positions for read in uses.reads(name))


def _stays_inside(uses: GrowthUses, function: Frame, owner: Frame) -> bool:
    """``function`` (nested in ``owner``) is only called while ``owner`` runs: the function
    directly under ``owner`` holding it is undecorated and its name is only ever called
    (``_escaping_closure``)."""
    nested: Optional[Frame] = function
    while nested is not None:
        around = nested.parent.function() if nested.parent is not None else None
        if around is owner:
            break
        nested = around
    if nested is None:
        return False
    node = nested.node
    if node.decorator_list or node.name in uses.shared:  # type: ignore[attr-defined]
        return False
    name = node.name  # type: ignore[attr-defined]
    if any(owner.holds(read) for read in uses.reads(name)):
        return False
    # a string annotation naming it is a reference for libcst's scope analysis
    return not any(name in text and owner.holds(where) for where, text in uses.strings())


__all__ = ["GrowthUses", "Scopes", "dismissed", "growth_uses"]
