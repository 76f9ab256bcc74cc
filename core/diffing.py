"""Unified diffs a reviewer reads and `git apply` accepts.

Diffs are made on bytes (``difflib.diff_bytes``) so a latin-1 or BOM-prefixed file yields a patch
whose context lines match the file exactly; headers carry the ``a/`` and ``b/`` prefixes git
expects. The combined patch is parsed back with unidiff for the counts in the summary, which also
proves it is well formed.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, List

import unidiff

NO_NEWLINE = b"\\ No newline at end of file\n"


def _quote(path: str) -> str:
    # git quotes paths with spaces or special characters in C style
    if any(c in path for c in ' "\\\t\n') or not path.isprintable():
        escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\n", "\\n")
        return f'"{escaped}"'
    return path


def unified_diff(path: str, old: bytes, new: bytes, context: int = 3) -> bytes:
    if old == new:
        return b""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    display = path.replace("\\", "/").lstrip("/")
    while display.startswith("./"):
        display = display[2:]
    out: List[bytes] = []
    for line in difflib.diff_bytes(
        difflib.unified_diff,
        old_lines,
        new_lines,
        fromfile=_quote("a/" + display).encode("utf-8", "surrogateescape"),
        tofile=_quote("b/" + display).encode("utf-8", "surrogateescape"),
        n=context,
    ):
        if len(out) < 2 and line.startswith((b"---", b"+++")):
            # only the two file headers (difflib adds a trailing tab); a removed line "-- x"
            # or an added "++x" is content and keeps its bytes
            line = line.rstrip(b"\r\n").rstrip() + b"\n"
        out.append(line)
        if not line.endswith(b"\n"):
            out.append(b"\n" + NO_NEWLINE)
    return b"".join(out)


@dataclass(frozen=True)
class PatchStats:
    files: int
    hunks: int
    added: int
    removed: int


def patch_stats(patches: Iterable[bytes]) -> PatchStats:
    """Parse the combined patch with unidiff; raises unidiff.UnidiffParseError if malformed."""
    data = b"".join(patches)
    if not data:
        return PatchStats(0, 0, 0, 0)
    # latin-1 maps every byte to one character, so parsing never fails on the file's encoding
    patch = unidiff.PatchSet(data.decode("latin-1"))
    return PatchStats(
        files=len(patch),
        hunks=sum(len(f) for f in patch),
        added=sum(f.added for f in patch),
        removed=sum(f.removed for f in patch),
    )
