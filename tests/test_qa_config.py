"""QA: ``max-len`` in ``[tool.memfix]`` must obey the rule ``--max-len`` obeys (N >= 1).

Found by black-box testing: ``--max-len 0`` is a usage error, but ``max-len = 0`` in pyproject.toml
was accepted, and the unsafe fixes then wrote ``deque(maxlen=0)`` (keeps nothing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Tuple

import pytest

LEAK = '''\
class Tracker:
    """Long-running tracker service."""

    def __init__(self):
        self.history = []

    def add(self, v):
        self.history.append(v)

    def last(self):
        return self.history[-1]
'''


def _run(tmp_path: Path, memfix_cli, table: str, *args: str) -> Tuple[int, str]:
    """The run's exit code and its stdout and stderr together (the diff, or the usage error)."""
    (tmp_path / "pyproject.toml").write_text(f"[tool.memfix]\n{table}\n")
    (tmp_path / "a.py").write_text(LEAK)
    ran = memfix_cli(tmp_path, "--no-cache", "--unsafe-fixes", "--format", "diff", *args, "a.py")
    return ran.returncode, (ran.stdout + ran.stderr).decode()


def test_max_len_zero_in_config_is_a_usage_error(tmp_path: Path, memfix_cli):
    code, output = _run(tmp_path, memfix_cli, "max-len = 0")
    assert code == 2
    assert "max-len" in output and "maxlen=0" not in output


@pytest.mark.parametrize("value", ["1", "50"])
def test_positive_max_len_in_config_is_used(tmp_path: Path, memfix_cli, value: str):
    code, output = _run(tmp_path, memfix_cli, f"max-len = {value}")
    assert code == 1, output
    assert f"deque(maxlen={value})" in output


def test_cli_max_len_wins_over_config(tmp_path: Path, memfix_cli):
    _, output = _run(tmp_path, memfix_cli, "max-len = 50", "--max-len", "7")
    assert "deque(maxlen=7)" in output
