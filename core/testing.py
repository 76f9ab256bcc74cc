"""Fixture harness shared by memfix's own tests (and usable by anyone writing a rule).

Layout, after black's golden files and ruff's fixtures::

    tests/fixtures/<rule_module>/<case>.py           input; a trailing "# expect: MF301" marks each
                                                     line that must be reported (repeat the code for
                                                     two findings on one line)
    tests/fixtures/<rule_module>/<case>.expected.py  expected output; ABSENT => output == input
    first line of <case>.py may be "# flags: --unsafe-fixes --max-len 50" (kept in the file)

Every case is checked three ways: the output equals the expectation and the reported lines equal
the markers; fixing the output again changes nothing (black's assert_stable); the output compiles
and verify finds nothing.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from memfix.api import SourceResult, fix_source
from memfix.config import Settings
from memfix.model import Safety

_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>MF\d{3}(?:\s*,\s*MF\d{3})*)")
_FLAGS = re.compile(r"^#\s*flags:\s*(?P<flags>.*)$")


@dataclass(frozen=True)
class FixtureCase:
    rule_dir: str  # fixture folder = rule module name
    name: str
    source_path: Path
    expected_path: Optional[Path]

    @property
    def id(self) -> str:
        return f"{self.rule_dir}/{self.name}"

    def read_source(self) -> str:
        return self.source_path.read_bytes().decode("utf-8")

    def expected_text(self) -> str:
        return (self.expected_path or self.source_path).read_bytes().decode("utf-8")


def collect_cases(root: Path) -> List[FixtureCase]:
    cases: List[FixtureCase] = []
    for rule_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        for source in sorted(rule_dir.glob("*.py")):
            if source.name.endswith(".expected.py"):
                continue
            expected = source.with_name(source.stem + ".expected.py")
            cases.append(FixtureCase(rule_dir.name, source.stem, source, expected if expected.exists() else None))
    return cases


def _flag_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="# flags:", add_help=False)
    parser.add_argument("--unsafe-fixes", action="store_true")
    parser.add_argument("--max-len", type=int)
    parser.add_argument("--select")
    parser.add_argument("--lru-backend")
    parser.add_argument("--no-verify", action="store_true")
    return parser


def case_settings(case: FixtureCase, rule_code: str, base: Optional[Settings] = None) -> Settings:
    settings = base or Settings()
    settings = replace(settings, select=(rule_code,), cache=False)
    first = case.read_source().splitlines()[:1]
    match = _FLAGS.match(first[0]) if first else None
    if match:
        args = _flag_parser().parse_args(shlex.split(match.group("flags")))
        if args.unsafe_fixes:
            settings = replace(settings, unsafe_fixes=True)
        if args.max_len is not None:
            settings = replace(settings, max_len=args.max_len)
        if args.select:
            settings = replace(settings, select=tuple(args.select.split(",")))
        if args.lru_backend:
            settings = replace(settings, lru_backend=args.lru_backend)
        if args.no_verify:
            settings = replace(settings, verify=False)
    return settings


def expected_markers(text: str) -> "Counter[Tuple[int, str]]":
    markers: Counter = Counter()
    for number, line in enumerate(text.splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            for code in match.group("codes").split(","):
                markers[(number, code.strip())] += 1
    return markers


def reported_markers(result: SourceResult) -> "Counter[Tuple[int, str]]":
    return Counter((f.span.line, f.code) for f in result.findings)


def run_case(case: FixtureCase, settings: Settings) -> SourceResult:
    return fix_source(case.read_source(), settings, path=str(case.source_path))


def assert_stable(text: str, settings: Settings, path: str = "<fixed>") -> None:
    """Fixing the output again changes nothing, and no enabled fix remains."""
    again = fix_source(text, settings, path=path)
    assert again.error is None, again.error
    assert again.text == text, "a second pass changed the output"
    assert not again.changed


def assert_compiles(text: str, path: str = "<fixed>") -> None:
    compile(text, path, "exec", dont_inherit=True)


def example_settings(unsafe: bool, code: str) -> Settings:
    return Settings(select=(code,), unsafe_fixes=unsafe, cache=False)


def settings_for_example(example: object, code: str) -> Settings:
    """An Invalid example whose fix is unsafe is shown with --unsafe-fixes."""
    unsafe = bool(getattr(example, "unsafe_fixes", False)) or getattr(example, "safety", None) is Safety.UNSAFE
    return example_settings(unsafe, code)


def fixers_without_fixture(root: Path, module_names: Sequence[str]) -> List[str]:
    return [name for name in module_names if not (root / name).is_dir()]


def run_program(folder: Path, code: str, *args: str) -> "subprocess.CompletedProcess[str]":
    """Run ``code`` as ``folder/prog.py`` with this interpreter (``args`` on its command line):
    the behaviour tests compare what a program prints before and after a fix."""
    prog = folder / "prog.py"
    prog.write_text(code)
    return subprocess.run([sys.executable, str(prog), *args], capture_output=True, text=True, timeout=60)


def assert_same_behaviour(folder: Path, before: str, after: str, *args: str) -> None:
    """``before`` runs cleanly, and ``after`` (its rewrite) runs cleanly and prints the same."""
    was = run_program(folder, before, *args)
    assert was.returncode == 0, was.stderr
    now = run_program(folder, after, *args)
    assert (now.returncode, now.stdout) == (0, was.stdout), now.stderr


def assert_same_for_a_reader_elsewhere(folder: Path, module: str, before: str, after: str, reader: str) -> None:
    """``reader`` (a program importing ``module``) runs cleanly against ``before`` as
    ``folder/<module>.py``, and prints the same against ``after``: a fix must keep working for code
    the analysis of one module cannot see."""
    (folder / f"{module}.py").write_text(before)
    was = run_program(folder, reader)
    assert was.returncode == 0, was.stderr
    (folder / f"{module}.py").write_text(after)
    now = run_program(folder, reader)
    assert (now.returncode, now.stdout) == (0, was.stdout), now.stderr
