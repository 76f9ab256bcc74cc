"""Filesystem faults: each costs one file a clear error, its bytes intact, exit 2, and nothing else.

The leak used is the first fixable example of the first rule that has one, so the tests do not
depend on any one rule. Permission faults are simulated by monkeypatching where running as root
would make ``chmod`` meaningless.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from typer.testing import CliRunner

import memfix.apply
import memfix.process
from memfix.apply import TEMP_PREFIX
from memfix.cli.app import app
from memfix.config import Settings
from memfix.fixer import Invalid
from memfix.fixers import FIXERS
from memfix.model import Mode, RunReport, Safety
from memfix.runner import run

SAFE = next(
    (fx, ex)
    for fx in FIXERS
    for ex in fx.examples
    if isinstance(ex, Invalid) and ex.fixed is not None and ex.safety is Safety.SAFE and not ex.unsafe_fixes
)
FIXER, EXAMPLE = SAFE
LEAK = EXAMPLE.code.encode()
FIXED = EXAMPLE.fixed.encode()
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _settings() -> Settings:
    return Settings(select=(FIXER.code,), jobs=1, cache=False)


def _tree(root: Path, names=("a.py", "b.py", "c.py")) -> Dict[str, Path]:
    root.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(LEAK)
        files[name] = path
    return files


def _apply(paths: List[str], cwd: Path, monkeypatch) -> RunReport:
    monkeypatch.chdir(cwd)
    return run(paths, _settings(), Mode.APPLY)


def _errors(report: RunReport) -> Dict[str, str]:
    return {Path(e.path).name: f"{e.kind}: {e.message}" for e in report.all_errors}


def _no_temp_files(root: Path) -> None:
    assert [p for p in root.rglob("*") if p.name.startswith(TEMP_PREFIX)] == []


def _assert_others_fixed(files: Dict[str, Path], broken: str) -> None:
    for name, path in files.items():
        assert path.read_bytes() == (LEAK if name == broken else FIXED), name


def test_read_only_file_is_not_written(tmp_path, monkeypatch):
    files = _tree(tmp_path)
    files["b.py"].chmod(0o444)
    report = _apply(["."], tmp_path, monkeypatch)
    assert "read-only" in _errors(report)["b.py"]
    assert report.exit_code() == 2
    _assert_others_fixed(files, "b.py")
    _no_temp_files(tmp_path)


def test_permission_denied_on_read(tmp_path, monkeypatch):
    files = _tree(tmp_path)
    real_open = os.open

    def deny(path, flags, *args, **kwargs):
        if str(path).endswith("b.py"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(memfix.process.os, "open", deny)
    report = _apply(["."], tmp_path, monkeypatch)
    assert _errors(report)["b.py"] == "read: cannot read: Permission denied"
    assert report.exit_code() == 2
    _assert_others_fixed(files, "b.py")


@pytest.mark.skipif(IS_ROOT or not hasattr(os, "geteuid"), reason="root reads anything; simulated above")
def test_permission_denied_on_read_real_chmod(tmp_path, monkeypatch):
    files = _tree(tmp_path)
    files["b.py"].chmod(0)
    try:
        report = _apply(["."], tmp_path, monkeypatch)
    finally:
        files["b.py"].chmod(0o644)
    assert "Permission denied" in _errors(report)["b.py"]
    _assert_others_fixed(files, "b.py")


def test_folder_that_cannot_be_listed_is_an_error(tmp_path, monkeypatch):
    files = _tree(tmp_path, ("a.py", "locked/b.py"))
    real_scandir = os.scandir

    def deny(path="."):
        if str(path).endswith("locked"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", deny)
    report = _apply(["."], tmp_path, monkeypatch)
    assert _errors(report)["locked"] == "read: cannot list folder: Permission denied"
    assert report.exit_code() == 2
    assert files["a.py"].read_bytes() == FIXED


def test_folder_without_write_permission(tmp_path, monkeypatch):
    files = _tree(tmp_path)

    def no_temp(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(memfix.apply.tempfile, "mkstemp", no_temp)
    report = _apply(["."], tmp_path, monkeypatch)
    assert all("Permission denied" in msg for msg in _errors(report).values())
    assert len(_errors(report)) == 3 and report.exit_code() == 2
    assert all(p.read_bytes() == LEAK for p in files.values())


def test_file_changed_between_scan_and_write_is_not_overwritten(tmp_path, monkeypatch):
    files = _tree(tmp_path)
    real_write = memfix.process.write_atomic
    edited = LEAK + b"# edited by someone else meanwhile\n"

    def edit_then_write(display, real, new, expected_hash):
        if real.endswith("b.py"):
            Path(real).write_bytes(edited)
        return real_write(display, real, new, expected_hash)

    monkeypatch.setattr(memfix.process, "write_atomic", edit_then_write)
    report = _apply(["."], tmp_path, monkeypatch)
    assert _errors(report)["b.py"].startswith("changed: changed on disk since it was scanned")
    assert files["b.py"].read_bytes() == edited
    assert report.exit_code() == 2
    assert files["a.py"].read_bytes() == FIXED and files["c.py"].read_bytes() == FIXED


@pytest.mark.parametrize(
    "target,exc",
    [
        ("replace", OSError(errno.EXDEV, "Invalid cross-device link")),
        ("fsync", OSError(errno.ENOSPC, "No space left on device")),
        ("chmod", PermissionError(errno.EPERM, "Operation not permitted")),
    ],
)
def test_failed_write_leaves_original_and_no_temp_file(tmp_path, monkeypatch, target, exc):
    files = _tree(tmp_path)
    real = getattr(os, target)
    armed = []

    def failing_while_writing_b(*args, **kwargs):
        if armed:
            raise exc
        return real(*args, **kwargs)

    real_write = memfix.apply.write_atomic

    def arm(display, real_path, new, expected_hash):
        if real_path.endswith("b.py"):
            armed.append(True)
        try:
            return real_write(display, real_path, new, expected_hash)
        finally:
            armed.clear()

    monkeypatch.setattr(memfix.apply.os, target, failing_while_writing_b)
    monkeypatch.setattr(memfix.process, "write_atomic", arm)
    report = _apply(["."], tmp_path, monkeypatch)
    assert _errors(report)["b.py"] == f"write: cannot write: {exc.strerror}; original left unchanged"
    assert report.exit_code() == 2
    _assert_others_fixed(files, "b.py")
    _no_temp_files(tmp_path)


def test_disk_full_during_write(tmp_path, monkeypatch):
    """The temp file's write() itself raising ENOSPC (a full disk)."""
    files = _tree(tmp_path)
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

    def fdopen(fd, mode="r", *args, **kwargs):
        handle = real_fdopen(fd, mode, *args, **kwargs)
        return Full(handle) if "w" in mode and fdopen.armed else handle

    fdopen.armed = False
    real_write = memfix.apply.write_atomic

    def arm(display, real_path, new, expected_hash):
        fdopen.armed = real_path.endswith("b.py")
        try:
            return real_write(display, real_path, new, expected_hash)
        finally:
            fdopen.armed = False

    monkeypatch.setattr(memfix.apply.os, "fdopen", fdopen)
    monkeypatch.setattr(memfix.process, "write_atomic", arm)
    report = _apply(["."], tmp_path, monkeypatch)
    assert "No space left on device" in _errors(report)["b.py"]
    _assert_others_fixed(files, "b.py")
    _no_temp_files(tmp_path)


def test_keyboard_interrupt_inside_the_writer_leaves_old_bytes(tmp_path, monkeypatch):
    files = _tree(tmp_path, ("a.py",))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(memfix.apply.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _apply(["."], tmp_path, monkeypatch)
    assert files["a.py"].read_bytes() == LEAK
    _no_temp_files(tmp_path)


def test_symlinked_file_written_through_its_target_once(tmp_path, monkeypatch):
    files = _tree(tmp_path, ("real.py",))
    (tmp_path / "link.py").symlink_to("real.py")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "link2.py").symlink_to("../real.py")
    writes = []
    real_replace = os.replace
    monkeypatch.setattr(memfix.apply.os, "replace", lambda a, b: (writes.append(b), real_replace(a, b)))
    report = _apply([".", "link.py", "real.py"], tmp_path, monkeypatch)
    assert report.all_errors == ()
    assert len(report.files) == 1 and len(writes) == 1
    assert files["real.py"].read_bytes() == FIXED
    assert (tmp_path / "link.py").is_symlink() and (tmp_path / "sub" / "link2.py").is_symlink()


def test_symlink_loops_are_detected(tmp_path, monkeypatch):
    files = _tree(tmp_path, ("a.py", "sub/b.py"))
    (tmp_path / "sub" / "up").symlink_to("..", target_is_directory=True)
    (tmp_path / "sub" / "self").symlink_to("self", target_is_directory=True)
    (tmp_path / "x.py").symlink_to("y.py")
    (tmp_path / "y.py").symlink_to("x.py")
    (tmp_path / "dangling.py").symlink_to("missing.py")
    report = _apply(["."], tmp_path, monkeypatch)
    errors = _errors(report)
    assert errors["x.py"] == "read: symbolic link loop; not scanned"
    assert errors["y.py"] == "read: symbolic link loop; not scanned"
    assert errors["dangling.py"] == "read: broken symbolic link (to missing.py); not scanned"
    assert sorted(r.path for r in report.files) == ["a.py", "sub/b.py"]
    assert all(p.read_bytes() == FIXED for p in files.values())


def test_same_file_through_two_paths_is_processed_once(tmp_path, monkeypatch):
    files = _tree(tmp_path, ("pkg/a.py",))
    report = _apply(["pkg/a.py", "./pkg/a.py", "pkg/../pkg/a.py", "pkg", "."], tmp_path, monkeypatch)
    assert report.all_errors == ()
    assert len(report.files) == 1 and report.files[0].written
    assert files["pkg/a.py"].read_bytes() == FIXED


def test_hard_linked_file_is_scanned_once_and_not_split(tmp_path, monkeypatch):
    files = _tree(tmp_path, ("a.py",))
    os.link(files["a.py"], tmp_path / "b.py")
    report = _apply(["."], tmp_path, monkeypatch)
    assert len(report.files) == 1
    assert "2 hard links" in _errors(report)["a.py"]
    assert files["a.py"].read_bytes() == LEAK and (tmp_path / "b.py").read_bytes() == LEAK
    assert os.stat(files["a.py"]).st_ino == os.stat(tmp_path / "b.py").st_ino


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_named_py_does_not_hang(tmp_path, monkeypatch):
    files = _tree(tmp_path, ("a.py",))
    os.mkfifo(tmp_path / "pipe.py")
    report = _apply(["."], tmp_path, monkeypatch)
    assert _errors(report)["pipe.py"] == "read: not a regular file; not scanned"
    assert files["a.py"].read_bytes() == FIXED


def test_permissions_are_kept(tmp_path, monkeypatch):
    files = _tree(tmp_path, ("a.py",))
    files["a.py"].chmod(0o751)
    report = _apply(["."], tmp_path, monkeypatch)
    assert report.all_errors == ()
    assert (files["a.py"].stat().st_mode & 0o777) == 0o751
    assert files["a.py"].read_bytes() == FIXED


def test_cli_exit_status_2_and_message_on_write_failure(tmp_path, monkeypatch):
    files = _tree(tmp_path)
    files["b.py"].chmod(0o444)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["--apply", "--select", FIXER.code, "-j", "1", "."])
    assert result.exit_code == 2
    assert "memfix: error: b.py: file is read-only; not written" in result.output
    _assert_others_fixed(files, "b.py")


def _make_many(root: Path, count: int) -> List[Path]:
    root.mkdir()
    paths = []
    for i in range(count):
        path = root / f"m{i:03d}.py"
        path.write_bytes(LEAK)
        paths.append(path)
    return paths


def _interrupt_when(proc: subprocess.Popen, paths: List[Path], fixed_at_least: int) -> int:
    """Send SIGINT to the run's process group once ``fixed_at_least`` files hold the new bytes."""
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        done = sum(1 for p in paths if p.read_bytes() == FIXED)
        if done >= fixed_at_least:
            os.killpg(proc.pid, signal.SIGINT)  # the whole group, as a terminal's Ctrl-C does
            return done
        time.sleep(0.005)
    return -1


def _interrupted_run(root: Path, paths: List[Path], jobs: str, fixed_at_least: int, timeout: float) -> Tuple[subprocess.Popen, int]:
    """An --apply run over ``root``, sent SIGINT once ``fixed_at_least`` files are fixed; fails the
    test if it has not stopped within ``timeout`` seconds after that."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "memfix", "--apply", "--select", FIXER.code, "-j", jobs, str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    seen = _interrupt_when(proc, paths, fixed_at_least)
    try:
        proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("memfix did not stop after SIGINT")
    return proc, seen


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGINT") or sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_during_apply_leaves_every_file_old_or_new(tmp_path, jobs):
    """SIGINT in the middle of a real --apply run: every file holds the old or the new bytes."""
    interrupted = 0
    for attempt, when in enumerate((1, 40)):
        root = tmp_path / f"run{attempt}"
        paths = _make_many(root, 120)
        _, seen = _interrupted_run(root, paths, jobs, when, timeout=120)
        states = [p.read_bytes() for p in paths]
        assert set(states) <= {LEAK, FIXED}
        _no_temp_files(root)
        if seen >= 0 and states.count(FIXED) < len(paths):
            interrupted += 1
    if not interrupted:  # timing: on a fast or a very loaded machine the run can beat the signal
        pytest.skip("the run always finished before the interrupt: nothing was tested")


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGINT") or sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_the_pool_without_draining_its_queue(tmp_path):
    """Ctrl-C with workers: the files already handed out finish (atomically), no other file
    starts, and the run ends promptly instead of working through the rest of the queue."""
    root = tmp_path / "tree"
    paths = _make_many(root, 300)
    proc, seen = _interrupted_run(root, paths, "2", 1, timeout=60)
    if seen < 0:
        pytest.skip("the run finished before the interrupt: nothing was tested")
    states = [p.read_bytes() for p in paths]
    assert set(states) <= {LEAK, FIXED}
    _no_temp_files(root)
    assert proc.returncode != 0
    assert states.count(FIXED) < len(paths) // 2
