"""Values that cross module and process boundaries.

Everything here is a frozen, picklable dataclass holding positions and strings, never CST nodes:
reports come back from worker processes and are rendered as text, JSON and SARIF.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Dict, Optional, Tuple


class Safety(str, Enum):
    """How far a fix can be trusted (ruff's applicability, reduced to the two classes we apply)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


class Confidence(str, Enum):
    """How sure the detector is that the finding is a real leak (owner lifetime, see LEAK_PATTERNS)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return {"low": 0, "medium": 1, "high": 2}[self.value]


class Mode(str, Enum):
    DRY_RUN = "dry-run"
    APPLY = "apply"


@dataclass(frozen=True)
class Span:
    """1-based line and column range, as editors and the contract's JSON count them."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class FixInfo:
    safety: Safety
    description: str
    applied: bool = False


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    path: str
    span: Span
    message: str
    symbol: str
    fix: Optional[FixInfo] = None
    confidence: Confidence = Confidence.HIGH

    @property
    def key(self) -> Tuple[str, str]:
        """Identity used by verify: stable across a rewrite, unlike line numbers."""
        return (self.code, self.symbol)

    def with_fix_applied(self) -> "Finding":
        if self.fix is None:
            return self
        return replace(self, fix=replace(self.fix, applied=True))

    def to_json(self) -> Dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "path": self.path,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "message": self.message,
            "symbol": self.symbol,
            "confidence": self.confidence.value,
            "fix": None
            if self.fix is None
            else {
                "safety": self.fix.safety.value,
                "applied": self.fix.applied,
                "description": self.fix.description,
            },
        }


@dataclass(frozen=True)
class FileError:
    """A per-file failure; the message names the cause, the CLI adds the path."""

    path: str
    kind: str  # read | decode | parse | internal | write | changed | verify | roundtrip | usage
    message: str
    #: traceback for --debug; never shown otherwise
    detail: str = field(default="", compare=False)

    def to_json(self) -> Dict[str, str]:
        return {"path": self.path, "kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class VerifyOutcome:
    """Result of re-scanning a rewritten source before it is written."""

    ok: bool
    remaining: Tuple[Finding, ...] = ()
    new: Tuple[Finding, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class FileReport:
    path: str
    findings: Tuple[Finding, ...] = ()
    errors: Tuple[FileError, ...] = ()
    #: unified diff of the fix in the file's own encoding and line endings (empty when no change)
    diff: bytes = b""
    encoding: str = "utf-8"
    verify: Optional[VerifyOutcome] = None
    written: bool = False
    #: findings whose fix is part of ``diff`` (enabled by the safety selection and verified)
    fixable: int = 0
    #: files that could hold no finding are skipped before libcst; kept for the benchmark and tests
    parsed: bool = False


@dataclass(frozen=True)
class RunSummary:
    files_scanned: int
    files_changed: int
    findings: int
    fixable: int
    fixed: int
    remaining: int
    errors: int

    def to_json(self) -> Dict[str, int]:
        return {
            "files_scanned": self.files_scanned,
            "files_changed": self.files_changed,
            "findings": self.findings,
            "fixable": self.fixable,
            "fixed": self.fixed,
            "remaining": self.remaining,
            "errors": self.errors,
        }


@dataclass(frozen=True)
class RunReport:
    mode: Mode
    files: Tuple[FileReport, ...]
    errors: Tuple[FileError, ...] = ()  # errors not tied to one scanned file (missing paths)
    min_confidence: Confidence = Confidence.LOW
    extra: Dict[str, Any] = field(default_factory=dict)

    @property
    def findings(self) -> Tuple[Finding, ...]:
        return tuple(f for report in self.files for f in report.findings)

    @property
    def all_errors(self) -> Tuple[FileError, ...]:
        return self.errors + tuple(e for report in self.files for e in report.errors)

    def counts_for_exit(self, finding: Finding) -> bool:
        return finding.confidence.rank >= self.min_confidence.rank

    def summary(self) -> RunSummary:
        findings = self.findings
        fixed = sum(1 for f in findings if f.fix is not None and f.fix.applied)
        remaining = sum(
            1 for f in findings if not (f.fix is not None and f.fix.applied)
        )
        return RunSummary(
            files_scanned=len(self.files),
            files_changed=sum(1 for r in self.files if (r.written if self.mode is Mode.APPLY else r.diff)),
            findings=len(findings),
            fixable=sum(r.fixable for r in self.files),
            fixed=fixed,
            remaining=remaining,
            errors=len(self.all_errors),
        )

    def exit_code(self) -> int:
        if self.all_errors:
            return 2
        for report in self.files:
            for f in report.findings:
                if self.counts_for_exit(f) and not (f.fix is not None and f.fix.applied):
                    return 1
        return 0
