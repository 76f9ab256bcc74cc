"""Text-in, text-out entry points for tests, the examples harness and library users.

They run exactly the pipeline files go through (detect, plan, fix, splice, verify), minus the
reading and writing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from memfix.config import Settings
from memfix.engine import apply_fixes, detect, fix_enabled, verify_fix
from memfix.fixer import Fixer
from memfix.model import FileError, Finding, VerifyOutcome


@dataclass(frozen=True)
class SourceResult:
    findings: Tuple[Finding, ...]
    #: the fixed text, or the input unchanged when no enabled fix applies
    text: str
    changed: bool
    error: Optional[FileError] = None
    verify: Optional[VerifyOutcome] = None


def _fixers(settings: Settings, fixers: Optional[Sequence[Fixer]]) -> Sequence[Fixer]:
    if fixers is not None:
        return fixers
    from memfix.fixers import select_fixers

    return select_fixers(settings.select, settings.ignore)


def scan_source(
    text: str, settings: Optional[Settings] = None, path: str = "<string>", fixers: Optional[Sequence[Fixer]] = None
) -> Tuple[Finding, ...]:
    settings = settings or Settings()
    detection = detect(text, path, settings, _fixers(settings, fixers))
    if isinstance(detection, FileError):
        raise ValueError(detection.message)
    return tuple(detection.findings)


def fix_source(
    text: str, settings: Optional[Settings] = None, path: str = "<string>", fixers: Optional[Sequence[Fixer]] = None
) -> SourceResult:
    settings = settings or Settings()
    selected = _fixers(settings, fixers)
    detection = detect(text, path, settings, selected)
    if isinstance(detection, FileError):
        return SourceResult(findings=(), text=text, changed=False, error=detection)
    findings = tuple(detection.findings)
    if not any(fix_enabled(r.plan, code, settings) for code, rs in detection.reports.items() for r in rs):
        return SourceResult(findings=findings, text=text, changed=False)
    outcome = apply_fixes(text, path, settings, detection)
    if outcome.error is not None or outcome.new_text is None:
        return SourceResult(findings=findings, text=text, changed=False, error=outcome.error)
    verify = None
    if settings.verify:
        verify = verify_fix(path, settings, selected, findings, outcome.fixed, text, outcome.new_text, outcome.new_text)
        if not verify.ok:
            return SourceResult(
                findings=findings,
                text=text,
                changed=False,
                verify=verify,
                error=FileError(path, "verify", f"fix rolled back: {verify.reason}"),
            )
    return SourceResult(findings=findings, text=outcome.new_text, changed=True, verify=verify)
