"""Tree walks and metadata lookups every rule needs, written once.

Lookups never raise: a node the providers did not see (a node built by a rule, a provider a rule
did not declare) reads as "no parent", "no qualified names". :class:`MetadataView` holds the
resolved mapping itself, because libcst empties a visitor's ``metadata`` after its visit and some
analyses outlive the detector that built them.
"""

from __future__ import annotations

import weakref
from typing import Callable, Dict, FrozenSet, Iterable, Iterator, List, Mapping, Optional, Set, Tuple, TypeVar

import libcst as cst
from libcst.metadata import (
    ExpressionContextProvider,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)
from libcst.metadata.base_provider import LazyValue

from memfix.cstorder import child_nodes, own_hook
from memfix.metadata import Positions, libcst_fits_shortcuts, expression_contexts, scope_contexts, scopes

#: provider -> node -> value, as libcst resolves it (``MetadataDependent.metadata``)
Metadata = Mapping[object, Mapping[cst.CSTNode, object]]
ScopeItem = TypeVar("ScopeItem")  # a libcst Access or BaseAssignment (both have .node)


def lookup(metadata: Metadata, provider: object, node: cst.CSTNode, default: object = None) -> object:
    """``get_metadata`` with a default, that also tolerates an unresolved provider."""
    value = metadata.get(provider, {}).get(node, default)
    return value() if isinstance(value, LazyValue) else value  # as get_metadata unwraps it


def parent_in(metadata: Metadata, node: cst.CSTNode) -> Optional[cst.CSTNode]:
    return lookup(metadata, ParentNodeProvider, node)  # type: ignore[return-value]


def qualified_in(metadata: Metadata, node: cst.CSTNode) -> Set[str]:
    """The qualified names of ``node`` (``{"functools.lru_cache"}``), empty when unknown."""
    return {q.name for q in lookup(metadata, QualifiedNameProvider, node, set()) or ()}  # type: ignore[union-attr]


class MetadataView:
    """Lookups over a resolved metadata mapping that stay valid after the visit that resolved it."""

    def __init__(self, metadata: Metadata) -> None:
        self._metadata = metadata

    def get(self, provider: object, node: cst.CSTNode, default: object = None) -> object:
        return lookup(self._metadata, provider, node, default)

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return parent_in(self._metadata, node)

    def identifiers(self, module: cst.Module) -> Set[str]:
        """Every identifier of ``module`` (:func:`all_names`, from the parent map when it has one)."""
        return all_names(module, self._metadata.get(ParentNodeProvider))

    def qualified(self, node: cst.CSTNode) -> Set[str]:
        return qualified_in(self._metadata, node)

    def in_order(self, items: Iterable[ScopeItem]) -> List[ScopeItem]:
        """Scope assignments or accesses in source order: libcst keeps them in sets, and a message
        that cites "the first use" must not depend on where the interpreter put the objects."""
        return in_source_order(self._metadata, items)


def in_source_order(metadata: Metadata, items: Iterable[ScopeItem]) -> List[ScopeItem]:
    """Scope assignments or accesses (libcst keeps them in sets) sorted by where their node is."""

    def where(item: ScopeItem) -> Tuple[int, int]:
        pos = lookup(metadata, PositionProvider, item.node)  # type: ignore[attr-defined]
        return (pos.start.line, pos.start.column) if pos is not None else (0, 0)  # type: ignore[attr-defined]

    return sorted(items, key=where)


def walk(root: cst.CSTNode, children: Optional[Mapping[cst.CSTNode, List[cst.CSTNode]]] = None) -> Iterable[cst.CSTNode]:
    """Every node under ``root`` (itself included), parents before children. ``children``: the
    tree's children table (:func:`children_in`), read instead of the nodes' fields when given."""
    stack = [root]
    if children is None:
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(child_nodes(node)))
        return
    while stack:
        node = stack.pop()
        yield node
        found = children.get(node)
        stack.extend(reversed(found if found is not None else child_nodes(node)))


class ParentMap(Dict[cst.CSTNode, cst.CSTNode]):
    """``ParentNodeProvider``'s mapping, with the same walk's children table beside it: whatever
    holds the parent map (every detector's metadata) can walk the tree from the table."""

    children: Mapping[cst.CSTNode, List[cst.CSTNode]] = {}
    #: identifiers of the file outside this tree: the code a pre-filter slice stubbed out
    #: (memfix.prefilter.Slice)
    elsewhere: FrozenSet[str] = frozenset()


def children_in(metadata: Metadata) -> Optional[Mapping[cst.CSTNode, List[cst.CSTNode]]]:
    """The children table of the tree ``metadata`` was resolved on, when its parent map has one."""
    return getattr(metadata.get(ParentNodeProvider), "children", None)


def parent_map(root: cst.CSTNode) -> Dict[cst.CSTNode, cst.CSTNode]:
    """Every node's parent, as ``ParentNodeProvider`` computes it, from one walk of the fields
    (memfix.cstorder).

    libcst's provider asks every node for ``children``, which re-runs a visitor per node: on the
    standard library that was twice the cost of parsing. tests/test_nodes.py checks that the two
    maps are equal."""
    return tree_maps(root)[0]


class TreeOrder:
    """One tree in libcst's visiting order (parents before children), where each node's subtree
    ends in that order, and the positions of each node class: a detector that hooks a few node
    classes is called on those nodes, in the order and with the skips of a walk, without walking
    every node of the tree (most are names, operators and whitespace no detector hooks). Recorded
    by :func:`tree_maps`, whose walk is in that order."""

    __slots__ = ("nodes", "ends", "by_type")

    def __init__(self, nodes: List[cst.CSTNode], ends: List[int], by_type: Dict[type, List[int]]) -> None:
        self.nodes = nodes
        self.ends = ends  # ends[i]: the position after the last node of nodes[i]'s subtree
        self.by_type = by_type


class ChildrenTable(Dict[cst.CSTNode, List[cst.CSTNode]]):
    """Every node's children in libcst's order, for the tree under ``root``, and that tree's
    :class:`TreeOrder` (both from :func:`tree_maps`)."""

    root: Optional[cst.CSTNode] = None
    _order: Optional[TreeOrder] = None

    def order(self) -> TreeOrder:
        assert self._order is not None, "a children table comes from tree_maps, with its order"
        return self._order


def nodes_in_order(root: cst.CSTNode, children: Optional[Mapping[cst.CSTNode, List[cst.CSTNode]]], *types: type) -> List[cst.CSTNode]:
    """The nodes under ``root`` of exactly these classes (all of them when none is given), in
    visiting order: read from the tree's :class:`TreeOrder` when ``children`` is its table."""
    if isinstance(children, ChildrenTable) and root is children.root:
        order = children.order()
        if not types:
            return list(order.nodes)
        positions = [index for kind in types for index in order.by_type.get(kind, ())]
        if len(types) > 1:
            positions.sort()
        return [order.nodes[index] for index in positions]
    if not types:
        return list(walk(root, children))
    wanted = frozenset(types)
    return [node for node in walk(root, children) if type(node) in wanted]


def tree_maps(root: cst.CSTNode) -> Tuple[ParentMap, Dict[cst.CSTNode, List[cst.CSTNode]]]:
    """Every node's parent and every node's children, from one walk: the detectors each walk the
    whole tree again, and reading children from a table beats recomputing them per walk. The
    same walk, in visiting order, is the table's :class:`TreeOrder` (every detector dispatch
    reads it)."""
    parents = ParentMap()
    children = ChildrenTable()
    children.root = root
    parents.children = children
    nodes: List[cst.CSTNode] = []
    ends: List[int] = []  # as in TreeOrder
    by_type: Dict[type, List[int]] = {}
    stack: List[object] = [root]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        node = pop()
        if node.__class__ is int:  # the subtree of nodes[node] is done
            ends[node] = len(nodes)  # type: ignore[index]
            continue
        index = len(nodes)
        nodes.append(node)  # type: ignore[arg-type]
        ends.append(index + 1)
        kind = node.__class__
        bucket = by_type.get(kind)
        if bucket is None:
            by_type[kind] = [index]
        else:
            bucket.append(index)
        found = children[node] = child_nodes(node)  # type: ignore[index,arg-type]
        if found:
            for child in found:
                parents[child] = node  # type: ignore[assignment]
            push(index)
            extend(reversed(found))
    children._order = TreeOrder(nodes, ends, by_type)
    return parents, children


def children_of(wrapper: MetadataWrapper) -> Optional[Mapping[cst.CSTNode, List[cst.CSTNode]]]:
    """The children table :func:`metadata_wrapper` keeps beside the metadata, if any."""
    return getattr(getattr(wrapper, "_metadata", None), "children", None)


class _Resolved(dict):  # type: ignore[type-arg]
    """The wrapper's resolved-metadata table, as a dict that can be weakly referenced, with the
    module's children table beside it."""

    children: Optional[Mapping[cst.CSTNode, List[cst.CSTNode]]] = None


class LazyQualifiedNames(Mapping[cst.CSTNode, object]):
    """``QualifiedNameProvider``'s mapping, computed per node when asked.

    libcst's provider walks the whole tree to store, for every node, a closure calling
    ``scope.get_qualified_names_for(node)``: nearly three times the cost of parsing, for the few
    calls and decorators the rules ask about. This mapping makes the same call on demand, with the
    same answers: the names from the node's scope, an empty set for a node of the tree without
    one, and no entry for a node outside the tree.

    It reaches the scopes through a weak reference to the table that holds it: a strong one would
    be a cycle, and a cycle keeps a file's whole tree alive until the garbage collector's next
    full pass (the workers' memory grew fourfold)."""

    def __init__(self, resolved: _Resolved, module: cst.Module, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> None:
        self._resolved = weakref.ref(resolved)
        self._own_scopes: Optional[Mapping[cst.CSTNode, object]] = None  # when read after the wrapper is gone
        self._module = module
        self._parents = parents

    def _in_tree(self, node: object) -> bool:
        return node in self._parents or node is self._module

    def __getitem__(self, node: cst.CSTNode) -> object:
        if not self._in_tree(node):
            raise KeyError(node)
        resolved = self._resolved()
        scopes = resolved.get(ScopeProvider) if resolved is not None else self._own_scopes
        if scopes is None:  # read without its dependency resolved (wrapper.resolve(QNP) alone)
            scopes = self._own_scopes = MetadataWrapper(self._module, unsafe_skip_copy=True).resolve(ScopeProvider)
            if resolved is not None:
                resolved[ScopeProvider] = scopes
        scope = scopes.get(node)
        return scope.get_qualified_names_for(node) if scope else set()

    def __contains__(self, node: object) -> bool:
        return self._in_tree(node)

    def __iter__(self) -> Iterator[cst.CSTNode]:
        yield self._module
        yield from self._parents

    def __len__(self) -> int:
        return len(self._parents) + 1


def metadata_wrapper(
    module: cst.Module,
    elsewhere: FrozenSet[str] = frozenset(),
    starts: Optional[Mapping[cst.CSTNode, Tuple[int, str]]] = None,
    text: Optional[str] = None,
) -> MetadataWrapper:
    """A ``MetadataWrapper`` (no copy: the module comes straight from the parser) with
    ``ParentNodeProvider`` already resolved by :func:`parent_map`, ``QualifiedNameProvider``
    answered on demand (:class:`LazyQualifiedNames`), and positions, expression contexts and
    scopes computed on first use without libcst's extra walks (memfix.metadata).

    The seeds go into the wrapper's resolved-metadata table, which libcst consults before
    computing a provider (a seeded provider's dependencies, here ScopeProvider, are still resolved
    for whoever declares it); should a libcst release rename that table, the wrapper simply
    computes the providers itself.

    ``elsewhere``: the identifiers of the file's code that ``module`` lacks (a pre-filter slice's
    stubs), which :func:`all_names` adds to the tree's own: the caller must check, with
    :func:`children_of`, that the seeding worked before relying on them. ``starts`` and ``text``:
    where statements begin (memfix.metadata.statement_starts) and the text the module was parsed
    from, with which positions are generated per statement (memfix.metadata.Positions)."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    if isinstance(getattr(wrapper, "_metadata", None), dict) and not wrapper._metadata:
        resolved = _Resolved()
        parents, resolved.children = tree_maps(module)
        parents.elsewhere = elsewhere
        resolved[ParentNodeProvider] = parents
        resolved[PositionProvider] = Positions(module, parents, starts, text)
        if libcst_fits_shortcuts():
            contexts = expression_contexts(module, resolved.children)
            resolved[ExpressionContextProvider] = contexts
            resolved[ScopeProvider] = scopes(module, scope_contexts(module, resolved.children, contexts), resolved.children)
        resolved[QualifiedNameProvider] = LazyQualifiedNames(resolved, module, parents)
        wrapper._metadata = resolved
    return wrapper


def module_code(wrapper: MetadataWrapper) -> str:
    """``wrapper.module.code``, reusing the code the position pass generated when it has run
    (it has, for every file with a finding)."""
    table = getattr(wrapper, "_metadata", None)
    positions = table.get(PositionProvider) if isinstance(table, dict) else None
    code = getattr(positions, "code", None) if isinstance(positions, Positions) else None
    return code if code is not None else wrapper.module.code


def dispatch(
    root: cst.CSTNode, visitor: cst.CSTVisitor, children: Optional[Mapping[cst.CSTNode, List[cst.CSTNode]]] = None
) -> None:
    """``root.visit(visitor)`` for a read-only visitor, without libcst's per-node machinery.

    Calls ``visit_<Node>`` before a node's children (a ``False`` result skips them) and
    ``leave_<Node>(original_node)`` after, like libcst, and in libcst's order
    (memfix.cstorder). A visitor
    with matcher-decorated methods (``@m.visit``) needs libcst's dispatch and gets it. A detector
    pass through libcst's visitor cost about as much as parsing the file again. ``children``: the
    tree's children table (:func:`tree_maps`), when the caller has it."""
    if getattr(visitor, "_extra_visit_funcs", None) or getattr(visitor, "_extra_leave_funcs", None):
        root.visit(visitor)
        return
    if isinstance(children, ChildrenTable) and root is children.root:
        _dispatch_in_order(children.order(), visitor)
        return
    methods: Dict[type, Tuple[object, object]] = {}
    stack: List[Tuple[cst.CSTNode, bool]] = [(root, False)]
    pop, push = stack.pop, stack.append
    while stack:
        node, leaving = pop()
        kind = type(node)
        pair = methods.get(kind)
        if pair is None:
            name = kind.__name__
            pair = methods[kind] = (getattr(visitor, f"visit_{name}", None), getattr(visitor, f"leave_{name}", None))
        if leaving:
            if pair[1] is not None:
                pair[1](node)  # type: ignore[operator]
            continue
        proceed = pair[0](node) if pair[0] is not None else True  # type: ignore[operator]
        push((node, True))
        if proceed is not False:
            found = children.get(node) if children is not None else None
            if found is None:
                found = child_nodes(node)
            stack.extend([(child, False) for child in reversed(found)])


def _dispatch_in_order(order: TreeOrder, visitor: cst.CSTVisitor) -> None:
    """:func:`dispatch` over the nodes of the classes ``visitor`` hooks, in visiting order: a
    ``leave_X`` runs once the node's subtree is done, before the next hooked node after it, and a
    ``False`` from ``visit_X`` skips the hooked nodes of the subtree (its ``leave_X`` still runs,
    as in libcst). The stubs libcst's visitor classes define for every node class do nothing and
    are not called."""
    hooks: Dict[type, Tuple[Optional[Callable[[cst.CSTNode], object]], Optional[Callable[[cst.CSTNode], object]]]] = {}
    for kind in order.by_type:
        visit, leave = own_hook(visitor, f"visit_{kind.__name__}"), own_hook(visitor, f"leave_{kind.__name__}")
        if visit is not None or leave is not None:
            hooks[kind] = (visit, leave)
    if not hooks:
        return
    if len(hooks) == 1:
        indices: Iterable[int] = order.by_type[next(iter(hooks))]
    else:
        indices = sorted(index for kind in hooks for index in order.by_type[kind])
    nodes, ends = order.nodes, order.ends
    pending: List[Tuple[int, Callable[[cst.CSTNode], object], cst.CSTNode]] = []  # innermost last
    skip_below = 0
    for index in indices:
        while pending and pending[-1][0] <= index:
            _, leave, node = pending.pop()
            leave(node)
        if index < skip_below:
            continue
        node = nodes[index]
        visit, leave = hooks[node.__class__]
        if visit is not None and visit(node) is False:
            skip_below = ends[index]
        if leave is not None:
            pending.append((ends[index], leave, node))
    while pending:
        _, leave, node = pending.pop()
        leave(node)


def dotted_name(node: Optional[cst.BaseExpression]) -> str:
    """``a.b.c`` for a chain of names and attributes (a module, a base class, a callee), else ""."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted_name(node.value)
        return f"{head}.{node.attr.value}" if head else ""
    return ""


def import_alias_name(alias: cst.ImportAlias) -> Optional[str]:
    """The ``as`` name of an import alias, if any."""
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


def calls_method_on(call: cst.Call, name: str, methods: Iterable[str]) -> bool:
    """``call`` is ``name.<one of methods>(...)``: a method of a plain name, called."""
    func = call.func
    return (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value == name
        and func.attr.value in methods
    )


def all_names(module: cst.CSTNode, parents: object = None) -> Set[str]:
    """Every identifier spelled in the module: a fresh name must avoid all of them, so that it
    shadows nothing in any scope. ``parents``: the module's :class:`ParentMap`, whose keys are
    every node but the module itself (one pass over a dict instead of a walk), and which knows the
    identifiers of the file's code outside the tree."""
    if isinstance(parents, ParentMap) and module in parents.children:
        return {node.value for node in parents if type(node) is cst.Name} | parents.elsewhere
    return {node.value for node in walk(module) if isinstance(node, cst.Name)}
