"""Add the imports a fix scheduled, exactly where and how libcst's ``AddImportsVisitor`` would.

Two costs made memfix restate that visitor rather than run it:

* ``transform_module`` deep-copies the whole module into a ``MetadataWrapper`` and rebuilds every
  node: on the standard library's larger files that cost more than the rule's own transform.
  The visitor's decisions read only the module's head (an optional docstring or ``__strict__``
  flag, the block of import lines after it, the leading lines of the first statement after that
  block), so only the head is rewritten and the rest of the body is put back as the same objects.
* importing ``libcst.codemod`` imports ``libcst.matchers``: about 0.3 s, paid by every worker
  process the first time one of its files gets a fix that needs an import.

The rules are libcst 1.x's (``_add_imports.py``: ``_GatherTopImportsBeforeStatements``,
``leave_ImportFrom``, ``_split_module``, ``_insert_empty_line``, ``leave_Module``), for absolute
imports without a package name, which is all memfix schedules. tests/test_imports.py checks the
output equals libcst's whole-module visitor, byte for byte, on every shape the head can take.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from memfix.nodes import dotted_name, import_alias_name

Statement = Union[cst.SimpleStatementLine, cst.BaseCompoundStatement]


@dataclass(frozen=True)
class ImportRequest:
    """``import module`` / ``import module as asname`` / ``from module import obj [as asname]``."""

    module: str
    obj: Optional[str] = None
    asname: Optional[str] = None


def add_scheduled_imports(module: cst.Module, requests: Sequence[ImportRequest]) -> cst.Module:
    """``module`` with ``requests`` added, as ``AddImportsVisitor`` would add them."""
    if not requests:
        return module
    head, rest = _split_head(module.body)
    placeholder = None
    if rest:
        placeholder = cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=rest[0].leading_lines)
        head = [*head, placeholder]
    new_head = _add_to(module.with_changes(body=head), requests)
    if placeholder is None:
        return module.with_changes(body=new_head)
    # the first statement after the imports may have been given an empty line before it
    moved = new_head.pop()
    first = rest[0].with_changes(leading_lines=moved.leading_lines)
    return module.with_changes(body=[*new_head, first, *rest[1:]])


def _split_head(body: Sequence[Statement]) -> Tuple[List[Statement], List[Statement]]:
    """The statements the visitor reads or may rewrite, and the rest.

    It looks past ``body[0]`` only when that is a docstring or ``__strict__`` flag (both simple
    statement lines), then reads import lines until the first other statement, whose leading lines
    it may change. Keeping a leading simple line whatever it holds, then every import line after
    it, covers every case; the statement after them is the placeholder's."""
    end = 0
    if body and isinstance(body[0], cst.SimpleStatementLine):
        end = 1
    while end < len(body) and _import_of(body[end]) is not None:
        end += 1
    return list(body[:end]), list(body[end:])


def _import_of(statement: Statement) -> Optional[Union[cst.Import, cst.ImportFrom]]:
    """The import a line holds alone (``import a; import b`` on one line is not an import line)."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            return small
    return None


def _skip_first(body: Sequence[Statement]) -> bool:
    """A ``__strict__`` flag or a docstring (one plain string) opens the module: imports go after."""
    if not body or not isinstance(body[0], cst.SimpleStatementLine) or len(body[0].body) != 1:
        return False
    small = body[0].body[0]
    if isinstance(small, cst.Assign):
        return len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name) and small.targets[0].target.value == "__strict__"
    return isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString)


class _Wanted:
    """What the requests still need once the module's top imports are read."""

    def __init__(self, requests: Sequence[ImportRequest]) -> None:
        self.modules: Set[str] = {r.module for r in requests if r.obj is None and r.asname is None}
        self.objects: Dict[str, Set[str]] = {
            module: {r.obj for r in requests if r.module == module and r.obj is not None and r.asname is None}  # type: ignore[misc]
            for module in sorted({r.module for r in requests if r.obj is not None and r.asname is None})
        }
        self.module_aliases: Dict[str, str] = {r.module: r.asname for r in requests if r.obj is None and r.asname is not None}  # type: ignore[misc]
        self.object_aliases: Dict[str, List[Tuple[str, str]]] = {
            module: [(r.obj, r.asname) for r in requests if r.module == module and r.obj is not None and r.asname is not None]  # type: ignore[misc]
            for module in sorted({r.module for r in requests if r.obj is not None and r.asname is not None})
        }

    def drop_present(self, imports: Sequence[Union[cst.Import, cst.ImportFrom]]) -> None:
        present_modules: Set[str] = set()
        present_module_aliases: Dict[str, str] = {}
        present_objects: Dict[str, Set[str]] = {}
        present_object_aliases: Dict[str, List[Tuple[str, Optional[str]]]] = {}
        for imp in imports:
            if isinstance(imp, cst.Import):
                for name in imp.names:
                    alias = import_alias_name(name)
                    if alias is not None:
                        present_module_aliases[dotted_name(name.name)] = alias
                    else:
                        present_modules.add(dotted_name(name.name))
                continue
            if imp.relative or imp.module is None:
                continue  # relative: no package name to resolve it against
            module = dotted_name(imp.module)
            if isinstance(imp.names, cst.ImportStar):
                present_objects[module] = {"*"}
                continue
            aliased = [(dotted_name(a.name), import_alias_name(a)) for a in imp.names if a.asname is not None]
            if aliased:
                present_object_aliases.setdefault(module, []).extend(aliased)
            plain = {dotted_name(a.name) for a in imp.names if a.asname is None}
            if plain:
                present_objects.setdefault(module, set())
                if "*" in present_objects[module]:
                    continue
                present_objects[module].update(plain)
        self.modules -= present_modules
        for module, alias in present_module_aliases.items():
            if self.module_aliases.get(module) == alias:
                del self.module_aliases[module]
        for module, pairs in present_object_aliases.items():
            for pair in pairs:
                wanted = self.object_aliases.get(module)
                if wanted is not None and pair in wanted:
                    wanted.remove(pair)  # type: ignore[arg-type]
                    if not wanted:
                        del self.object_aliases[module]
        for module, objects in present_objects.items():
            if module not in self.objects:
                continue
            if "*" in objects:
                del self.objects[module]
                continue
            self.objects[module] -= objects
            if not self.objects[module]:
                del self.objects[module]

    def merge_into(self, imp: cst.ImportFrom) -> cst.ImportFrom:
        """The first top ``from module import ...`` of a wanted module takes its names."""
        if isinstance(imp.names, cst.ImportStar) or imp.relative or imp.module is None:
            return imp
        module = dotted_name(imp.module)
        if module not in self.objects and module not in self.object_aliases:
            return imp
        objects = self.objects.pop(module, set())
        aliases = self.object_aliases.pop(module, [])
        return imp.with_changes(
            names=[
                *(cst.ImportAlias(name=cst.Name(obj)) for obj in sorted(objects)),
                *(cst.ImportAlias(name=cst.Name(obj), asname=cst.AsName(name=cst.Name(alias))) for obj, alias in sorted(aliases)),
                *imp.names,
            ]
        )

    def __bool__(self) -> bool:
        return bool(self.modules or self.objects or self.module_aliases or self.object_aliases)


def _add_to(module: cst.Module, requests: Sequence[ImportRequest]) -> List[Statement]:
    body = list(module.body)
    start = 1 if _skip_first(body) else 0
    top: List[int] = []  # indexes of the top import lines
    for index in range(start, len(body)):
        if _import_of(body[index]) is None:
            break
        top.append(index)
    wanted = _Wanted(requests)
    wanted.drop_present([_import_of(body[i]) for i in top])  # type: ignore[misc]
    for index in top:
        line = body[index]
        imp = _import_of(line)
        if isinstance(imp, cst.ImportFrom):
            merged = wanted.merge_into(imp)
            if merged is not imp:
                body[index] = line.with_changes(body=[merged])  # type: ignore[union-attr]
    if not wanted:
        return body
    add_at = top[-1] + 1 if top else start
    before, block, after = body[:start], body[start:add_at], body[add_at:]
    after = _with_empty_line(after)
    by_module: Dict[str, List[Tuple[str, Optional[str]]]] = defaultdict(list)
    for name, pairs in wanted.object_aliases.items():
        by_module[name].extend(pairs)
    for name, objects in wanted.objects.items():
        by_module[name].extend((obj, None) for obj in objects)
    ordered = {name: sorted(pairs) for name, pairs in by_module.items()}  # type: ignore[type-var]
    config = module.config_for_parsing

    def from_line(name: str, pairs: List[Tuple[str, Optional[str]]]) -> Statement:
        spelled = ", ".join(obj if alias is None else f"{obj} as {alias}" for obj, alias in pairs)
        return cst.parse_statement(f"from {name} import {spelled}", config=config)

    return [
        *before,
        *(from_line(name, pairs) for name, pairs in ordered.items() if name == "__future__"),
        *block,
        *(cst.parse_statement(f"import {name}", config=config) for name in sorted(wanted.modules)),
        *(cst.parse_statement(f"import {name} as {alias}", config=config) for name, alias in wanted.module_aliases.items()),
        *(from_line(name, pairs) for name, pairs in ordered.items() if name != "__future__"),
        *after,
    ]


def _with_empty_line(statements: List[Statement]) -> List[Statement]:
    """At least one empty line between the imports and the first statement after them."""
    if not statements:
        return statements
    first = statements[0]
    if not first.leading_lines:
        return [first.with_changes(leading_lines=(cst.EmptyLine(),)), *statements[1:]]
    if first.leading_lines[0].comment is None:
        return statements
    return [first.with_changes(leading_lines=(cst.EmptyLine(), *first.leading_lines)), *statements[1:]]


__all__ = ["ImportRequest", "add_scheduled_imports"]
