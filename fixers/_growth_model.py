"""What the growth analysis (``_growth``) finds, as values: a container, its uses, a bound.

Kept apart from the analysis so that the rewrites (``_growth_rewrite``) and the rules read the
model without pulling in how it is computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import List, Optional

import libcst as cst

from memfix.model import Confidence


# ---------------------------------------------------------------------------------------------
# model


class Kind(str, Enum):
    LIST = "list"
    DEQUE = "deque"
    DEFAULTDICT = "defaultdict(list)"


class Owner(str, Enum):
    INSTANCE = "instance attribute"
    CLASS = "class attribute"
    GLOBAL = "module global"
    CLOSURE = "closure variable"


class Effect(str, Enum):
    GROW = "grow"
    BOUND = "bound"  # clear, pop, popleft, remove, del, re-bind, a length check on the growth
    TRIM = "trim"  # x = x[-K:]: bounded, but by a copy (MF105)
    READ = "read"
    ESCAPE = "escape"  # returned, passed on, stored elsewhere: code we cannot see
    NONE = "none"


class Sees(str, Enum):
    NOTHING = "nothing"  # writes, emptiness tests
    TAIL = "tail"  # x[-k], x[-K:]
    WHOLE = "whole"  # len, iteration, serialisation, head indexes...


@dataclass(frozen=True)


class Bound:
    """A bound N as the code can spell it.

    ``kind``: ``literal`` (``value``), ``module`` (a module constant ``name``), ``class`` (a class
    constant ``name`` of ``class_name``), ``attr`` (an instance attribute ``name``; ``param`` is
    the ``__init__`` parameter it was copied from, if any) or ``param`` (an ``__init__`` parameter
    with no attribute copy: usable only in ``__init__``). ``origin`` says where it came from, for
    the message.
    """

    kind: str
    value: Optional[int] = None
    name: str = ""
    class_name: str = ""
    param: str = ""
    origin: str = ""
    #: ``attr`` only: first set in ``__init__`` after the container's definition, so ``self.X``
    #: does not exist yet where the container is built (AttributeError at construction)
    late: bool = False
    #: ``attr`` only: assigned again after construction (``def resize(self, n): self.window =
    #: n``): ``deque(maxlen=self.window)`` would keep the size it was built with, where a trim
    #: reading ``self.window`` each time follows the new one
    rebound: bool = False

    @property
    def text(self) -> str:
        return str(self.value) if self.kind == "literal" else self.name

    @property
    def shown(self) -> str:
        """For messages: ``100``, ``self.window``, ``Cls.MAX``, ``MAX``."""
        if self.kind == "literal":
            return str(self.value)
        if self.kind == "class":
            return f"`{self.class_name}.{self.name}`"
        if self.kind == "attr":
            return f"`self.{self.name}`"
        return f"`{self.name}`"

    def same_as(self, other: "Bound") -> bool:
        if self.kind == "literal" or other.kind == "literal":
            return self.value is not None and self.value == other.value
        return self.kind == other.kind and self.name == other.name

    def covers(self, k: "Bound") -> bool:
        """True when a read of the last ``k`` items provably stays within this bound."""
        if self.same_as(k):
            return True
        return self.value is not None and k.value is not None and k.value <= self.value

    def render(self, where: "Where") -> Optional[str]:
        """Spell the bound at a place in the code, or None when it is not reachable there."""
        if self.kind == "literal":
            return str(self.value)
        if self.kind == "module":
            return self.name
        if self.kind == "class":
            if where.context == "class_body":
                return self.name
            if where.receiver and where.context in ("init", "method"):
                return f"{where.receiver}.{self.name}"
            return f"{self.class_name}.{self.name}"
        if self.kind == "attr":
            if where.context == "init" and self.rebound:
                return None  # evaluated once, at construction
            if where.context == "init" and self.param:
                return self.param
            if where.context == "init" and self.late:
                return None
            if where.receiver and where.context in ("init", "method"):
                return f"{where.receiver}.{self.name}"
            return None
        if self.kind == "param":
            return self.name if where.context == "init" else None
        return None


@dataclass(frozen=True)


class Where:
    """Where a bound is spelled: ``context`` is init | method | class_body | module | function |
    factory (a default factory lambda, evaluated later outside the class body)."""

    context: str
    receiver: str = ""


@dataclass


class Use:
    """One access to a container (or, for a defaultdict, to one key's list)."""

    node: cst.BaseExpression  # the expression that denotes the container at this site
    line: int
    text: str  # the code shown in messages
    effect: Effect
    sees: Sees = Sees.NOTHING
    deque_ok: bool = True  # still works unchanged when the container becomes a deque
    why: str = ""  # "sees the whole history", "is returned", ...
    tail: Optional[Bound] = None  # K for a tail read
    tail_slice: Optional[cst.Subscript] = None  # x[-K:] (a deque needs list(x) instead)
    statement: Optional[cst.CSTNode] = None  # the statement of a growth or trim site
    trim: Optional[cst.CSTNode] = None  # for TRIM: the statement to remove (the trim or its guard)
    trim_guard: Optional[Bound] = None  # the K2 of an `if len(x) > K2:` guard around the trim
    method: str = ""  # the method called, for growth sites
    per_key: bool = False  # a defaultdict use of one key's list (d[k])
    key: Optional[cst.BaseExpression] = None  # the key expression of a per-key use
    receiver: str = ""  # the code of the receiver (``self`` in ``self.items``), for spelling N
    function: Optional[cst.FunctionDef] = None  # the function the use is in
    unresolved: bool = False  # the receiver's type is unknown: it may or may not be this container
    opaque: bool = False  # bound to another name memfix does not follow: it may be bounded there
    #: a read inside an existing trim (``x[-K:]`` of ``x = x[-K:]``, ``len(x)`` of its guard): it
    #: reads the list only to bound it, so it is no reader of the contents
    in_trim: bool = False


@dataclass


class Container:
    kind: Kind
    owner: Owner
    name: str  # attribute or variable name
    symbol: str  # stable across rewrites: "Tracker.history", "HISTORY", "make.<locals>.acc"
    statement: cst.CSTNode  # the defining Assign / AnnAssign (the reported node)
    value: cst.BaseExpression  # the defining expression
    annotation: Optional[cst.Annotation]
    where: Where  # how a bound is spelled at the definition
    class_name: str = ""
    function: Optional[cst.FunctionDef] = None  # the defining function (__init__, closure owner)
    dataclass_field: bool = False
    uses: List[Use] = field(default_factory=list)
    #: what in the module pickles objects ("" when nothing does): a defaultdict whose factory
    #: becomes a lambda can no longer be pickled
    pickled_by: str = ""
    confidence: Confidence = Confidence.HIGH
    confidence_reason: str = ""

    @property
    def label(self) -> str:
        shown = self.symbol if self.owner is not Owner.INSTANCE else f"self.{self.name}"
        return f"`{shown}`" if self.owner is not Owner.INSTANCE else f"`{shown}` ({self.symbol})"

    def grows(self) -> List[Use]:
        return [u for u in self.uses if u.effect is Effect.GROW]

    def bounds(self) -> List[Use]:
        return [u for u in self.uses if u.effect is Effect.BOUND]

    def trims(self) -> List[Use]:
        return [u for u in self.uses if u.effect is Effect.TRIM]
