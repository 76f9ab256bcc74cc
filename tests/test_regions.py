"""memfix.astindex and memfix.prefilter.spelling_regions: what a name-following rule keeps.

The equivalence tests (test_perf_prefilter.py) prove no finding is lost; these pin down the shape
of the regions, so a change that quietly widens them back to whole files shows up here."""

from __future__ import annotations

import ast
import textwrap

from memfix.astindex import AstIndex
from memfix.fixers import FIXERS
from memfix.prefilter import Regions, slice_source, spelling_regions

SOURCE = textwrap.dedent(
    """
    import threading

    class Tracker:
        def __init__(self):
            self.events = []

        def add(self, e):
            self.events.append(e)

        def unrelated(self):
            return 1

        def run(self):
            while True:
                pass

    def report(t):
        return len(t.events)

    def elsewhere():
        return 2

    def uses_report():
        return report(None)
    """
)


def _kept_names(result):
    assert isinstance(result, Regions)
    return sorted(getattr(n, "name", type(n).__name__) for n in result.nodes)


def test_index_files_every_node_by_class():
    tree = ast.parse(SOURCE)
    index = AstIndex(tree)
    for kind in (ast.Name, ast.Attribute, ast.Call, ast.FunctionDef):
        assert len(index.nodes(kind)) == sum(isinstance(n, kind) for n in ast.walk(tree))
    assert [u.name for u in index.units()] == ["Tracker", "report", "elsewhere", "uses_report"]


def test_owner_kept_whole_and_spellers_and_their_callers_kept():
    index = AstIndex(ast.parse(SOURCE))
    anchor = index.tree.body[1].body[0].body[0]  # self.events = []
    result = spelling_regions(index, [anchor], {"events", "Tracker"})
    # the owner whole, report() spells `events`, uses_report() calls report(); elsewhere() is out
    assert _kept_names(result) == ["Tracker", "report", "uses_report"]


def test_owner_evidence_trims_the_owner_to_what_shows_its_life():
    index = AstIndex(ast.parse(SOURCE))
    anchor = index.tree.body[1].body[0].body[0]
    evidence = lambda m: any(isinstance(n, ast.While) for n in ast.walk(m))  # noqa: E731
    result = spelling_regions(index, [anchor], {"events"}, owner_evidence=evidence)
    kept = _kept_names(result)
    assert {"__init__", "add", "run", "report"} <= set(kept)
    assert "unrelated" not in kept and "Tracker" not in kept and "elsewhere" not in kept
    sliced = slice_source(SOURCE, index.tree, list(result.nodes))
    assert "def unrelated(): " in sliced and "while True:" in sliced and "class Tracker:" in sliced


def test_whole_statements_need_no_anchor_and_nothing_spreads():
    index = AstIndex(ast.parse(SOURCE))
    function = index.tree.body[2]
    assert _kept_names(spelling_regions(index, [], set(), whole=[function])) == ["report"]
    assert spelling_regions(index, [], {"events"}) is False


def test_growth_filter_names_regions_not_the_whole_file():
    growth = next(f for f in FIXERS if f.code == "MF101")
    result = growth.ast_filter(AstIndex(ast.parse(SOURCE)))
    assert isinstance(result, Regions)
    assert "elsewhere" not in _kept_names(result)


def test_closure_list_keeps_only_its_function():
    source = textwrap.dedent(
        """
        class Big:
            def test_a(self):
                log = []
                def hook(x):
                    log.append(x)
                return hook

            def test_b(self):
                return 1
        """
    )
    growth = next(f for f in FIXERS if f.code == "MF101")
    result = growth.ast_filter(AstIndex(ast.parse(source)))
    assert _kept_names(result) == ["test_a"]


def test_nested_functions_are_found_by_position_like_a_walk():
    import ast

    from memfix.astindex import AstIndex

    source = (
        "@register(lambda x: x)\n"
        "def outer(a=lambda: 0):\n"
        "    def inner():\n"
        "        return [lambda y: y for _ in ()]\n"
        "    return inner\n"
        "def after(): pass\n"
        "f = lambda: (lambda: 1)\n"
    )
    tree = ast.parse(source)
    index = AstIndex(tree)
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.Lambda)):
            walked = [n for n in ast.walk(function) if n is not function and isinstance(n, (ast.FunctionDef, ast.Lambda))]
            assert {id(n) for n in index.nested_functions(function)} == {id(n) for n in walked}
    outer = tree.body[0]
    assert len(index.nested_functions(outer)) == 4  # the decorator's, the default's, inner, inner's
    assert "y" in index.nested_spelled(outer) and "after" not in index.nested_spelled(outer)
