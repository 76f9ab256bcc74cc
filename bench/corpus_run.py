"""Run memfix --apply --unsafe-fixes over a copy of this interpreter's whole standard library.

    python bench/corpus_run.py                 # the whole stdlib (site-packages excluded)
    python bench/corpus_run.py --ci            # the fixed subset CI runs
    python bench/corpus_run.py json email      # named packages/modules
    python bench/corpus_run.py --keep DIR      # copy into DIR and leave it there for inspection

Prints counts per rule, per-file errors and every broken promise (see
tests/corpus/stdlib_corpus.py); exits 1 when a promise is broken.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "corpus"))

from stdlib_corpus import CI_PACKAGES, check_corpus, copy_stdlib, format_outcome, stdlib_dir  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="top-level stdlib entries to copy (default: all)")
    parser.add_argument("--ci", action="store_true", help="use the subset the CI test runs")
    parser.add_argument("--keep", metavar="DIR", help="copy into DIR (must not exist) and keep it")
    parser.add_argument("-j", "--jobs", type=int, default=0, help="memfix worker processes (0 = CPU count)")
    args = parser.parse_args()
    names = list(CI_PACKAGES) if args.ci else (args.names or None)

    with tempfile.TemporaryDirectory(prefix="memfix-corpus-") as scratch:
        root = Path(args.keep) if args.keep else Path(scratch) / "stdlib"
        start = time.perf_counter()
        missing = copy_stdlib(root, names)
        print(f"copied {stdlib_dir()} -> {root} in {time.perf_counter() - start:.1f} s" + (f" (missing: {missing})" if missing else ""))
        outcome = check_corpus(root, extra=["-j", str(args.jobs)])
        print(format_outcome(outcome))
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
