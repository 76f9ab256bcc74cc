"""memfix.imports against libcst's AddImportsVisitor on generated module heads.

tests/test_imports.py pins the shapes known to matter; this draws heads from their parts
(docstrings, ``__strict__``, ``__future__`` and plain imports with aliases, stars, dotted and
relative modules, parentheses and comments, blank and comment lines, ``;``-joined imports) and
request sets, and requires the same module text, byte for byte.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import libcst as cst
from hypothesis import given, settings
from hypothesis import strategies as st
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from memfix.imports import ImportRequest, add_scheduled_imports

MODULES = ["collections", "functools", "os", "os.path", "contextlib", "threading"]
OBJECTS = ["deque", "OrderedDict", "lru_cache", "closing", "path", "Lock"]
ALIASES = [None, None, "dq", "OD", "ft"]

openers = st.sampled_from(["", '"""Doc."""\n', "'doc'\n", '"""Doc.""" "more"\n', "__strict__ = True\n", "# header\n\n", "x = 1\n"])
blank_or_comment = st.sampled_from(["", "\n", "# note\n", "\n# note\n"])


@st.composite
def import_line(draw: st.DrawFn) -> str:
    module = draw(st.sampled_from(MODULES))
    kind = draw(st.sampled_from(["import", "from", "from-paren", "star", "relative", "future", "joined"]))
    alias = draw(st.sampled_from(ALIASES))
    if kind == "import":
        return f"import {module}{f' as {alias}' if alias else ''}\n"
    if kind == "future":
        return "from __future__ import annotations\n"
    if kind == "star":
        return f"from {module} import *\n"
    if kind == "relative":
        return f"from .{module.split('.')[0]} import {draw(st.sampled_from(OBJECTS))}\n"
    if kind == "joined":
        return f"import {module}; import sys\n"
    names = draw(st.lists(st.tuples(st.sampled_from(OBJECTS), st.sampled_from(ALIASES)), min_size=1, max_size=3))
    spelled = [f"{obj}{f' as {a}' if a else ''}" for obj, a in names]
    if kind == "from-paren":
        inner = "".join(f"    {name},  # c\n" for name in spelled)
        return f"from {module} import (\n{inner})\n"
    return f"from {module} import {', '.join(spelled)}\n"


@st.composite
def module_text(draw: st.DrawFn) -> str:
    head = draw(openers)
    for line in draw(st.lists(import_line(), max_size=4)):
        head += draw(blank_or_comment) + line
    body = draw(st.sampled_from(["", "\n\nclass A:\n    pass\n", "# lead\ndef f():\n    import os\n", "y = [1]\nimport late\n"]))
    return head + body


requests = st.lists(
    st.tuples(
        st.sampled_from(MODULES + ["__future__"]),
        st.sampled_from([None, *OBJECTS]),
        st.sampled_from(ALIASES),
    ).filter(lambda r: r[0] != "__future__" or (r[1] is not None and r[2] is None)),
    min_size=1,
    max_size=3,
)


def _libcst(module: cst.Module, wanted: List[Tuple[str, Optional[str], Optional[str]]]) -> str:
    context = CodemodContext()
    for name, obj, alias in wanted:
        AddImportsVisitor.add_needed_import(context, name, obj, alias)
    return AddImportsVisitor(context).transform_module(module).code


@settings(max_examples=150, deadline=None)
@given(module_text(), requests)
def test_same_text_as_libcsts_visitor(text: str, wanted: List[Tuple[str, Optional[str], Optional[str]]]) -> None:
    module = cst.parse_module(text)
    try:
        expected = _libcst(module, wanted)
    except Exception as exc:  # noqa: BLE001 - libcst refuses some requests (an alias of a __future__ name)
        expected = f"refused: {type(exc).__name__}"
    try:
        actual = add_scheduled_imports(module, [ImportRequest(*r) for r in wanted]).code
    except Exception as exc:  # noqa: BLE001 - compared, not hidden
        actual = f"refused: {type(exc).__name__}"
    assert actual == expected
