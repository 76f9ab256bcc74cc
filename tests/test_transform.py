"""memfix.transform visits only the top-level statements a rule's plans reach: the rewritten module
must be the one a whole-module visit produces, for every rule's fixtures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Tuple

import libcst as cst
import pytest

from memfix import engine
from memfix.config import Settings
from memfix.fixer import FileContext, Safety
from memfix.fixers import FIXERS
from memfix.nodes import metadata_wrapper
from memfix.testing import collect_cases
from memfix.transform import plan_nodes, reached_statements, same_module, transform

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = collect_cases(FIXTURES)
SETTINGS = Settings(cache=False, unsafe_fixes=True)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule_dir}/{c.name}")
def test_partial_visit_equals_whole_visit(case) -> None:
    text = case.source_path.read_text(encoding="utf-8")
    detection = engine.detect(text, str(case.source_path), SETTINGS, FIXERS, prefilter=False)
    assert isinstance(detection, engine.Detection)
    for fixer in detection.candidates:
        plans = {r.node: r.plan for r in detection.reports.get(fixer.code, []) if r.plan is not None}
        if fixer.transformer is None or not plans:
            continue
        # plans are keyed by the nodes of the tree they were made on: one detection per rule
        own = engine.detect(text, str(case.source_path), SETTINGS, [fixer], prefilter=False)
        assert isinstance(own, engine.Detection) and own.wrapper is not None and own.module is not None
        plans = {r.node: r.plan for r in own.reports[fixer.code] if r.plan is not None}
        whole = own.wrapper.visit(fixer.transformer(FileContext("x.py", SETTINGS, text), plans))
        partial = transform(own.wrapper, fixer.transformer(FileContext("x.py", SETTINGS, text), plans), plans)
        assert partial.code == whole.code, fixer.code
        assert same_module(own.module, partial) == own.module.deep_equals(partial)


@dataclass(frozen=True)
class _Plan:
    safety: Safety
    targets: Tuple[object, ...]


def test_plan_nodes_follow_fields_and_containers() -> None:
    module = cst.parse_module("a = 1\nb = 2\nc = 3\n")
    first, _, third = module.body
    plan = _Plan(Safety.SAFE, (("op", first), {"k": [third]}, "text"))
    assert set(plan_nodes({first: plan})) == {first, third}
    nested: object = first
    for _ in range(12):
        nested = [nested]
    assert plan_nodes({first: nested}) is None  # deeper than any plan: the caller visits it all
    wrapper = metadata_wrapper(module)
    name = first.body[0].targets[0].target  # type: ignore[attr-defined]
    parents = wrapper.resolve(cst.metadata.ParentNodeProvider)
    assert reached_statements(module, parents, [name, third]) == {first, third}
    assert reached_statements(module, parents, [cst.Name("elsewhere")]) == set()
    assert reached_statements(module, parents, [module]) is None  # the whole module


def test_a_plan_on_the_module_visits_everything() -> None:
    module = cst.parse_module("x = 1\ny = 2\n")
    wrapper = metadata_wrapper(module)

    class Rename(cst.CSTTransformer):
        def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
            return updated_node.with_changes(value=updated_node.value.upper())

    assert transform(wrapper, Rename(), {module: object()}).code == "X = 1\nY = 2\n"
    deep: object = module.body[1]
    for _ in range(12):
        deep = (deep,)
    assert transform(wrapper, Rename(), {module.body[1]: deep}).code == "X = 1\nY = 2\n"  # unread: all
    # a plan on one statement: only that statement is visited, the other is the same object
    result = transform(wrapper, Rename(), {module.body[1]: object()})
    assert result.code == "x = 1\nY = 2\n"
    assert result.body[0] is module.body[0]


def test_same_module_sees_a_change_anywhere() -> None:
    module = cst.parse_module("# head\nx = 1\ny = 2\n")
    assert same_module(module, module)
    assert same_module(module, cst.parse_module("# head\nx = 1\ny = 2\n"))
    assert not same_module(module, cst.parse_module("# head\nx = 1\ny = 3\n"))
    assert not same_module(module, cst.parse_module("# other\nx = 1\ny = 2\n"))
    assert not same_module(module, cst.parse_module("# head\nx = 1\n"))
    assert not same_module(module, module.with_changes(has_trailing_newline=False))
