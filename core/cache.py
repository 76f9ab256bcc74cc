"""Results of unchanged files, reused across runs (``.memfix_cache/``; ``--no-cache``, ``--cache-dir``).

An entry is one file's :class:`FileReport`, keyed by what can change it: the file's content hash
and the path it is reported under, memfix's version and a fingerprint of its code, the selected
rules and the effective configuration (``Settings.cache_key()``). Any change to one of them is a
different key, so nothing is ever invalidated in place: a stale entry is simply never read again.

Only what is valid to reuse is stored: a report that depends on nothing but the key (not a read
error, an internal error or a write). A report carrying a diff is reused only by a dry run: with
``--apply`` such a file is always processed again, so writing is never skipped.

Concurrent runs (CI jobs sharing a workspace, two editors) are safe: an entry is written to a
temporary file in its folder and renamed into place, so a reader sees a whole entry or none; an
entry that cannot be read, decoded or checked is a miss, never an error. Entries are JSON, not
pickle: a cache folder checked into a repository must not be able to run code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Sequence

from memfix.config import Settings
from memfix.model import (
    Confidence,
    FileError,
    FileReport,
    Finding,
    FixInfo,
    Mode,
    Safety,
    Span,
    VerifyOutcome,
)

#: bump when the entry layout changes
CACHE_FORMAT = 1
DEFAULT_DIR_NAME = ".memfix_cache"
#: error kinds that say something about this run, not about the file's content
_TRANSIENT_ERRORS = frozenset({"read", "internal", "write", "changed"})


def default_cache_dir(settings: Settings) -> Path:
    if settings.cache_dir:
        return Path(settings.cache_dir)
    base = Path(settings.project_root) if settings.project_root else Path.cwd()
    return base / DEFAULT_DIR_NAME


def code_fingerprint() -> str:
    """Size and mtime of memfix's own modules: a development checkout changes its rules without
    changing its version, and must not be served results of the old code."""
    import memfix.cli
    import memfix.fixers

    roots = [Path(__file__).resolve().parent]
    for module in (memfix.fixers, memfix.cli):
        roots.append(Path(module.__file__).resolve().parent)  # type: ignore[arg-type]
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.glob("*.py")):
            try:
                stat = path.stat()
            except OSError:
                continue
            digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()


def namespace_for(settings: Settings, codes: Iterable[str], version: str, fingerprint: str) -> str:
    parts = [f"format={CACHE_FORMAT}", f"version={version}", f"code={fingerprint}"]
    parts.append("rules=" + ",".join(codes))
    parts.append(settings.cache_key())
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def cacheable(report: FileReport, mode: Mode) -> bool:
    if any(e.kind in _TRANSIENT_ERRORS for e in report.errors):
        return False
    if report.written:
        return False
    return mode is Mode.DRY_RUN or not report.diff


def reusable(report: FileReport, mode: Mode) -> bool:
    """A stored report stands for this run: always in a dry run; with --apply only if there is
    nothing to write."""
    return mode is Mode.DRY_RUN or not report.diff


@dataclass(frozen=True)
class ResultCache:
    """One namespace (version + code + rules + configuration) of the cache folder. Picklable, so
    each worker reads and writes the entries of its own files."""

    root: str
    namespace: str

    @classmethod
    def open(
        cls,
        settings: Settings,
        codes: Sequence[str],
        version: Optional[str] = None,
        fingerprint: Optional[str] = None,
    ) -> "ResultCache":
        if version is None:
            from memfix import __version__ as version
        if fingerprint is None:
            fingerprint = code_fingerprint()
        root = default_cache_dir(settings)
        return cls(str(root), namespace_for(settings, codes, version, fingerprint))

    def _entry_path(self, key: str) -> Path:
        return Path(self.root) / f"v{CACHE_FORMAT}" / self.namespace[:24] / key[:2] / f"{key}.json"

    def key(self, display: str, content_hash: str) -> str:
        return hashlib.sha256(f"{self.namespace}\n{display}\n{content_hash}".encode("utf-8")).hexdigest()

    def load(self, display: str, content_hash: str) -> Optional[FileReport]:
        key = self.key(display, content_hash)
        try:
            with open(self._entry_path(key), "rb") as handle:
                entry = json.loads(handle.read())
            if entry.get("format") != CACHE_FORMAT or entry.get("key") != key:
                return None
            report = report_from_json(entry["report"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, half-written by a crashed run, or corrupt: a miss
        if report.path != display:
            return None
        return report

    def store(self, display: str, content_hash: str, report: FileReport) -> bool:
        """Write the entry atomically; False (and nothing written) if the folder is not writable."""
        key = self.key(display, content_hash)
        path = self._entry_path(key)
        data = json.dumps(
            {"format": CACHE_FORMAT, "key": key, "report": report_to_json(report)},
            separators=(",", ":"),
        ).encode("utf-8")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _mark_cache_root(Path(self.root))
            fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        except OSError:
            return False
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temp, path)
        except OSError:
            try:
                os.unlink(temp)
            except OSError:
                pass
            return False
        return True


def _mark_cache_root(root: Path) -> None:
    """Keep the folder out of version control and backups, as pytest and ruff do."""
    ignore = root / ".gitignore"
    if ignore.exists():
        return
    try:
        ignore.write_text("# created by memfix\n*\n", encoding="utf-8")
        (root / "CACHEDIR.TAG").write_text(
            "Signature: 8a477f597d28d172789f06886806bc55\n# created by memfix\n", encoding="utf-8"
        )
    except OSError:
        pass


# -- FileReport <-> JSON, losslessly (every field the renderers, verify and the exit code read) --


def _finding_to_json(f: Finding) -> Dict[str, Any]:
    return {
        "code": f.code,
        "name": f.name,
        "path": f.path,
        "span": [f.span.line, f.span.column, f.span.end_line, f.span.end_column],
        "message": f.message,
        "symbol": f.symbol,
        "confidence": f.confidence.value,
        "fix": None
        if f.fix is None
        else {"safety": f.fix.safety.value, "description": f.fix.description, "applied": f.fix.applied},
    }


def _finding_from_json(d: Dict[str, Any]) -> Finding:
    fix = d["fix"]
    return Finding(
        code=str(d["code"]),
        name=str(d["name"]),
        path=str(d["path"]),
        span=Span(*(int(v) for v in d["span"])),
        message=str(d["message"]),
        symbol=str(d["symbol"]),
        fix=None
        if fix is None
        else FixInfo(Safety(fix["safety"]), str(fix["description"]), bool(fix["applied"])),
        confidence=Confidence(d["confidence"]),
    )


def report_to_json(report: FileReport) -> Dict[str, Any]:
    verify = report.verify
    return {
        "path": report.path,
        "findings": [_finding_to_json(f) for f in report.findings],
        "errors": [
            {"path": e.path, "kind": e.kind, "message": e.message, "detail": e.detail} for e in report.errors
        ],
        "diff": base64.b64encode(report.diff).decode("ascii"),
        "encoding": report.encoding,
        "verify": None
        if verify is None
        else {
            "ok": verify.ok,
            "remaining": [_finding_to_json(f) for f in verify.remaining],
            "new": [_finding_to_json(f) for f in verify.new],
            "reason": verify.reason,
        },
        "written": report.written,
        "fixable": report.fixable,
        "parsed": report.parsed,
    }


def report_from_json(d: Dict[str, Any]) -> FileReport:
    v = d["verify"]
    return FileReport(
        path=str(d["path"]),
        findings=tuple(_finding_from_json(f) for f in d["findings"]),
        errors=tuple(
            FileError(str(e["path"]), str(e["kind"]), str(e["message"]), detail=str(e.get("detail", "")))
            for e in d["errors"]
        ),
        diff=base64.b64decode(d["diff"].encode("ascii"), validate=True),
        encoding=str(d["encoding"]),
        verify=None
        if v is None
        else VerifyOutcome(
            ok=bool(v["ok"]),
            remaining=tuple(_finding_from_json(f) for f in v["remaining"]),
            new=tuple(_finding_from_json(f) for f in v["new"]),
            reason=str(v["reason"]),
        ),
        written=bool(d["written"]),
        fixable=int(d["fixable"]),
        parsed=bool(d["parsed"]),
    )


__all__ = [
    "ResultCache",
    "cacheable",
    "reusable",
    "default_cache_dir",
    "report_to_json",
    "report_from_json",
]
