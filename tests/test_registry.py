"""The registry lists every rule module; codes and names follow the contract."""

from __future__ import annotations

from pathlib import Path

from memfix.fixers import FIXERS

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_CODES = {
    "MF101": "unbounded-list",
    "MF102": "unbounded-list-trim",
    "MF103": "unbounded-deque",
    "MF104": "unbounded-defaultdict",
    "MF105": "slice-rebind-trim",
    "MF201": "unbounded-dict-cache",
    "MF202": "unbounded-lru-cache",
    "MF203": "lru-cache-on-method",
    "MF301": "open-without-with",
    "MF302": "resource-without-with",
    "MF401": "unbounded-queue",
}
REQUIRED_HEADINGS = ("## What it does", "## Why is this bad?", "## Example", "## Fix safety")


def _rule_modules():
    return sorted(p.stem for p in (ROOT / "fixers").glob("*.py") if not p.stem.startswith("_"))


def test_every_rule_module_is_registered():
    registered = {fx.detector.__module__.rsplit(".", 1)[-1] for fx in FIXERS}
    assert set(_rule_modules()) == registered


def test_codes_and_names_follow_the_contract():
    codes = [fx.rule.code for fx in FIXERS]
    assert len(codes) == len(set(codes))
    for fx in FIXERS:
        assert CONTRACT_CODES.get(fx.rule.code) == fx.rule.name
        module = fx.detector.__module__.rsplit(".", 1)[-1]
        assert module == fx.rule.name.replace("-", "_")


def test_registry_is_in_code_order():
    codes = [fx.rule.code for fx in FIXERS]
    assert codes == sorted(codes)


def test_every_rule_has_fixtures_changed_and_untouched():
    for fx in FIXERS:
        folder = ROOT / "tests" / "fixtures" / fx.rule.name.replace("-", "_")
        assert folder.is_dir(), f"{fx.rule.code} has no fixture folder {folder}"
        inputs = [p for p in folder.glob("*.py") if not p.name.endswith(".expected.py")]
        assert inputs, f"{fx.rule.code} has no fixtures"
        untouched = [p for p in inputs if not p.with_name(p.stem + ".expected.py").exists()]
        assert untouched, f"{fx.rule.code} has no negative (untouched) case"
        if fx.transformer is not None:
            changed = [p for p in inputs if p.with_name(p.stem + ".expected.py").exists()]
            assert changed, f"{fx.rule.code} has a transformer but no before/after case"


def test_docs_have_the_required_headings():
    for fx in FIXERS:
        for heading in REQUIRED_HEADINGS:
            assert heading in fx.doc, f"{fx.rule.code} doc lacks {heading!r}"


def test_fixer_package_has_no_unlisted_subpackages():
    assert not [p for p in (ROOT / "fixers").iterdir() if p.is_dir() and (p / "__init__.py").exists()]
