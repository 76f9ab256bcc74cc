"""Apply memfix's fixes to a copy of the standard library and run CPython's own tests on it.

    python bench/stdlib_selftest.py                    # safe fixes (what `memfix --apply` writes)
    python bench/stdlib_selftest.py --unsafe-fixes     # also the unsafe ones: the code must still run
    python bench/stdlib_selftest.py --tests test_os    # only these test files

A safe fix must not change behaviour, and the stdlib comes with the strictest reader of its own
behaviour there is. The script copies the interpreter's stdlib twice (without site-packages), runs
`memfix --apply` on one copy, and runs the test files that cover the changed files on both copies
(``PYTHONHOME`` points the interpreter at each), with ``--junit-xml`` so that single test cases can
be compared. It prints the cases that fail only on the fixed copy, and exits 1 if there are any.
Tests that fail on the untouched copy too (no network, no compiler headers, no display) are the
sandbox's, not memfix's, and are not counted.

Session 8 found two behaviour changes this way (test_os: a descriptor used after the with-block;
unittest's testpatch: a mocked `open`). It takes 10-20 minutes on 2 cores; it is not part of CI.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List, Set, Tuple

#: packages whose tests are not named test_<package>
_TESTS_OF: Dict[str, Tuple[str, ...]] = {
    "idlelib": ("test_idle",),
    "unittest": ("test_unittest",),
    "lib2to3": ("test_lib2to3",),
    "tkinter": ("test_ttk_textonly",),
    "multiprocessing": ("test_multiprocessing_main_handling",),
    "audit-tests.py": ("test_audit",),
    "subprocessdata": ("test_subprocess",),
    "_test_multiprocessing.py": ("test_multiprocessing_main_handling",),
}


def stdlib_of(python: str) -> Path:
    out = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], capture_output=True, text=True, check=True
    )
    return Path(out.stdout.strip())


def copy_stdlib(stdlib: Path, home: Path) -> Path:
    """``home``/lib/pythonX.Y: the stdlib's sources, with the original compiled modules linked."""
    target = home / "lib" / stdlib.name
    shutil.copytree(stdlib, target, ignore=shutil.ignore_patterns("site-packages", "__pycache__", "lib-dynload"))
    os.symlink(stdlib / "lib-dynload", target / "lib-dynload")
    (target / "site-packages").mkdir()
    return target


def changed_files(before: Path, after: Path) -> List[str]:
    changed = []
    for path in sorted(after.rglob("*.py")):
        relative = path.relative_to(after)
        if relative.parts[0] in ("lib-dynload", "site-packages"):
            continue
        if path.read_bytes() != (before / relative).read_bytes():
            changed.append(relative.as_posix())
    return changed


def tests_for(changed: List[str], test_dir: Path) -> Tuple[List[str], List[str]]:
    """The test files that exercise the changed files, and the changed files none was found for."""
    tests: Set[str] = set()
    uncovered: List[str] = []
    for relative in changed:
        parts = relative.split("/")
        names: Tuple[str, ...] = ()
        if parts[0] == "test" and len(parts) > 1:
            first = parts[1]
            stem = first[:-3] if first.endswith(".py") else first
            if stem.startswith("test_"):
                names = (stem,)
            elif stem.startswith("_test_"):
                names = (stem[1:],)
            names = _TESTS_OF.get(first, names)
        else:
            top = parts[0][:-3] if parts[0].endswith(".py") else parts[0]
            names = _TESTS_OF.get(parts[0], (f"test_{top}",))
        found = [n for n in names if (test_dir / n).is_dir() or (test_dir / f"{n}.py").is_file()]
        if found:
            tests.update(found)
        else:
            uncovered.append(relative)
    return sorted(tests), uncovered


def run_tests(python: str, home: Path, tests: List[str], jobs: int, timeout: int, log: Path) -> Dict[str, str]:
    """Each test case's outcome ("ok", "failure", "error", "skipped") on the stdlib under ``home``."""
    junit = log.with_suffix(".xml")
    env = {**os.environ, "PYTHONHOME": str(home)}
    command = [python, "-m", "test", f"-j{jobs}", f"--timeout={timeout}", "--junit-xml", str(junit), *tests]
    with log.open("w") as out:
        subprocess.run(command, cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT)
    outcomes: Dict[str, str] = {}
    if not junit.exists():
        return outcomes
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = ".".join(part for part in (case.get("classname"), case.get("name")) if part)
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[name] = kinds[0] if kinds else "ok"
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=os.path.realpath(sys.executable), help="the interpreter whose stdlib is tested")
    parser.add_argument("--unsafe-fixes", action="store_true", help="apply the unsafe fixes too")
    parser.add_argument("--tests", nargs="*", help="test files to run (default: those covering the changed files)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=900, help="per test file, in seconds")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="memfix-selftest-"))
    work.mkdir(parents=True, exist_ok=True)
    stdlib = stdlib_of(args.python)
    base = copy_stdlib(stdlib, work / "base")
    fixed = copy_stdlib(stdlib, work / "fixed")
    report = work / "memfix.json"
    memfix = [sys.executable, "-m", "memfix", "--apply", "--no-cache", "-j", str(args.jobs), "--format", "json", "-o", str(report)]
    subprocess.run([*memfix, *(["--unsafe-fixes"] if args.unsafe_fixes else []), str(fixed)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    summary = json.loads(report.read_text())["summary"]
    changed = changed_files(base, fixed)
    print(f"memfix: {summary['fixed']} fixes in {len(changed)} files ({work})", flush=True)
    tests, uncovered = (sorted(args.tests), []) if args.tests else tests_for(changed, fixed / "test")
    if uncovered:
        print(f"no test file found for: {', '.join(uncovered)}")
    print(f"running {len(tests)} test files on each copy: {' '.join(tests)}", flush=True)
    before = run_tests(args.python, work / "base", tests, args.jobs, args.timeout, work / "base.log")
    after = run_tests(args.python, work / "fixed", tests, args.jobs, args.timeout, work / "fixed.log")
    broken = sorted(n for n, kind in after.items() if kind in ("failure", "error") and before.get(n) == "ok")
    missing = sorted(n for n, kind in before.items() if kind == "ok" and n not in after)
    print(f"test cases: {len(before)} on the untouched copy, {len(after)} on the fixed one")
    for name in broken:
        print(f"FAILS ONLY AFTER THE FIX: {name}")
    for name in missing:
        print(f"passed before, did not run after (a test file crashed or timed out?): {name}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if broken or missing else 0


if __name__ == "__main__":
    sys.exit(main())
