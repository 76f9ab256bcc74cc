"""Every rule's leak shapes inside random surroundings: the rewrite compiles, is stable, and touches
nothing but the rewritten statements (and imports).

The shapes are the ``Invalid`` examples of every fixer in ``FIXERS`` (new rules join
automatically). Hypothesis puts each one after a random header (docstring, ``__future__`` import,
shebang), between random unrelated snippets (decorators, nested classes, comprehensions, async
code, ``match``), optionally inside a wrapper (class, nested class, method, function, async
function, ``if``/``try``/``with``/``for``/``while`` blocks), with comments inserted at random line
starts and ends, random indentation units, LF/CRLF/mixed line endings and with or without a final
newline.

Bounded in CI (``MEMFIX_FUZZ_EXAMPLES``, default 40 per test, a few seconds); ``bench/fuzz_long.py``
runs the same tests with thousands of examples.
"""

from __future__ import annotations

import importlib.util
import io
import os
import sys
import tokenize
from pathlib import Path
from typing import List, NamedTuple, Set, Tuple

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from memfix.api import fix_source
from memfix.config import Settings
from memfix.fixer import Fixer, Invalid
from memfix.fixers import FIXERS

_spec = importlib.util.spec_from_file_location("memfix_regions", Path(__file__).resolve().parent / "corpus" / "regions.py")
regions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regions)

EXAMPLES_PER_TEST = int(os.environ.get("MEMFIX_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES_PER_TEST,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    print_blob=True,
)

INVALID: List[Tuple[Fixer, Invalid]] = [(fx, ex) for fx in FIXERS for ex in fx.examples if isinstance(ex, Invalid)]
RAW = Settings(unsafe_fixes=True, verify=False, cache=False)
FULL = Settings(unsafe_fixes=True, verify=True, cache=False)


class Wrapper(NamedTuple):
    name: str
    header: Tuple[str, ...]  # "{i}" = one indent unit
    footer: Tuple[str, ...]  # lines after the example, at the wrapper's depth
    depth: int


WRAPPERS = [
    Wrapper("module", (), (), 0),
    Wrapper("class", ("class _FzHolder:",), (), 1),
    Wrapper("nested-class", ("class _FzOuter:", "{i}class _FzInner:"), (), 2),
    Wrapper("method", ("class _FzService:", "{i}def run(self):"), (), 2),
    Wrapper("function", ("def _fz_outer():",), (), 1),
    Wrapper("decorated", ("@_fz_deco", "@_fz_deco2(1, key=[x for x in ()])", "def _fz_outer(*args, **kwargs):"), (), 1),
    Wrapper("async-function", ("async def _fz_outer():",), (), 1),
    Wrapper("async-with", ("async def _fz_outer():", "{i}async with _fz_lock:"), (), 2),
    Wrapper("if", ("if _fz_flag:",), ("else:", "{i}pass"), 1),
    Wrapper("try", ("try:",), ("except Exception:", "{i}pass", "finally:", "{i}_fz_done = True"), 1),
    Wrapper("with", ("with _fz_cm() as _fz_c:",), (), 1),
    Wrapper("for", ("for _fz_i in range(3):",), (), 1),
    Wrapper("while", ("while _fz_running:",), ("{i}break",), 1),
]

HEADERS = [
    (),
    ('"""Module docstring."""',),
    ("from __future__ import annotations",),
    ("#!/usr/bin/env python3", "# -*- coding: utf-8 -*-"),
    ('"""Doc."""', "from __future__ import annotations", "import os as _fz_os"),
]

SNIPPETS = [
    ("@_fz_deco", "def _fz_f(a, *b, **c):", "    return [x for x in a if x]  # comprehension"),
    ("class _FzA:", "    class _FzB:", "        y = {k: v for k, v in ()}", "", "    @property", "    def p(self):", "        return {x for x in ()} if False else 1"),
    ("async def _fz_g():", "    async for _fz_x in _fz_aiter():", "        await _fz_x", "    return [y async for y in _fz_aiter()]"),
    ("_fz_lam = lambda *a, **k: (a, k)",),
    ("if (_fz_n := 10) > 5:", "    _fz_s = f\"{_fz_n!r:>10} open(\"",),
    ("try:", "    pass", "except (OSError, ValueError) :", "    pass", "else:", "    pass"),
    ("_FZ_TABLE = {", "    'a': 1,  # trailing", "    # own line", "    'b': [1, 2,", "          3],", "}"),
    ("\x0c",),
    ("_FZ_LONG = '" + "x" * 2000 + "'",),
    ("def _fz_gen():", "    yield from (i for i in range(3))", "    x = yield", "    return x"),
    ("if __name__ == '__main__':", "    _fz_main()"),
    ("_FZ_SEP = 'a\u2028b\x85c\x0cd'  # separators \u2028 inside \x0c a line",),
    ("_FZ_S = '''open(p) inside", "a string'''",),
]
if sys.version_info >= (3, 10):
    SNIPPETS.append(("match _fz_cmd:", "    case [x, *rest] if x:", "        pass", "    case {'k': v}:", "        pass", "    case _:", "        pass"))

# form feed, vertical tab, NEL and LINE SEPARATOR: str.splitlines() breaks lines there, Python does not
COMMENT_TEXT = st.text(alphabet="abcxyz0123456789 éü☃_-\x0c\x0b\x85\u2028", max_size=12).map(
    lambda t: "# fz " + t.strip()
)


def _comment_slots(code_lines: List[str]) -> Tuple[Set[int], Set[int]]:
    """(lines before which an own-line comment fits, lines after which a trailing one fits), 0-based."""
    spanning: Set[int] = set()  # line indexes whose end lies inside a string token
    try:
        for tok in tokenize.generate_tokens(io.StringIO("\n".join(code_lines) + "\n").readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                spanning.update(range(tok.start[0] - 1, tok.end[0] - 1))
    except (tokenize.TokenError, SyntaxError):
        return set(), set()
    continued = {i for i, line in enumerate(code_lines) if line.rstrip().endswith("\\")}
    own = {i for i in range(len(code_lines) + 1) if (i - 1) not in spanning and (i - 1) not in continued}
    trailing = {i for i in range(len(code_lines)) if i not in spanning and i not in continued and code_lines[i].strip()}
    return own, trailing


class Program(NamedTuple):
    text: str
    region: range  # 0-based line indexes of the embedded example (comments included)
    fixer: Fixer
    example: Invalid
    wrapper: str


@st.composite
def programs(draw, examples=INVALID) -> Program:
    fixer, example = draw(st.sampled_from(examples))
    unit = draw(st.sampled_from(["    ", "  ", "\t"]))
    wrapper = draw(st.sampled_from(WRAPPERS))
    header = draw(st.sampled_from(HEADERS))
    before = draw(st.lists(st.sampled_from(SNIPPETS), max_size=3))
    after = draw(st.lists(st.sampled_from(SNIPPETS), max_size=3))

    code_lines = example.code.rstrip("\n").split("\n")
    own_slots, trailing_slots = _comment_slots(code_lines)
    own = draw(st.lists(st.tuples(st.sampled_from(sorted(own_slots)), COMMENT_TEXT), max_size=4)) if own_slots else []
    trail = (
        draw(st.lists(st.tuples(st.sampled_from(sorted(trailing_slots)), COMMENT_TEXT), max_size=4))
        if trailing_slots
        else []
    )
    trailing_at = dict(trail)
    own_at: dict = {}
    for slot, text in own:
        own_at.setdefault(slot, []).append(text)

    prefix = unit * wrapper.depth
    body: List[str] = []
    for i, line in enumerate(code_lines + [None]):  # type: ignore[list-item]
        nxt = code_lines[i] if i < len(code_lines) else ""
        indent = prefix + nxt[: len(nxt) - len(nxt.lstrip())]
        for text in own_at.get(i, []):
            body.append(indent + text)
        if line is None:
            break
        text_line = (prefix + line if line.strip() else line)
        if i in trailing_at:
            text_line += "  " + trailing_at[i]
        body.append(text_line)

    lines: List[str] = list(header)
    for snippet in before:
        lines.extend(snippet)
        lines.append("")
    lines.extend(h.replace("{i}", unit) if not h.startswith("{i}") else unit * (h.count("{i}")) + h.replace("{i}", "") for h in wrapper.header)
    start = len(lines)
    lines.extend(body)
    stop = len(lines)
    base = unit * (wrapper.depth - 1) if wrapper.depth else ""
    lines.extend(base + f.replace("{i}", unit) for f in wrapper.footer)
    for snippet in after:
        lines.append("")
        lines.extend(snippet)

    eol = draw(st.sampled_from(["\n", "\r\n", "mixed"]))
    if eol == "mixed":
        endings = draw(st.lists(st.sampled_from(["\n", "\r\n"]), min_size=len(lines), max_size=len(lines)))
    else:
        endings = [eol] * len(lines)
    final_newline = draw(st.booleans())
    text = "".join(line + ending for line, ending in zip(lines, endings))
    if not final_newline:
        text = text[: -len(endings[-1])]
    return Program(text, range(start, stop), fixer, example, wrapper.name)


def _describe(program: Program) -> None:
    note(f"rule {program.fixer.code}, wrapper {program.wrapper}, region lines {program.region.start + 1}-{program.region.stop}")
    note(program.text)


@FUZZ
@given(programs())
def test_raw_rewrite_compiles_is_stable_and_local(program):
    """verify off: what the transformers and the splice produce, unguarded."""
    assume(regions.compile_error(program.text) is None)
    _describe(program)
    result = fix_source(program.text, RAW)
    assert result.error is None or result.error.kind in ("parse", "roundtrip"), result.error
    if not result.changed:
        assert result.text == program.text
        return
    out = result.text
    note(out)
    assert regions.compile_error(out) is None
    assert regions.unexpected_changes(program.text, out, program.region) == []
    assert regions.lost_comments(program.text, out) == []
    again = fix_source(out, RAW)
    assert again.text == out, "applying twice differs from applying once"


@FUZZ
@given(programs())
def test_full_pipeline_never_errors_internally(program):
    """verify on, as users run it: a finding in any surroundings, never an internal error."""
    assume(regions.compile_error(program.text) is None)
    _describe(program)
    result = fix_source(program.text, FULL)
    assert result.error is None or result.error.kind in ("parse", "verify", "roundtrip"), result.error
    if program.wrapper == "module":
        # unrelated surroundings and comments do not hide the shape from its rule
        assert program.fixer.code in {f.code for f in result.findings}
    if result.changed:
        assert regions.compile_error(result.text) is None
        assert fix_source(result.text, FULL).text == result.text


@pytest.mark.parametrize("fixer,example", INVALID, ids=[f"{fx.code}-{i}" for i, (fx, _) in enumerate(INVALID)])
def test_every_shape_is_fuzzed(fixer, example):
    """Each rule's examples are in the pool the strategies draw from (and are reported bare)."""
    result = fix_source(example.code, Settings(unsafe_fixes=True, select=(fixer.code,), cache=False))
    assert fixer.code in {f.code for f in result.findings}
