"""The cache rules' options: dependency detection for the cachetools backend, the CLI flag, the
config key, and --explain's note on the tools that push the other way."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from memfix.cli.app import app
from memfix.fixers._cache_analysis import depends_on

CACHE_USER = (
    "class Renderer:\n"
    "    def __init__(self):\n"
    "        self._templates = {}\n\n"
    "    def render(self, name):\n"
    "        if name not in self._templates:\n"
    "            self._templates[name] = name.upper()\n"
    "        return self._templates[name]\n"
)


@pytest.mark.parametrize(
    "files,expected",
    [
        ({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["CacheTools>=5.0"]\n'}, True),
        ({"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.9"\ncachetools = "^5"\n'}, True),
        ({"requirements.txt": "# pinned\nrequests==2.31\ncachetools==5.3.2 ; python_version >= '3.8'\n"}, True),
        ({"requirements/base.txt": "cachetools\n"}, True),
        ({"setup.cfg": "[options]\ninstall_requires =\n    attrs\n    cachetools>=4\n"}, True),
        ({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["cachetools-async"]\n'}, False),
        (
            {"pyproject.toml": '[project]\nname = "x"\ndependencies = []\n[project.optional-dependencies]\nfast = ["cachetools"]\n'},
            False,
        ),
        ({"requirements.txt": "-r other.txt\n# cachetools is not used\n"}, False),
        ({}, False),
    ],
)
def test_depends_on_cachetools(tmp_path, files, expected):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    found, where = depends_on(str(tmp_path), "cachetools")
    assert found is expected
    assert str(tmp_path) in where


def test_no_project_root_means_not_declared():
    found, where = depends_on(None, "cachetools")
    assert not found and "no pyproject.toml" in where


def _project(tmp_path: Path, config: str, deps: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\ndependencies = [{deps}]\n\n[tool.memfix]\n{config}', encoding="utf-8"
    )
    (tmp_path / "render.py").write_text(CACHE_USER, encoding="utf-8")
    return tmp_path / "render.py"


def test_cli_flag_selects_cachetools_when_declared(tmp_path):
    target = _project(tmp_path, "", '"cachetools"')
    result = CliRunner().invoke(app, [str(target), "--select", "MF201", "--lru-backend", "cachetools", "--format", "diff"])
    assert result.exit_code == 1, result.output
    assert "+        self._templates = LRUCache(maxsize=1000)" in result.output
    default = CliRunner().invoke(app, [str(target), "--select", "MF201", "--format", "diff"])
    assert "OrderedDict()" in default.output and "LRUCache" not in default.output


def test_config_key_selects_cachetools_and_flag_overrides_it(tmp_path):
    target = _project(tmp_path, 'lru-backend = "cachetools"\n', '"cachetools"')
    configured = CliRunner().invoke(app, [str(target), "--select", "MF201", "--format", "diff"])
    assert "LRUCache(maxsize=1000)" in configured.output
    overridden = CliRunner().invoke(app, [str(target), "--select", "MF201", "--lru-backend", "stdlib", "--format", "diff"])
    assert "OrderedDict()" in overridden.output and "LRUCache" not in overridden.output


def test_cachetools_requested_but_not_declared_says_why(tmp_path):
    target = _project(tmp_path, "", '"requests"')
    result = CliRunner().invoke(app, [str(target), "--select", "MF201", "--lru-backend", "cachetools", "--format", "json"])
    assert "cachetools is not a declared dependency" in result.output
    assert "OrderedDict" in result.output


def test_bad_backend_is_a_usage_error(tmp_path):
    target = _project(tmp_path, "", '"cachetools"')
    result = CliRunner().invoke(app, [str(target), "--lru-backend", "redis"])
    assert result.exit_code == 2


def test_explain_mf202_names_the_tools_that_disagree():
    result = CliRunner().invoke(app, ["--explain", "MF202"])
    assert result.exit_code == 0
    for needle in ("UP033", "FURB134", "pyupgrade", "extend-ignore", "memfix: ignore[MF202]"):
        assert needle in result.output, needle
