from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import settings as hypothesis_settings
from typer.testing import CliRunner

from memfix.cli.app import app

# The suite is a gate (.ci/run): the property tests draw the same examples on every run, so a
# run fails only because the code changed. bench/fuzz_long.py explores with fresh random examples
# (MEMFIX_HYPOTHESIS_PROFILE=random), and what it finds becomes an explicit regression test.
hypothesis_settings.register_profile("gate", derandomize=True)
hypothesis_settings.register_profile("random", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("MEMFIX_HYPOTHESIS_PROFILE", "gate"))

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@dataclass
class Ran:
    """What one CLI invocation returned."""

    returncode: int
    stdout: bytes
    stderr: bytes


def _run_memfix(root: Path, *args: str) -> Ran:
    """The CLI in this process (no interpreter start-up per call); -j 2 still forks workers."""
    old = os.getcwd()
    os.chdir(root)
    try:
        try:
            cli = CliRunner(mix_stderr=False)  # click < 8.2 mixes stderr into stdout by default
        except TypeError:
            cli = CliRunner()
        result = cli.invoke(app, list(args), env={"NO_COLOR": "1"})
    finally:
        os.chdir(old)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout_bytes, result.stderr_bytes)


@pytest.fixture
def memfix_cli() -> Callable[..., Ran]:
    """``memfix_cli(root, *args)``: run the CLI in ``root`` and return its exit code and bytes."""
    return _run_memfix
