"""The expression contexts of a module's ``Name`` nodes, as libcst's ``ExpressionContextVisitor``
gives them, from one walk.

``ScopeVisitor`` reads the context of ``Name`` nodes and of nothing else (``visit_Name``: STORE
records an assignment, anything else an access). libcst computes the whole mapping first with a
visitor of its own, which starts a fresh libcst visitor for every target, attribute and subscript
(each rebuilding what it passes) and walks every whitespace node: about a third of what the scope
analysis costs. Here each node class with a ``visit_X`` in that visitor has a rule saying in which
context each of its fields is walked, and which fields are not walked at all; every other node
passes its own context to all its children, as the visitor's default visit does.

The rules restate libcst's visitor; :func:`fits_this_libcst` checks that its hooks are the ones
restated, and tests/test_contexts.py compares the answers with libcst's provider.
"""

from __future__ import annotations

import functools
from typing import Callable, Dict, List, Mapping, Optional, Tuple

import libcst as cst
from libcst.metadata.expression_context_provider import ExpressionContext, ExpressionContextVisitor

from memfix.cstorder import child_nodes

LOAD, STORE, DEL = ExpressionContext.LOAD, ExpressionContext.STORE, ExpressionContext.DEL

Item = Tuple[cst.CSTNode, ExpressionContext]
Push = Callable[[Item], None]


def _assign(node: cst.Assign, context: ExpressionContext, push: Push) -> None:
    for target in node.targets:
        push((target, STORE))
    push((node.value, context))


def _ann_assign(node: cst.AnnAssign, context: ExpressionContext, push: Push) -> None:
    push((node.target, STORE))
    push((node.annotation, context))
    if node.value:
        push((node.value, context))


def _target_then_value(node: cst.CSTNode, context: ExpressionContext, push: Push) -> None:
    """``AugAssign`` and ``NamedExpr``."""
    push((node.target, STORE))  # type: ignore[attr-defined]
    push((node.value, context))  # type: ignore[attr-defined]


def _as_name(node: cst.AsName, context: ExpressionContext, push: Push) -> None:
    push((node.name, STORE))


def _comp_for(node: cst.CompFor, context: ExpressionContext, push: Push) -> None:
    push((node.target, STORE))
    push((node.iter, context))
    for condition in node.ifs:
        push((condition, context))
    if node.inner_for_in:
        push((node.inner_for_in, context))


def _for(node: cst.For, context: ExpressionContext, push: Push) -> None:
    push((node.target, STORE))
    push((node.iter, context))
    push((node.body, context))
    if node.orelse:
        push((node.orelse, context))


def _del(node: cst.Del, context: ExpressionContext, push: Push) -> None:
    push((node.target, DEL))


def _attribute(node: cst.Attribute, context: ExpressionContext, push: Push) -> None:
    push((node.value, LOAD))  # ``attr`` gets no context, as in ``ast``


def _subscript(node: cst.Subscript, context: ExpressionContext, push: Push) -> None:
    push((node.value, LOAD))
    for element in node.slice:
        push((element, LOAD))


def _class(node: cst.ClassDef, context: ExpressionContext, push: Push) -> None:
    push((node.name, STORE))  # type parameters are not walked
    push((node.body, context))
    for item in (*node.bases, *node.keywords, *node.decorators):
        push((item, context))


def _function(node: cst.FunctionDef, context: ExpressionContext, push: Push) -> None:
    push((node.name, STORE))  # type parameters are not walked
    push((node.params, context))
    push((node.body, context))
    for decorator in node.decorators:
        push((decorator, context))
    if node.returns:
        push((node.returns, context))


def _param(node: cst.Param, context: ExpressionContext, push: Push) -> None:
    push((node.name, STORE))
    if node.annotation:
        push((node.annotation, context))
    if node.default:
        push((node.default, context))


_RULES: Dict[type, Callable[[cst.CSTNode, ExpressionContext, Push], None]] = {
    cst.Assign: _assign,  # type: ignore[dict-item]
    cst.AnnAssign: _ann_assign,  # type: ignore[dict-item]
    cst.AugAssign: _target_then_value,
    cst.NamedExpr: _target_then_value,
    cst.AsName: _as_name,  # type: ignore[dict-item]
    cst.CompFor: _comp_for,  # type: ignore[dict-item]
    cst.For: _for,  # type: ignore[dict-item]
    cst.Del: _del,  # type: ignore[dict-item]
    cst.Attribute: _attribute,  # type: ignore[dict-item]
    cst.Subscript: _subscript,  # type: ignore[dict-item]
    cst.ClassDef: _class,  # type: ignore[dict-item]
    cst.FunctionDef: _function,  # type: ignore[dict-item]
    cst.Param: _param,  # type: ignore[dict-item]
}

#: the visitor's hooks these rules restate: ``visit_Name`` sets the context, and ``Tuple``,
#: ``List`` and ``StarredElement`` set their own and pass it on, as every other node passes it on
_RESTATED = frozenset({*(f"visit_{kind.__name__}" for kind in _RULES), "visit_Name", "visit_Tuple", "visit_List", "visit_StarredElement"})


@functools.lru_cache(maxsize=1)  # a property of the installed libcst: checked once per process
def fits_this_libcst() -> bool:
    """Whether libcst's visitor has exactly the hooks restated here."""
    own = {name for name in vars(ExpressionContextVisitor) if name.startswith(("visit_", "leave_", "on_"))}
    return own == _RESTATED


def name_contexts(
    module: cst.Module, children: Optional[Mapping[cst.CSTNode, List[cst.CSTNode]]] = None
) -> Dict[cst.CSTNode, ExpressionContext]:
    """Every ``Name`` the visitor gives a context, with that context (a mapping: walk order does
    not matter). ``children``: the module's children table, if the caller has one."""
    found: Dict[cst.CSTNode, ExpressionContext] = {}
    stack: List[Item] = [(module, LOAD)]
    pop, push, extend = stack.pop, stack.append, stack.extend
    rules = _RULES
    table = children.get if children is not None else None
    name = cst.Name
    while stack:
        node, context = pop()
        kind = node.__class__
        if kind is name:
            found[node] = context
            continue
        rule = rules.get(kind)
        if rule is not None:
            rule(node, context, push)
            continue
        inner = table(node) if table is not None else None
        if inner is None:
            inner = child_nodes(node)
        if inner:
            extend([(child, context) for child in inner])
    return found
