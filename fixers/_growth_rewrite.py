"""Plans and rewrites for the growth rules (MF101-MF105), on top of the analysis in ``_growth``.

For a container the analysis found, :func:`decide` picks the fix its rule offers (or none), the
bound N (the first candidate that can be spelled everywhere the fix writes it), the safety class
with its evidence, and the message. The plan carries plain edits keyed by the nodes of the tree
being visited: replace an expression, insert a statement after a growth site, remove or replace a
statement. :class:`GrowthTransformer` carries them out and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar, Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import ParentNodeProvider, PositionProvider, QualifiedNameProvider, ScopeProvider

from memfix.fixer import BaseDetector, BaseTransformer, FixPlan
from memfix.fixers._growth import GrowthAnalysis, deque_compatible, out_of_sight, owning_rule, problems
from memfix.fixers._growth_facts import is_pure
from memfix.fixers._growth_model import Bound, Container, Effect, Kind, Owner, Sees, Use, Where
from memfix.model import Confidence, Safety

Replace = Callable[[cst.CSTNode], cst.CSTNode]


@dataclass(frozen=True)
class GrowthPlan(FixPlan):
    """Edits keyed by nodes of the visited tree; ``imports``: (module, name) to add."""

    replace: Tuple[Tuple[cst.CSTNode, Replace], ...] = ()
    insert_after: Tuple[Tuple[cst.CSTNode, str], ...] = ()
    remove: Tuple[cst.CSTNode, ...] = ()
    imports: Tuple[Tuple[str, str], ...] = ()


@dataclass
class Decision:
    container: Container
    message: str
    plan: Optional[GrowthPlan]
    no_fix_reason: str = ""


class _NoFix(Exception):
    """A fix cannot be built; the message says why. Internal to :func:`decide`."""


# ---------------------------------------------------------------------------------------------
# spelling helpers


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


@dataclass(frozen=True)
class _DequeName:
    spelling: str  # "deque", "D", "collections.deque"
    needs_import: bool


def deque_name(module: cst.Module) -> Optional[_DequeName]:
    """How this module spells ``collections.deque``: an existing import or alias, else a new
    ``from collections import deque``; None when the name ``deque`` means something else."""
    module_alias = ""
    other_deque = False
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and statement.name.value == "deque":
                other_deque = True
            continue
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                source = _code(small.module) if small.module is not None else ""
                for alias in small.names:
                    bound = _code(alias.asname.name) if alias.asname else _code(alias.name)
                    if source == "collections" and _code(alias.name) == "deque" and not small.relative:
                        return _DequeName(bound, False)
                    if bound == "deque":
                        other_deque = True
            elif isinstance(small, cst.Import):
                for alias in small.names:
                    if _code(alias.name) == "collections":
                        module_alias = module_alias or (_code(alias.asname.name) if alias.asname else "collections")
            elif isinstance(small, (cst.Assign, cst.AnnAssign)):
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                if any(isinstance(t, cst.Name) and t.value == "deque" for t in targets):
                    other_deque = True
    if module_alias:
        return _DequeName(f"{module_alias}.deque", False)
    return None if other_deque else _DequeName("deque", True)


_LISTISH = {"list", "List", "typing.List", "t.List"}


def _listish(expr: cst.BaseExpression) -> bool:
    target = expr.value if isinstance(expr, cst.Subscript) else expr
    return isinstance(target, (cst.Name, cst.Attribute)) and _code(target) in _LISTISH


def _to_deque_annotation(expr: cst.BaseExpression, deque: str) -> Optional[cst.BaseExpression]:
    """``list[T]`` / ``List[T]`` / ``list`` -> ``deque[T]`` / ``deque``."""
    if not _listish(expr):
        return None
    if isinstance(expr, cst.Subscript):
        return expr.with_changes(value=cst.parse_expression(deque))
    return cst.parse_expression(deque)


def _mapping_value_to_deque(expr: cst.BaseExpression, deque: str) -> Optional[cst.BaseExpression]:
    """``dict[str, list[T]]`` / ``DefaultDict[str, List[T]]`` -> ``...[str, deque[T]]``."""
    if not isinstance(expr, cst.Subscript) or len(expr.slice) != 2:
        return None
    value = expr.slice[1].slice
    if not isinstance(value, cst.Index):
        return None
    new_value = _to_deque_annotation(value.value, deque)
    if new_value is None:
        return None
    element = expr.slice[1].with_changes(slice=value.with_changes(value=new_value))
    return expr.with_changes(slice=[expr.slice[0], element])


def _replace_annotation(annotation: cst.Annotation, convert: Callable[[cst.BaseExpression], Optional[cst.BaseExpression]]) -> Optional[Replace]:
    if convert(annotation.annotation) is None:
        return None

    def apply(updated: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(updated, cst.Annotation)
        new = convert(updated.annotation)
        return updated if new is None else updated.with_changes(annotation=new)

    return apply


def _call_args_code(call: cst.Call) -> List[str]:
    return [_code(arg).rstrip().rstrip(",").strip() for arg in call.args]


def _with_maxlen(deque: str, n: str) -> Replace:
    """``[]`` / ``[a, b]`` / ``list()`` / ``list(it)`` / ``deque()`` / ``deque(it)`` /
    ``deque(maxlen=None)`` / ``field(default_factory=list)`` -> the bounded deque."""

    def apply(updated: cst.CSTNode) -> cst.CSTNode:
        if isinstance(updated, cst.List):
            if not updated.elements:
                return cst.parse_expression(f"{deque}(maxlen={n})")
            return cst.parse_expression(f"{deque}({_code(updated)}, maxlen={n})")
        assert isinstance(updated, cst.Call)
        keywords = {a.keyword.value for a in updated.args if a.keyword is not None}
        if "default_factory" in keywords:
            args = [
                a.with_changes(value=cst.parse_expression(f"lambda: {deque}(maxlen={n})"))
                if a.keyword is not None and a.keyword.value == "default_factory"
                else a
                for a in updated.args
            ]
            return updated.with_changes(args=args)
        positional = [_code(a.value) for a in updated.args if a.keyword is None]
        func = _code(updated.func) if "maxlen" in keywords or _code(updated.func).endswith("deque") else deque
        return cst.parse_expression(f"{func}({', '.join([*positional, f'maxlen={n}'])})")

    return apply


def _defaultdict_of_deques(deque: str, n: str) -> Replace:
    def apply(updated: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(updated, cst.Call)
        return updated.with_changes(args=[cst.Arg(value=cst.parse_expression(f"lambda: {deque}(maxlen={n})"))])

    return apply


def _list_of(keep_slice: bool) -> Replace:
    """``x[-K:]`` -> ``list(x)`` (K >= N: the whole deque) or ``list(x)[-K:]``."""

    def apply(updated: cst.CSTNode) -> cst.CSTNode:
        assert isinstance(updated, cst.Subscript)
        as_list = cst.Call(func=cst.Name("list"), args=[cst.Arg(value=updated.value)])
        return updated.with_changes(value=as_list) if keep_slice else as_list

    return apply


def _statement(code: str) -> Replace:
    def apply(updated: cst.CSTNode) -> cst.CSTNode:
        line = cst.parse_statement(code + "\n")
        assert isinstance(line, cst.SimpleStatementLine)
        new = line.body[0]
        semicolon = getattr(updated, "semicolon", cst.MaybeSentinel.DEFAULT)
        return new.with_changes(semicolon=semicolon)

    return apply


# ---------------------------------------------------------------------------------------------
# decisions


class _Planner:
    """Builds the decision for one container; every choice is made here, once."""

    def __init__(self, analysis: GrowthAnalysis, c: Container, default: int) -> None:
        self.analysis = analysis
        self.meta = analysis.meta
        self.c = c
        self.default = default
        self.candidates = analysis.bound_candidates(c, default)

    # -- bound spelling -----------------------------------------------------------------------

    def site_where(self, use: Use) -> Where:
        if use.function is None:
            return Where("module")
        if self.c.owner in (Owner.INSTANCE, Owner.CLASS) and use.receiver:
            return Where("method", use.receiver)
        return Where("function")

    def choose(self, places: Sequence[Where]) -> Tuple[Bound, List[str]]:
        """The first bound candidate spelled at every place; its spellings, in order."""
        for bound in self.candidates:
            spelled = [bound.render(w) for w in places]
            if all(s is not None for s in spelled):
                return bound, [s for s in spelled if s is not None]
        raise _NoFix("no bound can be spelled where the fix needs it")

    def definition_where(self, lazily: bool = False) -> Where:
        """Where N is written at the definition; ``lazily``: inside a factory lambda, where a
        class body's names are out of scope."""
        where = self.c.where
        if lazily and where.context == "class_body":
            return Where("factory")
        return where

    # -- messages -----------------------------------------------------------------------------

    def growth_phrase(self) -> str:
        sites = self.c.grows()
        first = sites[0]
        more = f" (and {len(sites) - 1} more growth site{'s' if len(sites) > 2 else ''})" if len(sites) > 1 else ""
        return f"`{first.text}` at line {first.line}{more}"

    def message(self, head: str, bound: Optional[Bound]) -> str:
        parts = [head]
        if bound is not None:
            parts.append(f"bound {bound.shown}{bound.origin}")
        if self.c.confidence is not Confidence.HIGH:
            parts.append(f"confidence {self.c.confidence.value}: {self.c.confidence_reason}")
        return "; ".join(parts)

    def safety(self, bound: Bound, exact: bool = False) -> Tuple[Safety, str]:
        found = problems(self.c, bound, exact=exact)
        if self.c.confidence is Confidence.LOW and not exact:
            found.append("nothing shows that the owner lives long (low confidence), so bounding may drop data it needs")
        elsewhere = out_of_sight(self.c)
        if elsewhere:
            found.append(elsewhere)
        if found:
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            return Safety.UNSAFE, found[0] + more
        if exact:
            return Safety.SAFE, "the container holds exactly the same items as before, and nothing else holds it"
        readers = [u for u in self.c.uses if u.sees is Sees.TAIL and u.effect is Effect.READ]
        if readers:
            first = readers[0]
            return Safety.SAFE, f"every reader looks only at the last {bound.shown} items or fewer (`{first.text}` at line {first.line})"
        return Safety.SAFE, "no reader looks beyond whether it is empty"

    # -- edits --------------------------------------------------------------------------------

    def deque_or_fail(self) -> _DequeName:
        name = deque_name(self.analysis.module)
        if name is None:
            raise _NoFix("the name `deque` means something else in this module")
        return name

    def tail_rewrites(self, bound: Bound) -> List[Tuple[cst.CSTNode, Replace]]:
        edits: List[Tuple[cst.CSTNode, Replace]] = []
        for u in self.c.uses:
            if u.tail_slice is None or u.tail is None or u.effect is not Effect.READ:
                continue
            whole = u.tail.same_as(bound) or (u.tail.value is not None and bound.value is not None and u.tail.value >= bound.value)
            edits.append((u.tail_slice, _list_of(keep_slice=not whole)))
        return edits

    def trim_after_growth(self, target_of: Callable[[Use], Optional[str]]) -> Tuple[Bound, List[Tuple[cst.CSTNode, str]]]:
        sites = self.c.grows()
        for site in sites:
            if site.statement is None:
                raise _NoFix(f"`{site.text}` at line {site.line} is not a statement a trim can follow")
            if site.method in ("insert", "appendleft", "extendleft"):
                raise _NoFix(f"`{site.text}` at line {site.line} adds at a position, so which end is old is unknown")
        bound, spelled = self.choose([self.site_where(s) for s in sites])
        inserts: List[Tuple[cst.CSTNode, str]] = []
        for site, n in zip(sites, spelled):
            target = target_of(site)
            if target is None:
                raise _NoFix(f"the key at line {site.line} is not a plain name, so the trim would evaluate it twice")
            inserts.append((site.statement, f"del {target}[:-{n}]"))  # type: ignore[arg-type]
        return bound, inserts

    def imports(self, deque: _DequeName) -> Tuple[Tuple[str, str], ...]:
        return (("collections", "deque"),) if deque.needs_import else ()

    # -- one method per rule ------------------------------------------------------------------

    def to_deque(self) -> Tuple[Optional[Bound], GrowthPlan]:
        """MF101 / MF103: the definition becomes ``deque(..., maxlen=N)``."""
        deque = self.deque_or_fail()
        bound, (n,) = self.choose([self.definition_where(lazily=self.c.dataclass_field)])
        replace: List[Tuple[cst.CSTNode, Replace]] = [(self.c.value, _with_maxlen(deque.spelling, n))]
        if self.c.kind is Kind.LIST:
            if self.c.annotation is not None:
                fix = _replace_annotation(self.c.annotation, lambda e: _to_deque_annotation(e, deque.spelling))
                if fix is not None:
                    replace.append((self.c.annotation, fix))
            replace += self.tail_rewrites(bound)
        safety, reason = self.safety(bound)
        what = "Replace the list with" if self.c.kind is Kind.LIST else "Bound the deque with"
        plan = GrowthPlan(
            safety=safety,
            description=f"{what} {deque.spelling}(maxlen={n})",
            reason=reason,
            replace=tuple(replace),
            imports=self.imports(deque) if self.c.kind is Kind.LIST else (),
        )
        return bound, plan

    def trim(self) -> Tuple[Optional[Bound], GrowthPlan]:
        """MF102: ``del x[:-N]`` right after each growth site."""
        bound, inserts = self.trim_after_growth(lambda u: self.meta.code(u.node))
        safety, reason = self.safety(bound)
        n = inserts[0][1].rsplit("[:-", 1)[-1].rstrip("]")
        return bound, GrowthPlan(
            safety=safety,
            description=f"Trim the list to its last {n} items after each append",
            reason=reason,
            insert_after=tuple(inserts),
        )

    def per_key(self) -> Tuple[Optional[Bound], GrowthPlan]:
        """MF104: each key's list becomes ``deque(maxlen=N)``, or is trimmed after each append."""
        if deque_compatible(self.c):
            deque = self.deque_or_fail()
            bound, (n,) = self.choose([self.definition_where(lazily=True)])
            replace: List[Tuple[cst.CSTNode, Replace]] = [(self.c.value, _defaultdict_of_deques(deque.spelling, n))]
            if self.c.annotation is not None:
                fix = _replace_annotation(self.c.annotation, lambda e: _mapping_value_to_deque(e, deque.spelling))
                if fix is not None:
                    replace.append((self.c.annotation, fix))
            replace += self.tail_rewrites(bound)
            safety, reason = self.safety(bound)
            return bound, GrowthPlan(
                safety=safety,
                description=f"Keep each key's values in a {deque.spelling}(maxlen={n})",
                reason=reason,
                replace=tuple(replace),
                imports=self.imports(deque),
            )

        def target(u: Use) -> Optional[str]:
            if u.key is None or not is_pure(u.key):
                return None
            return self.meta.code(u.node)

        bound, inserts = self.trim_after_growth(target)
        safety, reason = self.safety(bound)
        return bound, GrowthPlan(
            safety=safety,
            description="Trim each key's list to its last N items after each append",
            reason=reason,
            insert_after=tuple(inserts),
        )

    def replace_trim(self) -> Tuple[Optional[Bound], GrowthPlan]:
        """MF105: drop the ``x = x[-K:]`` copy for ``deque(maxlen=K)``, or trim in place."""
        trims = self.c.trims()
        k = trims[0].tail
        assert k is not None
        same_k = all(t.tail is not None and t.tail.same_as(k) for t in trims)
        removable = all(t.trim is not None for t in trims)
        if same_k and removable and deque_compatible(self.c):
            try:
                deque = self.deque_or_fail()
                lazily = self.c.kind is Kind.DEFAULTDICT or self.c.dataclass_field
                n = k.render(self.definition_where(lazily=lazily))
                if n is None:
                    raise _NoFix("the trim's bound cannot be spelled at the definition")
            except _NoFix:
                pass
            else:
                exact = self._trims_follow_every_growth(k)
                safety, reason = self.safety(k, exact=exact)
                make = _defaultdict_of_deques if self.c.kind is Kind.DEFAULTDICT else _with_maxlen
                replace: List[Tuple[cst.CSTNode, Replace]] = [(self.c.value, make(deque.spelling, n))]
                if self.c.annotation is not None:
                    convert = _mapping_value_to_deque if self.c.kind is Kind.DEFAULTDICT else _to_deque_annotation
                    fix = _replace_annotation(self.c.annotation, lambda e: convert(e, deque.spelling))
                    if fix is not None:
                        replace.append((self.c.annotation, fix))
                replace += self.tail_rewrites(k)
                return k, GrowthPlan(
                    safety=safety,
                    description=f"Use {deque.spelling}(maxlen={n}) and drop the copying trim",
                    reason=reason,
                    replace=tuple(replace),
                    remove=tuple(t.trim for t in trims if t.trim is not None),
                    imports=self.imports(deque),
                )
        # list semantics needed (or the trim cannot be removed cleanly): trim in place
        replace = []
        for t in trims:
            assert t.tail is not None and t.statement is not None
            n = self._k_code(t)
            replace.append((t.statement, _statement(f"del {self.meta.code(t.node)}[:-{n}]")))
        safety, reason = self.safety(k, exact=True)
        return k, GrowthPlan(
            safety=safety,
            description="Trim in place with del x[:-N] instead of copying",
            reason=reason,
            replace=tuple(replace),
        )

    def _k_code(self, trim: Use) -> str:
        """The K of ``x = x[-K:]`` exactly as the code wrote it."""
        assert isinstance(trim.statement, (cst.Assign, cst.AnnAssign))
        value = trim.statement.value
        assert isinstance(value, cst.Subscript)
        element = value.slice[0].slice
        assert isinstance(element, cst.Slice) and isinstance(element.lower, cst.UnaryOperation)
        return self.meta.code(element.lower.expression)

    def _trims_follow_every_growth(self, k: Bound) -> bool:
        """The list never held more than K items at rest: each growth is followed, in the same
        block, by a trim whose guard (if any) fires at K or earlier."""
        trims = self.c.trims()
        for t in trims:
            if t.trim_guard is not None and not (t.trim_guard.value is not None and k.covers(t.trim_guard) or t.trim_guard.same_as(k)):
                return False
        trim_lines = [self._block_position(t.trim) for t in trims if t.trim is not None]
        for g in self.c.grows():
            position = self._block_position(g.statement)
            if position is None or not any(p is not None and p[0] is position[0] and p[1] > position[1] for p in trim_lines):
                return False
        return True

    def _block_position(self, node: Optional[cst.CSTNode]) -> Optional[Tuple[cst.CSTNode, int]]:
        """(block, index) of the statement holding ``node`` in its block's body."""
        current = node
        while current is not None:
            parent = self.meta.parent(current)
            if isinstance(parent, (cst.IndentedBlock, cst.Module)):
                for index, statement in enumerate(parent.body):
                    if statement is current:
                        return parent, index
                return None
            current = parent
        return None


def decide(analysis: GrowthAnalysis, c: Container, code: str, default: int) -> Decision:
    """The finding for ``c`` under rule ``code``: message, plan or the reason there is none."""
    planner = _Planner(analysis, c, default)
    if code == "MF101":
        head = f"{c.label} is a list that only grows: {planner.growth_phrase()}; nothing clears, pops or trims it"
        build = planner.to_deque
    elif code == "MF102":
        needs = next((u for u in c.uses if not u.deque_ok and not (u.tail_slice is not None and u.tail is not None)), None)
        reason = f"; `{needs.text}` at line {needs.line} {needs.why}, so it stays a list" if needs else ""
        head = f"{c.label} is a list that only grows: {planner.growth_phrase()}; nothing clears, pops or trims it{reason}"
        build = planner.trim
    elif code == "MF103":
        head = f"{c.label} is a deque without maxlen that only grows: {planner.growth_phrase()}; nothing pops or clears it"
        build = planner.to_deque
    elif code == "MF104":
        head = (
            f"{c.label} is a defaultdict(list) whose per-key lists only grow: {planner.growth_phrase()}; "
            "no key is ever removed either, so its key set is unbounded too"
        )
        build = planner.per_key
    else:
        first = c.trims()[0]
        head = f"{c.label} is trimmed by copying: `{first.text}` at line {first.line} copies the list after each append and detaches every alias"
        build = planner.replace_trim
    try:
        bound, plan = build()
    except _NoFix as refusal:
        return Decision(c, planner.message(head, None), None, no_fix_reason=str(refusal))
    return Decision(c, planner.message(head, bound), plan)


# ---------------------------------------------------------------------------------------------
# detector and transformer shared by the five rules


class GrowthDetector(BaseDetector):
    """Runs the shared analysis and reports the containers its rule owns."""

    METADATA_DEPENDENCIES: ClassVar[Tuple[object, ...]] = (  # type: ignore[assignment]
        PositionProvider,
        ParentNodeProvider,
        ScopeProvider,
        QualifiedNameProvider,
    )

    def visit_Module(self, node: cst.Module) -> bool:
        super().visit_Module(node)
        # the five growth rules run on the same tree: analyse it once, decide per rule
        cached = self.ctx.shared.get("growth")
        if cached is None or cached[0].module is not node:
            analysis = GrowthAnalysis(self, node)
            cached = (analysis, tuple(analysis.run()))
            self.ctx.shared["growth"] = cached
        analysis, containers = cached
        for container in containers:
            if owning_rule(container) != self.rule.code:
                continue
            decision = decide(analysis, container, self.rule.code, self.ctx.fallback_max_len())
            self.report(
                container.statement,
                symbol=container.symbol,
                message=decision.message,
                plan=decision.plan,
                no_fix_reason=decision.no_fix_reason,
                confidence=container.confidence,
            )
        return False  # the analysis walked the module itself


def _code_comments(statement: cst.CSTNode) -> List[cst.EmptyLine]:
    """Every comment of a statement about to be removed that is not one of its leading lines (a
    trailing comment, comments inside a removed guard's block), as comment lines: a fix never
    deletes a comment."""
    found: List[cst.EmptyLine] = []

    class _Comments(cst.CSTVisitor):
        def visit_Comment(self, node: cst.Comment) -> None:
            found.append(cst.EmptyLine(comment=node))

    statement.visit(_Comments())
    return found


def _removed_lines(statement: cst.BaseStatement, indent: str, default_indent: str) -> Tuple[List[cst.EmptyLine], List[cst.EmptyLine]]:
    """What a removed statement leaves behind, as (lines above its code, lines below it).

    Above: its leading lines as written (blank lines and comments, in their order), then its other
    comments. Below: the footer of a removed guard's block. libcst files the lines after the
    guard's last statement (blank or whitespace-only ones, and comments indented at the guard's
    body or deeper) under that block. They are not the guard's code, so they stay byte for byte
    (the rewrite changes no line outside the statements it rewrites): a line indented with the
    guard's body spells that indentation out, because the block around the guard is less indented
    (``indent`` is that block's absolute indentation)."""
    above = list(statement.leading_lines)
    code = statement.with_changes(leading_lines=())
    if not isinstance(code, cst.If) or code.orelse is not None or not isinstance(code.body, cst.IndentedBlock) or not code.body.footer:
        return [*above, *_code_comments(code)], []
    block = code.body
    comments = _code_comments(code.with_changes(body=block.with_changes(footer=())))
    indent += default_indent if block.indent is None else block.indent
    footer = [_absolute(line, indent) for line in block.footer]
    return [*above, *comments], footer


def _absolute(line: cst.EmptyLine, indent: str) -> cst.EmptyLine:
    """``line`` spelling out the indentation it is printed with inside a block indented by
    ``indent``, so that it prints the same bytes in any other block."""
    return line.with_changes(indent=False, whitespace=cst.SimpleWhitespace(indent + line.whitespace.value)) if line.indent else line


def _blank_run(lines: Sequence[cst.EmptyLine], from_end: bool) -> int:
    """How many lines without a comment ``lines`` starts (or ends) with."""
    count = 0
    for line in reversed(lines) if from_end else lines:
        if line.comment is not None:
            break
        count += 1
    return count


def _join(above: Sequence[cst.EmptyLine], below: Sequence[cst.EmptyLine]) -> List[cst.EmptyLine]:
    """The lines around removed code, once it is gone. The blank lines that ended ``above`` and
    those that start ``below`` become one run as wide as the wider of the two, as MF201 keeps them
    (unbounded_dict_cache._merge_leading): a removal neither glues its neighbours together nor
    widens the gap between them. ``below`` stays byte for byte; ``above`` gives up the blank lines
    ``below`` already has. Comments stay, in their order relative to the blank lines."""
    give = min(_blank_run(above, from_end=True), _blank_run(below, from_end=False))
    return [*above[: len(above) - give], *below]


def _at_end(above: Sequence[cst.EmptyLine], below: Sequence[cst.EmptyLine]) -> Tuple[List[cst.EmptyLine], List[cst.EmptyLine]]:
    """The lines removed code at the end of a block leaves, as (the block's footer, blank lines
    still owed to what follows the block). ``below`` is the block's footer after the removed code.
    When it holds a comment, the gap above that comment is settled here; otherwise the run of
    blank lines goes on past the block, so the blank lines ``above`` ends with that ``below`` does
    not already give are owed to the next line (none at the end of the file)."""
    if any(line.comment is not None for line in below):
        return _join(above, below), []
    blanks = _blank_run(above, from_end=True)
    kept = len(above) - blanks
    owed = blanks - min(blanks, len(below))
    return [*above[:kept], *below], list(above[kept : kept + owed])


#: nodes that start a line of their own, with the blank lines and comments above it
_LINE_STARTS = (cst.BaseStatement, cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally, cst.MatchCase, cst.Decorator)


class GrowthTransformer(BaseTransformer[GrowthPlan]):
    """Carries out growth plans: expression replacements, statements inserted after growth
    sites, statements removed or replaced. It decides nothing."""

    def __init__(self, ctx: object, plans: object) -> None:
        super().__init__(ctx, plans)  # type: ignore[arg-type]
        self._replace: Dict[cst.CSTNode, Replace] = {}
        self._after: Dict[cst.CSTNode, List[str]] = {}
        self._remove: Set[cst.CSTNode] = set()
        self._indents: List[str] = []
        self._default_indent = "    "
        # blank lines a block ending with removed code owes to the line after the block: held until
        # the next line's node is visited, or, after a top-level statement, until leave_Module
        self._owed: List[cst.EmptyLine] = []
        self._owed_to: Dict[cst.CSTNode, List[cst.EmptyLine]] = {}
        self._owed_after: Dict[cst.CSTNode, List[cst.EmptyLine]] = {}
        self._top: Set[cst.CSTNode] = set()
        for plan in self.plans.values():
            for node, replace in plan.replace:
                self._replace[node] = replace
            for node, code in plan.insert_after:
                self._after.setdefault(node, []).append(code)
            self._remove.update(plan.remove)
            for module, obj in plan.imports:
                self.add_import(module, obj)

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._owed and isinstance(node, _LINE_STARTS):
            self._owed_to[node], self._owed = self._owed, []
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> object:
        result = super().on_leave(original_node, updated_node)
        replace = self._replace.get(original_node)
        if replace is not None and isinstance(result, cst.CSTNode):
            result = replace(result)
        owed = self._owed_to.pop(original_node, None)
        if owed is not None and isinstance(result, _LINE_STARTS):
            result = result.with_changes(leading_lines=_join(owed, result.leading_lines))
        if self._owed and original_node in self._top:
            # the next top-level statement may not be visited (memfix.transform): leave_Module settles it
            self._owed_after[original_node], self._owed = self._owed, []
        return result

    def _new_lines(self, original: cst.CSTNode) -> List[cst.BaseStatement]:
        if not isinstance(original, cst.SimpleStatementLine):
            return []
        return [cst.parse_statement(code + "\n") for small in original.body for code in self._after.get(small, [])]

    def visit_Module(self, node: cst.Module) -> bool:
        self._default_indent = node.default_indent
        self._top = set(node.body)
        return super().visit_Module(node) is not False

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        # absolute indentation of each open block: a removed guard's footer lines need theirs
        outer = self._indents[-1] if self._indents else ""
        self._indents.append(outer + (self._default_indent if node.indent is None else node.indent))
        return True

    def _rebuild(
        self, original: Sequence[cst.BaseStatement], updated: Sequence[cst.BaseStatement], indent: str
    ) -> Tuple[List[cst.BaseStatement], List[cst.EmptyLine], List[cst.EmptyLine]]:
        """The block's statements without the removed ones and with the inserted ones; and, when
        the block ends with removed code, the lines it leaves as (above that code, below it).
        The lines above removed code and those below it meet (:func:`_join`) on the next
        statement. ``indent``: the block's absolute indentation."""
        body: List[cst.BaseStatement] = []
        above: List[cst.EmptyLine] = []  # the lines above the removed code so far, joined
        below: List[cst.EmptyLine] = []  # the lines below the last removed code
        for old, new in zip(original, updated):
            if old in self._remove:
                lines, footer = _removed_lines(new, indent, self._default_indent)
                above, below = _join(above, [*below, *lines]), footer
                continue
            if above or below:
                new = new.with_changes(leading_lines=_join(above, [*below, *new.leading_lines]))
                above, below = [], []
            body.append(new)
            body.extend(self._new_lines(old))
        return body, above, below

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        indent = self._indents.pop() if self._indents else self._default_indent
        if not any(s in self._remove or self._new_lines(s) for s in original_node.body):
            return updated_node
        body, above, below = self._rebuild(original_node.body, updated_node.body, indent)
        if not body:
            # `pass` takes the removed statements' place: the lines above their code above it, as
            # before, and the lines that followed their code after it
            body = [cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=above)]
            return updated_node.with_changes(body=body, footer=[*below, *updated_node.footer])
        footer, owed = _at_end(above, [*below, *updated_node.footer])
        if owed:
            self._owed = [_absolute(line, indent) for line in owed]
        return updated_node.with_changes(body=body, footer=footer)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        statements = list(updated_node.body)
        footer = list(updated_node.footer)
        if self._owed_after:
            for index, old in enumerate(original_node.body):
                owed = self._owed_after.get(old)
                if owed is None:
                    continue
                if index + 1 < len(statements):
                    following = statements[index + 1]
                    statements[index + 1] = following.with_changes(leading_lines=_join(owed, following.leading_lines))
                else:
                    footer = _at_end(owed, footer)[0]  # nothing follows: the file ends without them
            updated_node = updated_node.with_changes(body=statements, footer=footer)
        if not any(s in self._remove or self._new_lines(s) for s in original_node.body):
            return updated_node
        body, above, below = self._rebuild(original_node.body, statements, "")
        return updated_node.with_changes(body=body, footer=_at_end(above, [*below, *footer])[0])

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.SimpleStatementSuite:
        if not any(small in self._after for small in original_node.body):
            return updated_node
        body: List[cst.BaseSmallStatement] = []
        for old, new in zip(original_node.body, updated_node.body):
            extra = self._after.get(old, [])
            if extra:
                new = new.with_changes(semicolon=cst.Semicolon(whitespace_after=cst.SimpleWhitespace(" ")))
            body.append(new)
            for index, code in enumerate(extra):
                line = cst.parse_statement(code + "\n")
                assert isinstance(line, cst.SimpleStatementLine)
                small = line.body[0]
                if index < len(extra) - 1:
                    small = small.with_changes(semicolon=cst.Semicolon(whitespace_after=cst.SimpleWhitespace(" ")))
                body.append(small)
        return updated_node.with_changes(body=body)
