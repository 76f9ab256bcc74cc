"""Write a rewritten file so that it is always either the old bytes or the new bytes.

The new content goes to a temporary file in the same folder (same filesystem, so ``os.replace``
is atomic), is flushed and fsynced, takes the original's permission bits (and owner, where the
process may set it), and replaces the original. The file is re-read just before: if its hash no
longer matches what was scanned, someone changed it in between and it is not overwritten.

Refused rather than risked: a read-only file (the owner's "don't", even when running as root), a
file with several hard links (replacing it would silently split them; writing in place could leave
it half-written), and anything that is not a regular file. An interrupt (Ctrl-C) at any point
leaves the original or the complete new file, and no temporary file behind.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from typing import Optional

from memfix.model import FileError

TEMP_PREFIX = ".memfix-"
TEMP_SUFFIX = ".tmp"


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def write_atomic(display: str, real: str, new: bytes, expected_hash: str) -> Optional[FileError]:
    try:
        info = os.stat(real)
        with open(real, "rb") as handle:
            current = handle.read()
    except OSError as exc:
        return FileError(display, "write", f"cannot re-read before writing: {_why(exc)}; not written")
    if content_hash(current) != expected_hash:
        return FileError(display, "changed", "changed on disk since it was scanned; not written")
    if not stat.S_ISREG(info.st_mode):
        return FileError(display, "write", "not a regular file; not written")
    mode = stat.S_IMODE(info.st_mode)
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        # os.replace would succeed in a writable folder; a read-only bit is the owner's "don't"
        return FileError(display, "write", "file is read-only; not written")
    if info.st_nlink > 1:
        return FileError(
            display, "write", f"file has {info.st_nlink} hard links; replacing it would split them; not written"
        )
    folder = os.path.dirname(real) or "."
    try:
        fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        return FileError(display, "write", f"cannot write: {_why(exc)}; not written")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(new)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        _copy_owner(temp, info)
        os.replace(temp, real)
    except BaseException as exc:  # includes KeyboardInterrupt: never leave a temp file behind
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            return FileError(display, "write", f"cannot write: {_why(exc)}; original left unchanged")
        raise
    _sync_folder(folder)
    return None


def _copy_owner(temp: str, info: os.stat_result) -> None:
    """Keep the original's owner and group when the process may (root rewriting a user's tree)."""
    chown = getattr(os, "chown", None)
    if chown is None:
        return
    try:
        temp_info = os.stat(temp)
        if (temp_info.st_uid, temp_info.st_gid) != (info.st_uid, info.st_gid):
            chown(temp, info.st_uid, info.st_gid)
    except OSError:
        pass  # not permitted: the file keeps the writer's ownership, as any editor would leave it


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable; best effort (not every platform can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
