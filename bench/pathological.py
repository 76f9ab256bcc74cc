"""How long memfix takes on large and pathological files (timings belong here, not in tests).

    python bench/pathological.py

Each case is one file: a real leak (the first fixable example of the registered rules) after a
large body. Prints lines, seconds and the outcome (changed / per-file error) for each.
"""

from __future__ import annotations

import sys
import time

from memfix.api import fix_source
from memfix.config import Settings
from memfix.fixer import Invalid
from memfix.fixers import FIXERS


def _leak() -> str:
    return next(ex.code for fx in FIXERS for ex in fx.examples if isinstance(ex, Invalid) and ex.fixed)


def cases(n: int = 50_000):
    leak = _leak()
    yield "50k-line docstring", '"""\n' + "".join(f"line {i}\n" for i in range(n)) + '"""\n' + leak
    yield "50k comment lines", "".join(f"# comment {i}\n" for i in range(n)) + leak
    yield "50k assignments", "".join(f"x{i} = {i}\n" for i in range(n)) + leak
    yield "50k-line list literal", "X = [\n" + "".join(f"    {i},\n" for i in range(n)) + "]\n" + leak
    yield "16k functions (48k lines)", "".join(f"def f{i}(a, b):\n    return a + b * {i}\n\n" for i in range(n // 3)) + leak
    yield "50k statements on one line", "x=1;" * n + "\n" + leak
    yield "1 MB line", "X = '" + "y" * 1_000_000 + "'\n" + leak
    yield "list nested 10,000 deep", "x = " + "[" * 10_000 + "]" * 10_000 + "\n" + leak
    yield "call chain 5,000", "x = f" + "()" * 5_000 + "\n" + leak
    yield "list nested 190 deep (under the guard)", "x = " + "[" * 190 + "]" * 190 + "\n" + leak


def main() -> int:
    settings = Settings(unsafe_fixes=True, cache=False)
    for name, source in cases():
        start = time.perf_counter()
        result = fix_source(source, settings)
        seconds = time.perf_counter() - start
        outcome = "changed" if result.changed else (f"{result.error.kind}: {result.error.message[:70]}" if result.error else "unchanged")
        print(f"{name:40s} {source.count(chr(10)):7d} lines {seconds:8.2f} s  {outcome}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
