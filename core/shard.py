"""``--shard K/N``: the K-th of N deterministic, size-balanced parts of the files to scan.

N CI runners on the same checkout each run ``memfix --shard K/N`` and see the same files with the
same sizes, so they agree on the partition without talking to each other. Files are dealt largest
first to the part with the least bytes so far (ties: the lower part number, then the path), which
keeps the parts within one file's size of each other. ``memfix --merge-results`` puts the parts'
reports back together.
"""

from __future__ import annotations

import heapq
import os
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Union

from memfix.discover import SourceFile

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int


def parse_shard(spec: str) -> Union[Shard, str]:
    """``"2/3"`` -> Shard(2, 3), or an error message."""
    match = _SPEC.match(spec)
    if match is None:
        return f"--shard expects K/N (for example 2/3), not {spec!r}"
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        return f"--shard {spec}: K must be between 1 and N, and N at least 1"
    return Shard(index, count)


def file_sizes(files: Sequence[SourceFile]) -> Dict[str, int]:
    sizes: Dict[str, int] = {}
    for source in files:
        try:
            sizes[source.real] = os.stat(source.real).st_size
        except OSError:
            sizes[source.real] = 0  # reported as a read error by whichever part gets it
    return sizes


def partition(
    files: Sequence[SourceFile], count: int, sizes: Optional[Dict[str, int]] = None
) -> List[List[SourceFile]]:
    """All N parts, each in path order."""
    sizes = sizes if sizes is not None else file_sizes(files)
    order = sorted(files, key=lambda f: (-sizes.get(f.real, 0), f.display, f.real))
    heap = [(0, part) for part in range(count)]
    parts: List[List[SourceFile]] = [[] for _ in range(count)]
    for source in order:
        load, part = heapq.heappop(heap)
        parts[part].append(source)
        heapq.heappush(heap, (load + sizes.get(source.real, 0), part))
    for part in parts:
        part.sort(key=lambda f: f.display)
    return parts


def select_shard(
    files: Sequence[SourceFile], shard: Shard, sizes: Optional[Dict[str, int]] = None
) -> List[SourceFile]:
    return partition(files, shard.count, sizes)[shard.index - 1]


__all__ = ["Shard", "parse_shard", "partition", "select_shard", "file_sizes"]
