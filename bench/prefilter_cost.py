"""What the ``ast`` pre-filter (``engine._prefilter`` plus the ``too_deep`` guard) costs on a
sample of a tree of files, against ``ast.parse`` of the same files.

    python bench/prefilter_cost.py --root /tmp/std --every 4 --repeat 5
    python bench/prefilter_cost.py --profile            # cProfile of one pass, top 30 by tottime

Files are read and parsed outside the timed region; times are ``time.process_time`` (the CPU this
process spent: other work on a shared machine inflates it less than wall time), median of
``--repeat`` passes.
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import pstats
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import List, Optional, Tuple

from memfix import engine
from memfix.fixers import FIXERS
from memfix.limits import too_deep


def load(root: str, every: int) -> List[Tuple[str, ast.Module]]:
    files = sorted(Path(root).rglob("*.py"))[::every]
    loaded = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
                loaded.append((text, ast.parse(text)))
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue
    return loaded


def one_pass(sample: List[Tuple[str, ast.Module]]) -> Tuple[float, float]:
    """(pre-filter seconds, too_deep seconds) of one pass; too_deep runs only on candidate files,
    as in ``engine.detect``."""
    filtering = guarding = 0.0
    for text, tree in sample:
        start = time.process_time()
        chosen, _ = engine._prefilter(text, tree, FIXERS)
        middle = time.process_time()
        if chosen:
            too_deep(text, tree)
        filtering += middle - start
        guarding += time.process_time() - middle
    return filtering, guarding


def parse_cost(sample: List[Tuple[str, ast.Module]]) -> float:
    start = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for text, _ in sample:
            ast.parse(text)
    return time.process_time() - start


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="/tmp/std")
    parser.add_argument("--every", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    sample = load(args.root, args.every)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(one_pass, sample)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(30)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(40)
        return 0
    runs = [one_pass(sample) for _ in range(args.repeat)]
    parses = [parse_cost(sample) for _ in range(args.repeat)]
    filt = statistics.median(r[0] for r in runs)
    guard = statistics.median(r[1] for r in runs)
    total = statistics.median(r[0] + r[1] for r in runs)
    sys.stdout.write(
        f"{len(sample)} files: prefilter {filt:.2f}s, too_deep {guard:.2f}s, total {total:.2f}s "
        f"(runs: {', '.join(f'{a + b:.2f}' for a, b in runs)}); ast.parse {statistics.median(parses):.2f}s\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
