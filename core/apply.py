"""Write a rewritten file so that it is always either the old bytes or the new bytes.

The new content goes to a temporary file in the same folder (same filesystem, so ``os.replace``
is atomic), is flushed and fsynced, takes the original's permission bits, and replaces the
original. The file is re-read just before: if its hash no longer matches what was scanned,
someone changed it in between and it is not overwritten.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from typing import Optional

from memfix.model import FileError


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomic(display: str, real: str, new: bytes, expected_hash: str) -> Optional[FileError]:
    try:
        with open(real, "rb") as handle:
            current = handle.read()
    except OSError as exc:
        return FileError(display, "write", f"cannot re-read before writing: {exc.strerror or exc}")
    if content_hash(current) != expected_hash:
        return FileError(display, "changed", "changed on disk since it was scanned; not written")
    try:
        mode = stat.S_IMODE(os.stat(real).st_mode)
    except OSError as exc:
        return FileError(display, "write", f"cannot stat: {exc.strerror or exc}")
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        # os.replace would succeed in a writable folder; a read-only bit is the owner's "don't"
        return FileError(display, "write", "file is read-only; not written")
    folder = os.path.dirname(real) or "."
    try:
        fd, temp = tempfile.mkstemp(prefix=".memfix-", suffix=".tmp", dir=folder)
    except OSError as exc:
        return FileError(display, "write", f"cannot write: {exc.strerror or exc}")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(new)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, real)
    except BaseException as exc:  # includes KeyboardInterrupt: never leave a temp file behind
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            return FileError(display, "write", f"cannot write: {exc.strerror or exc}")
        raise
    return None
