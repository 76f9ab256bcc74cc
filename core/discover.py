"""PATHS -> the sorted list of Python files to scan.

Folders are walked for ``*.py``; ``.gitignore`` files (from the repository root down), the
``exclude`` setting and the default skips (.git, virtualenvs, build, ...) prune the walk. A file
named explicitly on the command line is scanned even if a pattern would skip it, as pre-commit and
editors pass exactly the files they mean. The same file reached twice (two paths, a symlink, a
hard link) is scanned once.

memfix never writes outside the paths it was given: a symbolic link (to a file or a folder) found
in a walked folder must resolve inside that folder, and a file named on the command line that is a
symbolic link must resolve inside the folder holding the link. Anything else is reported and
neither scanned nor written. Symbolic-link loops, broken links, folders that cannot be listed and
non-regular files (a FIFO named ``x.py``) are per-path errors too.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Sequence, Tuple

from memfix.config import DEFAULT_EXCLUDES, Settings
from memfix.model import FileError

if TYPE_CHECKING:
    import pathspec


@dataclass(frozen=True)
class SourceFile:
    display: str  # path as reached from the PATHS given (used in output and diffs)
    real: str  # resolved path (used to read and write, and to de-duplicate)


def _git_root(start: Path) -> Optional[Path]:
    for folder in (start, *start.parents):
        if os.path.exists(folder / ".git"):  # False, not PermissionError, on a folder we cannot search
            return folder
    return None


def _gitignore_spec(lines: Iterable[str]) -> "pathspec.PathSpec":
    """pathspec is imported when a pattern is first read: a pre-commit call on a few named files
    in a project without .gitignore or ``exclude`` does not pay for it (25 ms of a 0.4 s start)."""
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


class _IgnoreRules:
    """Gitignore specs keyed by the folder they live in; a path is ignored if any applies."""

    def __init__(self, settings: Settings, respect_gitignore: bool) -> None:
        self._specs: Dict[Path, Optional[pathspec.PathSpec]] = {}
        self._respect_gitignore = respect_gitignore
        base = Path(settings.project_root) if settings.project_root else Path.cwd()
        self._exclude_base = base.resolve()
        self._exclude = _gitignore_spec(settings.exclude) if settings.exclude else None

    def _spec_for(self, folder: Path) -> Optional[pathspec.PathSpec]:
        if folder not in self._specs:
            spec = None
            ignore_file = folder / ".gitignore"
            if self._respect_gitignore and os.path.isfile(ignore_file):
                try:
                    lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
                    spec = _gitignore_spec(lines)
                except OSError:
                    spec = None
            self._specs[folder] = spec
        return self._specs[folder]

    def ignored(self, path: Path, is_dir: bool, folders: Sequence[Path]) -> bool:
        if is_dir and path.name in DEFAULT_EXCLUDES:
            return True
        # a virtualenv under any name; os.path.exists, not Path.exists: a folder we may not
        # search raises PermissionError from Path.exists, and that folder must reach os.walk,
        # which reports it as a per-path error ("cannot list folder") instead of a crash
        if is_dir and os.path.exists(path / "pyvenv.cfg"):
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


def _inside(real: str, boundary: str) -> bool:
    return real == boundary or real.startswith(boundary.rstrip(os.sep) + os.sep)


def _link_problem(path: Path) -> str:
    """Why a symbolic link cannot be followed (broken or looping)."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop; not scanned"
        if exc.errno == errno.ENOENT:
            return f"broken symbolic link (to {os.readlink(path)}); not scanned"
        return f"cannot read: {exc.strerror or exc}"
    return ""


def _outside(display: str, real: str, boundary: str) -> FileError:
    return FileError(
        display,
        "symlink",
        f"symbolic link to {real}, outside {boundary}; not scanned or written",
    )


class _Found:
    """Files found so far, keyed by identity (device, inode) so that every file is scanned once."""

    def __init__(self) -> None:
        self.files: Dict[object, SourceFile] = {}
        self.errors: List[FileError] = []

    def add(self, display: str, path: Path) -> None:
        real = os.path.realpath(path)
        try:
            info = os.stat(real)
        except OSError as exc:
            problem = _link_problem(path) if os.path.islink(path) else f"cannot read: {exc.strerror or exc}"
            self.errors.append(FileError(display, "read", problem))
            return
        if not stat.S_ISREG(info.st_mode):
            self.errors.append(FileError(display, "read", "not a regular file; not scanned"))
            return
        key = (info.st_dev, info.st_ino) if info.st_ino else real
        self.files.setdefault(key, SourceFile(display, real))


def discover(paths: Iterable[str], settings: Settings) -> Tuple[List[SourceFile], List[FileError]]:
    rules = _IgnoreRules(settings, settings.respect_gitignore)
    found = _Found()
    errors = found.errors
    for raw in paths:
        given = Path(raw)
        try:
            os.lstat(given)
        except OSError as exc:
            # say why: a file in a folder we may not search exists, it is just out of reach
            missing = exc.errno in (errno.ENOENT, errno.ENOTDIR)
            cause = "no such file or directory" if missing else f"cannot read: {exc.strerror or exc}"
            errors.append(FileError(raw, "read", cause))
            continue
        if os.path.islink(given) and not os.path.isdir(given):
            problem = _link_problem(given)
            if problem:
                errors.append(FileError(raw, "read", problem))
                continue
            boundary = os.path.realpath(given.parent)
            real = os.path.realpath(given)
            if not _inside(real, boundary):
                errors.append(_outside(raw, real, boundary))
                continue
        if given.is_file():
            found.add(_display(given), given)
            continue
        if not given.is_dir():
            errors.append(FileError(raw, "read", "not a regular file or directory"))
            continue
        _walk(given, rules, found)
    files = sorted(found.files.values(), key=lambda f: f.display)
    return files, errors


def _walk(given: Path, rules: _IgnoreRules, found: _Found) -> None:
    root = given.resolve()
    boundary = str(root)
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

    def display_of(path: Path) -> str:
        return _display(given / path.relative_to(root))

    def unlistable(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else root
        try:
            shown = display_of(where)
        except ValueError:
            shown = str(where)
        found.errors.append(FileError(shown, "read", f"cannot list folder: {exc.strerror or exc}"))

    seen_dirs = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=unlistable):
        current = Path(dirpath)
        real_dir = os.path.realpath(current)
        if real_dir in seen_dirs:  # symlink loop or folder reached twice
            dirnames[:] = []
            continue
        seen_dirs.add(real_dir)
        folders = ancestors + [p for p in _between(root, current)]
        kept = []
        for name in sorted(dirnames):
            sub = current / name
            if rules.ignored(sub, True, folders):
                continue
            if os.path.islink(sub):
                real = os.path.realpath(sub)
                if not _inside(real, boundary):
                    found.errors.append(_outside(display_of(sub) + "/", real, boundary))
                    continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            path = current / name
            if rules.ignored(path, False, folders):
                continue
            if os.path.islink(path):
                problem = _link_problem(path)
                if problem:
                    found.errors.append(FileError(display_of(path), "read", problem))
                    continue
                real = os.path.realpath(path)
                if not _inside(real, boundary):
                    found.errors.append(_outside(display_of(path), real, boundary))
                    continue
            found.add(display_of(path), path)


def _between(root: Path, current: Path) -> List[Path]:
    """Folders strictly below ``root`` down to ``current`` (their .gitignore files apply)."""
    if current == root:
        return []
    parts = current.relative_to(root).parts
    return [root.joinpath(*parts[: i + 1]) for i in range(len(parts))]
