"""memfix.nodes: the fast parent map must be exactly libcst's ParentNodeProvider, since every
rule's parent lookups read it through the seeded wrapper."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, ParentNodeProvider

from memfix.nodes import metadata_wrapper, parent_map

FIXTURES = sorted((Path(__file__).parent / "fixtures").rglob("*.py"))


@pytest.mark.parametrize("path", FIXTURES[::3], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_parent_map_equals_libcst_parent_provider(path):
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ParentNodeProvider)
    fast = parent_map(module)
    assert fast.keys() == expected.keys()
    assert all(fast[node] is parent for node, parent in expected.items())


@pytest.mark.parametrize("path", FIXTURES[1::3], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_lazy_qualified_names_equal_libcst_provider(path):
    from libcst.metadata import QualifiedNameProvider
    from libcst.metadata.base_provider import LazyValue

    module = cst.parse_module(path.read_text(encoding="utf-8"))
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(QualifiedNameProvider)
    lazy = metadata_wrapper(module).resolve(QualifiedNameProvider)
    assert set(lazy) == set(expected)
    for node, value in expected.items():
        assert lazy[node] == (value() if isinstance(value, LazyValue) else value)
    assert lazy.get(cst.Name("not_in_the_tree"), "absent") == "absent"


def test_seeded_wrapper_serves_the_map_without_computing_the_provider(monkeypatch):
    module = cst.parse_module("class A:\n    def f(self, x=[1, 2]):\n        return (x)[0]\n")
    wrapper = metadata_wrapper(module)

    def fail(*args, **kwargs):  # pragma: no cover - reached only if the seed was ignored
        raise AssertionError("ParentNodeProvider was computed although it was seeded")

    monkeypatch.setattr(ParentNodeProvider, "visit_Module", fail)
    parents = wrapper.resolve(ParentNodeProvider)
    function = module.body[0].body.body[0]
    assert parents[function.body] is function
    assert parents[module.body[0]] is module


def _findings(monkeypatch, text: str, libcst_walk: bool):
    from memfix import engine
    from memfix.config import Settings
    from memfix.fixers import FIXERS
    import memfix.fixers._growth as growth
    import memfix.fixers.unbounded_queue as queue

    if libcst_walk:
        for module in (engine, growth, queue):
            monkeypatch.setattr(module, "dispatch", lambda root, visitor, children=None: root.visit(visitor))
    result = engine.detect(text, "case.py", Settings(cache=False, unsafe_fixes=True), FIXERS)
    return [(f.code, f.symbol, f.span, f.message, f.fix) for f in result.findings]


@pytest.mark.parametrize("path", [p for p in FIXTURES if not p.name.endswith(".expected.py")][::2], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_dispatch_finds_what_libcst_traversal_finds(monkeypatch, path):
    text = path.read_text(encoding="utf-8")
    fast = _findings(monkeypatch, text, libcst_walk=False)
    with monkeypatch.context() as patched:
        slow = _findings(patched, text, libcst_walk=True)
    assert fast == slow


def test_dispatch_calls_visit_and_leave_in_nesting_order_and_honours_false():
    from memfix.nodes import dispatch

    events = []

    class Recorder(cst.CSTVisitor):
        def visit_FunctionDef(self, node):
            events.append(("visit", node.name.value))
            return node.name.value != "skipped"

        def leave_FunctionDef(self, original_node):
            events.append(("leave", original_node.name.value))

        def visit_Call(self, node):
            events.append(("call", node.func.value))

    module = cst.parse_module("def outer():\n    f()\n    def inner():\n        g()\n\ndef skipped():\n    h()\n")
    dispatch(module, Recorder())
    assert events == [
        ("visit", "outer"), ("call", "f"), ("visit", "inner"), ("call", "g"), ("leave", "inner"), ("leave", "outer"),
        ("visit", "skipped"), ("leave", "skipped"),
    ]


@pytest.mark.parametrize("path", FIXTURES[2::3], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_walks_from_the_children_table_equal_walks_of_the_fields(path):
    """Detectors walk from the table their metadata carries; it must be the same walk, in the same
    order, from the module and from any node inside it, and name the same identifiers."""
    from memfix.nodes import all_names, children_in, walk

    module = cst.parse_module(path.read_text(encoding="utf-8"))
    metadata = {ParentNodeProvider: metadata_wrapper(module).resolve(ParentNodeProvider)}
    children = children_in(metadata)
    assert children is not None and module in children
    whole = list(walk(module))
    assert list(walk(module, children)) == whole
    for node in whole[:: max(1, len(whole) // 25)]:
        assert list(walk(node, children)) == list(walk(node))
    names = {n.value for n in whole if isinstance(n, cst.Name)}
    assert all_names(module, metadata[ParentNodeProvider]) == names
    # another tree's parent map is not read for this module
    other = parent_map(cst.parse_module("only_this = 1\n"))
    assert all_names(module, other) == names


def test_children_in_without_a_table():
    from memfix.nodes import children_in

    assert children_in({}) is None
    assert children_in({ParentNodeProvider: {}}) is None


class _Recorder(cst.CSTVisitor):
    """Logs its hooks; skips some subtrees (an odd-length function name, every third ``if``) so
    that skipping and the ``leave_X`` of a skipped node are exercised too."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list = []
        self._ifs = 0

    def visit_Module(self, node):
        self.log.append(("visit", "Module"))

    def leave_Module(self, original_node):
        self.log.append(("leave", "Module"))

    def visit_FunctionDef(self, node):
        self.log.append(("visit", node.name.value))
        return len(node.name.value) % 2 == 0

    def leave_FunctionDef(self, original_node):
        self.log.append(("leave", original_node.name.value))

    def visit_ClassDef(self, node):
        self.log.append(("visit", node.name.value))

    def leave_ClassDef(self, original_node):
        self.log.append(("leave", original_node.name.value))

    def visit_If(self, node):
        self._ifs += 1
        self.log.append(("visit", "If", self._ifs))
        return self._ifs % 3 != 0

    def visit_Call(self, node):
        self.log.append(("visit", "Call", id(node)))

    def leave_Name(self, original_node):
        self.log.append(("leave", "Name", id(original_node)))


class _CallsOnly(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.log: list = []

    def visit_Call(self, node):
        self.log.append(id(node))


@pytest.mark.parametrize("path", FIXTURES[::2], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_dispatch_in_visiting_order_calls_what_libcst_calls(path):
    # the detectors' dispatch over a tree's TreeOrder must call the same hooks, on the same nodes,
    # in the same order, with the same skips, as libcst's own visit
    from memfix.nodes import ChildrenTable, dispatch, tree_maps

    module = cst.parse_module(path.read_text(encoding="utf-8"))
    children = tree_maps(module)[1]
    assert isinstance(children, ChildrenTable)
    for make in (_Recorder, _CallsOnly):
        expected, by_fields, in_order = make(), make(), make()
        module.visit(expected)
        dispatch(module, by_fields)  # no table: the field walk
        dispatch(module, in_order, children)
        assert in_order.log == expected.log == by_fields.log


@pytest.mark.parametrize("path", FIXTURES[1::4], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_nodes_in_order_are_the_walk_filtered(path):
    from memfix.nodes import nodes_in_order, tree_maps, walk

    module = cst.parse_module(path.read_text(encoding="utf-8"))
    children = tree_maps(module)[1]
    every = list(walk(module))
    assert nodes_in_order(module, children) == every == nodes_in_order(module, None)
    for kinds in ((cst.Call,), (cst.Attribute, cst.Assign, cst.AnnAssign), (cst.Global,)):
        expected = [n for n in every if type(n) in kinds]
        assert nodes_in_order(module, children, *kinds) == expected == nodes_in_order(module, None, *kinds)


@pytest.mark.parametrize("path", FIXTURES[::3], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_order_tree_maps_makes_is_the_walks_order(path):
    from memfix.nodes import tree_maps, walk

    module = cst.parse_module(path.read_text(encoding="utf-8"))
    order = tree_maps(module)[1].order()
    assert order.nodes == list(walk(module))  # parents before children, libcst's child order
    for index in range(0, len(order.nodes), 7):
        node = order.nodes[index]
        assert order.ends[index] == index + sum(1 for _ in walk(node))  # where its subtree ends
    assert sorted(i for positions in order.by_type.values() for i in positions) == list(range(len(order.nodes)))
    assert all(type(order.nodes[i]) is kind for kind, positions in order.by_type.items() for i in positions)
