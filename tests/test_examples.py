"""The examples printed by --explain are run, so the docs cannot lie."""

from __future__ import annotations

import pytest

from memfix.api import fix_source
from memfix.fixer import Invalid, Valid
from memfix.fixers import FIXERS
from memfix.testing import assert_stable, example_settings, settings_for_example

CASES = [(fx, i, ex) for fx in FIXERS for i, ex in enumerate(fx.examples)]


@pytest.mark.parametrize("fixer,index,example", CASES, ids=[f"{fx.rule.code}-{i}" for fx, i, _ in CASES])
def test_example(fixer, index, example):
    if isinstance(example, Valid):
        result = fix_source(example.code, example_settings(True, fixer.code))
        assert result.findings == ()
        assert not result.changed
        return
    assert isinstance(example, Invalid)
    settings = settings_for_example(example, fixer.code)
    result = fix_source(example.code, settings)
    assert result.error is None
    assert [f.code for f in result.findings] and all(f.code == fixer.code for f in result.findings)
    if example.fixed is None:
        assert all(f.fix is None for f in result.findings)
        assert not result.changed
    else:
        assert result.text == example.fixed
        assert {f.fix.safety for f in result.findings if f.fix} == {example.safety}
        assert_stable(result.text, settings)
