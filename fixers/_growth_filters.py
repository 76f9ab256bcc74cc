"""Cheap ``ast`` pre-filters for the growth rules: a file without a candidate shape never reaches
libcst (ten times the cost of ``ast``). They may let through files without a finding, never the
reverse: each checks only for the definition shape its rule starts from."""

from __future__ import annotations

import ast
from typing import Dict, Iterator, List, Optional, Set, Tuple

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


def _is_list(value: Optional[ast.expr]) -> bool:
    if isinstance(value, ast.List):
        return True
    if isinstance(value, ast.Call):
        callee = _callee(value)
        factory = _keyword(value, "default_factory")
        return callee == "list" or (callee == "field" and isinstance(factory, ast.Name) and factory.id == "list")
    return False


def _key(node: ast.expr) -> Optional[Tuple[str, str]]:
    if isinstance(node, ast.Attribute):
        return ("attr", node.attr)
    if isinstance(node, ast.Name):
        return ("name", node.id)
    return None


class _ListShapes(ast.NodeVisitor):
    """Lists bound where they can outlive a call (attributes, module and class names, locals a
    nested function uses) and the names and attributes something grows."""

    def __init__(self) -> None:
        self.long_lived: Set[Tuple[str, str]] = set()
        self.grown: Set[Tuple[str, str]] = set()
        self.functions: List[ast.AST] = []
        self.grown_alias: Dict[str, str] = {}  # local name -> the attribute it aliases

    def _function(self, node: ast.AST) -> None:
        self.functions.append(node)
        self.generic_visit(node)
        self.functions.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def _bind(self, target: ast.expr, value: Optional[ast.expr]) -> None:
        if _is_list(value):
            if isinstance(target, ast.Attribute):
                self.long_lived.add(("attr", target.attr))
            elif isinstance(target, ast.Name):
                if not self.functions:  # module or class level: also reached as an attribute
                    self.long_lived |= {("name", target.id), ("attr", target.id)}
                elif self._used_by_nested(target.id):
                    self.long_lived.add(("name", target.id))
        elif isinstance(target, ast.Name) and isinstance(value, ast.Attribute):
            self.grown_alias[target.id] = value.attr
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            key = _key(target)
            if key:
                self.grown.add(key)

    def _used_by_nested(self, name: str) -> bool:
        owner = self.functions[-1]
        for node in ast.walk(owner):
            if node is not owner and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node)):
                    return True
        return False

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._bind(target, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._bind(node.target, node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        key = _key(node.target)
        if key and isinstance(node.op, ast.Add):
            self.grown.add(key)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in _GROW_METHODS:
            key = _key(node.value)
            if key:
                self.grown.add(key)
        self.generic_visit(node)


def growing_list_filter(tree: ast.Module) -> bool:
    """A list that can outlive a call (``self.x = []``, a module or class level list, a local a
    nested function uses) under a name or attribute that something grows (``.append``,
    ``.extend``, ``+=``, ``x = x + [...]``, directly or through a local alias)."""
    shapes = _ListShapes()
    shapes.visit(tree)
    grown = set(shapes.grown)
    grown |= {("attr", attr) for name, attr in shapes.grown_alias.items() if ("name", name) in shapes.grown}
    return bool(shapes.long_lived & grown)


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
    """An ``x = x[-K:]`` re-bind of an attribute, a key, or a name declared global/nonlocal (a
    plain local re-bound to its tail dies with the call)."""
    shared = {name for node in ast.walk(tree) if isinstance(node, (ast.Global, ast.Nonlocal)) for name in node.names}
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
            and (not isinstance(node.targets[0], ast.Name) or node.targets[0].id in shared)
        ):
            return True
    return False
