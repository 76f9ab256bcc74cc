"""memfix.contexts restates libcst's ExpressionContextVisitor for names: same answers."""

from __future__ import annotations

import sys

import libcst as cst
import pytest
from libcst.metadata import ExpressionContextProvider, MetadataWrapper, ScopeProvider

from memfix.contexts import LOAD, STORE, fits_this_libcst, name_contexts
from memfix.metadata import scope_contexts, scopes
from memfix.nodes import tree_maps
from tests.test_metadata import TEXTS

#: every rule and the fields it does not walk, in one file per Python version that parses it
EDGES = {
    "targets": (
        "a = b = c\nx.y, [z[i], *w] = v\nk: int = m\nn += o\ndel p, q.r, s[t]\n"
        "for (e, f.g) in h:\n    pass\nelse:\n    pass\n"
        "import j.k as l, mm\nfrom . import nn as oo, pp\n"
        "with qq() as (rr, ss.tt), uu as vv[ww]:\n    pass\n"
        "try:\n    pass\nexcept E as xx:\n    pass\n"
        "global gg\n"
    ),
    "definitions": (
        "@dec(arg)\nclass C(Base, metaclass=M, **kw):\n    attr: 'Fwd' = dflt\n"
        "    def method(self, a: A = d1, *args: B, kw=d2, **kws) -> R:\n"
        "        nonlocal_ = lambda lp, *la, lk=ld: lp + la\n"
        "        return [y for x in xs if x for y in x if (z := y)]\n"
        "async def g():\n    async for i in it:\n        await i\n    async with cm() as c:\n        pass\n"
        "f(kw=value, *star, **dstar)\nprint(f'{name!r:>{width}}')\n"
    ),
}
if sys.version_info >= (3, 10):
    EDGES["match"] = (
        "match point:\n    case Point(x=0, y=yy) as p:\n        pass\n"
        "    case [first, *rest]:\n        pass\n    case {'k': kv, **others}:\n        pass\n"
        "    case mod.CONST | other:\n        pass\n"
    )
if sys.version_info >= (3, 11):
    EDGES["except star"] = "try:\n    pass\nexcept* (A, B) as group:\n    pass\n"
if sys.version_info >= (3, 12):
    EDGES["type parameters"] = (
        "type Alias[T] = list[T]\nclass Box[U: int, *Ts, **P]:\n    pass\ndef first[V](x: V) -> V:\n    return x\n"
    )


def _samples():
    yield from TEXTS
    for name, text in EDGES.items():
        yield pytest.param(text, id=name)


def _libcst_name_contexts(module: cst.Module):
    contexts = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ExpressionContextProvider)
    return {node: context for node, context in contexts.items() if isinstance(node, cst.Name)}


def test_this_libcst_has_the_hooks_restated():
    assert fits_this_libcst()


@pytest.mark.parametrize("with_children", [False, True], ids=["fields", "children table"])
@pytest.mark.parametrize("text", list(_samples()))
def test_name_contexts_equal_libcst_provider(text, with_children):
    module = cst.parse_module(text)
    children = tree_maps(module)[1] if with_children else None
    assert name_contexts(module, children) == _libcst_name_contexts(module)


@pytest.mark.parametrize("text", [pytest.param(t, id=n) for n, t in EDGES.items()])
def test_scopes_from_name_contexts_equal_libcst_provider(text):
    module = cst.parse_module(text)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    children = tree_maps(module)[1]
    ours = scopes(module, scope_contexts(module, children, {}), children)
    names = [n for n in tree_maps(module)[0] if isinstance(n, cst.Name)]
    for node in names:
        theirs, mine = expected.get(node), ours.get(node)
        assert type(theirs) is type(mine)
        if theirs is not None:
            assert {(a.name, a.node) for a in theirs.assignments} == {(a.name, a.node) for a in mine.assignments}
            assert {a.node for a in theirs.accesses} == {a.node for a in mine.accesses}


def test_a_store_is_told_from_a_load_and_an_attribute_name_has_none():
    module = cst.parse_module("x.y = z\nw = 1\n")
    contexts = name_contexts(module)
    first, second = (line.body[0] for line in module.body)
    target = first.targets[0].target
    assert contexts[target.value] is LOAD and contexts[first.value] is LOAD
    assert target.attr not in contexts
    assert contexts[second.targets[0].target] is STORE
