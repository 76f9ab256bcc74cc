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


# -- the per-class field table the walks read (memfix.astindex.Shape) ------------------------------

_BUILTIN_TYPES = {"identifier", "string", "int", "constant"}
_LEAF_TYPES = {"expr_context", "operator", "unaryop", "boolop", "cmpop"}


def _asdl_fields(cls):
    """``FunctionDef(identifier name, stmt* body, ...)``: field -> declared type, from the class's
    ASDL signature (CPython's ast classes document themselves this way, 3.9 to 3.13)."""
    import re

    doc = (cls.__doc__ or "").strip()
    match = re.match(r"^\w+\((.*)\)$", doc, re.S)
    if not match or not cls._fields:
        return {}
    declared = {}
    for part in match.group(1).split(","):
        kind, name = part.split()
        declared[name] = kind.rstrip("*?")
    return declared


def _ast_classes():
    return [c for c in vars(ast).values() if isinstance(c, type) and issubclass(c, ast.AST) and c._fields]


def test_shape_table_skips_only_fields_that_never_hold_a_node():
    from memfix.astindex import LEAF_FIELDS, _SCALAR_FIELDS, shape_of

    checked = 0
    for cls in _ast_classes():
        declared = _asdl_fields(cls)
        if not declared:
            continue
        assert set(declared) == set(cls._fields), cls
        shape = shape_of(cls)
        for name, kind in declared.items():
            if name in _SCALAR_FIELDS:
                assert kind in _BUILTIN_TYPES, (cls, name, kind)
            elif name in LEAF_FIELDS:
                assert kind in _LEAF_TYPES, (cls, name, kind)
            elif kind not in _BUILTIN_TYPES:
                assert name in shape.children, (cls, name)
            if kind in _LEAF_TYPES:
                assert name in LEAF_FIELDS and shape.leaf, (cls, name)
        checked += 1
    assert checked >= 60  # every concrete class of this Python's ast (62 on 3.9; match on 3.10+, type params on 3.12+)


def _walk_order(tree):
    """The order AstIndex has always filed nodes in: a stack walk over every field."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        found.append(node)
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)
    return found


_NEWER_SYNTAX = [
    ("match x:\n    case {'a': [1, *rest], **kw} if rest: pass\n    case Point(x=0) | None as p: pass\n", (3, 10)),
    ("type Alias[T: int, *Ts, **P] = dict[T, list[Alias]]\ndef f[V](x: V) -> V: return x\nclass C[K]: pass\n", (3, 12)),
]


def _samples():
    import sys

    sources = [SOURCE, "try:\n    import a.b as c\nexcept (E, F) as err:\n    global g\nelse:\n    x: int = {**d, None: -y}\nfinally:\n    del z\n", "f = lambda *a, k=1, **kw: [i async for i in a if not i]\n"]
    sources += [source for source, version in _NEWER_SYNTAX if sys.version_info >= version]
    return sources


def test_index_files_every_node_but_the_leaves_in_walk_order():
    from memfix.astindex import AstIndex

    for source in _samples():
        tree = ast.parse(source)
        index = AstIndex(tree)
        classes = {type(n) for n in ast.walk(tree)}
        for kind in classes:
            expected = [n for n in _walk_order(tree) if type(n) is kind]
            assert [id(n) for n in index.nodes(kind)] == [id(n) for n in expected], kind
        # the leaves are not filed by the walk, yet still found when asked for
        assert len(index.nodes(ast.Load)) == sum(isinstance(n, ast.Load) for n in ast.walk(tree))


def _identifiers(node, skip=frozenset()):
    """What AstIndex's identifier sets must hold, the plain way: every identifier field of every
    node (each dotted part of an import), outside the subtrees whose ids are in ``skip``."""
    found, stack = set(), [node]
    while stack:
        current = stack.pop()
        if id(current) in skip:
            continue
        for name in current._fields:
            value = getattr(current, name, None)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, ast.AST):
                    stack.append(item)
                elif isinstance(item, str) and name in _IDENTIFIER_FIELDS:
                    found.update(part for part in item.split(".") if part.isidentifier())
    return found


_IDENTIFIER_FIELDS = {"id", "attr", "arg", "name", "asname", "module", "names", "rest", "kwd_attrs"}


def test_spelled_sets_equal_identifiers_with_blocks_skipped():
    from memfix.astindex import AstIndex, statement_lists

    for source in _samples():
        tree = ast.parse(source)
        index = AstIndex(tree)
        statements = [n for n in ast.walk(tree) if isinstance(n, ast.stmt)]
        for stmt in statements:
            inner = {id(s) for block in statement_lists(stmt) for s in block}
            assert index.own_spelled(stmt) == frozenset(_identifiers(stmt, skip=inner)), ast.dump(stmt)[:80]
            assert index.spelled(stmt) == frozenset(_identifiers(stmt)), ast.dump(stmt)[:80]
        for node in ast.walk(tree):
            if not isinstance(node, ast.stmt):
                assert AstIndex(tree).spelled(node) == frozenset(_identifiers(node))
    import sys

    if sys.version_info >= (3, 12):
        tree = ast.parse(_NEWER_SYNTAX[1][0])
        assert {"Alias", "T", "Ts", "P", "V", "K"} <= AstIndex(tree).spelled(tree.body[0]) | AstIndex(tree).spelled(tree.body[1]) | AstIndex(tree).spelled(tree.body[2])


def test_depth_guard_counts_the_leaves_it_does_not_visit():
    from memfix.limits import ast_depth_exceeds

    def depth(node):
        return 1 + max((depth(c) for c in ast.iter_child_nodes(node)), default=0)

    sources = _samples() + ["x", "[]", "[[[]]]", "-x", "a < b < c", "a and b", "", "x = ((1,),)", "f(*[])"]
    for source in sources:
        tree = ast.parse(source)
        exact = depth(tree)
        for limit in range(1, exact + 2):
            assert ast_depth_exceeds(tree, limit) == (limit + 1 if exact > limit else None), (source, limit)
