"""PATHS -> the sorted list of Python files to scan.

Folders are walked for ``*.py``; ``.gitignore`` files (from the repository root down), the
``exclude`` setting and the default skips (.git, virtualenvs, build, ...) prune the walk. A file
named explicitly on the command line is scanned even if a pattern would skip it, as pre-commit and
editors pass exactly the files they mean. The same file reached twice (two paths, a symlink) is
scanned once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import pathspec

from memfix.config import DEFAULT_EXCLUDES, Settings
from memfix.model import FileError


@dataclass(frozen=True)
class SourceFile:
    display: str  # path as reached from the PATHS given (used in output and diffs)
    real: str  # resolved path (used to read and write, and to de-duplicate)


def _git_root(start: Path) -> Optional[Path]:
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


class _IgnoreRules:
    """Gitignore specs keyed by the folder they live in; a path is ignored if any applies."""

    def __init__(self, settings: Settings, respect_gitignore: bool) -> None:
        self._specs: Dict[Path, Optional[pathspec.PathSpec]] = {}
        self._respect_gitignore = respect_gitignore
        base = Path(settings.project_root) if settings.project_root else Path.cwd()
        self._exclude_base = base.resolve()
        self._exclude = (
            pathspec.GitIgnoreSpec.from_lines(settings.exclude) if settings.exclude else None
        )

    def _spec_for(self, folder: Path) -> Optional[pathspec.PathSpec]:
        if folder not in self._specs:
            spec = None
            ignore_file = folder / ".gitignore"
            if self._respect_gitignore and ignore_file.is_file():
                try:
                    lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
                    spec = pathspec.GitIgnoreSpec.from_lines(lines)
                except OSError:
                    spec = None
            self._specs[folder] = spec
        return self._specs[folder]

    def ignored(self, path: Path, is_dir: bool, folders: Sequence[Path]) -> bool:
        if is_dir and path.name in DEFAULT_EXCLUDES:
            return True
        if is_dir and (path / "pyvenv.cfg").exists():  # a virtualenv under any name
            return True
        suffix = "/" if is_dir else ""
        if self._exclude is not None:
            try:
                rel = path.resolve().relative_to(self._exclude_base).as_posix()
            except ValueError:
                rel = None
            if rel is not None and self._exclude.match_file(rel + suffix):
                return True
        for folder in folders:
            spec = self._spec_for(folder)
            if spec is None:
                continue
            try:
                rel = path.relative_to(folder).as_posix()
            except ValueError:
                continue
            if spec.match_file(rel + suffix):
                return True
        return False


def _display(path: Path) -> str:
    return path.as_posix()


def discover(paths: Iterable[str], settings: Settings) -> Tuple[List[SourceFile], List[FileError]]:
    rules = _IgnoreRules(settings, settings.respect_gitignore)
    found: Dict[str, SourceFile] = {}
    errors: List[FileError] = []
    for raw in paths:
        given = Path(raw)
        if not os.path.lexists(given):
            errors.append(FileError(raw, "read", "no such file or directory"))
            continue
        if given.is_file():
            real = os.path.realpath(given)
            found.setdefault(real, SourceFile(_display(given), real))
            continue
        if not given.is_dir():
            errors.append(FileError(raw, "read", "not a regular file or directory"))
            continue
        root = given.resolve()
        git_root = _git_root(root)
        # .gitignore files above the walk root but inside the repository still apply
        ancestors: List[Path] = []
        if git_root is not None:
            folder = root
            while True:
                ancestors.insert(0, folder)
                if folder == git_root:
                    break
                folder = folder.parent
        else:
            ancestors = [root]
        seen_dirs = set()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            current = Path(dirpath)
            real_dir = os.path.realpath(current)
            if real_dir in seen_dirs:  # symlink loop or folder reached twice
                dirnames[:] = []
                continue
            seen_dirs.add(real_dir)
            folders = ancestors + [p for p in _between(root, current)]
            dirnames[:] = sorted(
                d for d in dirnames if not rules.ignored(current / d, True, folders)
            )
            for name in sorted(filenames):
                if not name.endswith(".py"):
                    continue
                path = current / name
                if rules.ignored(path, False, folders):
                    continue
                display_path = given / path.relative_to(root)
                real = os.path.realpath(path)
                found.setdefault(real, SourceFile(_display(display_path), real))
    files = sorted(found.values(), key=lambda f: f.display)
    return files, errors


def _between(root: Path, current: Path) -> List[Path]:
    """Folders strictly below ``root`` down to ``current`` (their .gitignore files apply)."""
    if current == root:
        return []
    parts = current.relative_to(root).parts
    return [root.joinpath(*parts[: i + 1]) for i in range(len(parts))]
