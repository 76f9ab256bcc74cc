"""Byte-level checks shared by the fuzz and corpus tests: what a rewrite may touch, and what not.

A rewrite may change the lines of the statements it rewrites, and it may add or extend import
statements (libcst's AddImportsVisitor). Every other line must come back byte for byte, line ending
included; comments must survive wherever they end up.
"""

from __future__ import annotations

import difflib
import io
import re
import tokenize
import warnings
from collections import Counter
from typing import List, Optional, Sequence

_IMPORT = re.compile(r"^(?:import\s+\S|from\s+\S+\s+import\s)")


def _is_import_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or bool(_IMPORT.match(line))


def physical_lines(text: str) -> List[str]:
    """Lines as Python counts them: split after LF, CRLF or CR only (``str.splitlines`` also splits
    at form feeds, NEL and LINE SEPARATOR, which Python does not treat as line breaks)."""
    return list(io.StringIO(text, newline=""))


def unexpected_changes(before: str, after: str, allowed: range) -> List[str]:
    """Changed lines of ``before`` outside ``allowed`` (0-based line indexes) that are not imports."""
    old = physical_lines(before)
    new = physical_lines(after)
    problems: List[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        inside = allowed.start <= i1 and i2 <= allowed.stop if i2 > i1 else allowed.start <= i1 <= allowed.stop
        if inside:
            continue
        if all(_is_import_or_blank(line) for line in old[i1:i2] + new[j1:j2]):
            continue
        problems.append(f"{tag} old lines {i1 + 1}-{i2}: {old[i1:i2]!r} -> {new[j1:j2]!r}")
    return problems


def comments(text: str) -> "Counter[str]":
    found: Counter = Counter()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text, newline="").readline):
            if tok.type == tokenize.COMMENT:
                found[tok.string.rstrip()] += 1
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return found


def lost_comments(before: str, after: str) -> List[str]:
    return sorted((comments(before) - comments(after)).elements())


def compile_error(text: str) -> Optional[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(text, "<fuzz>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            return f"{type(exc).__name__}: {exc}"
    return None


def line_endings(text: str) -> Sequence[str]:
    return [line[len(line.rstrip("\r\n")):] for line in physical_lines(text)]
