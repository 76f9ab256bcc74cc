"""MF302's pre-filter: which calls the libcst detector could report, decided on the ``ast``.

Every file the filter accepts costs a libcst parse plus scope metadata on its kept functions, so
a call is dropped here only when the ``ast`` shows for certain that the detector
(``_with_rewrite.WithRewriteDetector`` with MF302's ``opener_of``) cannot report it:

- *not an opener*: libcst's ``QualifiedNameProvider`` names a call through the imports and
  assignments that bind the root of its dotted name. Every qualified name it can give is
  built here (a superset: an import's path plus the rest of the chain, the name itself for a
  module-level assignment, ``builtins.`` for a builtin), and a call none of whose names is an
  opener is dropped (``from io import StringIO`` no longer makes every ``StringIO()`` a
  candidate, nor ``self.connect()`` anything);
- *managed or handed on*: ``visit_Call`` returns without a report for a call inside a with-item
  (except ``sqlite3.connect`` as the item itself, whose ``with`` does not close it), inside a
  ``closing()`` / ``enter_context()`` / ``callback()`` call, as the body of a lambda, or returned
  or yielded (``return urlopen(u)``; not ``return urlopen(u).read()``, nor an argument of a call
  that may be a consumer such as ``json.load``).

What is kept is read as the detector reads it: the ancestors of a call up to its statement (the
with-item, the managing call, the return) are in the statement's own expressions, which libcst
and ``ast`` nest the same way for these shapes. Where they could differ (a parenthesised
``with (a, b):``), the call is kept.
"""

from __future__ import annotations

import ast
from bisect import bisect_left, bisect_right
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from memfix.astindex import DEFINITIONS, FUNCTIONS, AstIndex, called_name, statement_lists
from memfix.prefilter import FilterResult, Regions

Position = Tuple[int, int]

#: ``match`` arrived in Python 3.10; on 3.9 no node is a case (an empty tuple matches nothing)
_MATCH_CASE = getattr(ast, "match_case", ())
#: statements whose blocks are not expressions of their own (handled through statement_lists)
_BLOCK_FIELDS = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})


def full_name(expr: ast.AST) -> Optional[str]:
    """The dotted name libcst's ``get_full_name_for_node`` gives ``expr``: a call stands for its
    function, a subscript for its value (``a().b`` is ``a.b``); None when the chain does not start
    at a name (libcst then finds no qualified name)."""
    parts: List[str] = []
    while True:
        if isinstance(expr, ast.Name):
            parts.append(expr.id)
            return ".".join(reversed(parts))
        if isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        elif isinstance(expr, ast.Call):
            expr = expr.func
        elif isinstance(expr, ast.Subscript):
            expr = expr.value
        else:
            return None


class QualifiedNames:
    """Every qualified name libcst could give a dotted name in this module (a superset).

    libcst resolves the root of the name through the assignments visible where it is used: an
    import gives the imported path plus the rest of the chain (``import a.b as c``: ``c.x`` is
    ``a.b.x``; relative imports start with a dot), any other assignment gives the name itself
    behind its scope's prefix (nothing at module level, ``f.<locals>`` in a function, the class
    names in a class body), a builtin gives ``builtins.<name>``. Here every import of the root
    anywhere in the module counts, and the name itself and its ``builtins.`` form always do. A
    class body's prefix is its class names: a class named like a module of ``roots`` makes
    :meth:`complete` false, and the caller keeps everything.
    """

    def __init__(self, index: AstIndex, roots: FrozenSet[str]) -> None:
        self.imports: Dict[str, Set[str]] = {}
        for node in index.nodes(ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.imports.setdefault(alias.asname, set()).add(alias.name)
                else:
                    root = alias.name.split(".")[0]
                    self.imports.setdefault(root, set()).add(root)
        for node in index.nodes(ast.ImportFrom):
            module = "." * (node.level or 0) + (node.module or "")
            for alias in node.names:
                if alias.name == "*":
                    continue  # libcst resolves no name through a star import
                path = f"{module}{alias.name}" if module.endswith(".") else f"{module}.{alias.name}"
                self.imports.setdefault(alias.asname or alias.name, set()).add(path)
        self.complete = not any(node.name in roots for node in index.nodes(ast.ClassDef))

    def of(self, expr: ast.AST) -> Set[str]:
        name = full_name(expr)
        if name is None:
            return set()
        root, dot, rest = name.partition(".")
        found = {name, f"builtins.{name}", f"builtins.{root}"}  # a builtin's name ignores the rest
        found.update(path + dot + rest for path in self.imports.get(root, ()))
        return found


def _header_roots(stmt: ast.stmt) -> Iterable[ast.AST]:
    """The expressions that belong to ``stmt`` itself, not to a statement of its blocks; an
    except clause's type and a match case's pattern and guard count as their statement's."""
    for field in stmt._fields:
        value = getattr(stmt, field, None)
        if field in _BLOCK_FIELDS:
            for item in value or ():
                if isinstance(item, ast.excepthandler) and item.type is not None:
                    yield item.type
                elif isinstance(item, _MATCH_CASE):
                    yield item.pattern
                    if item.guard is not None:
                        yield item.guard
            continue
        if isinstance(value, ast.AST):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, ast.AST))


def _statements_holding(body: List[ast.stmt], holds: Callable[[ast.AST], bool]) -> Iterable[ast.stmt]:
    """Every statement (at any depth) whose span ``holds`` a candidate."""
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        if not holds(stmt):
            continue
        yield stmt
        for block in reversed(statement_lists(stmt)):
            stack.extend(reversed(block))


def _position(node: ast.AST) -> Position:
    return (node.lineno, node.col_offset)  # type: ignore[attr-defined]


def ancestors(index: AstIndex, calls: List[ast.Call]) -> Dict[int, Tuple[ast.stmt, List[ast.AST]]]:
    """For each of ``calls``: its statement and its ancestors below it, nearest first.

    Only the expressions of statements that can hold one of the calls are walked (the calls'
    positions, sorted, are looked up by bisection), so the cost follows the candidates."""
    wanted = {id(call) for call in calls}
    starts = sorted(_position(call) for call in calls)

    def holds(node: ast.AST) -> bool:
        if not hasattr(node, "lineno"):
            return True  # no position (a with-item, a signature): look inside
        first = min([_position(node)] + [_position(d) for d in getattr(node, "decorator_list", ())])
        last = (node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]
        return bisect_right(starts, last) > bisect_left(starts, first)

    found: Dict[int, Tuple[ast.stmt, List[ast.AST]]] = {}
    for stmt in _statements_holding(index.tree.body, holds):
        for root in _header_roots(stmt):
            if holds(root):
                _collect(root, stmt, wanted, found)
    return found


def _collect(root: ast.AST, stmt: ast.stmt, wanted: Set[int], found: Dict[int, Tuple[ast.stmt, List[ast.AST]]]) -> None:
    stack: List[Tuple[ast.AST, Tuple[ast.AST, ...]]] = [(root, ())]
    while stack:
        node, chain = stack.pop()
        if id(node) in wanted:
            found[id(node)] = (stmt, list(reversed(chain)))
        inner = chain + (node,)
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))


def managed_or_returned(
    call: ast.Call,
    stmt: ast.stmt,
    chain: List[ast.AST],
    managing: FrozenSet[str],
    maybe_consumer: Callable[[ast.Call], bool],
    reported_as_item: bool,
) -> bool:
    """True when ``visit_Call`` certainly returns without a report (``_managed`` or
    ``_escapes_by_return``); ``reported_as_item``: the call may be an opener whose with-block does
    not close it, reported when it is a with-item itself."""
    previous: ast.AST = call
    for ancestor in chain:  # _managed: the nearest ancestors first, up to the statement
        if isinstance(ancestor, ast.withitem):
            if reported_as_item and (
                ancestor.context_expr is previous
                or (isinstance(ancestor.context_expr, ast.Tuple) and previous in ancestor.context_expr.elts)
            ):
                return False  # `with sqlite3.connect(p) as c:` is reported
            return True
        if isinstance(ancestor, ast.Call) and called_name(ancestor) in managing:
            return True
        if isinstance(ancestor, ast.Lambda) and ancestor.body is call:
            return True
        previous = ancestor
    current: ast.AST = call  # _escapes_by_return
    for ancestor in chain + [stmt]:
        if isinstance(ancestor, (ast.Return, ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(ancestor, ast.stmt):
            return False
        if isinstance(ancestor, ast.Attribute) and ancestor.value is current:
            return False
        if isinstance(ancestor, ast.Call) and current is not ancestor.func and maybe_consumer(ancestor):
            return False  # an argument of a call that may read the handle and keep nothing
        current = ancestor
    return False


def with_callees(index: AstIndex, result: FilterResult) -> FilterResult:
    """``result``'s functions and the ones they pass arguments to, where this module defines them
    (a top-level function or class's ``__init__`` called by name, a method of the same class
    called on the first parameter): the detector reads a callee's body to see whether it keeps a
    handle it is passed (memfix.fixers._callee_keeps), so the slice must not stub it out. A callee
    declaring ``global`` makes the whole file the region, as for any kept function."""
    if not isinstance(result, Regions):
        return result
    top: Dict[str, ast.stmt] = {}
    for stmt in index.tree.body:
        if isinstance(stmt, DEFINITIONS):
            top[stmt.name] = stmt  # the last definition wins, as at run time
    owner: Dict[int, ast.ClassDef] = {}
    methods: Dict[int, Dict[str, ast.stmt]] = {}
    for node in index.nodes(ast.ClassDef):
        table = methods[id(node)] = {}
        for item in node.body:  # type: ignore[attr-defined]
            if isinstance(item, FUNCTIONS):
                owner[id(item)] = node  # type: ignore[assignment]
                table[item.name] = item
    kept = {id(node) for node in result.nodes}
    extra: List[ast.stmt] = []
    for region in result.nodes:
        cls = owner.get(id(region))
        receiver = _first_parameter(region)
        for call in (n for n in ast.walk(region) if isinstance(n, ast.Call) and (n.args or n.keywords)):
            func = call.func
            callee: Optional[ast.stmt] = None
            if isinstance(func, ast.Name):
                callee = top.get(func.id)
                if isinstance(callee, ast.ClassDef):
                    callee = methods.get(id(callee), {}).get("__init__")
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and cls is not None:
                if func.value.id == receiver:
                    callee = methods[id(cls)].get(func.attr)
            if callee is not None and id(callee) not in kept:
                kept.add(id(callee))
                extra.append(callee)
    if any(isinstance(n, ast.Global) for callee in extra for n in ast.walk(callee)):
        return True
    return Regions((*result.nodes, *extra)) if extra else result


def _first_parameter(function: ast.stmt) -> Optional[str]:
    if not isinstance(function, FUNCTIONS):
        return None
    params = [*function.args.posonlyargs, *function.args.args]
    return params[0].arg if params else None


__all__ = ["QualifiedNames", "ancestors", "full_name", "managed_or_returned", "with_callees"]
