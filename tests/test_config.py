"""[tool.memfix] from the nearest pyproject.toml; flags win; bad values are errors naming the file."""

from __future__ import annotations

import pytest

from memfix.config import ConfigError, Settings, load_settings
from memfix.model import Confidence


def test_defaults_without_pyproject(tmp_path):
    assert load_settings(tmp_path) == Settings()


def test_nearest_pyproject_is_used(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.memfix]\nselect = ["MF3"]\nmax-len = 50\nunsafe-fixes = true\n'
        'exclude = ["gen"]\nmin-confidence = "medium"\nextend_safe_fixes = "MF101,MF102"\n'
    )
    nested = tmp_path / "src" / "pkg"
    nested.mkdir(parents=True)
    settings = load_settings(nested)
    assert settings.select == ("MF3",)
    assert settings.max_len == 50 and settings.unsafe_fixes is True
    assert settings.exclude == ("gen",)
    assert settings.min_confidence is Confidence.MEDIUM
    assert settings.extend_safe_fixes == ("MF101", "MF102")
    assert settings.project_root == str(tmp_path.resolve())


def test_cli_overrides_win(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.memfix]\nmax-len = 50\n")
    assert load_settings(tmp_path, {"max_len": 7, "select": None}).max_len == 7


@pytest.mark.parametrize(
    "body,fragment",
    [
        ("max-len = -1", "max-len must be an integer of at least 1"),
        ('max-len = "10"', "max-len must be an integer of at least 1"),
        ("unsafe-fixes = 1", "unsafe-fixes must be true or false"),
        ("select = [1]", "select must be a list of strings"),
        ('min-confidence = "certain"', "min-confidence must be one of"),
        ('lru-backend = "redis"', "lru-backend must be"),
        ("bogus = 1", "unknown key 'bogus'"),
    ],
)
def test_bad_values_name_the_key_and_file(tmp_path, body, fragment):
    (tmp_path / "pyproject.toml").write_text(f"[tool.memfix]\n{body}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    assert fragment in str(info.value) and "pyproject.toml" in str(info.value)


def test_broken_toml_is_an_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.memfix\n")
    with pytest.raises(ConfigError, match="cannot read configuration"):
        load_settings(tmp_path)


def test_cache_key_changes_with_effective_configuration():
    assert Settings().cache_key() != Settings(max_len=5).cache_key()
    assert Settings().cache_key() == Settings(jobs=4).cache_key()
