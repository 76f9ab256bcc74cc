"""Add the imports a fix scheduled, at libcst's cost for the import block rather than the file.

libcst's ``AddImportsVisitor`` decides where an import goes, and how it merges into an existing
``from m import a``, from the module's leading statements alone: an optional docstring or
``__strict__`` flag, the block of import lines after it, and the leading lines of the first
statement after that block. But ``transform_module`` deep-copies the whole module into a
``MetadataWrapper`` and rebuilds every node: on the standard library's larger files that cost more
than the rule's own transform (1.5 s for one file under the profiler). So the visitor runs on a
module made of that head only, with a placeholder standing in for the first statement after it,
and the rest of the body is put back untouched. tests/test_imports.py checks the result equals the
whole-module visitor's on every shape the head can take.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Sequence, Tuple, Union

import libcst as cst

if TYPE_CHECKING:
    from libcst.codemod import CodemodContext

Statement = Union[cst.SimpleStatementLine, cst.BaseCompoundStatement]


def add_scheduled_imports(module: cst.Module, context: "CodemodContext") -> cst.Module:
    """``module`` with the imports scheduled in ``context`` added, as ``AddImportsVisitor`` would."""
    from libcst.codemod.visitors import AddImportsVisitor

    head, rest = _split_head(module.body)
    placeholder = None
    if rest:
        placeholder = cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=rest[0].leading_lines)
        head = [*head, placeholder]
    new_head: List[Statement] = list(
        AddImportsVisitor(context).transform_module(module.with_changes(body=head)).body
    )
    if placeholder is None:
        return module.with_changes(body=new_head)
    # the visitor may have given the first statement after the imports an empty line before it
    moved = new_head.pop()
    first = rest[0].with_changes(leading_lines=moved.leading_lines)
    return module.with_changes(body=[*new_head, first, *rest[1:]])


def has_scheduled_imports(context: "CodemodContext") -> bool:
    from libcst.codemod.visitors import AddImportsVisitor

    return bool(context.scratch.get(AddImportsVisitor.CONTEXT_KEY))


def _split_head(body: Sequence[Statement]) -> Tuple[List[Statement], List[Statement]]:
    """The statements ``AddImportsVisitor`` reads or may rewrite, and the rest.

    The visitor looks past ``body[0]`` only when it is a docstring or ``__strict__`` flag (both
    simple statement lines), then reads import lines until the first other statement, whose
    leading lines it may change. Keeping a leading simple line whatever it holds, then every import
    line after it, covers every case; the statement after them is the placeholder's."""
    end = 0
    if body and isinstance(body[0], cst.SimpleStatementLine):
        end = 1
    while end < len(body) and _is_import_line(body[end]):
        end += 1
    return list(body[:end]), list(body[end:])


def _is_import_line(statement: Statement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], (cst.Import, cst.ImportFrom))
    )


__all__ = ["add_scheduled_imports", "has_scheduled_imports"]
