"""``memfix --merge-results``: the JSON reports (and patches) of ``--shard K/N`` runs as one report.

Lossless: every finding, error and verify entry of every input is kept; the summary is recomputed
from the parts. Order is the unsharded order: the parts are disjoint sets of files, each already in
path order, so findings (and a file's diff) are merged stably by path. An error reported by every
part (a PATH that does not exist is seen by all of them) is a run-level error and appears once,
first, as in an unsharded run.

Patches are split per file (hunk headers say how many lines follow, so a removed line that reads
``--- x`` is not mistaken for a header) and merged by path the same way.
"""

from __future__ import annotations

import heapq
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence, Tuple, Union

_HUNK = re.compile(rb"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


class MergeError(ValueError):
    """Inputs that cannot be one report (different modes or versions, not a report at all)."""


@dataclass
class MergeInputs:
    reports: List[Tuple[str, Dict[str, Any]]] = field(default_factory=list)
    patches: List[Tuple[str, bytes]] = field(default_factory=list)


def classify(name: str, data: bytes) -> Union[Tuple[str, Any], MergeError]:
    """("report", dict) for a memfix JSON report, ("patch", bytes) for a unified diff."""
    head = data.lstrip()[:1]
    if head == b"{":
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return MergeError(f"{name}: not a memfix JSON report ({exc})")
        if not isinstance(doc, dict) or doc.get("tool") != "memfix" or "findings" not in doc:
            return MergeError(f"{name}: not a memfix JSON report (use --format json)")
        return ("report", doc)
    if not head or data.startswith(b"--- "):
        return ("patch", data)
    return MergeError(f"{name}: neither a memfix JSON report nor a patch")


def _error_key(error: Dict[str, Any]) -> Tuple[str, ...]:
    return tuple(str(error.get(k, "")) for k in ("path", "kind", "message"))


def _by_path(groups: Sequence[Sequence[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """Stable merge of lists that are each in path order (a run's findings are)."""
    tagged = [[(item.get("path", ""), g, i, item) for i, item in enumerate(group)] for g, group in enumerate(groups)]
    return [entry[3] for entry in heapq.merge(*tagged, key=lambda e: (e[0], e[1], e[2]))]


def merge_reports(docs: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    if not docs:
        raise MergeError("no JSON report to merge")
    for key in ("mode", "version"):
        values = {str(d.get(key)) for d in docs}
        if len(values) > 1:
            raise MergeError(f"reports differ in {key} ({', '.join(sorted(values))}); merge runs of one memfix and mode")
    shards = [d["shard"] for d in docs if isinstance(d.get("shard"), dict)]
    if shards:
        counts = {s.get("count") for s in shards}
        indexes = Counter(s.get("index") for s in shards)
        if len(counts) > 1 or len(shards) != len(docs):
            raise MergeError("reports come from different --shard N (or some were not sharded)")
        duplicated = sorted(i for i, n in indexes.items() if n > 1)
        if duplicated:
            raise MergeError(f"shard {duplicated[0]} given more than once")

    findings = _by_path([d.get("findings") or [] for d in docs])
    # errors seen by every part are run-level (missing PATHS): once, first
    error_lists = [d.get("errors") or [] for d in docs]
    seen_in = Counter(k for errors in error_lists for k in {_error_key(e) for e in errors})
    common = {k for k, n in seen_in.items() if n == len(docs)}
    run_level: List[Dict[str, Any]] = []
    emitted = set()
    for error in error_lists[0]:
        key = _error_key(error)
        if key in common and key not in emitted:
            emitted.add(key)
            run_level.append(error)
    per_file = _by_path([[e for e in errors if _error_key(e) not in common] for errors in error_lists])
    errors = run_level + per_file

    summaries = [d.get("summary") or {} for d in docs]

    def total(name: str) -> int:
        return sum(int(s.get(name, 0) or 0) for s in summaries)

    summary: Dict[str, Any] = {}
    for name in (summaries[0].keys() if summaries[0] else ()):
        summary[name] = total(name)
    summary.update(
        files_scanned=total("files_scanned"),
        files_changed=total("files_changed"),
        findings=len(findings),
        fixed=total("fixed"),
        remaining=total("remaining"),
        errors=len(errors),
    )
    if "fixable" in summaries[0]:
        summary["fixable"] = total("fixable")
    verified = [d["verify"] for d in docs if d.get("verify")]
    verify = None
    if verified:
        verify = {
            "ok": all(bool(v.get("ok")) for v in verified),
            "remaining": _by_path([v.get("remaining") or [] for v in verified]),
            "new": _by_path([v.get("new") or [] for v in verified]),
        }
    merged: Dict[str, Any] = {}
    # same keys in the same order as one run's report, plus anything a newer memfix added
    for key in docs[0]:
        if key == "shard":
            continue
        merged[key] = docs[0][key]
    merged.update(findings=findings, errors=errors, summary=summary, verify=verify)
    return merged


def _patch_path(header: bytes) -> str:
    name = header[4:].rstrip(b"\r\n").decode("utf-8", "surrogateescape")
    if name.startswith('"') and name.endswith('"') and len(name) >= 2:
        name = name[1:-1].replace('\\"', '"').replace("\\t", "\t").replace("\\n", "\n").replace("\\\\", "\\")
    return name[2:] if name.startswith(("a/", "b/")) else name


def split_patch(data: bytes) -> List[Tuple[str, bytes]]:
    """(path, that file's part of the patch), in the order they appear."""
    lines = data.splitlines(keepends=True)
    chunks: List[Tuple[str, bytes]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith(b"--- ") or i + 1 >= len(lines) or not lines[i + 1].startswith(b"+++ "):
            raise MergeError(f"malformed patch: expected a '--- ' file header at line {i + 1}")
        start = i
        path = _patch_path(lines[i + 1])
        i += 2
        while i < len(lines) and lines[i].startswith(b"@@"):
            match = _HUNK.match(lines[i])
            if match is None:
                raise MergeError(f"malformed patch: bad hunk header at line {i + 1}")
            old = int(match.group(1)) if match.group(1) is not None else 1
            new = int(match.group(2)) if match.group(2) is not None else 1
            i += 1
            while old > 0 or new > 0:
                if i >= len(lines):
                    raise MergeError("malformed patch: a hunk ends early")
                tag = lines[i][:1]
                if tag == b" ":
                    old, new = old - 1, new - 1
                elif tag == b"-":
                    old -= 1
                elif tag == b"+":
                    new -= 1
                elif tag != b"\\":
                    raise MergeError(f"malformed patch: unexpected line {i + 1} inside a hunk")
                i += 1
            while i < len(lines) and lines[i].startswith(b"\\"):
                i += 1
        chunks.append((path, b"".join(lines[start:i])))
    return chunks


def merge_patches(patches: Sequence[bytes]) -> bytes:
    parts = [[(path, g, i, chunk) for i, (path, chunk) in enumerate(split_patch(p))] for g, p in enumerate(patches)]
    return b"".join(e[3] for e in heapq.merge(*parts, key=lambda e: (e[0], e[1], e[2])))


def exit_code(doc: Dict[str, Any], min_confidence_rank: int) -> int:
    """The contract's exit status, from a (merged) JSON report."""
    if doc.get("errors"):
        return 2
    ranks = {"low": 0, "medium": 1, "high": 2}
    for finding in doc.get("findings") or []:
        fix = finding.get("fix") or {}
        if fix.get("applied"):
            continue
        if ranks.get(str(finding.get("confidence", "high")), 2) >= min_confidence_rank:
            return 1
    return 0


__all__ = ["MergeError", "classify", "merge_reports", "merge_patches", "split_patch", "exit_code"]
