"""Run a rule's transformer over the top-level statements its plans reach, not the whole module.

libcst's ``visit`` rebuilds every node it passes, and comparing the result with the tree it came
from walks both again: on the standard library's larger files that cost more than the rule's
analysis, for a rewrite of a few lines. A memfix transformer only carries out plans (see
``memfix.fixer.BaseTransformer``): each hook looks its original node up in tables built from the
plans and returns ``updated_node`` untouched otherwise, so a statement holding no node a plan
names comes back equal to itself. Such statements are kept as they are, the same objects; the
others are visited as libcst would visit them, and the module's own hooks (``visit_Module``,
``leave_Module``) run on the module as a whole visit would show it. A plan that names the module
itself makes the whole module the region. tests/test_transform.py compares the result with a whole
visit for every fixture.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, List, Mapping, Optional, Sequence, Set, Tuple, TypeVar

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider

N = TypeVar("N", bound=cst.CSTNode)


def plan_nodes(value: object) -> Optional[List[cst.CSTNode]]:
    """The tree nodes a plan (or a mapping of plans) refers to, through dataclass fields and
    containers, not into the nodes themselves; None when the plan nests deeper than any memfix
    plan does (whatever lies below would be missed, so the caller visits everything)."""
    found: List[cst.CSTNode] = []
    stack: List[Tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, cst.CSTNode):
            found.append(item)
            continue
        if depth > _MAX_PLAN_DEPTH:
            return None
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend((getattr(item, f.name, None), depth + 1) for f in dataclasses.fields(item))
        elif isinstance(item, Mapping):
            stack.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend((part, depth + 1) for part in item)
    return found


#: plans -> plan -> field -> tuple of pairs -> node is four levels; a plan deeper than this is
#: visited whole rather than read partly
_MAX_PLAN_DEPTH = 8


def reached_statements(module: cst.Module, parents: Mapping[cst.CSTNode, cst.CSTNode], nodes: Iterable[cst.CSTNode]) -> Optional[Set[cst.CSTNode]]:
    """The top-level statements holding ``nodes`` (nodes outside the tree are no one's), or None
    when one of them is the module itself."""
    reached: Set[cst.CSTNode] = set()
    for node in nodes:
        if node is module:
            return None
        current = node
        parent = parents.get(current)
        while parent is not None and parent is not module:
            current, parent = parent, parents.get(parent)
        if parent is module:
            reached.add(current)
    return reached


def transform(wrapper: MetadataWrapper, transformer: cst.CSTTransformer, plans: Mapping[cst.CSTNode, object]) -> cst.Module:
    """``wrapper.visit(transformer)``, visiting only the top-level statements ``plans`` reach."""
    module = wrapper.module
    nodes = plan_nodes(plans)
    reached = None if nodes is None else reached_statements(module, wrapper.resolve(ParentNodeProvider), nodes)
    if reached is None:
        return wrapper.visit(transformer)
    with transformer.resolve(wrapper):
        updated = module
        if transformer.on_visit(module):
            updated = module.with_changes(
                header=_visited(module.header, transformer),
                body=_visited(module.body, transformer, reached),
                footer=_visited(module.footer, transformer),
            )
        result = transformer.on_leave(module, updated)
    assert isinstance(result, cst.Module)
    return result


def _visited(nodes: Sequence[N], transformer: cst.CSTTransformer, only: Optional[Set[cst.CSTNode]] = None) -> List[N]:
    """``nodes`` visited as libcst visits a sequence field (a removal drops the node, a flatten
    splices its nodes in); those not in ``only``, when given, kept as they are."""
    kept: List[N] = []
    for node in nodes:
        if only is not None and node not in only:
            kept.append(node)
            continue
        result = node.visit(transformer)
        if isinstance(result, cst.FlattenSentinel):
            kept.extend(result.nodes)  # type: ignore[arg-type]
        elif not isinstance(result, cst.RemovalSentinel):
            kept.append(result)  # type: ignore[arg-type]
    return kept


def same_module(old: cst.Module, new: cst.Module) -> bool:
    """``new.deep_equals(old)``, comparing only the statements that are not the same objects."""
    if new is old:
        return True
    if len(old.body) != len(new.body) or not _same_fields(old, new):
        return False
    return all(a is b or a.deep_equals(b) for a, b in zip(old.body, new.body))


def _same_fields(old: cst.Module, new: cst.Module) -> bool:
    return (
        old.encoding == new.encoding
        and old.default_indent == new.default_indent
        and old.default_newline == new.default_newline
        and old.has_trailing_newline == new.has_trailing_newline
        and len(old.header) == len(new.header)
        and len(old.footer) == len(new.footer)
        and all(a.deep_equals(b) for a, b in zip((*old.header, *old.footer), (*new.header, *new.footer)))
    )


__all__ = ["plan_nodes", "reached_statements", "same_module", "transform"]
