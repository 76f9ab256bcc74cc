"""memfix.metadata must answer exactly what libcst's providers answer: every rule reads positions,
expression contexts and scopes through the seeded wrapper, so a difference here is a wrong line
in a message or a wrong safety verdict."""

from __future__ import annotations

import ast
import sys
import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import ExpressionContextProvider, MetadataWrapper, PositionProvider, ScopeProvider

from memfix.metadata import Positions, libcst_fits_shortcuts, expression_contexts, scope_contexts, scopes, statement_starts
from memfix.nodes import metadata_wrapper, tree_maps

FIXTURES = sorted((Path(__file__).parent / "fixtures").rglob("*.py"))
STDLIB = Path(sysconfig.get_paths()["stdlib"])
#: CRLF and CR-only newlines, continuation lines, f-strings, decorators, comprehensions, walrus
TRICKY = {
    "crlf": "class A:\r\n    def f(self):\r\n        return [x\r\n                for x in y]\r\n",
    "cr": "x = 1\ry = (x +\r     2)\r",
    "continuation": "total = a + \\\n    b\nif (n := len(total)) > 3:\n    pass\n",
    "fstring": "name = f'{a!r:>{width}}' + f\"{b}\"\n",
    "decorated": "@dec(1)\n@other\nclass C(Base, metaclass=M):\n    x: int = 0\n    def g(self, *a, k=1, **kw): ...\n",
    "comprehension": "r = {k: [v for v in vs if v] for k, vs in d.items() if (t := k)}\nprint(t)\n",
    "string annotation": "from typing import Optional\nx: Optional['Thing'] = None\ndef f(a: 'List[int]') -> 'Thing': ...\n",
    "empty": "",
    "only comment": "# nothing\n",
}


def _text_list():
    for path in FIXTURES[::2]:
        yield pytest.param(path.read_text(encoding="utf-8"), id=f"{path.parent.name}/{path.name}")
    for name in ("webbrowser.py", "tokenize.py", "dataclasses.py"):
        path = STDLIB / name
        if path.exists():
            yield pytest.param(path.read_text(encoding="utf-8"), id=f"stdlib/{name}")
    for name, text in TRICKY.items():
        yield pytest.param(text, id=name)


TEXTS = list(_text_list())

@pytest.mark.parametrize("text", TEXTS)
def test_positions_equal_libcst_position_provider(text):
    module = cst.parse_module(text)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    fast = Positions(module)
    assert fast.code is None  # nothing generated until a position is asked for
    assert set(fast) == set(expected)
    assert all(fast[node] == expected[node] for node in expected)
    assert fast.code == module.code  # the fix step splices with it


@pytest.mark.parametrize("text", TEXTS)
def test_positions_per_statement_equal_libcst_position_provider(text):
    # asked node by node, in an order that jumps between statements, as the rules ask
    module = cst.parse_module(text)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    parents = tree_maps(module)[0]
    starts = statement_starts(module, ast.parse(text))
    assert starts is not None and all(statement in starts for statement in module.body)
    lazy = Positions(module, parents, starts, text)
    for node in sorted(parents, key=lambda n: hash(n) % 7919):
        assert lazy[node] == expected[node]
    assert lazy.code is None or lazy.code == module.code


def test_positions_generate_only_the_statements_asked_about():
    text = "import os\n\n# a comment\n\n@dec\ndef f(x):\n    return x\n\ny = 1; z = 2\nclass C:\n    pass\n"
    module = cst.parse_module(text)
    parents = tree_maps(module)[0]
    lazy = Positions(module, parents, statement_starts(module, ast.parse(text)), text)
    func = module.body[1]
    assert isinstance(func, cst.FunctionDef)
    ret = func.body.body[0]
    assert lazy[ret].start.line == 7 and lazy[func.decorators[0]].start.line == 5
    assert lazy[module.body[2]].start.line == 9 and lazy[module.body[3]].start.line == 10
    assert lazy.code is None  # the module was never generated whole


def test_positions_fall_back_to_the_whole_module_where_a_statement_does_not_round_trip():
    # libcst regenerates `except OSError :` without the space (webbrowser.py): the statement's code
    # is not the text at its line, so the whole module is generated, as libcst's provider would
    text = "try:\n    pass\nexcept OSError :\n    pass\nx = 1\n"
    module = cst.parse_module(text)
    parents = tree_maps(module)[0]
    lazy = Positions(module, parents, statement_starts(module, ast.parse(text)), text)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    handler = module.body[0].handlers[0]
    if module.code == text:
        pytest.skip("this libcst round-trips `except OSError :`")
    assert lazy[handler] == expected[handler] and lazy.code == module.code
    assert all(lazy[node] == expected[node] for node in parents)


def test_statement_starts_refuse_a_tree_of_other_code():
    module = cst.parse_module("x = 1\ny = 2\n")
    assert statement_starts(module, ast.parse("x = 1\n")) is None
    assert statement_starts(module, ast.parse("x = 1\ny = 2\nz = 3\n")) is None


@pytest.mark.parametrize("with_children", [False, True], ids=["fields", "children table"])
@pytest.mark.parametrize("text", TEXTS)
def test_contexts_and_scopes_equal_libcst_providers(text, with_children):
    assert libcst_fits_shortcuts()
    module = cst.parse_module(text)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    expected_contexts = wrapper.resolve(ExpressionContextProvider)
    expected_scopes = wrapper.resolve(ScopeProvider)
    children = tree_maps(module)[1] if with_children else None
    contexts = expression_contexts(module, children)
    assert dict(contexts) == dict(expected_contexts)
    fast_scopes = scopes(module, scope_contexts(module, children, contexts), children)  # as the engine does
    # string annotations are parsed into fresh nodes on each computation: compare the tree's nodes
    in_tree = set(MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))
    assert {n for n in fast_scopes if n in in_tree} == {n for n in expected_scopes if n in in_tree}
    pairs = {}  # libcst's scope object -> ours, which must correspond one to one
    for node, scope in expected_scopes.items():
        if node not in in_tree:
            continue
        ours = fast_scopes[node]
        assert type(ours) is type(scope)
        assert pairs.setdefault(scope, ours) is ours
    for scope, ours in pairs.items():
        assert getattr(ours, "node", None) is getattr(scope, "node", None)
        assert _assignments(ours, in_tree) == _assignments(scope, in_tree)
        assert _accesses(ours, in_tree) == _accesses(scope, in_tree)


def _assignments(scope, in_tree):
    return {(a.name, a.node) for a in scope.assignments if a.node in in_tree}


def _referents(access, in_tree):
    """What an access resolves to: nodes of the tree, or names (builtins have no node)."""
    return frozenset(
        getattr(r, "node", r.name) for r in access.referents if not hasattr(r, "node") or r.node in in_tree
    )


def _accesses(scope, in_tree):
    return {(a.node, a.is_annotation, _referents(a, in_tree)) for a in scope.accesses if a.node in in_tree}


def test_seeded_wrapper_computes_nothing_until_asked(monkeypatch):
    module = cst.parse_module("def f(x):\n    return x\n")
    wrapper = metadata_wrapper(module)

    def fail(*args, **kwargs):  # pragma: no cover - reached only if a seed was ignored
        raise AssertionError("a seeded provider was computed by libcst")

    for provider in (ExpressionContextProvider, ScopeProvider):
        monkeypatch.setattr(provider, "visit_Module", fail)
    monkeypatch.setattr(PositionProvider, "_gen_impl", fail)
    positions = wrapper.resolve(PositionProvider)  # the seeds, not libcst's providers
    function = module.body[0]
    assert (positions[function].start.line, positions[function].end.line) == (1, 2)


def test_a_scope_read_computes_contexts_and_scopes_once():
    module = cst.parse_module("import os\ndef f():\n    return os.sep\n")
    wrapper = metadata_wrapper(module)
    scope_map = wrapper.resolve(ScopeProvider)
    name = module.body[1].body.body[0].body[0].value.value  # os in os.sep
    scope = scope_map[name]
    assert {a.name for a in scope.parent.assignments} == {"os", "f"}
    assert wrapper.resolve(ScopeProvider) is scope_map


def _recording_hooks():
    """``visit_X``/``leave_X`` for every libcst node class, each recording the event (a walk calls
    the hooks; it does not go through ``on_visit``)."""
    hooks = {}
    for name, kind in vars(cst).items():
        if isinstance(kind, type) and issubclass(kind, cst.CSTNode):
            hooks[f"visit_{name}"] = lambda self, node: self.events.append(("visit", node))
            hooks[f"leave_{name}"] = lambda self, node: self.events.append(("leave", node))
    return hooks


_Recorder = type("_Recorder", (cst.CSTVisitor,), _recording_hooks())


@pytest.mark.parametrize("text", TEXTS)
def test_walk_visits_in_libcst_order(text):
    from memfix.metadata import _Walk

    class Slow(_Recorder):
        def __init__(self):
            super().__init__()
            self.events = []

        def visit_FunctionDef_params(self, node):  # an own field hook is called, like libcst does
            self.events.append(("field", node))

    class Fast(_Walk, Slow):
        pass

    module = cst.parse_module(text)
    slow, fast = Slow(), Fast()
    module.visit(slow)
    module.visit(fast)
    assert len(slow.events) >= 2  # the module, at least
    assert fast.events == slow.events


def test_without_the_shortcuts_libcst_computes_the_same_findings(monkeypatch):
    """If a libcst release changes what the shortcuts rely on, the wrapper falls back to libcst's
    own providers: the findings must not change."""
    from memfix import engine, nodes
    from memfix.config import Settings
    from memfix.fixers import FIXERS

    settings = Settings(cache=False, unsafe_fixes=True)
    cases = [p for p in FIXTURES if not p.name.endswith(".expected.py")][::4]

    def findings():
        found = []
        for path in cases:
            result = engine.detect(path.read_text(encoding="utf-8"), str(path), settings, FIXERS)
            found.append([(f.code, f.symbol, f.span, f.message) for f in result.findings])
        return found

    fast = findings()
    monkeypatch.setattr(nodes, "libcst_fits_shortcuts", lambda: False)
    module = cst.parse_module("x = 1\n")
    assert ScopeProvider not in metadata_wrapper(module)._metadata  # libcst's provider, then
    assert findings() == fast
    assert any(fast)


def test_positions_generate_only_the_class_members_asked_about():
    text = (
        '@decorated\nclass C(Base):\n    """doc"""\n\n    # a comment\n    x = 1; y = 2\n\n'
        "    @property\n    def f(self):\n        return self.x\n\n    async def g(self):\n        pass\n"
    )
    module = cst.parse_module(text)
    parents = tree_maps(module)[0]
    starts = statement_starts(module, ast.parse(text))
    lazy = Positions(module, parents, starts, text)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    members = module.body[0].body.body
    assert [starts[m] for m in members] == [(3, "    "), (4, "    "), (7, "    "), (11, "    ")]
    ret = members[2].body.body[0]
    assert lazy[ret] == expected[ret]
    assert list(lazy._generated) == [ret]  # the line alone, not its method or class
    assert lazy[members[2].decorators[0]] == expected[members[2].decorators[0]]
    assert list(lazy._generated) == [ret, members[2]]  # the method alone, not its class
    assert lazy[members[1]] == expected[members[1]] and lazy[module.body[0].name] == expected[module.body[0].name]
    assert set(lazy._generated) == {ret, members[2], members[1], module.body[0]}
    assert all(lazy[node] == expected[node] for node in parents)


DEEP = """\
import os

def outer(items):
    # a comment before the loop
    for item in items:
        if item is None:
            continue
        elif item == 1:
            x = [item]
        else:
            try:
                with open(item) as f:
                    y = f.read()
            except (OSError,
                    ValueError) as exc:
                z = exc
            else:
                w = 1
            finally:
                v = 2
    else:
        while True:
            u = 3
            break
    async def inner():
        async for a in b:
            t = a
        return t
    match items:
        case [x]:
            s = x
        case _:
            pass
    if items: r = 1
    return os
"""


def _deepest_lines(module):
    """Every statement line of the text above, with its deepest node first."""
    return [n for n in tree_maps(module)[0] if isinstance(n, cst.SimpleStatementLine)]


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match statements need Python 3.10")
def test_positions_pair_every_kind_of_block_down_to_the_line():
    module = cst.parse_module(DEEP)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    parents = tree_maps(module)[0]
    lines = _deepest_lines(module)
    for line in lines:
        lazy = Positions(module, parents, statement_starts(module, ast.parse(DEEP)), DEEP)
        leaf = next(n for n in parents if parents.get(n) is line or n is line)
        assert lazy[leaf] == expected[leaf]
        # only the line's own statement was generated (a one-line `if items: r = 1` is its if's)
        generated = list(lazy._generated)
        owner = parents[parents[line]] if isinstance(parents[line], cst.SimpleStatementSuite) else line
        assert generated == [owner], (DEEP.splitlines()[expected[line].start.line - 1], generated)
    lazy = Positions(module, parents, statement_starts(module, ast.parse(DEEP)), DEEP)
    assert all(lazy[node] == expected[node] for node in sorted(parents, key=lambda n: hash(n) % 7919))


def test_positions_in_a_block_that_does_not_pair_fall_back_to_the_statement_around_it():
    # the ast is of other code in the function (a pre-filter slice stubs bodies): the lines
    # cannot be placed, the function's code is generated and checked against the text instead
    text = "def f():\n    a = 1\n    b = 2\n"
    other = "def f():\n    a = 1\n"
    module = cst.parse_module(text)
    parents = tree_maps(module)[0]
    lazy = Positions(module, parents, statement_starts(module, ast.parse(other)), text)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    second = module.body[0].body.body[1]
    assert lazy[second] == expected[second]
    assert list(lazy._generated) == [module.body[0]]
