"""QA: real permission faults crash discovery and config lookup (found by black-box testing).

The existing filesystem tests simulate ``PermissionError`` by patching ``os.scandir``; with a real
``chmod 000`` folder, ``Path.exists()``/``Path.is_file()`` raise ``PermissionError`` (Python 3.11
only swallows ENOENT-like errors), which escaped as a traceback with exit status 1. Run the CLI in
a subprocess with real permissions: as root, ``setpriv`` drops CAP_DAC_OVERRIDE so that modes count.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
SETPRIV = shutil.which("setpriv")
CAPS = "-dac_override,-dac_read_search,-fowner"

LEAK = """\
def read_config(path):
    f = open(path)
    data = f.read()
    f.close()
    return data
"""

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or (IS_ROOT and SETPRIV is None), reason="needs POSIX permissions (setpriv as root)"
)


def _memfix(args: List[str], cwd: Path) -> subprocess.CompletedProcess:
    prefix = [SETPRIV, f"--bounding-set={CAPS}", f"--inh-caps={CAPS}", "--"] if IS_ROOT else []
    cmd = prefix + [sys.executable, "-m", "memfix", "--no-cache", *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def locked_tree(tmp_path: Path):
    (tmp_path / "a.py").write_text(LEAK)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.py").write_text(LEAK)
    locked.chmod(0)
    try:
        yield tmp_path
    finally:
        locked.chmod(0o755)


def test_unsearchable_folder_in_walk_is_an_error_not_a_traceback(locked_tree: Path):
    result = _memfix([".", "--format", "json"], locked_tree)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2, result.stderr
    report = json.loads(result.stdout)
    assert [e["path"] for e in report["errors"]] == ["locked"]
    assert "Permission denied" in report["errors"][0]["message"]
    assert [f["path"] for f in report["findings"]] == ["a.py"]  # the others are still processed


def test_file_in_unsearchable_folder_named_first_is_an_error_not_a_traceback(locked_tree: Path):
    result = _memfix(["locked/b.py", "a.py", "--format", "json"], locked_tree)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2, result.stderr
    report = json.loads(result.stdout)
    errors = {e["path"]: e["message"] for e in report["errors"]}
    # the cause is the permission, not a missing file
    assert "Permission denied" in errors["locked/b.py"]
    assert [f["path"] for f in report["findings"]] == ["a.py"]
