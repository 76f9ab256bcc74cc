"""Cheap ``ast`` pre-filters for the growth rules: a file without a candidate shape never reaches
libcst (ten times the cost of ``ast``). They may let through files without a finding, never the
reverse: each checks only for the definition shape its rule starts from."""

from __future__ import annotations

import ast
from typing import Iterator, Optional

_GROW_METHODS = frozenset({"append", "extend", "insert", "appendleft", "extendleft"})


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _values(tree: ast.Module) -> Iterator[ast.expr]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            yield node.value


def _grows(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _GROW_METHODS:
            return True
        if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            return True
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.BinOp) and isinstance(node.value.op, ast.Add):
            return True  # x = x + [v]
    return False


def _keyword(node: ast.Call, name: str) -> Optional[ast.expr]:
    return next((k.value for k in node.keywords if k.arg == name), None)


def growing_list_filter(tree: ast.Module) -> bool:
    """A list bound by an assignment (``[]``, ``list()``, ``field(default_factory=list)``) and
    some growth call in the same module."""
    has_list = False
    for value in _values(tree):
        if isinstance(value, ast.List):
            has_list = True
        elif isinstance(value, ast.Call):
            callee = _callee(value)
            factory = _keyword(value, "default_factory")
            if callee == "list" or (callee == "field" and isinstance(factory, ast.Name) and factory.id == "list"):
                has_list = True
        if has_list:
            break
    return has_list and _grows(tree)


def unbounded_deque_filter(tree: ast.Module) -> bool:
    """A ``deque(...)`` without a ``maxlen`` (or with ``maxlen=None``) that is assigned."""
    for value in _values(tree):
        if isinstance(value, ast.Call) and _callee(value) == "deque" and len(value.args) <= 1:
            maxlen = _keyword(value, "maxlen")
            if maxlen is None or (isinstance(maxlen, ast.Constant) and maxlen.value is None):
                return True
    return False


def defaultdict_list_filter(tree: ast.Module) -> bool:
    """A ``defaultdict(list)`` that is assigned."""
    return any(
        isinstance(value, ast.Call)
        and _callee(value) == "defaultdict"
        and len(value.args) == 1
        and isinstance(value.args[0], ast.Name)
        and value.args[0].id == "list"
        for value in _values(tree)
    )


def slice_rebind_filter(tree: ast.Module) -> bool:
    """An ``x = x[-K:]`` re-bind of a name, attribute or key to its own tail."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        value = node.value
        if (
            isinstance(value, ast.Subscript)
            and isinstance(value.slice, ast.Slice)
            and isinstance(value.slice.lower, ast.UnaryOp)
            and isinstance(value.slice.lower.op, ast.USub)
            and value.slice.upper is None
            and ast.unparse(value.value) == ast.unparse(node.targets[0])
        ):
            return True
    return False
