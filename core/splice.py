"""Put a rewrite back into the original text without trusting libcst's round trip.

libcst regenerates most files byte for byte, but not all (``except OSError :`` comes back as
``except OSError:``). So the engine never writes a regenerated module wholesale. Three texts
are involved: the original bytes' text ``O``, the unmodified tree regenerated ``R``, and the
rewritten tree ``N``. The edits ``R -> N`` are mapped onto ``O`` through the lines ``O`` and ``R``
share; an edit that touches a line where the round trip was not exact is refused. Lines the rewrite
creates take the line ending of their neighbours.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Dict, List, Optional, Sequence, Tuple, Union

from memfix.source import line_ending_of

Edit = Tuple[int, int, List[str]]  # [start, end) in the base lines, replacement lines


class SpliceError(Exception):
    pass


def _line_ending(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    if line.endswith("\n"):
        return "\n"
    if line.endswith("\r"):
        return "\r"
    return ""


def _edits(old: Sequence[str], new: Sequence[str]) -> List[Edit]:
    """Line edits turning ``old`` into ``new``; common prefix/suffix trimmed first so that a
    50,000-line file with one small rewrite costs a linear scan, not a quadratic match."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < limit - prefix
        and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]
    ):
        suffix += 1
    old_mid = old[prefix : len(old) - suffix]
    new_mid = new[prefix : len(new) - suffix]
    edits: List[Edit] = []
    matcher = SequenceMatcher(None, old_mid, new_mid, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            edits.append((prefix + i1, prefix + i2, list(new_mid[j1:j2])))
    return edits


def _match_lines(original: Sequence[str], roundtrip: Sequence[str]) -> Dict[int, int]:
    """roundtrip line index -> original line index, for lines the round trip kept exactly."""
    if list(original) == list(roundtrip):
        return {i: i for i in range(len(roundtrip))}
    mapping: Dict[int, int] = {}
    matcher = SequenceMatcher(None, original, roundtrip, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                mapping[j1 + k] = i1 + k
    return mapping


def _fit_line_endings(lines: List[str], neighbour_ending: str) -> List[str]:
    if not neighbour_ending:
        return lines
    fitted = []
    for line in lines:
        ending = _line_ending(line)
        if ending and ending != neighbour_ending:
            line = line[: len(line) - len(ending)] + neighbour_ending
        fitted.append(line)
    return fitted


def splice(original: str, roundtrip: str, rewritten: str) -> Union[str, SpliceError]:
    """Return ``original`` with the edits ``roundtrip -> rewritten`` applied, or why it cannot be."""
    o_lines = original.splitlines(keepends=True)
    r_lines = roundtrip.splitlines(keepends=True)
    n_lines = rewritten.splitlines(keepends=True)
    r_to_o = _match_lines(o_lines, r_lines)
    default_ending = line_ending_of(original)

    mapped: List[Edit] = []
    for start, end, replacement in _edits(r_lines, n_lines):
        if end > start:
            o_start = r_to_o.get(start)
            o_last = r_to_o.get(end - 1)
            if o_start is None or o_last is None or o_last - o_start != end - start - 1:
                return SpliceError(
                    f"the rewrite at line {start + 1} touches code that libcst does not reproduce exactly"
                )
            o_end = o_last + 1
        else:
            before: Optional[int] = r_to_o.get(start - 1) if start > 0 else -1
            if before is None:
                return SpliceError(
                    f"the insertion at line {start + 1} follows code that libcst does not reproduce exactly"
                )
            o_start = o_end = before + 1
        if end > start:
            neighbour = _line_ending(o_lines[o_start])
        elif o_start > 0:
            neighbour = _line_ending(o_lines[o_start - 1])
        elif o_lines:
            neighbour = _line_ending(o_lines[0])
        else:
            neighbour = default_ending
        mapped.append((o_start, o_end, _fit_line_endings(replacement, neighbour or default_ending)))

    result = list(o_lines)
    for o_start, o_end, replacement in reversed(mapped):
        result[o_start:o_end] = replacement
    return "".join(result)
