"""How the console script ends: its output complete, its status as the contract says, and no
interpreter teardown (memfix.cli.app.main)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from memfix.cli.app import app

#: a file with enough findings and diff lines that the report outgrows any stdio buffer
MANY_OPENS = "".join(f"def read_{i}(path):\n    f = open(path)\n    return f.read()\n\n\n" for i in range(150))

#: the console script as a user's shell starts it, with an exit hook that shows whether the
#: interpreter's teardown ran
CONSOLE = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write('TEARDOWN RAN\\n'))\n"
    "from memfix.cli.app import main\n"
    "sys.argv = ['memfix'] + sys.argv[1:]\n"
    "main()\n"
)


def _buffered_env() -> dict:
    """The environment with Python's stdout buffered, as a user's shell has it (CI may set
    PYTHONUNBUFFERED, which would hide an unflushed exit)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return {**env, "NO_COLOR": "1", "COLUMNS": "200"}


def _console(args: list, cwd: Path, **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CONSOLE, *args], cwd=cwd, env=_buffered_env(), **kwargs)  # type: ignore[call-overload]


def test_the_console_script_prints_the_whole_report_and_skips_the_teardown(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "many.py").write_text(MANY_OPENS)
    args = ["--dry-run", "--no-cache", "many.py"]
    done = _console(args, tmp_path, capture_output=True, text=True)
    monkeypatch.chdir(tmp_path)
    in_process = CliRunner().invoke(app, args, env={"NO_COLOR": "1", "COLUMNS": "200"}, catch_exceptions=False)
    assert len(done.stdout) > 4 * 8192  # several of stdout's buffers: the last is lost unflushed
    assert done.returncode == 1, done.stderr
    assert "TEARDOWN RAN" not in done.stderr
    assert done.stdout.count(": MF301 ") == 150
    assert done.stdout.splitlines()[-1].startswith("Scanned 1 file: 150 findings, 150 fixable, 0 fixed")
    assert done.stdout == in_process.stdout


def test_the_console_script_writes_its_output_file_before_leaving(tmp_path: Path) -> None:
    (tmp_path / "many.py").write_text(MANY_OPENS)
    done = _console(
        ["--dry-run", "--no-cache", "--format", "json", "-o", "out.json", "many.py"], tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr
    report = json.loads((tmp_path / "out.json").read_text())
    assert len(report["findings"]) == 150
    assert sorted(p.name for p in tmp_path.iterdir()) == ["many.py", "out.json"]  # no temporary left


def test_a_clean_run_and_a_usage_error_keep_their_status(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("x = 1\n")
    clean = _console(["--no-cache", "clean.py"], tmp_path, capture_output=True, text=True)
    assert clean.returncode == 0 and "0 findings" in clean.stdout
    usage = _console(["--select", "MF999", "clean.py"], tmp_path, capture_output=True, text=True)
    assert usage.returncode == 2 and "MF999" in usage.stderr


def _leave(code: str) -> subprocess.CompletedProcess:
    script = f"import sys\nfrom memfix.cli.app import _leave\nsys.stdout.write('out')\n_leave({code})\n"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=_buffered_env())


def test_leave_means_what_sys_exit_means() -> None:
    assert (_leave("None").returncode, _leave("None").stdout) == (0, "out")
    assert _leave("3").returncode == 3
    message = _leave("'memfix: gave up'")
    assert message.returncode == 1 and message.stderr == "memfix: gave up\n" and message.stdout == "out"


def _closed_pipe() -> tuple:
    read_end, write_end = os.pipe()
    os.close(read_end)
    return write_end


def test_a_report_that_cannot_be_written_out_is_not_a_success(tmp_path: Path) -> None:
    """The reader of the pipe is gone: a clean run must not exit 0 (click turns the failed write
    into 1), and a run with findings keeps its 1."""
    (tmp_path / "clean.py").write_text("x = 1\n")
    (tmp_path / "many.py").write_text(MANY_OPENS)
    for name in ("clean.py", "many.py"):
        write_end = _closed_pipe()
        try:
            done = _console(["--no-cache", name], tmp_path, stdout=write_end, stderr=subprocess.PIPE, text=True)
        finally:
            os.close(write_end)
        assert done.returncode == 1, name
        assert "Traceback" not in done.stderr and "TEARDOWN RAN" not in done.stderr


def test_leave_does_not_report_success_when_the_last_output_cannot_be_flushed() -> None:
    """What is still buffered when the app returns is flushed by _leave: should that fail, the
    status is 120, as after the interpreter's own failed flush."""
    write_end = _closed_pipe()
    script = "import sys\nfrom memfix.cli.app import _leave\nsys.stdout.write('out')\n_leave(None)\n"
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], stdout=write_end, stderr=subprocess.PIPE, text=True, env=_buffered_env()
        )
    finally:
        os.close(write_end)
    assert done.returncode == 120 and done.stderr == ""
