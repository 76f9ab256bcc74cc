"""The wheel installs only `memfix` (no top-level `cli`, `fixers`, `core`, `tests`), and the tests
import the same code as the installed package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import memfix

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
MAPPED = {"memfix": "core", "memfix.fixers": "fixers", "memfix.cli": "cli"}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_folder_is_listed():
    setuptools_cfg = _pyproject()["tool"]["setuptools"]
    assert setuptools_cfg["package-dir"] == MAPPED
    listed = set(setuptools_cfg["packages"])
    for package, folder in MAPPED.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            assert ".".join((package, *rel)) in listed, f"{init.parent} is not in [tool.setuptools] packages"


def test_tests_import_the_repository_code():
    import memfix
    import memfix.cli.app
    import memfix.fixers

    assert Path(memfix.__file__).resolve().parent == ROOT / "core"
    assert Path(memfix.fixers.__file__).resolve().parent == ROOT / "fixers"
    assert Path(memfix.cli.app.__file__).resolve().parent == ROOT / "cli"
    assert "fixers" not in sys.modules and "cli" not in sys.modules and "core" not in sys.modules


def test_generic_names_are_not_importable_outside_the_repo(tmp_path):
    for name in ("fixers", "cli", "core"):
        probe = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=tmp_path, capture_output=True)
        assert probe.returncode != 0, f"`import {name}` works outside the repository"


@pytest.mark.slow
def test_wheel_contains_only_the_memfix_package(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        # no setuptools in this environment: build in isolation instead
        build = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
            capture_output=True,
            text=True,
        )
    assert build.returncode == 0, build.stderr
    wheel = next(tmp_path.glob("memfix-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {n.split("/", 1)[0] for n in names}
    assert top_level == {"memfix", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    assert "memfix/__init__.py" in names
    assert "memfix/fixers/open_without_with.py" in names
    assert "memfix/cli/app.py" in names
    assert "memfix/py.typed" in names
    assert not any(n.startswith(("tests/", "fixers/", "cli/", "core/")) for n in names)
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "memfix = memfix.cli.app:main" in entry_points
    # the version is written once, in memfix/__init__.py, and the metadata reads it from there
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert f"\nVersion: {memfix.__version__}\n" in metadata
    assert wheel.name.split("-")[1] == memfix.__version__


def test_start_up_reads_no_package_metadata():
    """importlib.metadata scans every installed distribution: ~80 ms of each run's start-up."""
    code = "import sys, memfix\nprint('importlib.metadata' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_start_up_leaves_libcst_codemod_for_runs_that_fix():
    """libcst.codemod (and libcst.matchers, which it imports) cost about half a second to import:
    a pre-commit run over a few files without fixes should not pay it."""
    code = (
        "import sys, memfix.cli.app\n"
        "print(sorted(m for m in sys.modules if m.startswith(('libcst.codemod', 'libcst.matchers'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
