"""`# memfix: ignore` and `# memfix: ignore[MF101,MF301]` on a finding's first line.

Handled once, in the engine, so rules never deal with suppression (Fixit's ignore_lint idea).
"""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, Optional

_IGNORE = re.compile(r"#\s*memfix:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)

#: line number -> codes suppressed there; None means every code
Suppressions = Dict[int, Optional[FrozenSet[str]]]


def find_suppressions(text: str) -> Suppressions:
    if "memfix" not in text:
        return {}
    found: Suppressions = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if "#" not in line:
            continue
        match = _IGNORE.search(line)
        if match is None:
            continue
        codes = match.group("codes")
        if codes is None or not codes.strip():
            found[number] = None
        else:
            found[number] = frozenset(c.strip().upper() for c in codes.split(",") if c.strip())
    return found


def is_suppressed(suppressions: Suppressions, line: int, code: str) -> bool:
    if line not in suppressions:
        return False
    codes = suppressions[line]
    return codes is None or code in codes
