"""What the MF201 analysis (``unbounded-dict-cache``) works with: a candidate dict, its uses, and
the plan its transformer carries out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import libcst as cst

from memfix.fixer import FixPlan


Stmt = cst.BaseStatement


@dataclass
class Use:
    """One place the dict is used. ``kind``: read | get | member | write | setdefault | evict |
    rebind | len_bound | counter | mutate | other."""

    kind: str
    node: cst.BaseExpression
    line: int
    key: Optional[cst.BaseExpression] = None
    value: Optional[cst.BaseExpression] = None
    detail: str = ""
    func: Optional[cst.FunctionDef] = None


@dataclass
class Candidate:
    kind: str  # module | class | instance | closure
    name: str
    symbol: str
    define_stmt: cst.SimpleStatementLine
    define_value: cst.BaseExpression
    owner_class: Optional[cst.ClassDef] = None
    outer_func: Optional[cst.FunctionDef] = None
    uses: List[Use] = field(default_factory=list)
    foreign: List[cst.CSTNode] = field(default_factory=list)
    rebound_at: Optional[int] = None


@dataclass(frozen=True)
class StmtOp:
    """What happens to one statement of a block: statements inserted before/after it, or the
    statement replaced (``replace`` set, possibly empty = removed), or an ``if`` unwrapped into
    its body with the last statement turned into ``return <unwrap_return>``."""

    before: Tuple[Stmt, ...] = ()
    after: Tuple[Stmt, ...] = ()
    replace: Optional[Tuple[Stmt, ...]] = None
    unwrap_return: Optional[cst.BaseExpression] = None


@dataclass(frozen=True)
class DictCachePlan(FixPlan):
    """Statement ops keyed by original statement; the dict's definition value replaced; for the
    memo-function shape, a decorator added to ``func``."""

    ops: Tuple[Tuple[Stmt, StmtOp], ...] = ()
    value_node: Optional[cst.BaseExpression] = None
    value_replacement: Optional[cst.BaseExpression] = None
    func: Optional[cst.FunctionDef] = None
    decorator: Optional[cst.Decorator] = None
    imports: Tuple[Tuple[str, Optional[str]], ...] = ()


class Refusal(Exception):
    """A site that cannot be rewritten consistently: the fix is not offered."""
