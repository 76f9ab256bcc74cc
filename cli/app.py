"""The command line: the only layer that reads argv, prints, writes output files and exits.

Flags become Settings overrides (CLI wins over [tool.memfix]); the engine returns a RunReport;
a renderer turns it into text; the exit status follows the contract: 0 nothing remains, 1
findings remain, 2 a usage error or a file that could not be read, parsed or written.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from enum import Enum
from pathlib import Path
from typing import Any, Dict, List, Optional

import typer

from memfix import __version__
from memfix.config import ConfigError, Settings, load_settings
from memfix.fixers import FIXERS, UnknownRuleError, by_code, check_selectors, select_fixers
from memfix.model import Confidence, Mode, RunReport
from memfix import merge
from memfix.runner import run
from memfix.shard import parse_shard
from memfix.cli import render


class LruBackend(str, Enum):
    stdlib = "stdlib"
    cachetools = "cachetools"


class OutputFormat(str, Enum):
    text = "text"
    diff = "diff"
    json = "json"
    sarif = "sarif"
    github = "github"


def _split(values: Optional[List[str]]) -> Optional[tuple]:
    if not values:
        return None
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def _fail(message: str, code: int = 2) -> "typer.Exit":
    typer.echo(f"memfix: error: {message}", err=True)
    return typer.Exit(code)


def _write_file(path: str, data: bytes) -> Optional[str]:
    """Atomic write of an output file; returns an error message instead of raising."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=".memfix-", dir=folder)
    except OSError as exc:
        return f"{path}: cannot write: {exc.strerror or exc}"
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    except OSError as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        return f"{path}: cannot write: {exc.strerror or exc}"
    return None


def _use_colour(output: Optional[str]) -> bool:
    if output is not None or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


# help texts are plain text: with rich markup on, "[tool.memfix]" would be read as a style tag and vanish
app = typer.Typer(
    add_completion=False, rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]}
)


@app.command(help="Find memory-leak patterns in Python source and fix them with verified diffs.")
def memfix(
    paths: List[str] = typer.Argument(None, help="Files or folders to scan (default: .)", show_default=False),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report findings and diffs; write nothing (default)."),
    apply: bool = typer.Option(False, "--apply", help="Write the safe fixes in place, then verify."),
    unsafe_fixes: Optional[bool] = typer.Option(None, "--unsafe-fixes", help="Also include fixes classed unsafe."),
    verify: Optional[bool] = typer.Option(None, "--verify/--no-verify", help="Re-scan and compile every rewrite before it is written (default: on)."),
    output_format: OutputFormat = typer.Option(OutputFormat.text, "--format", help="Output format."),
    output: Optional[str] = typer.Option(None, "-o", "--output", help="Write the report to FILE instead of stdout."),
    patch: Optional[str] = typer.Option(None, "--patch", help="Also write the unified diff (git apply-able) to FILE."),
    select: Optional[List[str]] = typer.Option(None, "--select", help="Comma-separated codes, prefixes (MF1) or names."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Comma-separated codes, prefixes or names to skip."),
    max_len: Optional[int] = typer.Option(None, "--max-len", min=1, help="Bound used when none can be inferred (default 1000)."),
    jobs: Optional[int] = typer.Option(None, "-j", "--jobs", min=0, help="Worker processes (default: CPU count)."),
    min_confidence: Optional[Confidence] = typer.Option(None, "--min-confidence", help="Findings below this confidence do not fail the run."),
    lru_backend: Optional[LruBackend] = typer.Option(None, "--lru-backend", help="Bounded LRU for dict caches (MF201): stdlib OrderedDict, or cachetools.LRUCache when the project depends on it."),
    config: Optional[Path] = typer.Option(None, "--config", help="Read [tool.memfix] from this pyproject.toml."),
    list_rules: bool = typer.Option(False, "--list-rules", help="List the rules and exit."),
    explain: Optional[str] = typer.Option(None, "--explain", metavar="CODE", help="Explain a rule and exit."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for internal errors."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the result cache."),
    cache_dir: Optional[str] = typer.Option(None, "--cache-dir", metavar="DIR", help="Result cache folder (default: .memfix_cache next to pyproject.toml, or in the current folder)."),
    shard: Optional[str] = typer.Option(None, "--shard", metavar="K/N", help="Scan only the K-th of N size-balanced parts of the files (for N CI runners)."),
    merge_results: bool = typer.Option(False, "--merge-results", help="PATHS are JSON reports (and --patch files) of --shard runs: merge them into one report."),
) -> None:
    if version:
        typer.echo(f"memfix {__version__}")
        raise typer.Exit(0)
    if list_rules:
        typer.echo(render.render_rule_list(FIXERS), nl=False)
        raise typer.Exit(0)
    if explain is not None:
        fixer = by_code(explain)
        if fixer is None:
            raise _fail(f"unknown rule {explain!r}; see memfix --list-rules")
        typer.echo(render.render_explain(fixer), nl=False)
        raise typer.Exit(0)
    if dry_run and apply:
        raise _fail("--dry-run and --apply are mutually exclusive")

    if merge_results:
        raise typer.Exit(_merge_command(paths or [], output_format, output, patch, min_confidence))

    paths = paths or ["."]
    selected_shard = None
    if shard is not None:
        parsed_shard = parse_shard(shard)
        if isinstance(parsed_shard, str):
            raise _fail(parsed_shard)
        selected_shard = parsed_shard
    overrides: Dict[str, Any] = {
        "select": _split(select),
        "ignore": _split(ignore),
        "max_len": max_len,
        "unsafe_fixes": unsafe_fixes,
        "verify": verify,
        "jobs": jobs,
        "min_confidence": min_confidence,
        "lru_backend": lru_backend.value if lru_backend is not None else None,
        "cache": False if no_cache else None,
        "cache_dir": cache_dir,
    }
    try:
        if config is not None and not config.is_file():
            raise ConfigError(f"{config}: no such configuration file")
        settings: Settings = load_settings(paths[0], overrides, config_file=config)
        check_selectors(settings.select + settings.ignore)
    except (ConfigError, UnknownRuleError) as exc:
        raise _fail(str(exc))

    mode = Mode.APPLY if apply else Mode.DRY_RUN
    report: RunReport = run(paths, settings, mode, shard=selected_shard, own_process=True)

    for error in report.all_errors:
        typer.echo(f"memfix: error: {error.path}: {error.message}", err=True)
        if debug and error.detail:
            typer.echo(error.detail, err=True)

    if output_format is OutputFormat.text:
        rendered = render.render_text(report, colour=_use_colour(output))
    elif output_format is OutputFormat.diff:
        rendered = render.render_diff(report)
    elif output_format is OutputFormat.json:
        rendered = render.render_json(report)
        if "shard" in report.extra:
            # an extension of the contract's object: lets --merge-results check the parts
            doc = render.report_json(report)
            doc["shard"] = report.extra["shard"]
            rendered = json.dumps(doc, indent=2, sort_keys=False) + "\n"
    elif output_format is OutputFormat.sarif:
        rendered = render.render_sarif(report, select_fixers(settings.select, settings.ignore))
    else:
        rendered = render.render_github(report)

    exit_code = report.exit_code()
    if patch is not None:
        problem = _write_file(patch, render.combined_patch(report))
        if problem:
            typer.echo(f"memfix: error: {problem}", err=True)
            exit_code = 2
    if output is not None:
        problem = _write_file(output, rendered.encode("utf-8"))
        if problem:
            typer.echo(f"memfix: error: {problem}", err=True)
            exit_code = 2
    else:
        typer.echo(rendered, nl=False)
    raise typer.Exit(exit_code)


def _merge_command(
    inputs: List[str],
    output_format: "OutputFormat",
    output: Optional[str],
    patch: Optional[str],
    min_confidence: Optional[Confidence],
) -> int:
    """``memfix --merge-results a.json b.json c.json [a.patch b.patch c.patch]``: one report.

    --format json (or text, github, sarif) renders the merged findings; --format diff, or
    --patch FILE, writes the merged patch."""
    if not inputs:
        typer.echo("memfix: error: --merge-results needs the JSON reports (and patches) to merge", err=True)
        return 2
    docs = []
    patches = []
    for name in inputs:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            typer.echo(f"memfix: error: {name}: cannot read: {exc.strerror or exc}", err=True)
            return 2
        kind = merge.classify(name, data)
        if isinstance(kind, merge.MergeError):
            typer.echo(f"memfix: error: {kind}", err=True)
            return 2
        (docs if kind[0] == "report" else patches).append(kind[1])
    try:
        merged = merge.merge_reports(docs) if docs else None
        merged_patch = merge.merge_patches(patches)
    except merge.MergeError as exc:
        typer.echo(f"memfix: error: {exc}", err=True)
        return 2
    if merged is None and output_format is not OutputFormat.diff:
        typer.echo("memfix: error: --merge-results needs at least one JSON report (or --format diff)", err=True)
        return 2
    if output_format is OutputFormat.diff:
        rendered = merged_patch.decode("utf-8", "surrogateescape")
        data = merged_patch
    else:
        assert merged is not None
        if output_format is OutputFormat.json:
            rendered = json.dumps(merged, indent=2, sort_keys=False) + "\n"
        else:
            rendered = _render_merged(merged, merged_patch, output_format)
        data = rendered.encode("utf-8")
    rank = (min_confidence or Confidence.LOW).rank
    code = merge.exit_code(merged, rank) if merged is not None else 0
    if patch is not None:
        problem = _write_file(patch, merged_patch)
        if problem:
            typer.echo(f"memfix: error: {problem}", err=True)
            code = 2
    if output is not None:
        problem = _write_file(output, data)
        if problem:
            typer.echo(f"memfix: error: {problem}", err=True)
            code = 2
    else:
        typer.echo(rendered, nl=False)
    return code


def _render_merged(merged: Dict[str, Any], merged_patch: bytes, output_format: "OutputFormat") -> str:
    """text, github and sarif from a merged JSON report (findings and errors are all they read)."""
    from memfix.cache import _finding_from_json
    from memfix.model import FileError, FileReport

    findings = [
        _finding_from_json({**f, "span": [f["line"], f["column"], f["end_line"], f["end_column"]], "confidence": f.get("confidence", "high")})
        for f in merged["findings"]
    ]
    errors = tuple(FileError(e["path"], e.get("kind", "usage"), e["message"]) for e in merged["errors"])
    by_path: Dict[str, list] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    report = RunReport(
        mode=Mode(merged.get("mode", "dry-run")),
        files=tuple(FileReport(path=p, findings=tuple(fs)) for p, fs in by_path.items()),
        errors=errors,
    )
    if output_format is OutputFormat.github:
        return render.render_github(report)
    if output_format is OutputFormat.sarif:
        codes = {f.code for f in findings}
        return render.render_sarif(report, [fx for fx in FIXERS if fx.code in codes])
    lines = [render.finding_line(f) for f in findings]
    out = "\n".join(lines) + ("\n" if lines else "")
    diff = merged_patch.decode("utf-8", "replace")
    if diff:
        out += ("\n" if lines else "") + diff + ("" if diff.endswith("\n") else "\n")
    s = merged["summary"]
    return out + (
        f"Merged {s.get('files_scanned', 0)} scanned files: {s.get('findings', 0)} findings, "
        f"{s.get('fixable', 0)} fixable, {s.get('fixed', 0)} fixed, {s.get('errors', 0)} errors.\n"
    )


def main(*, hard_exit: bool = True) -> None:
    """The console script (and ``python -m memfix``).

    A run ends as soon as its output is flushed: ``os._exit`` skips the interpreter's teardown,
    which frees every object of libcst's and memfix's modules one by one and costs about 80 ms,
    a fifth of a pre-commit call on a few files (mypy's ``hard_exit`` does the same). Nothing is
    lost by it: output files are written and renamed before the command returns, the cache
    writes its entries atomically, and a pool's workers have been joined. Callers that run the
    app in their own process (tests, scripts) pass ``hard_exit=False`` and get ``SystemExit``."""
    if not hard_exit:
        app(prog_name="memfix")
        return
    try:
        app(prog_name="memfix")
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    _leave(code)


def _leave(code: object) -> None:
    """``sys.exit(code)``'s meaning (None is 0; any other non-integer is printed and means 1),
    after flushing what was written to stdout and stderr. A flush that fails (the reader of a
    pipe gone, a full disk) makes a clean exit 120, as the interpreter's own teardown does, so a
    lost report never reads as success."""
    status = 0 if code is None else code if isinstance(code, int) else 1
    if not isinstance(code, (int, type(None))):
        print(code, file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader gone (`memfix | head`) or a closed stream
            status = status or 120
    os._exit(status)
