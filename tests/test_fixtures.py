"""Every fixture case, three ways: expected output and markers, stability, compiles + verifies."""

from __future__ import annotations

from pathlib import Path

import pytest

from memfix.fixers import FIXERS
from memfix.testing import (
    assert_compiles,
    assert_stable,
    case_settings,
    collect_cases,
    expected_markers,
    reported_markers,
    run_case,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = collect_cases(FIXTURES)
CODE_BY_DIR = {fx.rule.name.replace("-", "_"): fx.rule.code for fx in FIXERS}


def _settings(case):
    code = CODE_BY_DIR.get(case.rule_dir)
    if code is None:
        pytest.fail(f"fixture folder {case.rule_dir!r} names no rule module")
    return case_settings(case, code)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture(case):
    settings = _settings(case)
    result = run_case(case, settings)
    assert result.error is None, result.error
    assert result.text == case.expected_text()
    assert reported_markers(result) == expected_markers(case.read_source())
    if case.expected_path is None:
        assert not result.changed
    else:
        assert result.changed, "an .expected.py exists but no fix was applied"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_idempotent(case):
    settings = _settings(case)
    result = run_case(case, settings)
    assert_stable(result.text, settings)
    assert_stable(case.expected_text(), settings)


@pytest.mark.parametrize("case", [c for c in CASES if c.expected_path], ids=[c.id for c in CASES if c.expected_path])
def test_output_compiles_and_verifies(case):
    settings = _settings(case)
    result = run_case(case, settings)
    assert_compiles(result.text)
    assert result.verify is not None and result.verify.ok, result.verify
