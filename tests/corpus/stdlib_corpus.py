"""Run memfix over a copy of the standard library and check it kept every promise about bytes.

Used by ``tests/test_reliability_corpus.py`` (a fixed, named subset, in CI) and by
``bench/corpus_run.py`` (the whole stdlib). memfix is driven through its real command line in a
subprocess (``python -m memfix --apply --unsafe-fixes --format json``), so the run covers discovery,
workers, the atomic writer and the renderer exactly as users meet them.

The checks, after the first run:
- the process did not crash (exit 0, 1 or 2; no traceback on stderr) and printed valid JSON;
- no file was created or removed (no temporary file left behind);
- every file whose bytes changed is one memfix reports a fix applied to, and compiles;
- every other file is byte-identical;
- no per-file error is of kind ``internal`` (a memfix bug caught per file);
and after a second identical run: no file changed at all, and no fix was applied.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

#: Packages, modules and files present in every stdlib from 3.9 to 3.13 (~100 files, ~45,000
#: lines), chosen for what the rules look for: open() outside a with (mailbox.py, optparse.py,
#: ElementTree.py, http/server.py, urllib/request.py, os.py, trace.py ... in 3.11), growing lists
#: and deques (asyncio, multiprocessing, logging, threading-style queues), caches (re,
#: urllib/parse.py, functools, typing, linecache, zoneinfo), Popen, sockets. webbrowser.py is in
#: the list on purpose: libcst regenerates its ``except (...) :`` as ``except (...):``, so a
#: whole-module write would change bytes nobody asked to change. Large packages are represented by
#: a few files: libcst's cost is proportional to lines, and CI must stay within a couple of minutes.
CI_PACKAGES: Tuple[str, ...] = (
    # small and medium modules chosen so every rule has material (opens, sockets, sqlite, queues,
    # caches, histories) while the whole --apply + re-run stays around a minute on 2 cores
    "webbrowser.py",  # libcst round-trip pitfall: `except ... :`
    "asyncio/queues.py",
    "multiprocessing/queues.py",
    "xml/dom/pulldom.py",
    "json",
    "zoneinfo",
    "sqlite3",
    "dbm",
    "tempfile.py",
    "fileinput.py",
    "gzip.py",
    "_osx_support.py",
    "shlex.py",
    "mimetypes.py",
    "quopri.py",
    "queue.py",
    "sched.py",
    "linecache.py",
    "fnmatch.py",
    "netrc.py",
    "gettext.py",
)

#: error kinds that are fine on code nobody here wrote: the file is reported and left alone
TOLERATED_ERROR_KINDS = frozenset({"parse", "decode", "verify", "roundtrip"})


def stdlib_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def _ignore(folder: str, names: List[str]) -> List[str]:
    return [n for n in names if n in ("site-packages", "dist-packages", "__pycache__")]


def copy_stdlib(dest: Path, names: Optional[Sequence[str]] = None) -> List[str]:
    """Copy the stdlib (or the named top-level entries of it) into ``dest``; returns what is missing."""
    source = stdlib_dir()
    dest.mkdir(parents=True, exist_ok=True)
    missing: List[str] = []
    entries = list(names) if names is not None else sorted(os.listdir(source))
    for name in entries:
        candidates = [name] if names is None else [name, name[:-3] if name.endswith(".py") else name + ".py"]
        for candidate in candidates:
            path = source / candidate
            if path.is_dir() and not path.is_symlink():
                if candidate in ("site-packages", "dist-packages", "__pycache__"):
                    break
                shutil.copytree(path, dest / candidate, ignore=_ignore, symlinks=True)
                break
            if path.is_file():
                (dest / candidate).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest / candidate)
                break
        else:
            missing.append(name)
    return missing


def snapshot(root: Path) -> Dict[str, str]:
    """relative path -> sha256 of every file under root (any suffix)."""
    hashes: Dict[str, str] = {}
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_symlink():
                continue
            hashes[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


@dataclass
class RunResult:
    exit_code: int
    report: dict
    stderr: str
    seconds: float


def run_memfix(root: Path, extra: Sequence[str] = (), python: str = sys.executable) -> RunResult:
    cmd = [python, "-m", "memfix", "--apply", "--unsafe-fixes", "--no-cache", "--format", "json", *extra, "."]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=str(root), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        report = {}
    return RunResult(proc.returncode, report, proc.stderr, seconds)


@dataclass
class CorpusOutcome:
    files_total: int = 0
    files_scanned: int = 0
    first: Optional[RunResult] = None
    second: Optional[RunResult] = None
    changed: List[str] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)
    error_kinds: "Counter[str]" = field(default_factory=Counter)
    per_rule: Dict[str, Counter] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _applied_paths(report: dict) -> List[str]:
    return sorted(
        {f["path"] for f in report.get("findings", []) if f.get("fix") and f["fix"].get("applied")}
    )


def _compiles(data: bytes, name: str) -> Optional[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(data, name, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"
    return None


def _check_run(outcome: CorpusOutcome, label: str, result: RunResult, count: bool = True) -> None:
    if result.exit_code not in (0, 1, 2):
        outcome.problems.append(f"{label}: exit status {result.exit_code}")
    if "Traceback (most recent call last)" in result.stderr:
        outcome.problems.append(f"{label}: traceback on stderr:\n{result.stderr[-3000:]}")
    if not result.report:
        outcome.problems.append(f"{label}: no JSON report on stdout; stderr:\n{result.stderr[-3000:]}")
        return
    for error in result.report.get("errors", []):
        kind = error.get("kind", "?")
        if count:
            outcome.error_kinds[kind] += 1
        if kind not in TOLERATED_ERROR_KINDS:
            outcome.problems.append(f"{label}: {kind} error: {error['path']}: {error['message']}")


def check_corpus(root: Path, extra: Sequence[str] = (), python: str = sys.executable) -> CorpusOutcome:
    """Run memfix twice over ``root`` (modified in place) and check every promise listed above."""
    outcome = CorpusOutcome()
    before = snapshot(root)
    outcome.files_total = sum(1 for p in before if p.endswith(".py"))

    first = outcome.first = run_memfix(root, extra, python)
    _check_run(outcome, "first run", first)
    after = snapshot(root)
    if set(after) != set(before):
        created = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        outcome.problems.append(f"files created {created[:10]} / removed {removed[:10]}")
    outcome.changed = sorted(p for p in before if p in after and after[p] != before[p])
    applied = set(_applied_paths(first.report))
    for path in outcome.changed:
        if path not in applied:
            outcome.problems.append(f"{path}: bytes changed but no applied fix was reported")
        problem = _compiles((root / path).read_bytes(), path)
        if problem:
            outcome.problems.append(f"{path}: rewritten file does not compile: {problem}")
    for path in sorted(applied - set(outcome.changed)):
        outcome.problems.append(f"{path}: a fix is reported applied but the file is unchanged")
    summary = first.report.get("summary", {})
    outcome.files_scanned = summary.get("files_scanned", 0)
    for finding in first.report.get("findings", []):
        counts = outcome.per_rule.setdefault(finding["code"], Counter())
        counts["findings"] += 1
        if finding.get("fix"):
            counts["fixable"] += 1
            if finding["fix"].get("applied"):
                counts["fixed"] += 1

    second = outcome.second = run_memfix(root, extra, python)
    _check_run(outcome, "second run", second, count=False)
    again = snapshot(root)
    moved = sorted(p for p in set(again) | set(after) if again.get(p) != after.get(p))
    if moved:
        outcome.problems.append(f"second run changed {len(moved)} files (not idempotent): {moved[:10]}")
    if _applied_paths(second.report):
        outcome.problems.append(f"second run applied fixes in {_applied_paths(second.report)[:10]}")
    return outcome


def format_outcome(outcome: CorpusOutcome) -> str:
    lines = [
        f"python files: {outcome.files_total}, scanned: {outcome.files_scanned}, rewritten: {len(outcome.changed)}",
    ]
    if outcome.first is not None:
        lines.append(f"first run: exit {outcome.first.exit_code}, {outcome.first.seconds:.1f} s")
    if outcome.second is not None:
        lines.append(f"second run: exit {outcome.second.exit_code}, {outcome.second.seconds:.1f} s")
    lines.append("per rule: code findings fixable fixed")
    for code in sorted(outcome.per_rule):
        c = outcome.per_rule[code]
        lines.append(f"  {code} {c['findings']:6d} {c['fixable']:6d} {c['fixed']:6d}")
    if not outcome.per_rule:
        lines.append("  (no findings)")
    if outcome.error_kinds:
        lines.append("per-file errors: " + ", ".join(f"{k} {n}" for k, n in sorted(outcome.error_kinds.items())))
        if outcome.first is not None:
            for error in outcome.first.report.get("errors", [])[:50]:
                lines.append(f"  {error['path']}: [{error.get('kind')}] {error['message']}")
    if outcome.changed:
        lines.append("rewritten files:")
        lines.extend(f"  {path}" for path in outcome.changed)
    lines.append("OK" if outcome.ok else "PROBLEMS:")
    lines.extend("  " + p for p in outcome.problems)
    return "\n".join(lines)

