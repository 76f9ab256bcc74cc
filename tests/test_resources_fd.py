"""MF302's rewrite, measured: the original leaks a file descriptor on its exception path, the
fixed code does not.

The fixture's functions open a sqlite3 connection (assigned, or as a with-item, whose block only
rolls back) or a socket, and then fail. The caller keeps each
exception, as an error log or a retry queue does; the traceback keeps the failing frame and with
it the open resource. With the garbage collector disabled (as in a process whose cycles are not
collected in time), every failure of the original holds one more descriptor; the with-block closes
it on the way out. Descriptors are counted in /proc/self/fd.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import types
from pathlib import Path
from typing import Callable, Iterator, Type

import pytest

from memfix.api import fix_source
from memfix.config import Settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "resource_without_with" / "fd_leak_on_error.py"
PROC_FD = Path("/proc/self/fd")
ROUNDS = 25

pytestmark = pytest.mark.skipif(not PROC_FD.is_dir(), reason="needs /proc/self/fd to count descriptors")


def _open_fds() -> int:
    return len(os.listdir(PROC_FD))


def _load(text: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(text, str(FIXTURE), "exec"), module.__dict__)
    return module


def _fixed_text() -> str:
    before = FIXTURE.read_text(encoding="utf-8")
    result = fix_source(before, Settings(select=("MF302",), cache=False), path=str(FIXTURE))
    assert result.error is None, result.error
    assert result.changed
    return result.text


@pytest.fixture
def gc_disabled() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _descriptors_held(call: Callable[[], object], error: Type[BaseException]) -> int:
    kept = []
    start = _open_fds()
    for _ in range(ROUNDS):
        try:
            call()
        except error as exc:
            kept.append(exc)  # keeps the traceback, the frame, and whatever the frame holds
        else:
            pytest.fail("the fixture was meant to fail on every call")
    held = _open_fds() - start
    kept.clear()
    return held


@pytest.fixture(scope="module")
def modules() -> "tuple[types.ModuleType, types.ModuleType]":
    fixed = _fixed_text()
    assert fixed == FIXTURE.with_name("fd_leak_on_error.expected.py").read_text(encoding="utf-8")
    return _load(FIXTURE.read_text(encoding="utf-8"), "fd_before"), _load(fixed, "fd_after")


def test_sqlite_connection_leaks_before_and_not_after(tmp_path, gc_disabled, modules):
    before, after = modules
    db = str(tmp_path / "jobs.db")
    sqlite3.connect(db).close()
    query = "select id from missing_table"
    assert _descriptors_held(lambda: before.first_value(db, query), sqlite3.OperationalError) >= ROUNDS
    assert _descriptors_held(lambda: after.first_value(db, query), sqlite3.OperationalError) == 0


def test_sqlite_with_block_leaks_before_and_not_after(tmp_path, gc_disabled, modules):
    """`with sqlite3.connect(p) as conn:` rolls back on the error but keeps the connection open."""
    before, after = modules
    db = str(tmp_path / "jobs.db")
    sqlite3.connect(db).close()
    assert _descriptors_held(lambda: before.purge(db, "missing_table"), sqlite3.OperationalError) >= ROUNDS
    assert _descriptors_held(lambda: after.purge(db, "missing_table"), sqlite3.OperationalError) == 0


def test_socket_leaks_before_and_not_after(tmp_path, gc_disabled, modules):
    before, after = modules
    nobody = str(tmp_path / "nobody-listens.sock")
    assert _descriptors_held(lambda: before.send_to(nobody, b"ping"), OSError) >= ROUNDS
    assert _descriptors_held(lambda: after.send_to(nobody, b"ping"), OSError) == 0


def test_fixed_code_still_works_on_the_happy_path(tmp_path, modules):
    _, after = modules
    db = str(tmp_path / "ok.db")
    with sqlite3.connect(db) as conn:
        conn.execute("create table t (v)")
        conn.execute("insert into t values (42)")
    conn.close()
    start = _open_fds()
    assert after.first_value(db, "select v from t") == 42
    assert _open_fds() == start
