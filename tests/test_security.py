"""memfix reads code, never runs it; writes only inside the paths it was given; runs no shell.

* Planted modules whose import would write a marker file (an ordinary module, ``__init__.py``,
  ``conftest.py``, ``setup.py``, ``sitecustomize.py``, and modules shadowing memfix's own
  dependencies) stay inert under the console script, ``python -m memfix`` run from inside the
  scanned folder, and the library API.
* Symbolic links (to a file or a folder) that lead out of the scanned tree are reported and never
  written through.
* No memfix module calls a shell, ``eval``/``exec``, or imports by computed name; every subprocess
  call gets an argument list (checked on the source, so code added later is held to it too).
* Configuration values are data: code in them does not run.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

import memfix
from memfix.config import ConfigError, load_settings
from memfix.fixer import Invalid
from memfix.fixers import FIXERS
from memfix.model import Mode, Safety
from memfix.runner import run

FIXER, EXAMPLE = next(
    (fx, ex)
    for fx in FIXERS
    for ex in fx.examples
    if isinstance(ex, Invalid) and ex.fixed is not None and ex.safety is Safety.SAFE and not ex.unsafe_fixes
)
LEAK = EXAMPLE.code
FIXED = EXAMPLE.fixed
PACKAGE_DIRS = [Path(memfix.__file__).resolve().parent, Path(sys.modules["memfix.fixers"].__file__).resolve().parent]
PACKAGE_DIRS.append(Path(sys.modules["memfix.cli"].__file__).resolve().parent if "memfix.cli" in sys.modules else Path(__import__("memfix.cli").cli.__file__).resolve().parent)

PLANTED = (
    "evil.py",
    "__init__.py",
    "conftest.py",
    "setup.py",
    "sitecustomize.py",
    "usercustomize.py",
    "__main__.py",
    # memfix's own dependencies and stdlib modules it imports after start-up
    "libcst.py",
    "typer.py",
    "click.py",
    "pathspec.py",
    "tokenize.py",
    "difflib.py",
    "hashlib.py",
    "tempfile.py",
    "concurrent.py",
    "memfix_plugin.py",
)


def _plant(root: Path, marker_dir: Path) -> List[Path]:
    root.mkdir(parents=True, exist_ok=True)
    for name in PLANTED:
        marker = marker_dir / f"MARKER-{name}"
        # the planted code also contains the leak, so memfix really parses and rewrites it
        (root / name).write_text(
            f"import os as _os\n_os.makedirs({str(marker_dir)!r}, exist_ok=True)\n"
            f"open({str(marker)!r}, 'w').close()\n" + LEAK
        )
    (root / "pkg").mkdir(exist_ok=True)
    (root / "pkg" / "__init__.py").write_text(f"open({str(marker_dir / 'MARKER-pkg')!r}, 'w').close()\n")
    return [root / name for name in PLANTED]


def _markers(marker_dir: Path) -> List[str]:
    return sorted(p.name for p in marker_dir.glob("MARKER-*")) if marker_dir.exists() else []


def _console_script() -> str:
    candidate = Path(sys.executable).with_name("memfix")
    return str(candidate) if candidate.exists() else ""


@pytest.mark.parametrize("how", ["console-script", "python-m", "api"])
def test_scanned_code_is_never_imported_or_executed(tmp_path, monkeypatch, how):
    root = tmp_path / "project"
    markers = tmp_path / "markers"
    planted = _plant(root, markers)
    before = {p: p.read_text() for p in planted}
    if how == "api":
        monkeypatch.chdir(root)
        monkeypatch.syspath_prepend(str(root))  # even with the folder importable, nothing is imported
        report = run(["."], memfix.Settings(select=(FIXER.code,), jobs=1), Mode.APPLY)
        assert report.files and all(r.written for r in report.files if r.path in {p.name for p in planted})
    else:
        if how == "console-script":
            script = _console_script()
            if not script:
                pytest.skip("memfix console script not installed next to this interpreter")
            cmd = [script]
        else:
            cmd = [sys.executable, "-m", "memfix"]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH")}
        proc = subprocess.run(
            cmd + ["--apply", "--select", FIXER.code, "-j", "2", "."],
            cwd=root, capture_output=True, text=True, env=env, timeout=300,
        )
        assert proc.returncode in (0, 1), proc.stderr
    assert _markers(markers) == []
    # and it did read them: every planted file was rewritten
    changed = [p.name for p in planted if p.read_text() != before[p]]
    assert changed == [p.name for p in planted]


def _outside_tree(tmp_path: Path) -> Tuple[Path, Path, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target.py").write_text(LEAK)
    (outside / "lib").mkdir()
    (outside / "lib" / "mod.py").write_text(LEAK)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "own.py").write_text(LEAK)
    (tree / "link.py").symlink_to(outside / "target.py")
    (tree / "linkdir").symlink_to(outside / "lib", target_is_directory=True)
    return outside, tree, tree / "own.py"


def test_symlinks_out_of_the_tree_are_reported_and_not_written(tmp_path, monkeypatch):
    outside, tree, own = _outside_tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    report = run(["tree"], memfix.Settings(select=(FIXER.code,), jobs=1), Mode.APPLY)
    errors = {e.path: (e.kind, e.message) for e in report.all_errors}
    assert errors["tree/link.py"][0] == "symlink"
    assert "outside" in errors["tree/link.py"][1] and "not scanned or written" in errors["tree/link.py"][1]
    assert errors["tree/linkdir/"][0] == "symlink"
    assert (outside / "target.py").read_text() == LEAK
    assert (outside / "lib" / "mod.py").read_text() == LEAK
    assert own.read_text() == FIXED
    assert report.exit_code() == 2


def test_named_symlink_to_outside_is_refused(tmp_path, monkeypatch):
    outside, tree, _ = _outside_tree(tmp_path)
    monkeypatch.chdir(tree)
    report = run(["link.py"], memfix.Settings(select=(FIXER.code,), jobs=1), Mode.APPLY)
    assert [e.kind for e in report.all_errors] == ["symlink"]
    assert (outside / "target.py").read_text() == LEAK


def test_symlinks_inside_the_tree_are_followed(tmp_path, monkeypatch):
    tree = tmp_path / "tree"
    (tree / "real").mkdir(parents=True)
    (tree / "real" / "m.py").write_text(LEAK)
    (tree / "alias").symlink_to(tree / "real", target_is_directory=True)
    (tree / "alias.py").symlink_to(tree / "real" / "m.py")
    monkeypatch.chdir(tmp_path)
    report = run(["tree"], memfix.Settings(select=(FIXER.code,), jobs=1), Mode.APPLY)
    assert report.all_errors == ()
    assert len(report.files) == 1
    assert (tree / "real" / "m.py").read_text() == FIXED


# --- the source of memfix itself -------------------------------------------------------------

def _memfix_sources() -> Iterator[Tuple[Path, ast.Module]]:
    for folder in PACKAGE_DIRS:
        for path in sorted(folder.rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _call_name(node: ast.Call) -> str:
    parts = []
    func = node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts))


SUBPROCESS_CALLS = {"run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput"}


def test_memfix_sources_are_found():
    names = {p.name for p, _ in _memfix_sources()}
    assert {"engine.py", "apply.py", "app.py", "open_without_with.py"} <= names


def test_no_shell_no_eval_no_dynamic_import_in_memfix():
    problems = []
    for path, tree in _memfix_sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            where = f"{path.name}:{node.lineno}"
            if name in ("eval", "exec", "os.system", "os.popen", "__import__", "importlib.import_module", "import_module"):
                problems.append(f"{where}: {name}()")
            if name in ("pickle.load", "pickle.loads", "marshal.loads", "yaml.load"):
                problems.append(f"{where}: {name}() deserialises code-bearing data")
            for kw in node.keywords:
                if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    problems.append(f"{where}: {name}(shell=...)")
            short = name.rsplit(".", 1)[-1]
            if short in SUBPROCESS_CALLS and ("subprocess" in name or name == short) and node.args:
                first = node.args[0]
                if isinstance(first, (ast.Constant, ast.JoinedStr, ast.BinOp)):
                    problems.append(f"{where}: {name}() given a command string, not an argument list")
                if short in ("getoutput", "getstatusoutput"):
                    problems.append(f"{where}: {name}() always runs a shell")
    assert problems == []


def test_git_calls_if_any_use_argument_lists():
    """Any call that mentions "git" passes a list whose items are separate arguments."""
    for path, tree in _memfix_sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node).rsplit(".", 1)[-1] in SUBPROCESS_CALLS and node.args:
                first = node.args[0]
                if isinstance(first, (ast.List, ast.Tuple)) and first.elts:
                    head = first.elts[0]
                    if isinstance(head, ast.Constant) and head.value == "git":
                        assert not any(isinstance(e, ast.Constant) and " " in str(e.value) for e in first.elts), (
                            f"{path.name}:{node.lineno}: a git argument with a space is a shell habit"
                        )


def test_argument_lists_keep_shell_metacharacters_inert(tmp_path):
    """What argument lists buy: a ref or path full of shell syntax reaches git as one argument."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git not installed")
    marker = tmp_path / "PWNED"
    nasty = f"main;touch {marker}`touch {marker}`$(touch {marker})|touch {marker}"
    subprocess.run([git, "init", "-q", str(tmp_path / "repo")], check=True)
    proc = subprocess.run(
        [git, "-C", str(tmp_path / "repo"), "rev-parse", "--verify", "--quiet", nasty],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert not marker.exists()


# --- configuration ---------------------------------------------------------------------------

CODE_IN_CONFIG = [
    'select = ["__import__(\'os\').system(\'touch {m}\')"]',
    'max-len = "__import__(\'os\').system(\'touch {m}\')"',
    'lru-backend = "os.system(\'touch {m}\')"',
    'plugins = ["os:system"]',
    'min-confidence = "$(touch {m})"',
]


@pytest.mark.parametrize("line", CODE_IN_CONFIG)
def test_configuration_cannot_run_code(tmp_path, line):
    marker = tmp_path / "MARKER"
    (tmp_path / "pyproject.toml").write_text("[tool.memfix]\n" + line.format(m=marker) + "\n")
    (tmp_path / "a.py").write_text(LEAK)
    try:
        settings = load_settings(tmp_path)
    except ConfigError:
        settings = None
    if settings is not None:
        proc = subprocess.run(
            [sys.executable, "-m", "memfix", "."], cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 2  # an unknown rule in select is a usage error
    assert not marker.exists()


def test_exclude_patterns_with_shell_syntax_are_only_patterns(tmp_path, monkeypatch):
    marker = tmp_path / "MARKER"
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.memfix]\nexclude = ["$(touch {marker})", "`touch {marker}`", "skip;touch {marker}", "*.gen.py"]\n'
    )
    (tmp_path / "a.py").write_text(LEAK)
    (tmp_path / "b.gen.py").write_text(LEAK)
    monkeypatch.chdir(tmp_path)
    settings = load_settings(tmp_path, {"jobs": 1, "select": (FIXER.code,)})
    report = run(["."], settings, Mode.APPLY)
    assert [r.path for r in report.files] == ["a.py"]
    assert not marker.exists()
