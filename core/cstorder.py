"""The order in which libcst visits a node's children, read from libcst itself, and a fast test
for "is this a libcst node".

libcst's ``children`` property and its visitors rebuild every node they pass; the walks memfix
does on its own (parent map, detector dispatch, the metadata visitors in memfix.metadata) read the
fields directly, in this order, so that they see nodes exactly as libcst's visitors would.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Dict, List, Optional, Tuple

import libcst as cst

#: type -> whether it is a libcst node class: ``isinstance(x, cst.CSTNode)`` goes through
#: ``ABCMeta.__instancecheck__`` and was a tenth of a whole run
_NODE_TYPES: Dict[type, bool] = {}


def is_node(value: object) -> bool:
    kind = type(value)
    known = _NODE_TYPES.get(kind)
    if known is None:
        known = _NODE_TYPES[kind] = issubclass(kind, cst.CSTNode)
    return known


#: node class -> its child fields in libcst's visiting order, when one order fits every instance
_VISIT_ORDER: Dict[type, Tuple[str, ...]] = {}
#: (node class, which fields hold nodes) -> the order, for classes whose visit skips absent fields
_ORDER_BY_SHAPE: Dict[Tuple[type, Tuple[bool, ...]], Tuple[str, ...]] = {}
_CONDITIONAL: Dict[type, Tuple[str, ...]] = {}  # such a class -> its dataclass fields


class _FieldRecorder(cst.CSTVisitor):
    """Records the fields ``_visit_and_replace_children`` visits, without descending."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: List[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_leave(self, original_node: cst.CSTNode) -> None:
        pass

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.fields.append(attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        pass


def _recorded(node: cst.CSTNode) -> Tuple[str, ...]:
    recorder = _FieldRecorder()
    node._visit_and_replace_children(recorder)
    return tuple(dict.fromkeys(recorder.fields))


_MAYBE_NODES = (cst.CSTNode, cst.MaybeSentinel, tuple, list)


def _holds_nodes(value: object) -> bool:
    return is_node(value) or (type(value) in (tuple, list) and len(value) > 0)  # type: ignore[arg-type]


def visit_order(node: cst.CSTNode) -> Tuple[str, ...]:
    """The child fields of ``node`` in libcst's visiting order, read from libcst itself: every
    field ``_visit_and_replace_children`` visits is announced through ``on_visit_attribute``.

    Most classes announce every field that can hold a node, present or not, so one recording per
    class serves all its instances. A class that skips some absent field (a
    ``FormattedStringExpression`` without ``format_spec``) is recorded once per shape instead:
    which of its fields hold nodes."""
    kind = type(node)
    order = _VISIT_ORDER.get(kind)
    if order is not None:
        return order
    fields = _CONDITIONAL.get(kind)
    if fields is None:
        order = _recorded(node)
        names = tuple(f.name for f in dataclasses.fields(node))
        maybe = {n for n in names if isinstance(getattr(node, n), _MAYBE_NODES) or getattr(node, n) is None}
        if maybe <= set(order):
            _VISIT_ORDER[kind] = order
            return order
        fields = _CONDITIONAL[kind] = names
    shape = (kind, tuple(_holds_nodes(getattr(node, n)) for n in fields))
    order = _ORDER_BY_SHAPE.get(shape)
    if order is None:
        order = _ORDER_BY_SHAPE[shape] = _recorded(node)
    return order


def own_hook(visitor: cst.CSTVisitor, name: str) -> Optional[Callable[[cst.CSTNode], object]]:
    """The visitor's ``visit_X``/``leave_X`` named ``name``, None when it has none but libcst's:
    its typed visitor classes define a no-op for every node class, which a walk need not call."""
    hook = getattr(visitor, name, None)
    if hook is None or getattr(hook, "__module__", "") == "libcst._typed_visitor":
        return None
    return hook  # type: ignore[no-any-return]


def child_nodes(node: cst.CSTNode) -> List[cst.CSTNode]:
    """``node.children`` without rebuilding ``node``: its child nodes in libcst's order. Called
    once per node by every walk of a tree: :func:`visit_order` and :func:`is_node` are inlined
    for the classes they already know."""
    found: List[cst.CSTNode] = []
    names = _VISIT_ORDER.get(node.__class__)
    if names is None:
        names = visit_order(node)
    node_types = _NODE_TYPES
    for name in names:
        value = getattr(node, name)
        kind = value.__class__
        if kind is tuple or kind is list:
            found.extend(value)
        else:
            known = node_types.get(kind)
            if known is None:
                known = is_node(value)
            if known:
                found.append(value)
    return found
