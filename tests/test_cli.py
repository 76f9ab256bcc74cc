"""The command line as users and bots script against it (shared/CONTRACT.md)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from memfix import __version__
from memfix.cli.app import app

LEAKY = """\
import json


def load(path):
    f = open(path)
    data = json.load(f)
    f.close()
    return data


class Log:
    def __init__(self, path):
        self.out = open(path, "a")
"""

CLEAN = """\
def load(path):
    with open(path) as f:
        return f.read()
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "leaky.py").write_text(LEAKY)
    (tmp_path / "pkg" / "clean.py").write_text(CLEAN)
    return tmp_path


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2 mixes stderr into stdout by default
    except TypeError:
        return CliRunner()  # click >= 8.2 always keeps them apart


def invoke(args, cwd: Path):
    runner = _runner()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(app, args, catch_exceptions=False)
    finally:
        os.chdir(old)


def snapshot(root: Path):
    """Every file's bytes and mtime, except memfix's own result cache (like .ruff_cache)."""
    return {
        p: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".memfix_cache" not in p.parts
    }


def test_help_shows_bracketed_text_verbatim(tmp_path):
    env = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "memfix", "--help"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Read [tool.memfix] from this pyproject.toml." in done.stdout


def test_a_run_on_a_few_files_loads_no_more_than_it_needs(tmp_path):
    """pre-commit starts memfix once per hook call: typer 0.29 builds a pydantic TypeAdapter for
    every parameter at each start (about 0.2 s), so pyproject.toml keeps typer below it; a run
    in-process needs no multiprocessing, and one without .gitignore or exclude no pathspec."""
    (tmp_path / "one.py").write_text("f = open('x')\n")
    script = (
        "import sys\n"
        "from memfix.cli.app import main\n"
        "sys.argv = ['memfix', '--dry-run', '--no-cache', 'one.py']\n"
        "try:\n"
        "    main(hard_exit=False)\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code)\n"
        "heavy = ('pydantic', 'pathspec', 'concurrent.futures.process')\n"
        "print('loaded', sorted(m for m in sys.modules if m.startswith(heavy))[:3])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert "MF301" in done.stdout and "exit 1" in done.stdout, done.stdout + done.stderr
    assert "loaded []" in done.stdout, done.stdout


def test_default_is_dry_run_and_writes_nothing(project):
    before = snapshot(project)
    result = invoke(["pkg"], project)
    assert result.exit_code == 1
    assert snapshot(project) == before
    assert "pkg/leaky.py:5:9: MF301 " in result.stdout
    assert "--- a/pkg/leaky.py" in result.stdout and "+++ b/pkg/leaky.py" in result.stdout
    assert "Scanned 2 files: 2 findings, 1 fixable" in result.stdout


def test_explicit_dry_run_writes_nothing(project):
    before = snapshot(project)
    result = invoke(["--dry-run", "pkg"], project)
    assert result.exit_code == 1
    assert snapshot(project) == before


def test_paths_default_to_current_folder(project):
    result = invoke([], project)
    assert "pkg/leaky.py" in result.stdout


def test_clean_tree_exits_zero(project):
    result = invoke(["pkg/clean.py"], project)
    assert result.exit_code == 0, result.stdout
    assert "0 findings" in result.stdout


def test_apply_writes_what_dry_run_showed(project, tmp_path_factory):
    dry = invoke(["--format", "diff", "pkg"], project)
    copy = tmp_path_factory.mktemp("copy")
    shutil.copytree(project / "pkg", copy / "pkg")
    # the dry-run diff applied with git to a copy equals --apply's result
    (copy / "fix.diff").write_text(dry.stdout)
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    subprocess.run(["git", "apply", "fix.diff"], cwd=copy, check=True)
    applied = invoke(["--apply", "pkg"], project)
    # the handle on self has no fix: a finding remains
    assert applied.exit_code == 1
    assert (project / "pkg" / "leaky.py").read_bytes() == (copy / "pkg" / "leaky.py").read_bytes()
    assert "with open(path) as f:" in (project / "pkg" / "leaky.py").read_text()
    assert "1 fixed in 1 file, 1 remaining" in applied.stdout


def test_apply_keeps_file_mode(project):
    target = project / "pkg" / "leaky.py"
    os.chmod(target, 0o640)
    invoke(["--apply", "pkg"], project)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_apply_everything_fixed_exits_zero(tmp_path):
    (tmp_path / "a.py").write_text("def read(p):\n    return open(p).read()\n")
    result = invoke(["--apply", "a.py"], tmp_path)
    assert result.exit_code == 0, result.stdout
    assert (tmp_path / "a.py").read_text() == "def read(p):\n    with open(p) as f:\n        return f.read()\n"


def test_patch_file_is_git_applicable(project, tmp_path_factory):
    patch = project / "out.diff"
    result = invoke(["--patch", str(patch), "pkg"], project)
    assert result.exit_code == 1
    copy = tmp_path_factory.mktemp("copy")
    shutil.copytree(project / "pkg", copy / "pkg")
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    check = subprocess.run(["git", "apply", "--check", str(patch)], cwd=copy, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_unwritable_patch_target_is_an_error(project):
    result = invoke(["--patch", str(project / "missing-dir" / "x.diff"), "pkg"], project)
    assert result.exit_code == 2
    assert "missing-dir/x.diff: cannot write" in result.stderr


def test_output_file(project):
    result = invoke(["--format", "json", "-o", "report.json", "pkg"], project)
    assert result.exit_code == 1
    assert result.stdout == ""
    data = json.loads((project / "report.json").read_text())
    assert data["tool"] == "memfix"


def test_json_follows_the_contract(project):
    result = invoke(["--format", "json", "pkg"], project)
    data = json.loads(result.stdout)
    assert set(data) >= {"tool", "version", "mode", "findings", "errors", "summary", "verify"}
    assert data["tool"] == "memfix" and data["version"] == __version__ and data["mode"] == "dry-run"
    assert set(data["summary"]) >= {"files_scanned", "files_changed", "findings", "fixed", "remaining"}
    finding = data["findings"][0]
    assert set(finding) >= {
        "code", "name", "path", "line", "column", "end_line", "end_column", "message", "symbol", "fix",
    }
    assert finding["path"] == "pkg/leaky.py" and finding["line"] == 5 and finding["column"] == 9
    assert finding["fix"] == {
        "safety": "safe",
        "applied": False,
        "description": "wrap lines 5-7 in `with open(path) as f:` and drop `f.close()`",
    }
    assert data["findings"][1]["fix"] is None
    assert data["summary"]["findings"] == 2 and data["summary"]["remaining"] == 2
    assert data["verify"] is None  # reported for --apply runs


def test_json_after_apply_marks_applied(project):
    result = invoke(["--apply", "--format", "json", "pkg"], project)
    data = json.loads(result.stdout)
    assert data["mode"] == "apply"
    applied = [f for f in data["findings"] if f["fix"] and f["fix"]["applied"]]
    assert len(applied) == 1
    assert data["summary"]["fixed"] == 1 and data["summary"]["remaining"] == 1
    assert data["summary"]["files_changed"] == 1
    assert data["verify"] == {"ok": True, "remaining": [], "new": []}


def test_sarif_and_github_formats(project):
    sarif = json.loads(invoke(["--format", "sarif", "pkg"], project).stdout)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"MF301"}
    # the fix is described in the result's properties (a SARIF `fixes` entry must carry artifactChanges)
    assert any(r["properties"]["fix"]["description"] for r in results)
    github = invoke(["--format", "github", "pkg"], project).stdout
    assert github.startswith("::warning file=pkg/leaky.py,line=5,col=9")


def test_unsafe_fixes_flag(tmp_path):
    source = "def rows(path, parse):\n    f = open(path)\n    parse(f)\n    f.close()\n"
    (tmp_path / "a.py").write_text(source)
    safe_only = invoke(["--format", "diff", "a.py"], tmp_path)
    assert safe_only.stdout == ""
    with_unsafe = invoke(["--format", "diff", "--unsafe-fixes", "a.py"], tmp_path)
    assert "+    with open(path) as f:" in with_unsafe.stdout


def test_select_and_ignore(project):
    assert invoke(["--select", "MF301", "pkg"], project).exit_code == 1
    assert invoke(["--select", "MF3", "pkg"], project).exit_code == 1
    assert invoke(["--select", "open-without-with", "pkg"], project).exit_code == 1
    ignored = invoke(["--ignore", "MF301", "pkg"], project)
    assert ignored.exit_code == 0 and "0 findings" in ignored.stdout
    unknown = invoke(["--select", "MF999", "pkg"], project)
    assert unknown.exit_code == 2 and "unknown rule" in unknown.stderr


def test_no_verify_flag_is_accepted(project):
    assert invoke(["--no-verify", "--apply", "pkg"], project).exit_code == 1


def test_max_len_must_be_positive(project):
    assert invoke(["--max-len", "0", "pkg"], project).exit_code == 2


def test_list_rules_explain_version(project):
    listing = invoke(["--list-rules"], project)
    assert listing.exit_code == 0 and "MF301  open-without-with" in listing.stdout
    explain = invoke(["--explain", "MF301"], project)
    assert explain.exit_code == 0 and "## Fix safety" in explain.stdout
    assert invoke(["--explain", "MF999"], project).exit_code == 2
    version = invoke(["--version"], project)
    assert version.exit_code == 0 and version.stdout.strip() == f"memfix {__version__}"


def test_dry_run_and_apply_conflict(project):
    assert invoke(["--dry-run", "--apply", "pkg"], project).exit_code == 2


def test_bad_inputs_are_one_line_errors_and_others_still_processed(project):
    (project / "pkg" / "broken.py").write_text("def f(:\n    pass\n")
    (project / "pkg" / "latin.py").write_bytes(b"x = '\xff\xfe'\n")
    result = invoke(["pkg", "missing.py"], project)
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("memfix: error:")]
    assert any("pkg/broken.py: cannot parse: line 1" in e for e in errors)
    assert any("pkg/latin.py: cannot decode" in e for e in errors)
    assert any("missing.py: no such file or directory" in e for e in errors)
    assert "Traceback" not in result.stderr + result.stdout
    assert "pkg/leaky.py:5:9: MF301" in result.stdout


def test_unreadable_file_is_reported(project, monkeypatch):
    import memfix.process

    real_open = os.open
    target = str((project / "pkg" / "clean.py").resolve())

    def denied(path, *args, **kwargs):  # running as root, chmod 000 would not deny anything
        if str(path) == target:
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(memfix.process.os, "open", denied)
    result = invoke(["pkg"], project)
    assert result.exit_code == 2
    assert "pkg/clean.py: cannot read: Permission denied" in result.stderr


def test_config_in_pyproject_and_cli_wins(project):
    (project / "pyproject.toml").write_text('[tool.memfix]\nignore = ["MF301"]\n')
    assert invoke(["pkg"], project).exit_code == 0
    assert invoke(["--ignore", "MF999x", "pkg"], project).exit_code == 2


def test_unknown_config_key_is_an_error(project):
    (project / "pyproject.toml").write_text("[tool.memfix]\nmax_lenn = 3\n")
    result = invoke(["pkg"], project)
    assert result.exit_code == 2
    assert "unknown key 'max_lenn'" in result.stderr and "pyproject.toml" in result.stderr


def test_suppression_comment(tmp_path):
    (tmp_path / "a.py").write_text(
        "def f(p):\n    return open(p).read()  # memfix: ignore[MF301]\n\n"
        "def g(p):\n    return open(p).read()  # memfix: ignore\n\n"
        "def h(p):\n    return open(p).read()  # memfix: ignore[MF101]\n"
    )
    result = invoke(["--format", "json", "a.py"], tmp_path)
    lines = [f["line"] for f in json.loads(result.stdout)["findings"]]
    assert lines == [8]


def test_gitignore_and_default_skips(project):
    (project / ".gitignore").write_text("generated/\n")
    for folder in ("generated", "build", "node_modules", ".venv", "__pycache__"):
        (project / folder).mkdir(exist_ok=True)
        (project / folder / "x.py").write_text(LEAKY)
    venv = project / "myenv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr\n")
    (venv / "x.py").write_text(LEAKY)
    data = json.loads(invoke(["--format", "json", "."], project).stdout)
    assert {f["path"] for f in data["findings"]} == {"pkg/leaky.py"}
    assert data["summary"]["files_scanned"] == 2


def test_output_order_is_sorted(tmp_path):
    for name in ("b.py", "a.py", "c/z.py", "c/a.py"):
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text("def f(p):\n    return open(p).read()\n")
    data = json.loads(invoke(["--format", "json", "."], tmp_path).stdout)
    assert [f["path"] for f in data["findings"]] == ["a.py", "b.py", "c/a.py", "c/z.py"]


def test_console_script_and_module_entry_point(project):
    scripts = Path(sys.executable).parent
    memfix_bin = scripts / "memfix"
    assert memfix_bin.exists(), "the memfix console script is not installed in this environment"
    by_script = subprocess.run([str(memfix_bin), "--format", "json", "pkg"], cwd=project, capture_output=True, text=True)
    by_module = subprocess.run([sys.executable, "-m", "memfix", "--format", "json", "pkg"], cwd=project, capture_output=True, text=True)
    assert by_script.returncode == by_module.returncode == 1
    assert json.loads(by_script.stdout)["findings"] == json.loads(by_module.stdout)["findings"]
