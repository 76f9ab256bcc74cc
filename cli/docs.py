"""Generate docs/rules/<CODE>-<name>.md from the rules themselves (Fixit's document_rules idea):
the docstring, the metadata and the examples are the single source; tests/test_docs.py fails
when the committed pages are stale. Run: python -m memfix.cli.docs docs/rules
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict

from memfix.cli.render import render_explain
from memfix.fixers import FIXERS


def rule_pages() -> Dict[str, str]:
    return {f"{fx.rule.code}-{fx.rule.name}.md": render_explain(fx) for fx in FIXERS}


def index_page() -> str:
    rows = ["# Rules", "", "| code | name | fix | summary |", "| --- | --- | --- | --- |"]
    for fx in FIXERS:
        fix = "yes" if fx.transformer is not None else "report only"
        rows.append(f"| [{fx.rule.code}]({fx.rule.code}-{fx.rule.name}.md) | {fx.rule.name} | {fix} | {fx.rule.summary} |")
    return "\n".join(rows) + "\n"


def write(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("MF*.md"):
        stale.unlink()
    for name, text in rule_pages().items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "index.md").write_text(index_page(), encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/rules"))
