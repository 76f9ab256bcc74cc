"""One file, start to end, as a function that never raises and returns a picklable FileReport.

The bytes are read once, through a descriptor opened without blocking (a FIFO named ``x.py`` must
not hang the run) and checked to be a regular file; their hash is what the writer compares the file
against just before replacing it.
"""

from __future__ import annotations

import os
import stat
import traceback
from dataclasses import replace
from typing import Dict, List, Sequence, Tuple, Union

from memfix.apply import content_hash, write_atomic
from memfix.config import Settings
from memfix.diffing import unified_diff
from memfix.discover import SourceFile
from memfix.engine import apply_fixes, detect, fix_enabled, verify_fix
from memfix.fixer import Fixer
from memfix.model import FileError, FileReport, Finding, Mode
from memfix.source import decode_source, encode_source


def process_file(source: SourceFile, settings: Settings, mode: Mode, fixers: Sequence[Fixer]) -> FileReport:
    try:
        return _process(source, settings, mode, fixers)
    except RecursionError:  # a visitor or the code generator on a deep tree the guard let through
        return FileReport(
            path=source.display,
            errors=(FileError(source.display, "parse", "cannot analyse: nesting too deep (RecursionError)"),),
        )
    except MemoryError:
        return FileReport(
            path=source.display,
            errors=(FileError(source.display, "internal", "out of memory while processing this file"),),
        )
    except Exception as exc:  # a bug in memfix must cost one file, not the run
        return FileReport(
            path=source.display,
            errors=(
                FileError(
                    source.display,
                    "internal",
                    f"internal error ({type(exc).__name__}: {exc}); please report",
                    detail=traceback.format_exc(),
                ),
            ),
        )


def _process(source: SourceFile, settings: Settings, mode: Mode, fixers: Sequence[Fixer]) -> FileReport:
    path = source.display
    data = read_regular_file(source.real)
    if isinstance(data, str):
        return FileReport(path=path, errors=(FileError(path, "read", data),))
    decoded = decode_source(path, data)
    if isinstance(decoded, FileError):
        return FileReport(path=path, errors=(decoded,))
    detection = detect(decoded.text, path, settings, fixers)
    if isinstance(detection, FileError):
        return FileReport(path=path, errors=(detection,), encoding=decoded.encoding)
    findings: List[Finding] = detection.findings
    base = FileReport(path=path, findings=tuple(findings), encoding=decoded.encoding, parsed=detection.parsed)
    if not any(fix_enabled(r.plan, code, settings) for code, rs in detection.reports.items() for r in rs):
        return base

    outcome = apply_fixes(decoded.text, path, settings, detection)
    if outcome.error is not None:
        return replace(base, errors=(outcome.error,))
    if outcome.new_text is None:
        return base
    try:
        new_bytes = encode_source(outcome.new_text, decoded.encoding)
    except UnicodeEncodeError as exc:
        return replace(base, errors=(FileError(path, "write", f"fix not offered: cannot encode as {decoded.encoding}: {exc}"),))

    verify = None
    if settings.verify:
        verify = verify_fix(path, settings, fixers, findings, outcome.fixed, data, outcome.new_text, new_bytes)
        if not verify.ok:
            # the file keeps its bytes; the findings stay, unfixed, and the report says why
            return replace(
                base,
                verify=verify,
                errors=(FileError(path, "verify", f"fix rolled back: {verify.reason}"),),
            )

    fixed_keys = dict(outcome.fixed)
    diff = unified_diff(path, data, new_bytes)
    fixable = sum(fixed_keys.values())
    written = False
    if mode is Mode.APPLY:
        error = write_atomic(path, source.real, new_bytes, content_hash(data))
        if error is not None:
            return replace(base, diff=diff, fixable=fixable, verify=verify, errors=(error,))
        written = True
        findings = _mark_applied(findings, fixed_keys, settings)
    return replace(base, findings=tuple(findings), diff=diff, fixable=fixable, verify=verify, written=written)


def read_regular_file(real: str) -> Union[bytes, str]:
    """The file's bytes, or why they cannot be read."""
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "cannot read: not a regular file"
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            return handle.read()
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    finally:
        if fd >= 0:
            os.close(fd)


def _mark_applied(findings: Sequence[Finding], fixed: Dict[Tuple[str, str], int], settings: Settings) -> List[Finding]:
    budget = dict(fixed)
    marked: List[Finding] = []
    for finding in findings:
        if fix_enabled(finding.fix, finding.code, settings) and budget.get(finding.key, 0) > 0:
            budget[finding.key] -= 1
            marked.append(finding.with_fix_applied())
        else:
            marked.append(finding)
    return marked
