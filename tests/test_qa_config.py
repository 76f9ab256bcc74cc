"""QA: ``max-len`` in ``[tool.memfix]`` must obey the rule ``--max-len`` obeys (N >= 1).

Found by black-box testing: ``--max-len 0`` is a usage error, but ``max-len = 0`` in pyproject.toml
was accepted, and the unsafe fixes then wrote ``deque(maxlen=0)`` (keeps nothing).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from memfix.cli.app import app

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


def _run(tmp_path: Path, monkeypatch, table: str, *args: str):
    (tmp_path / "pyproject.toml").write_text(f"[tool.memfix]\n{table}\n")
    (tmp_path / "a.py").write_text(LEAK)
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(app, ["--no-cache", "--unsafe-fixes", "--format", "diff", *args, "a.py"])


def test_max_len_zero_in_config_is_a_usage_error(tmp_path: Path, monkeypatch):
    result = _run(tmp_path, monkeypatch, "max-len = 0")
    assert result.exit_code == 2
    assert "max-len" in result.output and "maxlen=0" not in result.output


@pytest.mark.parametrize("value", ["1", "50"])
def test_positive_max_len_in_config_is_used(tmp_path: Path, monkeypatch, value: str):
    result = _run(tmp_path, monkeypatch, f"max-len = {value}")
    assert result.exit_code == 1, result.output
    assert f"deque(maxlen={value})" in result.output


def test_cli_max_len_wins_over_config(tmp_path: Path, monkeypatch):
    result = _run(tmp_path, monkeypatch, "max-len = 50", "--max-len", "7")
    assert "deque(maxlen=7)" in result.output
