"""The property/fuzz tests with many more examples than CI runs.

    python bench/fuzz_long.py                 # 2,000 examples per property test
    python bench/fuzz_long.py --examples 20000
    python bench/fuzz_long.py -- -k leak_shapes   # arguments after -- go to pytest

Same tests as CI (tests/test_fuzz_*.py), with more examples (MEMFIX_FUZZ_EXAMPLES) and fresh
random ones (MEMFIX_HYPOTHESIS_PROFILE=random; CI draws the same examples every run, see
tests/conftest.py). Turn what it finds into an explicit regression test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=2000, help="examples per property test")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args()
    env = dict(os.environ, MEMFIX_FUZZ_EXAMPLES=str(args.examples), MEMFIX_HYPOTHESIS_PROFILE="random")
    tests = sorted(str(p) for p in (ROOT / "tests").glob("test_fuzz_*.py"))
    start = time.perf_counter()
    code = subprocess.call([sys.executable, "-m", "pytest", "-q", *tests, *args.pytest_args], cwd=ROOT, env=env)
    print(f"{args.examples} examples per test, {time.perf_counter() - start:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
