"""RunReport -> text. Pure functions: no printing, no exit codes, no reading of argv."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Sequence

from memfix import __version__
from memfix.diffing import patch_stats
from memfix.fixer import Fixer, Invalid, Valid
from memfix.model import FileReport, Finding, Mode, RunReport

RED = "\x1b[31m"
GREEN = "\x1b[32m"
CYAN = "\x1b[36m"
BOLD = "\x1b[1m"
RESET = "\x1b[0m"


def finding_line(finding: Finding) -> str:
    s = finding.span
    return f"{finding.path}:{s.line}:{s.column}: {finding.code} {finding.message}"


def decode_diff(report: FileReport) -> str:
    return report.diff.decode(report.encoding, errors="replace")


def colour_diff(text: str) -> str:
    out: List[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            out.append(BOLD + line.rstrip("\r\n") + RESET + "\n")
        elif line.startswith("@@"):
            out.append(CYAN + line.rstrip("\r\n") + RESET + "\n")
        elif line.startswith("+"):
            out.append(GREEN + line.rstrip("\r\n") + RESET + line[len(line.rstrip("\r\n")):])
        elif line.startswith("-"):
            out.append(RED + line.rstrip("\r\n") + RESET + line[len(line.rstrip("\r\n")):])
        else:
            out.append(line)
    return "".join(out)


def combined_patch(report: RunReport) -> bytes:
    return b"".join(r.diff for r in report.files if r.diff)


def summary_line(report: RunReport) -> str:
    s = report.summary()
    plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
    parts = [f"{plural(s.findings, 'finding')}"]
    if report.mode is Mode.APPLY:
        parts.append(f"{s.fixed} fixed in {plural(s.files_changed, 'file')}")
        parts.append(f"{s.remaining} remaining")
    else:
        parts.append(f"{s.fixable} fixable")
        parts.append("0 fixed (dry run; --apply writes the fixes)" if s.fixable else "0 fixed")
    if s.errors:
        parts.append(plural(s.errors, "error"))
    stats = patch_stats(r.diff for r in report.files)
    if stats.files:
        parts.append(f"diff: {plural(stats.files, 'file')}, +{stats.added} -{stats.removed}")
    return f"Scanned {plural(s.files_scanned, 'file')}: " + ", ".join(parts) + "."


def render_text(report: RunReport, colour: bool = False, show_diff: bool = True) -> str:
    lines: List[str] = [finding_line(f) for f in report.findings]
    out = "\n".join(lines) + ("\n" if lines else "")
    if show_diff:
        diff = "".join(decode_diff(r) for r in report.files if r.diff)
        if diff:
            out += ("\n" if lines else "") + (colour_diff(diff) if colour else diff)
            if not out.endswith("\n"):
                out += "\n"
    return out + summary_line(report) + "\n"


def render_diff(report: RunReport) -> str:
    return "".join(decode_diff(r) for r in report.files if r.diff)


def report_json(report: RunReport) -> Dict[str, Any]:
    verify_remaining = [f.to_json() for r in report.files if r.verify for f in r.verify.remaining]
    verify_new = [f.to_json() for r in report.files if r.verify for f in r.verify.new]
    verified = [r.verify for r in report.files if r.verify is not None]
    return {
        "tool": "memfix",
        "version": __version__,
        "mode": report.mode.value,
        "findings": [f.to_json() for f in report.findings],
        "errors": [e.to_json() for e in report.all_errors],
        "summary": report.summary().to_json(),
        # verify guards what --apply writes; a dry run's diffs were verified too, but the
        # contract reports the verify step for apply runs only
        "verify": None
        if not verified or report.mode is not Mode.APPLY
        else {"ok": all(v.ok for v in verified), "remaining": verify_remaining, "new": verify_new},
    }


def render_json(report: RunReport) -> str:
    return json.dumps(report_json(report), indent=2, sort_keys=False) + "\n"


def render_github(report: RunReport) -> str:
    """GitHub Actions workflow commands: annotations on the pull request's diff."""

    def escape(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(text: str) -> str:
        return escape(text).replace(":", "%3A").replace(",", "%2C")

    out = []
    for f in report.findings:
        s = f.span
        out.append(
            f"::warning file={prop(f.path)},line={s.line},col={s.column},endLine={s.end_line},"
            f"endColumn={s.end_column},title={prop(f.code + ' ' + f.name)}::{escape(f.message)}"
        )
    for e in report.all_errors:
        out.append(f"::error file={prop(e.path)}::{escape(e.message)}")
    return "\n".join(out) + ("\n" if out else "")


def render_sarif(report: RunReport, fixers: Sequence[Fixer]) -> str:
    rules = [
        {
            "id": fx.rule.code,
            "name": fx.rule.name,
            "shortDescription": {"text": fx.rule.summary},
            "helpUri": f"https://memfix.invalid/rules/{fx.rule.code}",
        }
        for fx in fixers
    ]
    results = []
    for report_file in report.files:
        for f in report_file.findings:
            result: Dict[str, Any] = {
                "ruleId": f.code,
                "level": "warning",
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f.path},
                            "region": {
                                "startLine": f.span.line,
                                "startColumn": f.span.column,
                                "endLine": f.span.end_line,
                                "endColumn": f.span.end_column,
                            },
                        }
                    }
                ],
                "properties": {
                    "symbol": f.symbol,
                    "confidence": f.confidence.value,
                    # not a SARIF `fixes` entry: the schema requires each to carry its
                    # artifactChanges (the replacement regions), which the report does not hold
                    "fix": None
                    if f.fix is None
                    else {"safety": f.fix.safety.value, "applied": f.fix.applied, "description": f.fix.description},
                },
            }
            results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "memfix", "version": __version__, "rules": rules}},
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": not report.all_errors,
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": f"{e.path}: {e.message}"}} for e in report.all_errors
                        ],
                    }
                ],
            }
        ],
    }
    return json.dumps(sarif, indent=2) + "\n"


def render_rule_list(fixers: Iterable[Fixer]) -> str:
    rows = []
    for fx in fixers:
        fix = "fix" if fx.transformer is not None else "report"
        rows.append(f"{fx.rule.code}  {fx.rule.name:<24} {fix:<7} {fx.rule.summary}")
    return "\n".join(rows) + "\n"


def render_explain(fixer: Fixer) -> str:
    rule = fixer.rule
    parts = [f"# {rule.code} {rule.name}", "", rule.summary, "", fixer.doc.strip(), ""]
    examples = list(fixer.examples)
    if examples:
        parts.append("## Examples")
        for example in examples:
            if isinstance(example, Invalid):
                parts.append("Reported:" if example.fixed is None else f"Fixed ({example.safety.value if example.safety else 'safe'}):")
                parts.append("```python\n" + example.code.rstrip() + "\n```")
                if example.fixed is not None:
                    parts.append("becomes")
                    parts.append("```python\n" + example.fixed.rstrip() + "\n```")
            elif isinstance(example, Valid):
                parts.append("Not reported:")
                parts.append("```python\n" + example.code.rstrip() + "\n```")
            parts.append("")
    return "\n".join(parts).rstrip() + "\n"
