"""The with-block rewrite for MF301 and MF302: carries out the plans ``_with_rewrite`` built.

It replaces the statements from the open to the last use (or the explicit ``close()``) with a
with-block holding them, dropping the ``close()``. Comments inside the moved statements move with
them; comments on the dropped ``close()`` line are kept as comment lines at the end of the new
block.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from memfix.fixer import BaseTransformer
from memfix.fixers._with_plans import NestClosingPlan, WithPlan


class WithRewriteTransformer(BaseTransformer[WithPlan]):
    """Rebuilds each planned block; the detector guaranteed plans in one block nest or are
    disjoint, so the rewrite is a simple recursion over statement ranges."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._by_block: Dict[int, List[WithPlan]] = {}
        self._inline_calls: Dict[int, WithPlan] = {}
        #: an inline call as it was left (the calls inside it already replaced by their names),
        #: and when: the with-items list them in the order the calls ran
        self._left_calls: Dict[int, Tuple[int, cst.Call]] = {}
        self._nested: Dict[int, NestClosingPlan] = {}
        for plan in self.plans.values():
            if isinstance(plan, NestClosingPlan):
                self._nested[id(plan.item)] = plan
                continue
            self._by_block.setdefault(id(plan.block), []).append(plan)
            if not plan.assigned and plan.call is not None:
                self._inline_calls[id(plan.call)] = plan

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        plan = self._inline_calls.get(id(original_node))
        if plan is None:
            return updated_node
        if plan.discarded:
            # its statement becomes `pass` (_rewrite): the item keeps the parentheses (and what
            # they hold, comments included)
            self._left_calls[id(original_node)] = (len(self._left_calls), updated_node)
            return updated_node
        self._left_calls[id(original_node)] = (len(self._left_calls), updated_node.with_changes(lpar=[], rpar=[]))
        return cst.Name(plan.name, lpar=updated_node.lpar, rpar=updated_node.rpar)

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.With:
        if not any(id(item) in self._nested for item in original_node.items):
            return updated_node
        items: List[cst.WithItem] = []
        for original, updated in zip(original_node.items, updated_node.items):
            plan = self._nested.get(id(original))
            if plan is None:
                items.append(updated)
                continue
            wrapped = WithPlan(safety=plan.safety, description="", wrapper=plan.wrapper, wrapper_import=plan.wrapper_import)
            items.append(
                updated.with_changes(
                    item=self._wrapped(updated.item, wrapped),
                    asname=cst.AsName(name=cst.Name(plan.name)),
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
                )
            )
            items.append(cst.WithItem(item=cst.Name(plan.name), comma=updated.comma))
        return updated_node.with_changes(items=items)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        plans = self._by_block.get(id(original_node))
        if not plans:
            return updated_node
        rewritten = self._rewrite(list(original_node.body), list(updated_node.body), plans, 0, updated_node.indent)
        return updated_node.with_changes(body=rewritten)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        plans = self._by_block.get(id(original_node))
        if not plans:
            return updated_node
        return updated_node.with_changes(body=self._rewrite(list(original_node.body), list(updated_node.body), plans, 0))

    def _rewrite(
        self,
        original: List[cst.BaseStatement],
        updated: List[cst.BaseStatement],
        plans: List[WithPlan],
        offset: int,
        indent: Optional[str] = None,
    ) -> List[cst.BaseStatement]:
        """``original``/``updated`` are body[offset:offset+len]; plans carry absolute indices."""
        result: List[cst.BaseStatement] = []
        i = 0
        while i < len(updated):
            absolute = offset + i
            starting = [p for p in plans if p.start == absolute]
            outer = max(starting, key=lambda p: p.end, default=None)
            if outer is None:
                result.append(updated[i])
                i += 1
                continue
            same_statement = (
                [p for p in starting if p is not outer and p.end == outer.end and not p.assigned]
                if outer.start == outer.end
                else []
            )
            inner_plans = [p for p in plans if p is not outer and p not in same_statement and outer.start <= p.start and p.end <= outer.end]
            if outer.assigned:
                header_stmt = updated[i]
                inner_range_start = i + 1
            else:
                header_stmt = None
                inner_range_start = i
            inner_end = outer.end - offset
            inner_original = original[inner_range_start : inner_end + 1]
            inner_updated = updated[inner_range_start : inner_end + 1]
            body = self._rewrite(
                inner_original,
                inner_updated,
                [p for p in inner_plans if p.start >= offset + inner_range_start],
                offset + inner_range_start,
                indent,
            )
            footer: List[cst.EmptyLine] = []
            if outer.close_index is not None:
                close_stmt = updated[outer.close_index - offset]
                body = [s for s in body if s is not close_stmt]
                footer = self._comments_of(close_stmt)
            if not body:
                body = [cst.SimpleStatementLine(body=[cst.Pass()])]
            items = []
            if outer.assigned:
                assert isinstance(header_stmt, cst.SimpleStatementLine)
                assign = header_stmt.body[0]
                assert isinstance(assign, cst.Assign)
                items.append(cst.WithItem(item=self._wrapped(assign.value, outer), asname=cst.AsName(name=cst.Name(outer.name))))
                leading = list(header_stmt.leading_lines)
                header = header_stmt.trailing_whitespace
            else:
                # in the order the calls ran: `open(open(p).name)` opens `p` first, and the
                # outer item reads the inner one's name
                for plan in sorted([outer, *same_statement], key=lambda p: self._left_calls[id(p.call)][0]):
                    call = self._left_calls[id(plan.call)][1]
                    name = None if plan.discarded else cst.AsName(name=cst.Name(plan.name))
                    items.append(cst.WithItem(item=self._wrapped(call, plan), asname=name))
                if any(plan.discarded for plan in [outer, *same_statement]):
                    # the statement was the call alone: what is left of it is `pass`
                    alone = body[0]
                    assert isinstance(alone, cst.SimpleStatementLine)
                    body[0] = alone.with_changes(body=[cst.Pass()])
                first = body[0]
                leading = list(getattr(first, "leading_lines", ()))
                body[0] = first.with_changes(leading_lines=[]) if leading else first
                header = cst.TrailingWhitespace()
            items = [
                item.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) if n < len(items) - 1 else item
                for n, item in enumerate(items)
            ]
            result.append(
                cst.With(
                    items=items,
                    # the new level indents like the block it sits in (tabs stay tabs)
                    body=cst.IndentedBlock(body=body, header=header, footer=footer, indent=indent),
                    leading_lines=leading,
                )
            )
            i = inner_end + 1
        return result

    def _wrapped(self, item: cst.BaseExpression, plan: WithPlan) -> cst.BaseExpression:
        if not plan.wrapper:
            return item
        if plan.wrapper_import is not None:
            self.add_import(*plan.wrapper_import)
        return cst.Call(func=cst.parse_expression(plan.wrapper), args=[cst.Arg(value=item)])

    @staticmethod
    def _comments_of(statement: cst.BaseStatement) -> List[cst.EmptyLine]:
        lines = [line for line in getattr(statement, "leading_lines", ()) if line.comment is not None]
        trailing = getattr(statement, "trailing_whitespace", None)
        if trailing is not None and trailing.comment is not None:
            lines.append(cst.EmptyLine(comment=trailing.comment))
        return lines
