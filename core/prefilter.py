"""The cheap pass before libcst: which rules can match a file, and which parts of it they need.

libcst costs about 10x ``ast`` to parse, and scope, qualified-name, parent and position metadata
cost another 6-8x the parse, all proportional to the size of the tree. So the engine spends them
only where a rule can match, in three steps:

1. needles: a rule is a candidate only if the text holds one of its byte strings;
2. the rule's ``ast_filter`` on one shared ``ast`` parse: ``False`` drops the rule for this file;
   ``True`` keeps it for the whole file; a :class:`Regions` keeps it for the statements named;
3. when every candidate rule named regions, the text given to libcst is a *slice*: the named
   statements verbatim, every function and class around them down to their headers, every other
   function or class replaced by a one-line stub binding the same name, everything else (imports,
   assignments, other compound statements) verbatim. The slice has exactly the lines and columns of
   the original, so positions, spans and line numbers quoted in messages are unchanged.

A rule that returns :class:`Regions` promises that its findings, and everything its analysis
reads, lie inside those statements or in the module-level bindings the slice keeps. The helpers
below build such promises for the common shapes; tests/test_perf_prefilter.py checks the promise
for every rule in ``FIXERS`` by comparing findings with and without the pre-filter.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

from memfix.source import line_ending_of
from memfix.splice import SpliceError, _edits, _fit_line_endings

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


@dataclass(frozen=True)
class Regions:
    """Statements (ast nodes, at any depth) that hold every candidate of a rule in one file.

    Truthy when not empty, so an engine that only tests ``ast_filter(tree)`` for truth keeps working.
    """

    nodes: Tuple[ast.stmt, ...]

    def __bool__(self) -> bool:
        return bool(self.nodes)


FilterResult = Union[bool, Regions]


Position = Tuple[int, int]


def _span(node: ast.AST) -> Tuple[Position, Position]:
    """(line, column) of the first and last character; a decorated definition starts at its first
    decorator (decorators belong to it, as in the ast)."""
    line, col = node.lineno, node.col_offset  # type: ignore[attr-defined]
    for decorator in getattr(node, "decorator_list", ()) or ():
        if (decorator.lineno, decorator.col_offset) < (line, col):
            line, col = decorator.lineno, decorator.col_offset - 1  # the "@"
    end = (node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]
    return (line, col), end


def _outermost(body: List[ast.stmt], kinds: tuple) -> List[ast.stmt]:
    """Statements of ``kinds`` not nested in another of ``kinds``; walks statements only (a few
    per cent of the nodes), since a definition is always a statement."""
    found: List[ast.stmt] = []
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, kinds):
            found.append(stmt)
            continue
        for inner in reversed(_statement_lists(stmt)):
            stack.extend(reversed(inner))
    return found


def _container(spans: List[Tuple[Position, Position, ast.stmt]], starts: List[Position], node: ast.AST) -> Optional[ast.stmt]:
    """The statement among non-overlapping ``spans`` (sorted) that contains ``node``."""
    first, last = _span(node)
    index = bisect_right(starts, first) - 1
    if index >= 0:
        begin, end, stmt = spans[index]
        if begin <= first and last <= end:
            return stmt
    return None


def _regions(tree: ast.Module, nodes: Iterable[ast.AST], candidates: List[ast.stmt]) -> FilterResult:
    nodes = list(nodes)
    if not nodes:
        return False
    spans = sorted((*_span(stmt), stmt) for stmt in candidates)  # type: ignore[misc]
    starts = [begin for begin, _, _ in spans]
    chosen: List[ast.stmt] = []
    seen: Set[int] = set()
    for node in nodes:
        holder = _container(spans, starts, node)  # type: ignore[arg-type]
        if holder is None:
            return True
        if id(holder) not in seen:
            seen.add(id(holder))
            chosen.append(holder)
    return Regions(tuple(chosen))


def enclosing_functions(tree: ast.Module, nodes: Iterable[ast.AST]) -> FilterResult:
    """Regions for a rule whose analysis of a candidate stays inside the function holding it.

    Each candidate maps to its outermost enclosing function (method bodies included, so nested
    functions and closures stay with it). A candidate outside any function (module level, class
    body) or in a function that declares ``global`` makes the whole file the region: its names
    are then visible, and may be used, anywhere.
    """
    result = _regions(tree, nodes, _outermost(tree.body, _FUNCS))
    if isinstance(result, Regions):
        for function in result.nodes:
            if any(isinstance(n, ast.Global) for n in ast.walk(function)):
                return True
    return result


def enclosing_top_level(tree: ast.Module, nodes: Iterable[ast.AST]) -> FilterResult:
    """Regions for a rule that reads a whole class (or top-level function) around a candidate."""
    result = _regions(tree, nodes, list(tree.body))
    if isinstance(result, Regions) and not all(isinstance(n, _DEFS) for n in result.nodes):
        return True
    return result


def split_lines(text: str) -> List[str]:
    """Lines with their endings, split where Python's tokenizer splits (not on \\f, \\x1c, ...)."""
    lines = _LINE.findall(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _ending(line: str) -> str:
    stripped = line.rstrip("\r\n")
    return line[len(stripped):]


def _statement_lists(stmt: ast.stmt) -> List[List[ast.stmt]]:
    lists: List[List[ast.stmt]] = []
    for name in ("body", "orelse", "finalbody"):
        value = getattr(stmt, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            lists.append(value)
    for handler in getattr(stmt, "handlers", ()) or ():
        lists.append(handler.body)
    for case in getattr(stmt, "cases", ()) or ():
        lists.append(case.body)
    return lists


_IDENTIFIER_FIELDS = frozenset({"id", "attr", "arg", "name", "asname", "module", "names", "rest", "kwd_attrs"})
#: ast class -> (its identifier fields, its other fields); ast.walk's generators cost more than the
#: work, and this runs over every node of every candidate file
_FIELDS: Dict[type, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {}


def _fields_of(cls: type) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    fields = _FIELDS.get(cls)
    if fields is None:
        names = tuple(f for f in cls._fields if f in _IDENTIFIER_FIELDS)  # type: ignore[attr-defined]
        others = tuple(f for f in cls._fields if f not in _IDENTIFIER_FIELDS)  # type: ignore[attr-defined]
        fields = _FIELDS[cls] = (names, others)
    return fields


def identifiers(node: ast.AST, skip: Optional[Set[int]] = None) -> List[str]:
    """Every identifier spelled in ``node`` (names, attributes, parameters, keywords, imports), in
    first-seen order, outside the subtrees whose ids are in ``skip``: what libcst would represent
    as ``Name`` nodes."""
    seen: Dict[str, None] = {}
    stack = [node]
    AST = ast.AST
    while stack:
        child = stack.pop()
        if skip and id(child) in skip:
            continue
        names, others = _fields_of(child.__class__)
        for field in names:
            value = getattr(child, field, None)
            if value is None:
                continue
            for item in value if isinstance(value, list) else (value,):
                if isinstance(item, str):
                    for part in item.split("."):
                        if part.isidentifier():
                            seen.setdefault(part, None)
                elif isinstance(item, AST):  # "name" of a type parameter holds nodes in 3.12
                    stack.append(item)
        pending = []
        for field in others:
            value = getattr(child, field, None)
            if isinstance(value, AST):
                pending.append(value)
            elif isinstance(value, list):
                pending.extend(v for v in value if isinstance(v, AST))
        stack.extend(reversed(pending))
    return list(seen)


_CHAIN = 16


def _spell(names: Sequence[str]) -> str:
    """``0 .a .b, 0 .c .d``: the names as attributes of a constant, in short chains (an attribute
    chain nests, and libcst visits nesting by recursion)."""
    return ", ".join("0 ." + " .".join(names[i : i + _CHAIN]) for i in range(0, len(names), _CHAIN))


def slice_source(text: str, tree: ast.Module, keep: Sequence[ast.stmt]) -> Optional[str]:
    """The text libcst needs for ``keep`` (see the module docstring), or None when it cannot be cut.

    A stub keeps the first line's indentation and the statement's line span, and spells every
    identifier of the code it replaces as an attribute of a constant: ``def name(): 0 .a .b, \"\"\"``
    on the first line, the closing quotes on the last, blank lines between. So the set of names in
    the module is unchanged (rules pick fresh names from it), no scope gains an access or an
    assignment, and the stubbed code costs libcst a few nodes however long it was.
    """
    lines = split_lines(text)
    keep_ids = {id(node) for node in keep}
    kept_spans = sorted(_span(node) for node in keep)
    kept_starts = [begin for begin, _ in kept_spans]

    def holds_keep(stmt: ast.stmt) -> bool:
        begin, end = _span(stmt)
        index = bisect_left(kept_starts, begin)
        return index < len(kept_spans) and kept_spans[index][1] <= end

    stubs: List[Tuple[ast.stmt, int, int]] = []  # statement, first and last line (0-based)

    def plan(body: List[ast.stmt]) -> bool:
        for stmt in body:
            if id(stmt) in keep_ids:
                continue
            if isinstance(stmt, _DEFS) and not holds_keep(stmt):
                first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", ())]) - 1
                last = (stmt.end_lineno or stmt.lineno) - 1
                if first < 0 or last >= len(lines):
                    return False
                head = lines[first]
                if head[: stmt.col_offset].strip(" \t\f") or not head[stmt.col_offset :].startswith(
                    ("@", "def", "async", "class")
                ):
                    return False  # not where ast says: let libcst see the whole file
                stubs.append((stmt, first, last))
                continue
            for inner in _statement_lists(stmt):
                if not plan(inner):
                    return False
        return True

    if not plan(tree.body):
        return None
    # a name already spelled in the kept code, or in an earlier stub, need not be spelled again
    seen = set(identifiers(tree, skip={id(stmt) for stmt, _, _ in stubs}))
    seen.update(stmt.name for stmt, _, _ in stubs)  # type: ignore[attr-defined]
    out = list(lines)
    for stmt, first, last in stubs:
        head = lines[first]
        indent = head[: stmt.col_offset]
        if isinstance(stmt, ast.ClassDef):
            header = f"class {stmt.name}:"
        else:
            prefix = "async def" if isinstance(stmt, ast.AsyncFunctionDef) else "def"
            header = f"{prefix} {stmt.name}():"  # type: ignore[attr-defined]
        names = [name for name in identifiers(stmt) if name not in seen]
        seen.update(names)
        chain = _spell(names)
        if first == last:
            out[first] = f"{indent}{header} {chain or 'pass'}{_ending(head)}"
            continue
        # the names on the first line, then one string token down to the last line: blank lines
        # between parentheses would each be a libcst node, lines inside a string are not
        # (the line number inside keeps every line distinct, so diffing a slice stays linear)
        out[first] = f'{indent}{header} {chain + ", " if chain else ""}"""{_ending(head)}'
        for index in range(first + 1, last):
            out[index] = f"{index + 1}{_ending(lines[index])}"
        out[last] = f'"""{_ending(lines[last])}'
    return "".join(out)


def splice_slice(original: str, sliced: str, rewritten: str) -> Union[str, SpliceError]:
    """``original`` with the edits ``sliced -> rewritten`` applied, line for line.

    A slice has the original's lines at the original's places, so no matching is needed: an edit
    is accepted only if every line it replaces is the same in the slice and the original (it never
    touches a stub), and is applied at the same line numbers."""
    o_lines = split_lines(original)
    r_lines = split_lines(sliced)
    if len(o_lines) != len(r_lines):
        return SpliceError("the slice does not line up with the file")
    default_ending = line_ending_of(original)
    result = list(o_lines)
    for start, end, replacement in reversed(_edits(r_lines, split_lines(rewritten))):
        if any(o_lines[i] != r_lines[i] for i in range(start, end)):
            return SpliceError(f"the rewrite at line {start + 1} touches code outside the slice")
        if end > start:
            neighbour = _ending(o_lines[start])
        elif start > 0:
            neighbour = _ending(o_lines[start - 1])
        else:
            neighbour = _ending(o_lines[0]) if o_lines else default_ending
        result[start:end] = _fit_line_endings(replacement, neighbour or default_ending)
    return "".join(result)


__all__ = [
    "splice_slice",
    "Regions",
    "FilterResult",
    "enclosing_functions",
    "enclosing_top_level",
    "slice_source",
    "split_lines",
]
