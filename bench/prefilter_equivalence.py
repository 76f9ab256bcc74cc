"""Check the pre-filter's promise on the standard library: findings and fixes are the same with and
without it.

    python bench/prefilter_equivalence.py            # every file (slow: no pre-filter means libcst
                                                     # and full metadata on every candidate file)
    python bench/prefilter_equivalence.py --every 4  # a quarter of the files

tests/test_perf_prefilter.py checks the same on the fixtures and a named sample in CI; this script
is the wide net, run by hand after changing a rule's ``ast_filter`` or the slicer. It prints each
file whose results differ and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import sys
import sysconfig
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import List, Optional, Tuple

from memfix import engine
from memfix.config import Settings
from memfix.fixers import FIXERS
from memfix.model import FileError
from memfix.source import decode_source

SETTINGS = Settings(cache=False, unsafe_fixes=True)


def _result(text: str, path: str, prefilter: bool) -> Tuple[object, Optional[str]]:
    detection = engine.detect(text, path, SETTINGS, FIXERS, prefilter=prefilter)
    if isinstance(detection, FileError):
        return ("error", detection.kind), None
    findings = sorted((f.code, f.symbol, f.span.line, f.span.column, f.message) for f in detection.findings)
    if not any(engine.fix_enabled(r.plan, code, SETTINGS) for code, rs in detection.reports.items() for r in rs):
        return findings, None
    outcome = engine.apply_fixes(text, path, SETTINGS, detection)
    return findings, outcome.new_text if outcome.error is None else f"error: {outcome.error.message}"


def compare(path: str) -> Optional[str]:
    decoded = decode_source(path, Path(path).read_bytes())
    if isinstance(decoded, FileError):
        return None
    text = decoded.text
    if not engine._prefilter(text, engine._ast_parse(text)[0], FIXERS)[0] and not any(
        n.decode("ascii") in text for f in FIXERS for n in f.needles
    ):
        return None  # no rule's needle: both ways skip the file before libcst
    fast = _result(text, path, True)
    slow = _result(text, path, False)
    if fast[0] != slow[0]:
        only_fast = sorted(set(map(str, fast[0])) ^ set(map(str, slow[0])))  # type: ignore[call-overload]
        return f"{path}: findings differ: {only_fast[:4]}"
    if fast[1] != slow[1]:
        return f"{path}: fixes differ"
    return None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="take every Nth file (default: all)")
    parser.add_argument("--root", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("files", nargs="*", help="these files instead of the standard library")
    args = parser.parse_args(argv)
    root = Path(args.root)
    files = args.files or sorted(str(p) for p in root.rglob("*.py") if "site-packages" not in p.parts)[:: args.every]
    with ProcessPoolExecutor(args.jobs) as pool:
        problems = [p for p in pool.map(compare, files, chunksize=4) if p]
    for problem in problems:
        print(problem)
    print(f"{len(files)} files compared, {len(problems)} differ")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
