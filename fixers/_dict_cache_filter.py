"""MF201's pre-filter evidence: which empty dicts the analysis (``_dict_cache_analysis``) certainly
does not report, read from the ``ast`` of the whole file.

The detector reports a dict only when some write to it runs at call time and nothing evicts or
re-binds it (``Detector.analyse``). Two facts settle that on the ``ast`` for certain:

- *no write at call time*: the only writes it counts are ``d[k] = v`` and ``d.setdefault``, on
  the uses it follows: a module or closure dict's references (plain names), an instance or class
  dict's attributes of that name (``self.d``, ``Owner.d``; a local alias ``d = self.d`` is not
  followed). When no such store lies inside a function (inside a function nested in the owner,
  for a closure's dict), every write has no ``func`` and the dict is filled at import time only;
- *evicted or re-bound*: ``d.pop`` / ``popitem`` / ``clear`` / ``__delitem__``, ``del d[k]`` and,
  for an attribute, ``x.name = v``. For an attribute dict such a site is an own use (``evict`` /
  ``rebind``) or a foreign one (``_foreign_evicts``) whenever its base is not ``self``/``cls``;
  with ``self``/``cls`` it counts only in a method of the dict's own class. For a module dict the
  site must read the module's name: inside a function that binds the name nowhere.
"""

from __future__ import annotations

import ast
from bisect import bisect_right
from typing import Dict, FrozenSet, List, Optional, Set, Tuple

from memfix.astindex import FUNCTIONS, AstIndex, outermost

#: ``match`` patterns (Python 3.10+); empty tuples on 3.9, where no node is one
_MATCH_CAPTURES = tuple(getattr(ast, n) for n in ("MatchAs", "MatchStar") if hasattr(ast, n))
_MATCH_MAPPING = getattr(ast, "MatchMapping", ())

Position = Tuple[int, int]
Span = Tuple[Position, Position]

_FUNCS = FUNCTIONS
#: mirrors ``_dict_cache_analysis._EVICTING``: an attribute access of one of these is an eviction
_EVICTING: FrozenSet[str] = frozenset({"pop", "popitem", "clear", "__delitem__"})


def name_of(node: ast.expr) -> str:
    """The name a store is filed under: ``d`` for ``d``, ``cache`` for ``x.cache``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def bounds(node: ast.AST) -> Span:
    """First and last position of a node, a definition's decorators included."""
    first = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
    for decorator in getattr(node, "decorator_list", ()) or ():
        first = min(first, (decorator.lineno, decorator.col_offset))
    return first, (node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]


def _position(node: ast.AST) -> Position:
    return (node.lineno, node.col_offset)  # type: ignore[attr-defined]


def _inside(position: Position, span: Span) -> bool:
    return span[0] <= position <= span[1]


class DictCacheEvidence:
    """Stores and evictions of every name in one file, filed once and read per candidate."""

    def __init__(self, index: AstIndex) -> None:
        self.index = index
        sites = [(t.value, t) for n in index.nodes(ast.Assign) for t in n.targets if isinstance(t, ast.Subscript)]
        sites += [(n.target.value, n.target) for n in index.nodes(ast.AnnAssign) if isinstance(n.target, ast.Subscript)]
        sites += [(n.value, n) for n in index.nodes(ast.Attribute) if n.attr == "setdefault"]
        #: (name, through an attribute (``x.name[k] = v``) rather than a plain name, position)
        self.stores: List[Tuple[str, bool, Position]] = [
            (name_of(base), isinstance(base, ast.Attribute), _position(node)) for base, node in sites if name_of(base)
        ]
        self.stored: Set[str] = {name for name, _, _ in self.stores}
        self._functions: Optional[List[Tuple[Span, ast.stmt]]] = None
        self._runtime: Optional[Set[Tuple[str, bool]]] = None
        self._evictions: Optional[Dict[str, List[Tuple[ast.expr, bool]]]] = None
        self._binds: Dict[int, Set[str]] = {}

    # -- writes ---------------------------------------------------------------------------------

    def functions(self) -> List[Tuple[Span, ast.stmt]]:
        """The outermost functions (methods included), by span."""
        if self._functions is None:
            self._functions = sorted(((bounds(f), f) for f in outermost(self.index.tree.body, _FUNCS)), key=lambda x: x[0])
        return self._functions

    def function_at(self, position: Position) -> Optional[ast.stmt]:
        functions = self.functions()
        at = bisect_right([span[0] for span, _ in functions], position) - 1
        if at >= 0 and _inside(position, functions[at][0]):
            return functions[at][1]
        return None

    def runtime_store(self, name: str, attribute: bool) -> bool:
        """Some store of ``name`` lies inside a function: through an attribute (``attribute``:
        the analysis finds an instance or class dict's uses among the attributes so named) or
        through the plain name (a module dict's uses are the name's references)."""
        if self._runtime is None:
            self._runtime = {(n, through) for n, through, position in self.stores if self.function_at(position) is not None}
        return (name, attribute) in self._runtime

    def nested_store(self, name: str, function: ast.stmt) -> bool:
        """Some store of the plain name ``name`` lies inside a function nested (at any depth) in
        ``function``."""
        inner = [bounds(n) for n in self.index.nested_functions(function) if isinstance(n, _FUNCS)]
        return any(
            _inside(position, span) for n, through, position in self.stores if n == name and not through for span in inner
        )

    # -- evictions --------------------------------------------------------------------------------

    def evictions(self) -> Dict[str, List[Tuple[ast.expr, bool]]]:
        """name -> (the evicted or re-bound expression: ``d`` / ``x.name``, whether it is a
        re-binding of an attribute)."""
        if self._evictions is None:
            found: Dict[str, List[Tuple[ast.expr, bool]]] = {}
            for node in self.index.nodes(ast.Attribute):
                if node.attr in _EVICTING and isinstance(node.value, (ast.Name, ast.Attribute)):
                    found.setdefault(name_of(node.value), []).append((node.value, False))
            for node in self.index.nodes(ast.Delete):
                target = node.targets[0] if len(node.targets) == 1 else None
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.value, (ast.Name, ast.Attribute))
                    and not isinstance(target.slice, (ast.Slice, ast.Tuple))
                ):
                    found.setdefault(name_of(target.value), []).append((target.value, False))
            for node in self.index.nodes(ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Attribute):
                        found.setdefault(target.attr, []).append((target, True))
            self._evictions = found
        return self._evictions

    def attribute_evicted(self, name: str, owner: ast.ClassDef, define: ast.expr, instance: bool) -> bool:
        """An own or foreign eviction (or re-binding) of the attribute ``name`` of ``owner``'s
        instances (``instance``) or class, other than its definition ``define``."""
        for expr, _ in self.evictions().get(name, ()):
            if expr is define or not isinstance(expr, ast.Attribute):
                continue
            base = expr.value
            if not (isinstance(base, ast.Name) and base.id in ("self", "cls")):
                return True  # not the own self: an own use by class name, or a foreign one
            if base.id == "cls" and instance:
                continue  # `cls.x` in a classmethod is not an instance's dict
            if self._in_own_method(expr, base.id, owner):
                return True
        return False

    def _in_own_method(self, expr: ast.expr, base: str, owner: ast.ClassDef) -> bool:
        position = _position(expr)
        for method in owner.body:
            if not isinstance(method, _FUNCS) or not _inside(position, bounds(method)):
                continue
            params = [*method.args.posonlyargs, *method.args.args]
            if not params or params[0].arg != base or not method.body:
                return False
            if not _position(method.body[0]) <= position:
                return False  # a decorator, default or annotation
            return not any(
                isinstance(n, _FUNCS) and _inside(position, bounds(n)) for n in self.index.nested_functions(method)
            )
        return False

    def module_evicted(self, name: str) -> bool:
        """``name.pop`` / ``del name[k]``... in the body of a function that binds ``name``
        nowhere, so that it reads the module's dict."""
        for expr, _ in self.evictions().get(name, ()):
            if not (isinstance(expr, ast.Name) and expr.id == name):
                continue
            position = _position(expr)
            function = self.function_at(position)
            if function is None or not function.body or position < _position(function.body[0]):  # type: ignore[attr-defined]
                continue
            if name not in self._bound_in(function):
                return True
        return False

    def _bound_in(self, function: ast.stmt) -> Set[str]:
        """Every name bound or declared anywhere inside ``function`` (nested scopes included)."""
        key = id(function)
        if key not in self._binds:
            names: Set[str] = set()
            for node in ast.walk(function):
                if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                    names.add(node.id)
                elif isinstance(node, ast.arg):
                    names.add(node.arg)
                elif isinstance(node, (*_FUNCS, ast.ClassDef)) and node is not function:
                    names.add(node.name)
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    names.update((a.asname or a.name).split(".")[0] for a in node.names)
                elif isinstance(node, (ast.Global, ast.Nonlocal)):
                    names.update(node.names)
                elif isinstance(node, ast.ExceptHandler) and node.name:
                    names.add(node.name)
                elif isinstance(node, _MATCH_CAPTURES) and node.name:
                    names.add(node.name)
                elif isinstance(node, _MATCH_MAPPING) and node.rest:
                    names.add(node.rest)
            self._binds[key] = names
        return self._binds[key]


__all__ = ["DictCacheEvidence", "bounds", "name_of"]
