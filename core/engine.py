"""One file through the pipeline: read -> decode -> pre-filter -> parse once -> detect -> plan
-> fix -> splice -> verify -> (write) -> FileReport.

Nothing here raises: every failure becomes a FileError on that file's report (libcst's
``transform_module`` makes the same promise), so one bad file never stops a run.

Cost is spent only where a rule can match. Every file is parsed with ``ast`` (10x cheaper than
libcst), so a syntax error is reported wherever it is; the rules whose needles the text holds run
their ``ast`` filters on it; only a file some filter keeps is parsed with libcst (often only the
slice of it the filters named), and the union of the candidate rules' metadata resolved once on
one ``MetadataWrapper`` shared by every detector.
"""

from __future__ import annotations

import ast
import sys
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple, Union

import libcst as cst
from libcst.metadata import MetadataWrapper

from memfix.config import Settings
from memfix.cstparse import parse_trusted
from memfix.limits import too_deep
from memfix.metadata import statement_starts
from memfix.fixer import FileContext, Fixer, FixPlan, Report
from memfix.imports import add_scheduled_imports
from memfix.model import FileError, Finding, FixInfo, Safety, VerifyOutcome
from memfix.nodes import children_of, dispatch, metadata_wrapper, module_code
from memfix.astindex import AstIndex
from memfix.prefilter import RegionCheck, Regions, Slice, cut_slice, splice_slice
from memfix.splice import SpliceError, splice
from memfix.suppress import find_suppressions, is_suppressed
from memfix.transform import same_module, transform


@dataclass
class Detection:
    """Findings of one source text, with what the fix step needs to act on them."""

    module: Optional[cst.Module] = None
    wrapper: Optional[MetadataWrapper] = None
    candidates: Tuple[Fixer, ...] = ()
    reports: Dict[str, List[Report]] = field(default_factory=dict)
    parsed: bool = False
    #: libcst saw a slice of the text (memfix.prefilter): fixes are spliced back line for line
    sliced: bool = False
    #: the identifiers of the code the slice stubbed out (memfix.prefilter.Slice)
    elsewhere: FrozenSet[str] = frozenset()

    @property
    def findings(self) -> List[Finding]:
        return [r.finding for fixer in self.candidates for r in self.reports.get(fixer.code, [])]


def fix_enabled(plan: Optional[Union[FixPlan, FixInfo]], code: str, settings: Settings) -> bool:
    """The PLAN step: safe fixes always, unsafe ones only when the user asked for them."""
    if plan is None:
        return False
    if plan.safety is Safety.SAFE or settings.unsafe_fixes:
        return True
    return any(code.startswith(prefix) for prefix in settings.extend_safe_fixes)


def _ast_parse(text: str) -> Tuple[Optional[ast.Module], Optional[str]]:
    """``ast`` is ~10x cheaper than libcst: every file gets it, so syntax errors are reported even
    in files no rule could touch, and its tree feeds the rules' cheap filters."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings about the user's code are not ours to print
            return ast.parse(text), None
    except SyntaxError as exc:
        where = f"line {exc.lineno}: " if exc.lineno else ""
        return None, f"cannot parse: {where}{exc.msg}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, f"cannot parse: {type(exc).__name__}: {exc}"


def _candidates(text: str, fixers: Sequence[Fixer]) -> Tuple[Fixer, ...]:
    return _prefilter(text, _ast_parse(text)[0], fixers)[0]


def _prefilter(
    text: str, tree: Optional[ast.Module], fixers: Sequence[Fixer]
) -> Tuple[Tuple[Fixer, ...], Optional[str]]:
    """Candidate rules, and the slice of ``text`` they need when all of them named regions
    (None: the whole text). See memfix.prefilter."""
    chosen, sliced, _ = _prefilter_regions(text, tree, fixers)
    return chosen, sliced.text if sliced is not None else None


def _prefilter_regions(
    text: str, tree: Optional[ast.Module], fixers: Sequence[Fixer], index: Optional[AstIndex] = None
) -> Tuple[Tuple[Fixer, ...], Optional[Slice], Dict[str, Tuple[ast.stmt, ...]]]:
    """:func:`_prefilter`, with the regions each candidate rule named (when there is a slice).
    ``index``: the caller's index of ``tree``, to read what its walk learnt afterwards."""
    by_needle = [f for f in fixers if any(n.decode("ascii") in text for n in f.needles)]
    if tree is None:
        # libcst may accept what this interpreter's ast does not (newer syntax): let it decide
        return tuple(by_needle), None, {}
    if index is None:
        index = AstIndex(tree)  # one walk, shared by every rule's filter
    try:
        return _filter_and_slice(text, tree, index, by_needle)
    finally:
        index.forget()


def _filter_and_slice(
    text: str, tree: ast.Module, index: AstIndex, by_needle: Sequence[Fixer]
) -> Tuple[Tuple[Fixer, ...], Optional[Slice], Dict[str, Tuple[ast.stmt, ...]]]:
    chosen: List[Fixer] = []
    regions: Dict[str, Tuple[ast.stmt, ...]] = {}
    whole = False
    for fixer in by_needle:
        verdict = True if fixer.ast_filter is None else fixer.ast_filter(index)
        if not verdict:
            continue
        chosen.append(fixer)
        if isinstance(verdict, Regions):
            regions[fixer.code] = verdict.nodes
        else:
            whole = True
    if whole or not chosen:
        return tuple(chosen), None, {}
    try:
        sliced = cut_slice(text, tree, [node for nodes in regions.values() for node in nodes], index)
    except RecursionError:
        sliced = None
    return tuple(chosen), sliced, regions if sliced is not None else {}


def parse_error_message(exc: Exception, text: Optional[str] = None) -> str:
    if isinstance(exc, cst.ParserSyntaxError) and text is not None:
        # CPython's own message names the right line (libcst's is sometimes one below) and says
        # what is wrong in words ("Missing parentheses in call to 'print'")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(text)
        except SyntaxError as syntax:
            if syntax.lineno:
                return f"cannot parse: line {syntax.lineno}: {syntax.msg}"
        except (ValueError, RecursionError, MemoryError):
            pass
    if isinstance(exc, cst.ParserSyntaxError):
        return f"cannot parse: line {exc.raw_line}, column {exc.raw_column + 1}: {exc.message}"
    if isinstance(exc, RecursionError):
        return "cannot parse: nesting too deep (RecursionError)"
    return f"cannot parse: {type(exc).__name__}: {exc}"


def detect(
    text: str,
    path: str,
    settings: Settings,
    fixers: Sequence[Fixer],
    *,
    prefilter: bool = True,
    parsed: Optional[Tuple[Optional[ast.Module], Optional[str]]] = None,
) -> Union[Detection, FileError]:
    """Findings of ``text``. With ``prefilter`` (the default) libcst sees only the candidate rules
    and, when they named regions, only the slice they need; without it every rule runs on the
    whole text (the reference the pre-filter is tested against). ``parsed``: what
    :func:`_ast_parse` gave for ``text``, when the caller has it."""
    tree, ast_error = parsed if parsed is not None else _ast_parse(text)
    regions: Dict[str, Tuple[ast.stmt, ...]] = {}
    depth_bound = None
    if prefilter:
        index = AstIndex(tree) if tree is not None else None
        candidates, sliced, regions = _prefilter_regions(text, tree, fixers, index)
        depth_bound = index.depth_bound if index is not None else None
        index = None  # it files every node of the tree: not kept alive through libcst's work
    else:
        candidates, sliced = tuple(fixers), None
    if not candidates and ast_error is None:
        return Detection()
    problem = too_deep(text, tree, depth_bound)  # libcst's parser can kill the process on deep nesting
    if problem is not None:
        return FileError(path, "parse", problem)
    if sliced is not None:
        detection = _detect_in(sliced.text, text, path, settings, candidates, elsewhere=sliced.elsewhere, tree=tree)
        if isinstance(detection, Detection):
            if len(regions) > 1 and tree is not None:
                _keep_promised(detection, tree, regions)
            return detection
        # the slice did not parse or a rule failed on it: the whole text decides
    return _detect_in(text, text, path, settings, candidates, ast_error, tree=tree)


def _keep_promised(detection: Detection, tree: ast.Module, regions: Mapping[str, Tuple[ast.stmt, ...]]) -> None:
    """Drop the findings a rule made outside its own regions on a slice other rules widened
    (memfix.prefilter.RegionCheck): the whole file never has them."""
    check = RegionCheck(tree)
    for code, reports in detection.reports.items():
        named = regions.get(code)
        if named is None or not reports:
            continue
        detection.reports[code] = [
            r for r in reports if check.allows(named, r.finding.span.line, r.finding.span.column - 1)
        ]


def _detect_in(
    parsed_text: str,
    text: str,
    path: str,
    settings: Settings,
    candidates: Tuple[Fixer, ...],
    ast_error: Optional[str] = None,
    elsewhere: FrozenSet[str] = frozenset(),
    tree: Optional[ast.Module] = None,
) -> Union[Detection, FileError]:
    """Detection on ``parsed_text`` (``text`` or a slice of it with the same lines); ``tree``: the
    ``ast`` of ``text``, whose statements' lines let positions be generated per statement."""
    try:
        # a text CPython's parser accepted (or a pre-filter slice of one: its stubs are a `def`
        # and a string) needs none of libcst's node checks (memfix.cstparse)
        module = parse_trusted(parsed_text) if tree is not None else cst.parse_module(parsed_text)
    except Exception as exc:  # ParserSyntaxError, RecursionError, ...
        return FileError(path, "parse", ast_error or parse_error_message(exc, parsed_text))
    if not candidates:
        return Detection()
    sliced = parsed_text is not text
    detection = Detection(module=module, candidates=candidates, parsed=True, sliced=sliced, elsewhere=elsewhere)
    starts = statement_starts(module, tree) if tree is not None else None
    detection.wrapper = metadata_wrapper(module, elsewhere, starts, parsed_text)
    if sliced and children_of(detection.wrapper) is None:
        # this libcst's wrapper could not be seeded, so nothing knows the stubbed code's names
        return FileError(path, "parse", "the slice cannot be analysed on this libcst")
    suppressions = find_suppressions(text)
    shared: Dict[str, object] = {}
    for fixer in candidates:
        try:
            reports = _run_detector(fixer, detection.wrapper, text, path, settings, shared)
        except RecursionError:
            return FileError(path, "parse", "cannot analyse: nesting too deep (RecursionError)")
        except Exception as exc:
            return FileError(
                path,
                "internal",
                f"{fixer.code} crashed on this file ({type(exc).__name__}: {exc}); please report",
                detail=traceback.format_exc(),
            )
        detection.reports[fixer.code] = [
            r for r in reports if not is_suppressed(suppressions, r.finding.span.line, fixer.code)
        ]
    return detection


def _run_detector(
    fixer: Fixer,
    wrapper: MetadataWrapper,
    text: str,
    path: str,
    settings: Settings,
    shared: Optional[Dict[str, object]] = None,
) -> List[Report]:
    ctx = FileContext(path, settings, text, shared={} if shared is None else shared)
    detector = fixer.detector(ctx, fixer.rule)
    with detector.resolve(wrapper):
        dispatch(wrapper.module, detector, children_of(wrapper))
    # a detector may report late (at leave_Module, from a whole-module analysis): source order
    return sorted(detector.reports, key=lambda r: (r.finding.span.line, r.finding.span.column))


@dataclass
class FixOutcome:
    new_text: Optional[str] = None
    fixed: "Counter[Tuple[str, str]]" = field(default_factory=Counter)
    error: Optional[FileError] = None


def apply_fixes(
    text: str, path: str, settings: Settings, detection: Detection
) -> FixOutcome:
    """Run the transformers of every rule with enabled plans, in registry order.

    The first rule reuses the detection wrapper (plans are keyed by its nodes); once the tree has
    changed, later rules re-detect on a fresh wrapper of the current tree, since node identity does
    not survive a transform.
    """
    assert detection.module is not None and detection.wrapper is not None
    outcome = FixOutcome()
    current = detection.module
    tree_changed = False
    suppressions = find_suppressions(text)
    for fixer in detection.candidates:
        if fixer.transformer is None:
            continue
        reports = detection.reports.get(fixer.code, [])
        enabled = [r for r in reports if fix_enabled(r.plan, fixer.code, settings)]
        if not enabled:
            continue
        for r in enabled:
            outcome.fixed[r.finding.key] += 1
        if tree_changed:
            wrapper = metadata_wrapper(current, detection.elsewhere)
            current_text = current.code
            # the plans of the findings detected, found again on the changed tree (symbols are
            # stable across rewrites); nothing else: on a slice other rules widened, the rule may
            # meet a candidate its own filter dismissed (memfix.prefilter.RegionCheck)
            found = {r.finding.key for r in reports}
            reports = [
                r
                for r in _run_detector(fixer, wrapper, current_text, path, settings)
                if r.finding.key in found and not is_suppressed(suppressions, r.finding.span.line, fixer.code)
            ]
            enabled = [r for r in reports if fix_enabled(r.plan, fixer.code, settings)]
        else:
            wrapper = detection.wrapper
        plans: Dict[cst.CSTNode, FixPlan] = {r.node: r.plan for r in enabled if r.plan is not None}
        if not plans:
            continue
        ctx = FileContext(path, settings, text)
        new_module = transform(wrapper, fixer.transformer(ctx, plans), plans)
        if ctx.imports:
            new_module = add_scheduled_imports(new_module, ctx.imports)
        if not same_module(current, new_module):
            current = new_module
            tree_changed = True
    if not tree_changed:
        return outcome
    original_code = module_code(detection.wrapper)
    if detection.sliced:
        spliced = splice_slice(text, original_code, current.code)
        if isinstance(spliced, SpliceError):
            # the rewrite reached beyond the slice: plan and rewrite again on the whole text
            full = _detect_in(text, text, path, settings, detection.candidates)
            if isinstance(full, FileError):
                outcome.error = full
                return outcome
            return apply_fixes(text, path, settings, full)
        outcome.new_text = spliced
        return outcome
    spliced = splice(text, original_code, current.code)
    if isinstance(spliced, SpliceError):
        outcome.error = FileError(path, "roundtrip", f"fix not offered: {spliced}")
        return outcome
    outcome.new_text = spliced
    return outcome


def _compile_error(data: Union[str, bytes, ast.Module], path: str) -> Optional[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(data, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            where = f" at line {line}" if line else ""
            return f"{type(exc).__name__}{where}: {getattr(exc, 'msg', exc)}"
        except (RecursionError, MemoryError) as exc:
            return f"{type(exc).__name__}"
    return None


def verify_fix(
    path: str,
    settings: Settings,
    fixers: Sequence[Fixer],
    before: Sequence[Finding],
    fixed: Mapping[Tuple[str, str], int],
    old_bytes: Union[str, bytes],
    new_text: str,
    new_bytes: Union[str, bytes],
) -> VerifyOutcome:
    """Compile the rewrite and re-run every selected detector on it (ruff's re-lint after fix).
    The rewrite is parsed once: its ``ast`` is compiled (the compiler's own checks) and is the
    re-scan's; only a rewrite that does not parse is compiled from its bytes, for the message."""
    parsed = _ast_parse(new_text)
    problem = _compile_error(parsed[0] if parsed[0] is not None else new_bytes, path)
    if problem is not None:
        before = _compile_error(old_bytes, path)
        if before is None:
            return VerifyOutcome(ok=False, reason=f"the rewritten file does not compile ({problem})")
        # Python 2, syntax newer than this interpreter, ...: a rewrite that cannot be compiled
        # cannot be checked, and is never written
        return VerifyOutcome(
            ok=False,
            reason=f"the file does not compile with Python {sys.version_info[0]}.{sys.version_info[1]} "
            f"({before}), so no rewrite of it can be checked",
        )
    after = detect(new_text, path, settings, fixers, parsed=parsed)
    if isinstance(after, FileError):
        return VerifyOutcome(ok=False, reason=f"the rewritten file cannot be re-scanned ({after.message})")
    before_count = Counter(f.key for f in before)
    after_findings = after.findings
    after_count = Counter(f.key for f in after_findings)
    remaining = tuple(
        f
        for f in after_findings
        if f.key in fixed and after_count[f.key] > before_count[f.key] - fixed[f.key]
    )
    new = tuple(
        f for f in after_findings if f.key not in fixed and after_count[f.key] > before_count[f.key]
    )
    if remaining or new:
        parts = []
        if remaining:
            parts.append("still reports " + ", ".join(sorted({f"{f.code} {f.symbol}" for f in remaining})))
        if new:
            parts.append("gains " + ", ".join(sorted({f"{f.code} {f.symbol}" for f in new})))
        return VerifyOutcome(ok=False, remaining=remaining, new=new, reason="the rewritten file " + " and ".join(parts))
    return VerifyOutcome(ok=True)
