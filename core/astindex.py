"""One walk of a file's ``ast`` tree, shared by every rule's pre-filter.

Eleven filters each walking the tree with ``ast.walk`` cost four times the ``ast.parse`` they
filter; one walk that files every node under its class, read by all of them, costs a third of it.
Everything here is computed on first use and kept for the life of the index (one file).

The walks here (and memfix.limits' depth guard) read each ``ast`` class's fields from one table
(:class:`Shape`): which fields can hold nodes, which spell identifiers, which hold blocks. Testing
every field of every node, and visiting the ``Load``/``Add`` singletons that make up a third of
the nodes, cost more than the work itself.
"""

from __future__ import annotations

import ast
from bisect import bisect_left
from typing import Callable, Dict, FrozenSet, List, NamedTuple, Optional, Set, Tuple, Type, TypeVar, Union

N = TypeVar("N", bound=ast.AST)
M = TypeVar("M")

#: the statements that define a function, and those that define a function or a class
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
DEFINITIONS = (*FUNCTIONS, ast.ClassDef)
_FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


class Placed(NamedTuple):
    """A simple statement and what is around it, as the filters that follow definitions need it.

    A named tuple (immutable, like the frozen dataclass it was): one is made for every simple
    statement of a file, and a frozen dataclass costs five ``object.__setattr__`` calls each."""

    stmt: ast.stmt
    class_name: Optional[str]  # the innermost class around it
    frame: Optional[ast.stmt]  # the innermost function or class around it (None: module level)
    outer: Optional[ast.stmt]  # the outermost function around it
    method: bool  # the frame is a function written directly in a class body


class AstIndex:
    """The nodes of one ``ast.Module`` by class, and the identifiers each definition spells."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self._by_class: Optional[Dict[type, List[ast.AST]]] = None
        self._spelled: Dict[int, FrozenSet[str]] = {}
        self._own: Dict[int, FrozenSet[str]] = {}  # statement -> what it spells outside its blocks
        self._functions: Optional[Tuple[List[Tuple[int, int]], List[ast.AST]]] = None  # by position
        self._nested_spelled: Dict[int, FrozenSet[str]] = {}
        self._units: Optional[List[ast.stmt]] = None
        self._memo: Dict[str, object] = {}
        #: once the nodes are filed (:meth:`nodes`): no path from the root is longer, counting the
        #: context and operator leaves the walk skips (memfix.limits.ast_depth_exceeds's depth)
        self.depth_bound: Optional[int] = None

    @classmethod
    def of(cls, tree_or_index: Union[ast.Module, "AstIndex"]) -> "AstIndex":
        """Filters accept a bare tree too (tests call them with ``ast.parse(...)``)."""
        return tree_or_index if isinstance(tree_or_index, AstIndex) else cls(tree_or_index)

    def nodes(self, *classes: Type[N]) -> List[N]:
        """Every node of the given classes (exact classes, as ``ast`` has no useful subclasses)."""
        by_class = self._by_class
        if by_class is None:
            by_class = self._by_class = self._walk()
        if any(issubclass(kind, _LEAF_CLASSES) for kind in classes):
            return [n for n in ast.walk(self.tree) if n.__class__ in classes]  # type: ignore[misc]
        if len(classes) == 1:
            return list(by_class.get(classes[0], ()))  # type: ignore[arg-type]
        found: List[N] = []
        for kind in classes:
            found.extend(by_class.get(kind, ()))  # type: ignore[arg-type]
        return found

    def _walk(self) -> Dict[type, List[ast.AST]]:
        """Every node but the childless context and operator singletons (a third of all nodes,
        and never asked for: :meth:`nodes` finds them with a walk of its own), filed in the
        order of the depth-first walk this index has always used. It inlines :func:`child_nodes`
        (and so does ``_spell_into``): a call and a list per node cost this walk a third more."""
        by_class: Dict[type, List[ast.AST]] = {}
        stack: List[ast.AST] = [self.tree]
        depths: List[int] = [1]  # the depth of each node on the stack
        pop, push, extend = stack.pop, stack.append, stack.extend
        depth_of, depth_push = depths.pop, depths.append
        deepest = 1
        AST = ast.AST
        children_of = CHILDREN.get
        while stack:
            node = pop()
            below = depth_of() + 1
            if below > deepest:
                deepest = below
            kind = node.__class__
            bucket = by_class.get(kind)
            if bucket is None:
                by_class[kind] = [node]
            else:
                bucket.append(node)
            children = children_of(kind)
            if children is None:
                children = shape_of(kind).children
            for name in children:
                value = getattr(node, name, None)
                if value.__class__ is list:
                    if value:
                        if isinstance(value[0], AST) and None not in value:
                            extend(value)  # the common case: a list of nodes only
                            depths += [below] * len(value)
                        else:
                            items = [item for item in value if isinstance(item, AST)]
                            extend(items)
                            depths += [below] * len(items)
                elif isinstance(value, AST):
                    push(value)
                    depth_push(below)
        # the deepest level below a node, plus the one its context or operator leaves would be
        self.depth_bound = deepest
        return by_class

    def spelled(self, node: ast.AST) -> FrozenSet[str]:
        """The identifiers ``node`` spells (names, attributes, parameters, ``global`` names...).

        A statement's set is built from its own parts and its inner statements' sets, so asking
        about a class and then each of its methods walks every node once, not once per level."""
        key = id(node)
        names = self._spelled.get(key)
        if names is None:
            if isinstance(node, ast.stmt):
                names = self._statement_spelled(node)
            else:
                found: Set[str] = set()
                _spell_into(found, [node])
                names = self._spelled[key] = frozenset(found)
        return names

    def nested_functions(self, function: ast.AST) -> List[ast.AST]:
        """The functions and lambdas anywhere inside ``function`` (decorators, defaults and
        annotations included), found by position among the index's functions: source nesting is
        tree nesting, so no walk of ``function`` is needed."""
        if self._functions is None:
            found = sorted(self.nodes(*_FUNCTION_NODES), key=lambda n: (n.lineno, n.col_offset))  # type: ignore[attr-defined]
            self._functions = ([(n.lineno, n.col_offset) for n in found], found)  # type: ignore[attr-defined]
        starts, functions = self._functions
        decorators = getattr(function, "decorator_list", ())
        start = min([(function.lineno, function.col_offset)] + [(d.lineno, d.col_offset) for d in decorators])  # type: ignore[attr-defined]
        end = (function.end_lineno, function.end_col_offset)  # type: ignore[attr-defined]
        inside = []
        for position in range(bisect_left(starts, start), len(starts)):
            if starts[position] >= end:
                break
            if functions[position] is not function:
                inside.append(functions[position])
        return inside

    def nested_spelled(self, function: ast.AST) -> FrozenSet[str]:
        """The identifiers the functions and lambdas nested in ``function`` spell."""
        key = id(function)
        names = self._nested_spelled.get(key)
        if names is None:
            names = self._nested_spelled[key] = frozenset().union(*(self.spelled(n) for n in self.nested_functions(function)))
        return names

    def own_spelled(self, stmt: ast.stmt) -> FrozenSet[str]:
        """The identifiers a statement spells outside its inner statements (a class's bases and
        decorators, an ``if``'s test...)."""
        self._statement_spelled(stmt)
        return self._own[id(stmt)]

    def _statement_spelled(self, stmt: ast.stmt) -> FrozenSet[str]:
        """Post-order over the compound statements under ``stmt``, iterative (nesting can be
        deep). A simple statement inside is spelled straight into the set of the statement
        holding it: most statements are simple, and a set of each is never asked for (a
        simple statement asked about directly gets its own)."""
        spelled, own_sets = self._spelled, self._own
        stack: List[Tuple[ast.stmt, List[List[ast.stmt]], bool]] = [(stmt, statement_lists(stmt), False)]
        while stack:
            current, blocks, ready = stack.pop()
            key = id(current)
            if key in spelled:
                continue
            if not blocks:
                names: Set[str] = set()
                _spell_into(names, [current])
                own_sets[key] = spelled[key] = frozenset(names)
                continue
            if not ready:
                stack.append((current, blocks, True))
                for block in blocks:
                    for inner in block:
                        if id(inner) not in spelled:
                            inner_blocks = statement_lists(inner)
                            if inner_blocks:
                                stack.append((inner, inner_blocks, False))
                continue
            own = _own_identifiers(current)
            own_sets[key] = frozenset(own)
            simple: List[ast.AST] = []
            for block in blocks:
                for inner in block:
                    done = spelled.get(id(inner))
                    if done is None:
                        simple.append(inner)  # the compound ones are done: post-order
                    else:
                        own |= done
            _spell_into(own, simple)
            spelled[key] = frozenset(own)
        return spelled[id(stmt)]

    def memo(self, key: str, compute: Callable[["AstIndex"], M]) -> M:
        """``compute(self)``, once per index: rules that share an analysis of the tree (the five
        growth rules) pay for it once."""
        if key not in self._memo:
            self._memo[key] = compute(self)
        return self._memo[key]  # type: ignore[return-value]

    def forget(self) -> None:
        """Drops the memoised analyses. They may refer back to this index (a reference cycle,
        which keeps the whole tree alive until the garbage collector walks it), so whoever made
        the index calls this once the filters are done."""
        self._memo.clear()

    def simple_statements(self) -> List[Placed]:
        """Every statement that is neither a definition nor a block, with its place, in source
        order (computed once per file)."""
        return self.memo("simple-statements", _placed)

    def units(self) -> List[ast.stmt]:
        """The definitions no other definition holds: top-level functions and classes, also those
        under a module-level ``if``/``try``/``with``, in source order."""
        if self._units is None:
            self._units = outermost(self.tree.body)
        return self._units


_IDENTIFIER_FIELDS = frozenset({"id", "attr", "arg", "name", "asname", "module", "names", "rest", "kwd_attrs"})
#: fields that hold only identifiers, numbers or strings in every ``ast`` class that has them
#: (tests/test_regions.py checks this against each class's ASDL signature); "name", "names" and
#: "value" are not among them: ``TypeAlias.name``, ``Import.names``, ``Assign.value`` hold nodes
_SCALAR_FIELDS = frozenset(
    {"id", "attr", "arg", "asname", "module", "level", "kind", "type_comment", "is_async", "conversion", "simple", "tag", "kwd_attrs"}
)
#: fields that hold only childless singletons (``Load``, ``Add``, ``Eq``...): a third of all nodes
LEAF_FIELDS = frozenset({"ctx", "op", "ops"})
_LEAF_CLASSES = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)
#: a compound statement's blocks, in the order statement_lists gives them
_BLOCK_FIELDS = ("body", "orelse", "finalbody")
_CLAUSE_FIELDS = ("handlers", "cases")


class Shape(NamedTuple):
    """What the walks need of an ``ast`` class, looked up once per class instead of testing every
    field of every node (``ast.walk``'s generators cost more than the work)."""

    #: fields that may hold nodes other than leaves, in ``_fields`` order
    children: Tuple[str, ...]
    #: fields that may spell identifiers (strings, or the nodes of ``TypeAlias.name``)
    names: Tuple[str, ...]
    #: ``children`` that are not identifier fields
    others: Tuple[str, ...]
    #: the class has a leaf field (its nodes always have a child one level down)
    leaf: bool
    #: the fields that hold a compound statement's blocks, and the clauses holding blocks
    blocks: Tuple[str, ...]
    clauses: Tuple[str, ...]
    #: ``others`` without ``blocks`` and ``clauses``: a statement's own expressions
    header: Tuple[str, ...]


_SHAPES: Dict[type, Shape] = {}
#: ``shape_of(cls).children`` by class, for the walks' inner loops (a named tuple's attribute
#: costs as much as the lookup)
CHILDREN: Dict[type, Tuple[str, ...]] = {}


def shape_of(cls: type) -> Shape:
    """The :class:`Shape` of an ``ast`` class (computed on first use, kept for the process: it
    depends on the class only)."""
    shape = _SHAPES.get(cls)
    if shape is None:
        fields: Tuple[str, ...] = tuple(getattr(cls, "_fields", ()))
        children = tuple(f for f in fields if f not in _SCALAR_FIELDS and f not in LEAF_FIELDS)
        blocks = tuple(f for f in _BLOCK_FIELDS if f in fields)
        clauses = tuple(f for f in _CLAUSE_FIELDS if f in fields)
        others = tuple(f for f in children if f not in _IDENTIFIER_FIELDS)
        shape = _SHAPES[cls] = Shape(
            children=children,
            names=tuple(f for f in fields if f in _IDENTIFIER_FIELDS),
            others=others,
            leaf=any(f in LEAF_FIELDS for f in fields),
            blocks=blocks,
            clauses=clauses,
            header=tuple(f for f in others if f not in blocks and f not in clauses),
        )
        CHILDREN[cls] = children
    return shape


def _spell_into(seen: Set[str], stack: List[ast.AST]) -> None:
    """Add to ``seen`` every identifier spelled under the nodes of ``stack`` (consumed): names,
    attributes, parameters, keywords, imports (each dotted part), what libcst would represent
    as ``Name`` nodes."""
    pop, push, extend = stack.pop, stack.append, stack.extend
    add = seen.add
    AST = ast.AST
    shapes = _SHAPES
    while stack:
        node = pop()
        shape = shapes.get(node.__class__) or shape_of(node.__class__)
        for field in shape.names:
            value = getattr(node, field, None)
            if value is None:
                continue
            if value.__class__ is str:
                if value.isidentifier():
                    add(value)
                    continue
                value = [value]
            elif isinstance(value, AST):
                push(value)  # "name" of a type alias holds a node in 3.12
                continue
            elif value.__class__ is not list:
                continue
            for item in value:
                if isinstance(item, str):
                    for part in item.split("."):
                        if part.isidentifier():
                            add(part)
                elif isinstance(item, AST):
                    push(item)
        for field in shape.others:
            value = getattr(node, field, None)
            if value.__class__ is list:
                if value:
                    if isinstance(value[0], AST) and None not in value:
                        extend(value)
                    else:
                        extend([item for item in value if isinstance(item, AST)])
            elif isinstance(value, AST):
                push(value)


def _own_identifiers(stmt: ast.stmt) -> Set[str]:
    """The identifiers a statement spells outside its blocks (the statements of its blocks
    skipped), by not entering the blocks (an except clause's and a
    match case's own parts belong to the statement)."""
    shape = _SHAPES.get(stmt.__class__) or shape_of(stmt.__class__)
    seen: Set[str] = set()
    roots: List[ast.AST] = []
    for field in shape.header:
        value = getattr(stmt, field, None)
        if isinstance(value, ast.AST):
            roots.append(value)
        elif isinstance(value, list):
            roots.extend(v for v in value if isinstance(v, ast.AST))
    for field in shape.blocks:
        value = getattr(stmt, field, None)
        if isinstance(value, ast.AST):
            roots.append(value)  # not a block after all (a lambda's body)
        elif isinstance(value, list) and value and not isinstance(value[0], ast.stmt):
            roots.extend(v for v in value if isinstance(v, ast.AST))
    for field in shape.clauses:
        for clause in getattr(stmt, field, None) or ():
            clause_shape = shape_of(clause.__class__)
            for name in clause_shape.names:  # ``except E as name``
                value = getattr(clause, name, None)
                if isinstance(value, str):
                    seen.update(part for part in value.split(".") if part.isidentifier())
                elif isinstance(value, ast.AST):
                    roots.append(value)
            for name in clause_shape.others:
                if name == "body":
                    continue
                value = getattr(clause, name, None)
                if isinstance(value, ast.AST):
                    roots.append(value)
                elif isinstance(value, list):
                    roots.extend(v for v in value if isinstance(v, ast.AST))
    for name in shape.names:  # the statement's own: a definition's name, ``global`` names...
        value = getattr(stmt, name, None)
        if isinstance(value, str):
            seen.update(part for part in value.split(".") if part.isidentifier())
        elif isinstance(value, ast.AST):
            roots.append(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    seen.update(part for part in item.split(".") if part.isidentifier())
                elif isinstance(item, ast.AST):
                    roots.append(item)
    _spell_into(seen, roots)
    return seen


def _placed(index: "AstIndex") -> List[Placed]:
    found: List[Placed] = []
    # statement, class name, frame, outermost function, frame is a method
    Entry = Tuple[ast.stmt, Optional[str], Optional[ast.stmt], Optional[ast.stmt], bool]
    stack: List[Entry] = [(stmt, None, None, None, False) for stmt in reversed(index.tree.body)]
    make = tuple.__new__  # Placed(*entry) without the generated __new__'s call
    while stack:
        entry = stack.pop()
        stmt, class_name, frame, outer, method = entry
        if isinstance(stmt, ast.ClassDef):
            stack.extend((inner, stmt.name, stmt, outer, False) for inner in reversed(stmt.body))
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            in_class = isinstance(frame, ast.ClassDef)
            stack.extend((inner, class_name, stmt, outer or stmt, in_class) for inner in reversed(stmt.body))
        else:
            blocks = statement_lists(stmt)
            if blocks:
                for block in reversed(blocks):
                    stack.extend((inner, class_name, frame, outer, method) for inner in reversed(block))
            else:
                found.append(make(Placed, entry))
    return found


def child_nodes(node: ast.AST) -> List[ast.AST]:
    """``ast.iter_child_nodes(node)`` as a list, without the context and operator leaves: for
    walks that look for something other than those (a third of all nodes, childless)."""
    found: List[ast.AST] = []
    children = CHILDREN.get(node.__class__)
    if children is None:
        children = shape_of(node.__class__).children
    for name in children:
        value = getattr(node, name, None)
        if value.__class__ is list:
            if value and isinstance(value[0], ast.AST) and None not in value:
                found.extend(value)  # the common case: a list of nodes only
            else:
                found.extend([item for item in value if isinstance(item, ast.AST)])
        elif isinstance(value, ast.AST):
            found.append(value)
    return found


def outermost(body: List[ast.stmt], kinds: tuple = DEFINITIONS) -> List[ast.stmt]:
    """Statements of ``kinds`` not nested in another of ``kinds``, in source order; walks
    statements only (a few per cent of the nodes), since a definition is always a statement."""
    found: List[ast.stmt] = []
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, kinds):
            found.append(stmt)
            continue
        for inner in reversed(statement_lists(stmt)):
            stack.extend(reversed(inner))
    return found


def first_line(stmt: ast.stmt) -> int:
    """The line a statement's code begins on: its first decorator's, for a decorated definition
    (the ``ast`` puts the definition at its ``def`` or ``class`` line)."""
    return min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", ())])


def called_name(call: ast.Call) -> str:
    """The last name of what is called (``open`` for ``open()`` and ``io.open()``), or ""."""
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def statement_lists(stmt: ast.stmt) -> List[List[ast.stmt]]:
    """The blocks of a compound statement (body, else, finally, handlers, match cases)."""
    shape = _SHAPES.get(stmt.__class__) or shape_of(stmt.__class__)
    if not shape.blocks and not shape.clauses:
        return []  # a simple statement: most of them
    lists: List[List[ast.stmt]] = []
    for name in shape.blocks:
        value = getattr(stmt, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            lists.append(value)
    for name in shape.clauses:
        for clause in getattr(stmt, name, None) or ():
            lists.append(clause.body)
    return lists


__all__ = ["AstIndex", "Placed", "Shape", "called_name", "child_nodes", "first_line", "outermost", "CHILDREN", "LEAF_FIELDS", "shape_of", "statement_lists"]
