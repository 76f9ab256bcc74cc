"""memfix's output for the fixtures is the same on every Python it supports.

The fixtures are copied to a scratch folder and scanned with `--unsafe-fixes` in JSON and diff
formats, by this interpreter and by every other one named in ``MEMFIX_OTHER_PYTHONS`` (os.pathsep-
separated interpreters with memfix installed; `nox -s compare_versions` sets it to the nox
virtualenvs of 3.9 ... 3.13). Any difference fails, with the first differing finding or diff line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def _other_pythons() -> List[str]:
    named = [p for p in os.environ.get("MEMFIX_OTHER_PYTHONS", "").split(os.pathsep) if p]
    mine = os.path.realpath(sys.executable)
    return [p for p in named if os.path.exists(p) and os.path.realpath(p) != mine]


def _version(python: str) -> str:
    return subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True
    ).stdout.strip()


def fixture_output(python: str, workdir: Path) -> Tuple[dict, str]:
    """(JSON report, diff text) of ``python -m memfix`` over a copy of the fixtures."""
    target = workdir / "fixtures"
    if not target.exists():
        shutil.copytree(FIXTURES, target)
    outputs = []
    for fmt in ("json", "diff"):
        proc = subprocess.run(
            [python, "-m", "memfix", "--unsafe-fixes", "--format", fmt, "-j", "1", "fixtures"],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode in (0, 1), f"{python}: {proc.stderr[-2000:]}"
        outputs.append(proc.stdout)
    return json.loads(outputs[0]), outputs[1]


def _first_difference(a: List[str], b: List[str]) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"item {i}:\n  {x}\n  {y}"
    return f"lengths {len(a)} vs {len(b)}"


def test_fixture_output_is_sane_here(tmp_path):
    report, diff = fixture_output(sys.executable, tmp_path)
    assert report["findings"], "the fixtures produce findings"
    assert diff.startswith("--- a/fixtures/")


OTHERS = _other_pythons()


@pytest.mark.skipif(not OTHERS, reason="no other interpreter with memfix (run `nox -s compare_versions`)")
@pytest.mark.parametrize("python", OTHERS, ids=[_version(p) or p for p in OTHERS])
def test_fixture_output_identical_across_versions(tmp_path, python):
    mine_json, mine_diff = fixture_output(sys.executable, tmp_path)
    theirs_json, theirs_diff = fixture_output(python, tmp_path)
    mine = [json.dumps(f, sort_keys=True) for f in mine_json["findings"]]
    theirs = [json.dumps(f, sort_keys=True) for f in theirs_json["findings"]]
    assert mine == theirs, _first_difference(mine, theirs)
    assert mine_json["summary"] == theirs_json["summary"]
    assert mine_json["errors"] == theirs_json["errors"]
    assert mine_diff.splitlines() == theirs_diff.splitlines(), _first_difference(
        mine_diff.splitlines(), theirs_diff.splitlines()
    )
