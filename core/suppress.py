"""`# memfix: ignore` and `# memfix: ignore[MF101,MF301]` on a finding's first line.

Handled once, in the engine, so rules never deal with suppression (Fixit's ignore_lint idea).
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import Dict, FrozenSet, Optional

_IGNORE = re.compile(r"#\s*memfix:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)

#: line number -> codes suppressed there; None means every code
Suppressions = Dict[int, Optional[FrozenSet[str]]]


def find_suppressions(text: str) -> Suppressions:
    """Suppressions in comments only, numbered as the parser numbers lines.

    Read with ``tokenize``, not line by line: ``str.splitlines`` also splits at form feeds and
    other separators Python does not count as line ends (a page break would move every later
    suppression to the wrong line), and text inside a string is not a comment."""
    if "memfix" not in text:
        return {}
    found: Suppressions = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            if token.type == tokenize.COMMENT and "memfix" in token.string.lower():
                _record(found, token.start[0], token.string)
    except (tokenize.TokenError, SyntaxError):
        # syntax this interpreter's tokenizer rejects (libcst may still parse it): look at every
        # line, split where the parser splits lines; a suppression must never be lost
        for number, line in enumerate(io.StringIO(text, newline=None), start=1):
            if "#" in line:
                _record(found, number, line)
    return found


def _record(found: Suppressions, number: int, comment: str) -> None:
    match = _IGNORE.search(comment)
    if match is None:
        return
    codes = match.group("codes")
    if codes is None or not codes.strip():
        found[number] = None
    else:
        found[number] = frozenset(c.strip().upper() for c in codes.split(",") if c.strip())


def is_suppressed(suppressions: Suppressions, line: int, code: str) -> bool:
    if line not in suppressions:
        return False
    codes = suppressions[line]
    return codes is None or code in codes
