"""Settings: defaults <- [tool.memfix] in the nearest pyproject.toml <- command-line flags.

Built once in the CLI and passed down explicitly; nothing below the CLI reads the environment.
Unknown keys are an error naming the key and the file, because a silently ignored typo in a CI
gate is worse than a failed run.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10
    import tomli as tomllib

from memfix.model import Confidence

DEFAULT_MAX_LEN = 1000

DEFAULT_EXCLUDES: Tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".env",
    "env",
    "__pycache__",
    "build",
    "dist",
    ".tox",
    ".nox",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".memfix_cache",
    ".eggs",
)


@dataclass(frozen=True)
class Settings:
    select: Tuple[str, ...] = ()  # empty = every rule
    ignore: Tuple[str, ...] = ()
    max_len: int = DEFAULT_MAX_LEN
    unsafe_fixes: bool = False
    #: codes/prefixes whose unsafe fixes are applied as if safe (ruff's extend-safe-fixes)
    extend_safe_fixes: Tuple[str, ...] = ()
    verify: bool = True
    exclude: Tuple[str, ...] = ()
    respect_gitignore: bool = True
    jobs: int = 0  # 0 = CPU count
    #: findings below this confidence are reported but do not fail the run
    min_confidence: Confidence = Confidence.LOW
    lru_backend: str = "stdlib"  # stdlib | cachetools
    cache: bool = True
    cache_dir: Optional[str] = None
    #: where the configuration came from (for messages and the cache key), not a user key
    config_path: Optional[str] = None
    #: project root used to look for dependency declarations (cachetools opt-in)
    project_root: Optional[str] = None

    def with_overrides(self, overrides: Mapping[str, Any]) -> "Settings":
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def cache_key(self) -> str:
        """Everything that can change a result, in a stable textual form."""
        parts = []
        for f in fields(self):
            if f.name in ("jobs", "cache", "cache_dir", "config_path"):
                continue
            parts.append(f"{f.name}={getattr(self, f.name)!r}")
        return ";".join(parts)


class ConfigError(Exception):
    """Raised only by load_settings; the CLI turns it into exit status 2."""


# toml key -> (Settings field, converter)
def _str_tuple(value: Any, key: str, path: Path) -> Tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{path}: [tool.memfix] {key} must be a list of strings")


def _bool(value: Any, key: str, path: Path) -> bool:
    if isinstance(value, bool):
        return value
    raise ConfigError(f"{path}: [tool.memfix] {key} must be true or false")


def _positive_int(value: Any, key: str, path: Path) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ConfigError(f"{path}: [tool.memfix] {key} must be a non-negative integer")


def _bound(value: Any, key: str, path: Path) -> int:
    """A bound N of at least 1, as ``--max-len`` requires: ``deque(maxlen=0)`` keeps nothing and
    ``lru_cache(maxsize=0)`` caches nothing, so 0 is never a bound a fix may write."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise ConfigError(f"{path}: [tool.memfix] {key} must be an integer of at least 1")


def _confidence(value: Any, key: str, path: Path) -> Confidence:
    try:
        return Confidence(value)
    except ValueError:
        raise ConfigError(f"{path}: [tool.memfix] {key} must be one of low, medium, high") from None


def _lru_backend(value: Any, key: str, path: Path) -> str:
    if value in ("stdlib", "cachetools"):
        return str(value)
    raise ConfigError(f"{path}: [tool.memfix] {key} must be \"stdlib\" or \"cachetools\"")


_KEYS: Dict[str, Tuple[str, Any]] = {
    "select": ("select", _str_tuple),
    "ignore": ("ignore", _str_tuple),
    "max-len": ("max_len", _bound),
    "unsafe-fixes": ("unsafe_fixes", _bool),
    "extend-safe-fixes": ("extend_safe_fixes", _str_tuple),
    "verify": ("verify", _bool),
    "exclude": ("exclude", _str_tuple),
    "respect-gitignore": ("respect_gitignore", _bool),
    "jobs": ("jobs", _positive_int),
    "min-confidence": ("min_confidence", _confidence),
    "lru-backend": ("lru_backend", _lru_backend),
    "cache": ("cache", _bool),
}


def find_pyproject(start: Path) -> Optional[Path]:
    start = start.resolve()
    # os.path.isfile, not Path.is_file: a PATH inside a folder we may not search must not raise
    # PermissionError here; discovery reports that path as an error of its own
    if os.path.isfile(start):
        start = start.parent
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if os.path.isfile(candidate):
            return candidate
    return None


def read_tool_table(path: Path) -> Dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None
    table = data.get("tool", {}).get("memfix", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.memfix] must be a table")
    return table


def settings_from_table(table: Mapping[str, Any], path: Path) -> Dict[str, Any]:
    values: Dict[str, Any] = {}
    for key, raw in table.items():
        normalised = key.replace("_", "-")
        if normalised not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise ConfigError(f"{path}: unknown key {key!r} in [tool.memfix] (known keys: {known})")
        name, convert = _KEYS[normalised]
        values[name] = convert(raw, key, path)
    return values


def load_settings(
    start: Union[Path, str],
    overrides: Optional[Mapping[str, Any]] = None,
    config_file: Optional[Path] = None,
) -> Settings:
    """Defaults, then the nearest pyproject.toml's [tool.memfix], then ``overrides`` (CLI flags)."""
    path = config_file if config_file is not None else find_pyproject(Path(start))
    settings = Settings()
    if path is not None:
        table = read_tool_table(path)
        settings = replace(
            settings,
            config_path=str(path),
            project_root=str(path.parent),
            **settings_from_table(table, path),
        )
    if overrides:
        settings = settings.with_overrides(overrides)
    return settings


__all__ = ["Settings", "ConfigError", "load_settings", "find_pyproject", "DEFAULT_EXCLUDES"]
