"""docs/rules is generated from the rules; a stale page fails here (regenerate with `make docs`)."""

from __future__ import annotations

from pathlib import Path

from memfix.cli.docs import index_page, rule_pages

RULES_DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules"


def test_rule_pages_are_current():
    expected = rule_pages()
    present = {p.name: p.read_text(encoding="utf-8") for p in RULES_DOCS.glob("MF*.md")}
    assert present == expected, "docs/rules is stale: run `make docs`"
    assert (RULES_DOCS / "index.md").read_text(encoding="utf-8") == index_page()
