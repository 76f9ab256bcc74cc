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
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple, Union

from memfix.astindex import DEFINITIONS, FUNCTIONS, AstIndex, first_line, outermost, statement_lists
from memfix.source import line_ending_of
from memfix.splice import SpliceError, _edits, _fit_line_endings

_DEFS, _FUNCS = DEFINITIONS, FUNCTIONS
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
    result = _regions(tree, nodes, outermost(tree.body, _FUNCS))
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


def spelling_regions(
    index: AstIndex,
    anchors: Iterable[ast.AST],
    names: Iterable[str],
    whole: Iterable[ast.stmt] = (),
    owner_evidence: Optional[Callable[[ast.stmt], bool]] = None,
) -> FilterResult:
    """Regions for a rule whose analysis of a candidate reads the definition that owns it and the
    code that spells its names (the module-wide, name-based analyses of the growth and cache rules).

    ``anchors``: the candidates' definitions. The unit (top-level function or class) holding one
    is kept whole: its methods decide the owner's lifetime (background work, ``while True``).
    ``names``: the identifiers the analysis follows (the container's name or attribute, its owner
    class). Kept besides: a function that spells one, whole; a class whose header (bases,
    decorators) spells one, whole; otherwise the methods and class-body statements that spell one;
    then, one step further, whatever spells the name of a top-level function kept so far (whether
    such a helper runs only at import time depends on who calls it). An anchor at module level
    keeps its top-level statement (the slice keeps module-level statements anyway). ``whole``:
    statements kept as they are (the function a closure's analysis stays in).

    ``owner_evidence``: when given, a class holding an anchor is not kept whole but like any class
    spelling the names, plus the methods for which it is true (those that can show the owner
    lives long: a loop, background work). Its header and class-level statements stay either way.
    """
    anchors = list(anchors)
    whole_statements = list(whole)
    if not anchors and not whole_statements:
        return False
    wanted = set(names)
    units = index.units()
    spans = sorted((*_span(unit), unit) for unit in units)  # type: ignore[misc]
    starts = [begin for begin, _, _ in spans]
    keep: Dict[int, ast.stmt] = {id(stmt): stmt for stmt in whole_statements}
    whole_units: Set[int] = set()
    owners: Dict[int, ast.ClassDef] = {}
    top_spans = sorted((*_span(stmt), stmt) for stmt in index.tree.body)  # type: ignore[misc]
    top_starts = [begin for begin, _, _ in top_spans]
    for anchor in anchors:
        unit = _container(spans, starts, anchor)  # type: ignore[arg-type]
        holder = unit if unit is not None else _container(top_spans, top_starts, anchor)  # type: ignore[arg-type]
        if holder is None:
            return True
        if owner_evidence is not None and isinstance(unit, ast.ClassDef):
            owners[id(unit)] = unit
            if isinstance(anchor, ast.stmt):
                keep[id(anchor)] = anchor
            continue
        keep[id(holder)] = holder
        if unit is not None:
            whole_units.add(id(unit))

    def spells(node: ast.AST, among: Set[str]) -> bool:
        return not among.isdisjoint(index.spelled(node))

    def sweep(among: Set[str]) -> None:
        for unit in units:
            if id(unit) in whole_units or not spells(unit, among):
                continue
            if isinstance(unit, ast.ClassDef) and not any(
                spells(part, among) for part in (*unit.bases, *unit.keywords, *unit.decorator_list)
            ):
                _keep_spelling(unit.body, among, index, keep)
                continue
            whole_units.add(id(unit))
            keep[id(unit)] = unit

    sweep(wanted)
    for owner in owners.values():
        if id(owner) not in whole_units:
            _keep_methods(owner.body, owner_evidence, keep)  # type: ignore[arg-type]
    helpers = {
        unit.name
        for unit in units
        if id(unit) in whole_units and isinstance(unit, _FUNCS) and unit in index.tree.body
    } - wanted
    if helpers:
        sweep(helpers)
    return Regions(tuple(keep.values()))


def _keep_spelling(body: List[ast.stmt], among: Set[str], index: AstIndex, keep: Dict[int, ast.stmt]) -> None:
    """The definitions and simple statements of a class body (through its compound statements)
    that spell one of ``among``. Recursive, so a function of its own: a recursive closure is a
    reference cycle, which keeps the file's whole ``ast`` alive until the collector runs."""
    for stmt in body:
        if isinstance(stmt, _DEFS) or not statement_lists(stmt):
            if not among.isdisjoint(index.spelled(stmt)):
                keep.setdefault(id(stmt), stmt)
        else:
            for inner in statement_lists(stmt):
                _keep_spelling(inner, among, index, keep)


def _keep_methods(body: List[ast.stmt], wanted: Callable[[ast.stmt], bool], keep: Dict[int, ast.stmt]) -> None:
    for stmt in body:
        if isinstance(stmt, _DEFS):
            if wanted(stmt):
                keep.setdefault(id(stmt), stmt)
        else:
            for inner in statement_lists(stmt):
                _keep_methods(inner, wanted, keep)


class RegionCheck:
    """Whether a finding lies where its rule's filter said its findings can be.

    The slice libcst sees is the union of every candidate rule's regions, so one rule's analysis
    may meet code only another rule asked for: the definition of a candidate this rule's filter
    dismissed, without the code that dismissed it (a re-binding in a method nobody else keeps).
    Its promise says its findings on the whole file lie in its own regions, or in module-level
    code (which every slice keeps); a finding elsewhere is such a half-seen candidate, never one
    the whole file has."""

    def __init__(self, tree: ast.Module) -> None:
        self._units = [_span(stmt) for stmt in outermost(tree.body, _DEFS)]

    def allows(self, regions: Sequence[ast.stmt], line: int, column: int) -> bool:
        """A finding of the rule that named ``regions`` at ``line``, ``column`` (0-based, as the
        ``ast``'s). Spans may nest, so they are searched, not bisected."""
        position = (line, column)
        if any(begin <= position <= end for begin, end in map(_span, regions)):
            return True
        return not any(begin <= position <= end for begin, end in self._units)


def split_lines(text: str) -> List[str]:
    """Lines with their endings, split where Python's tokenizer splits (not on \\f, \\x1c, ...)."""
    lines = _LINE.findall(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _ending(line: str) -> str:
    stripped = line.rstrip("\r\n")
    return line[len(stripped):]


def _plan_stubs(
    body: List[ast.stmt],
    keep_ids: Set[int],
    holds_keep: Callable[[ast.stmt], bool],
    lines: List[str],
    stubs: List[Tuple[ast.stmt, int, int]],
) -> bool:
    """Adds to ``stubs`` every definition in ``body`` (through compound statements) that holds no
    kept statement; False when one is not where the ``ast`` says (the file is then not cut).
    Recursive, so a function of its own (see :func:`_keep_spelling`)."""
    for stmt in body:
        if id(stmt) in keep_ids:
            continue
        if isinstance(stmt, _DEFS) and not holds_keep(stmt):
            first = first_line(stmt) - 1
            last = (stmt.end_lineno or stmt.lineno) - 1
            if first < 0 or last >= len(lines):
                return False
            head = lines[first]
            if head[: stmt.col_offset].strip(" \t\f") or not head[stmt.col_offset :].startswith(("@", "def", "async", "class")):
                return False  # not where ast says: let libcst see the whole file
            stubs.append((stmt, first, last))
            continue
        for inner in statement_lists(stmt):
            if not _plan_stubs(inner, keep_ids, holds_keep, lines, stubs):
                return False
    return True


@dataclass(frozen=True)
class Slice:
    """The text libcst parses instead of the file, and the identifiers of the code its stubs
    replaced: the file's identifiers are the slice tree's and these (rules pick fresh names that
    must shadow nothing anywhere in the file, and some ask whether a name is spelled at all)."""

    text: str
    elsewhere: FrozenSet[str]


def slice_source(
    text: str, tree: ast.Module, keep: Sequence[ast.stmt], index: Optional[AstIndex] = None
) -> Optional[str]:
    """The text of :func:`cut_slice`."""
    cut = cut_slice(text, tree, keep, index)
    return cut.text if cut is not None else None


def cut_slice(
    text: str, tree: ast.Module, keep: Sequence[ast.stmt], index: Optional[AstIndex] = None
) -> Optional[Slice]:
    """The text libcst needs for ``keep`` (see the module docstring), or None when it cannot be cut.

    A stub keeps the first line's indentation and the statement's line span: ``def name(): \"\"\"``
    on the first line, the closing quotes on the last, and between them one string token (lines
    inside a string are no libcst nodes; the line number on each keeps every line distinct, so
    diffing a slice stays linear). So no scope gains an access or an assignment, and the stubbed
    code costs libcst a few nodes however long it was. Its identifiers go in ``elsewhere``: spelled
    in the slice as attribute chains, they were a tenth of the libcst work on a slice. ``index``:
    the file's AstIndex, whose identifier sets the filters have mostly computed already.
    """
    spelling = index if index is not None and index.tree is tree else AstIndex(tree)
    lines = split_lines(text)
    keep_ids = {id(node) for node in keep}
    kept_spans = sorted(_span(node) for node in keep)
    kept_starts = [begin for begin, _ in kept_spans]

    def holds_keep(stmt: ast.stmt) -> bool:
        begin, end = _span(stmt)
        index = bisect_left(kept_starts, begin)
        return index < len(kept_spans) and kept_spans[index][1] <= end

    stubs: List[Tuple[ast.stmt, int, int]] = []  # statement, first and last line (0-based)
    if not _plan_stubs(tree.body, keep_ids, holds_keep, lines, stubs):
        return None
    elsewhere: Set[str] = set()
    out = list(lines)
    for stmt, first, last in stubs:
        head = lines[first]
        indent = head[: stmt.col_offset]
        if isinstance(stmt, ast.ClassDef):
            header = f"class {stmt.name}:"
        else:
            prefix = "async def" if isinstance(stmt, ast.AsyncFunctionDef) else "def"
            header = f"{prefix} {stmt.name}():"  # type: ignore[attr-defined]
        elsewhere |= spelling.spelled(stmt)
        if first == last:
            out[first] = f"{indent}{header} pass{_ending(head)}"
            continue
        out[first] = f'{indent}{header} """{_ending(head)}'
        for index in range(first + 1, last):
            out[index] = f"{index + 1}{_ending(lines[index])}"
        out[last] = f'"""{_ending(lines[last])}'
    return Slice("".join(out), frozenset(elsewhere))


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


def called_helpers(index: AstIndex, functions: Sequence[ast.AST], depth: int) -> List[ast.stmt]:
    """The helpers ``functions`` (and whatever holds them) call, and those they call, ``depth``
    calls deep: module-level functions called by name, and name-mangled methods (``self.__m()``,
    the only ones no subclass can override) of the class defining the caller. For analyses that
    read what a helper returns (the cache rules' identity check)."""
    by_name: Dict[str, List[ast.stmt]] = {}
    for stmt in index.tree.body:
        if isinstance(stmt, _FUNCS):
            by_name.setdefault(stmt.name, []).append(stmt)
    methods: Dict[int, Dict[str, List[ast.stmt]]] = {}  # id(method) -> its class's methods by name
    for node in index.nodes(ast.ClassDef):
        own: Dict[str, List[ast.stmt]] = {}
        for stmt in node.body:  # type: ignore[attr-defined]
            if isinstance(stmt, _FUNCS):
                own.setdefault(stmt.name, []).append(stmt)
        for group in own.values():
            for stmt in group:
                methods[id(stmt)] = own
    found: List[ast.stmt] = []
    seen = {id(f) for f in functions}
    frontier: Sequence[ast.AST] = functions
    for _ in range(depth):
        called: List[ast.stmt] = []
        for holder in frontier:
            # one walk of each holder: a call counts inside any function, and a mangled method
            # resolves among the methods of the class of any method around the call
            stack: List[Tuple[ast.AST, bool, Tuple[Dict[str, List[ast.stmt]], ...]]] = [(holder, False, ())]
            while stack:
                node, in_function, owners = stack.pop()
                if isinstance(node, _FUNCS):
                    in_function = True
                    its_class = methods.get(id(node))
                    if its_class is not None:
                        owners = (*owners, its_class)
                elif in_function and isinstance(node, ast.Call):
                    func = node.func
                    if isinstance(func, ast.Name):
                        called.extend(by_name.get(func.id, ()))
                    elif isinstance(func, ast.Attribute) and func.attr.startswith("__") and not func.attr.endswith("__"):
                        for its_class in owners:
                            called.extend(its_class.get(func.attr, ()))
                stack.extend((child, in_function, owners) for child in ast.iter_child_nodes(node))
        frontier = []
        for stmt in called:
            if id(stmt) not in seen:
                seen.add(id(stmt))
                frontier.append(stmt)
        if not frontier:
            break
        found.extend(frontier)
    return found


__all__ = [
    "called_helpers",
    "RegionCheck",
    "splice_slice",
    "Regions",
    "FilterResult",
    "enclosing_functions",
    "enclosing_top_level",
    "spelling_regions",
    "slice_source",
    "cut_slice",
    "Slice",
    "split_lines",
]
