"""The contract every rule module implements: metadata, examples, detector, transformer.

The detector decides (what is wrong, which fix, how safe, why); the transformer only carries out
the plans the engine hands it. Keeping every decision in the detector is what makes verify
meaningful: a transformer cannot touch a node nobody reported.

The engine runs a rule's detector and transformer through the same ``MetadataWrapper`` (built with
``unsafe_skip_copy=True``), so plans can be keyed by node identity and may hold references to the
nodes they rewrite. Plans never leave the engine; findings (positions and strings) do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import (
    Any,
    Callable,
    ClassVar,
    Dict,
    Generic,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
    Type,
    TypeVar,
)

import libcst as cst
from libcst.metadata import ParentNodeProvider, PositionProvider, ProviderT

from memfix.config import Settings
from memfix.imports import ImportRequest
from memfix.model import Confidence, Finding, FixInfo, Safety, Span
from memfix.nodes import ScopeItem, all_names, in_source_order, parent_in, qualified_in


@dataclass(frozen=True)
class Rule:
    """Public identity of a rule: code and name are part of the CLI contract."""

    code: str
    name: str
    summary: str
    fix_title: str


@dataclass(frozen=True)
class FixPlan:
    """What the detector decided to rewrite. Rules subclass it with the fields their transformer needs.

    ``reason`` states the evidence for the safety class ("`len(self.errors)` at line 88 sees the
    whole history"); ``description`` says what the rewrite does, in one line.
    """

    safety: Safety
    description: str
    reason: str = ""


@dataclass(frozen=True)
class Valid:
    """Example code the rule must leave alone."""

    code: str


@dataclass(frozen=True)
class Invalid:
    """Example code the rule reports; ``fixed`` is the rewrite (None: reported without a fix)."""

    code: str
    fixed: Optional[str] = None
    safety: Optional[Safety] = None
    unsafe_fixes: bool = False


Example = object  # Valid | Invalid (3.9 has no `|` in runtime annotations)


@dataclass
class FileContext:
    """Per-file state shared by a rule's detector and transformer: never shared across files."""

    path: str
    settings: Settings
    source: str
    #: imports the transformer scheduled, added after its transform (memfix.imports)
    imports: List[ImportRequest] = field(default_factory=list)
    #: per-file scratch shared by the detectors of one detection pass (one tree, one wrapper):
    #: rules that share an expensive analysis compute it once and keep it here
    shared: Dict[str, object] = field(default_factory=dict)

    def fallback_max_len(self) -> int:
        return self.settings.max_len


@dataclass(frozen=True)
class Report:
    """One detector hit before the engine turns it into a Finding."""

    node: cst.CSTNode
    finding: Finding
    plan: Optional[FixPlan]


PlanT = TypeVar("PlanT", bound=FixPlan)


def _compose_message(message: str, plan: Optional[FixPlan], no_fix_reason: str) -> str:
    if plan is None:
        return f"{message} (no fix: {no_fix_reason})" if no_fix_reason else f"{message} (no fix)"
    label = f"{plan.safety.value} fix"
    return f"{message} ({label}: {plan.reason})" if plan.reason else f"{message} ({label})"


class BaseDetector(cst.CSTVisitor):
    """Visits one module, never mutates it, and calls :meth:`report` for each hit.

    A plain ``CSTVisitor``: matcher decorators (``@m.visit``) are not used by any rule, and
    ``MatcherDecoratableVisitor`` inspects every method of the class on each construction, which
    the engine does for every rule and file (``m.matches`` works the same either way)."""

    METADATA_DEPENDENCIES: ClassVar[Tuple[ProviderT, ...]] = (PositionProvider, ParentNodeProvider)

    def __init__(self, ctx: FileContext, rule: Rule) -> None:
        super().__init__()
        self.ctx = ctx
        self.rule = rule
        self.reports: List[Report] = []
        #: the module being visited (set by :meth:`visit_Module`; subclasses that override it call super)
        self.module: Optional[cst.Module] = None
        self._module_names: Optional[Set[str]] = None

    def visit_Module(self, node: cst.Module) -> Optional[bool]:
        self.module = node
        self._module_names = None
        return None

    # -- lookups shared by every rule: they never raise, see memfix.nodes ----------------------

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return parent_in(self.metadata, node)

    def qualified(self, node: cst.CSTNode) -> Set[str]:
        """Qualified names of ``node``; needs ``QualifiedNameProvider`` in METADATA_DEPENDENCIES."""
        return qualified_in(self.metadata, node)

    def module_names(self) -> Set[str]:
        """Every identifier of the visited module: a name outside it shadows nothing."""
        if self._module_names is None:
            assert self.module is not None, "visit_Module sets the module"
            self._module_names = all_names(self.module, self.metadata.get(ParentNodeProvider))
        return self._module_names

    def line_of(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def in_order(self, items: Iterable[ScopeItem]) -> List[ScopeItem]:
        """Scope assignments or accesses in source order (see memfix.nodes.in_source_order)."""
        return in_source_order(self.metadata, items)

    def span_of(self, node: cst.CSTNode) -> Span:
        pos = self.get_metadata(PositionProvider, node)
        return Span(pos.start.line, pos.start.column + 1, pos.end.line, pos.end.column + 1)

    def report(
        self,
        node: cst.CSTNode,
        *,
        symbol: str,
        message: str,
        plan: Optional[FixPlan] = None,
        no_fix_reason: str = "",
        confidence: Confidence = Confidence.HIGH,
    ) -> None:
        fix = None if plan is None else FixInfo(safety=plan.safety, description=plan.description)
        finding = Finding(
            code=self.rule.code,
            name=self.rule.name,
            path=self.ctx.path,
            span=self.span_of(node),
            message=_compose_message(message, plan, no_fix_reason),
            symbol=symbol,
            fix=fix,
            confidence=confidence,
        )
        self.reports.append(Report(node=node, finding=finding, plan=plan))


class BaseTransformer(cst.CSTTransformer, Generic[PlanT]):
    """Carries out plans. Every ``leave_*`` starts with a plan lookup and returns ``updated_node``
    untouched when there is none.

    The engine visits only the top-level statements that hold a node some plan names (a plan's
    fields, at any depth of tuples, lists and mappings; memfix.transform): a hook below the module
    never sees the others. ``visit_Module``/``leave_Module`` see the whole module."""

    METADATA_DEPENDENCIES: ClassVar[Tuple[ProviderT, ...]] = ()

    def __init__(self, ctx: FileContext, plans: Mapping[cst.CSTNode, PlanT]) -> None:
        super().__init__()
        self.ctx = ctx
        self.plans: Mapping[cst.CSTNode, PlanT] = plans

    def add_import(self, module: str, obj: Optional[str] = None, asname: Optional[str] = None) -> None:
        """Schedule an import; the engine adds it after the transform, like libcst codemods do."""
        self.ctx.imports.append(ImportRequest(module, obj, asname))


#: takes the file's memfix.astindex.AstIndex (or a bare ``ast.Module``: AstIndex.of accepts both);
#: returns bool, or memfix.prefilter.Regions naming the statements the rule needs (truthy when not empty)
AstFilter = Callable[[Any], object]


@dataclass(frozen=True)
class Fixer:
    """Binds a rule's parts. ``needles``: byte strings one of which any matching file must contain;
    ``ast_filter``: a cheap check on the ``ast`` tree deciding whether libcst is worth running."""

    rule: Rule
    doc: str
    examples: Sequence[object]
    detector: Type[BaseDetector]
    transformer: Optional[Type[BaseTransformer]]  # type: ignore[type-arg]
    needles: Tuple[bytes, ...]
    ast_filter: Optional[AstFilter] = None

    @property
    def code(self) -> str:
        return self.rule.code

    def metadata_dependencies(self) -> Tuple[ProviderT, ...]:
        deps: Dict[ProviderT, None] = {}
        for dep in (*self.detector.METADATA_DEPENDENCIES, *(self.transformer.METADATA_DEPENDENCIES if self.transformer else ())):
            deps[dep] = None
        return tuple(deps)
