"""The pre-filter (needles, ast filters, regions, slicing) loses no finding.

Every fixture case and a named sample of the standard library are scanned twice: with the
pre-filter, as memfix runs, and without it (every selected rule on the whole file). The finding sets
must be equal, finding for finding, message and fix description included. Fixes must come out the same
too, since they are computed and spliced from the slice. The sample holds files the pre-filter
skips, files it slices and files with findings and fixes, and the test checks that each of
those paths was actually taken, so it cannot pass by never filtering.
"""

from __future__ import annotations

import ast
import gc
import sysconfig
from dataclasses import replace
from pathlib import Path
from typing import List, Tuple

import libcst as cst
import pytest

from memfix import engine
from memfix.config import Settings
from memfix.fixers import FIXERS
from memfix.model import FileError
from memfix.astindex import AstIndex
from memfix.prefilter import Regions, Slice, cut_slice, enclosing_functions, enclosing_top_level, slice_source, split_lines
from memfix.testing import case_settings, collect_cases

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = collect_cases(FIXTURES)
CODE_BY_DIR = {fx.rule.name.replace("-", "_"): fx.rule.code for fx in FIXERS}

#: stdlib modules present on 3.9-3.13, small enough to scan without the pre-filter in seconds:
#: files with findings inside functions (sliced), files with unmanaged open() and none, files
#: no rule can match
STDLIB_SAMPLE = (
    "quopri.py",
    "fileinput.py",
    "mimetypes.py",
    "gzip.py",
    "xml/dom/pulldom.py",
    "xml/sax/saxutils.py",
    "_osx_support.py",
    "queue.py",
    "json/encoder.py",
    "colorsys.py",
)


def _fixed(text: str, path: str, settings: Settings, prefilter: bool) -> str:
    """The text the enabled fixes produce (the input when none applies)."""
    detection = engine.detect(text, path, settings, FIXERS, prefilter=prefilter)
    if isinstance(detection, FileError) or not any(
        engine.fix_enabled(r.plan, code, settings) for code, rs in detection.reports.items() for r in rs
    ):
        return text
    outcome = engine.apply_fixes(text, path, settings, detection)
    assert outcome.error is None, outcome.error
    return outcome.new_text if outcome.new_text is not None else text


def _findings(text: str, path: str, settings: Settings, prefilter: bool):
    result = engine.detect(text, path, settings, FIXERS, prefilter=prefilter)
    if isinstance(result, FileError):
        return ("error", result.kind, result.message)
    return sorted(result.findings, key=lambda f: (f.span.line, f.span.column, f.code, f.symbol))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture_findings_same_with_and_without_prefilter(case):
    # the case's flags, but every rule: a rule must not lose findings on another rule's fixture
    settings = replace(case_settings(case, CODE_BY_DIR.get(case.rule_dir, "MF")), select=())
    text = case.read_source()
    assert _findings(text, case.id, settings, True) == _findings(text, case.id, settings, False)
    assert _fixed(text, case.id, settings, True) == _fixed(text, case.id, settings, False)


def _stdlib_sample() -> List[Tuple[str, str]]:
    root = Path(sysconfig.get_paths()["stdlib"])
    found = []
    for name in STDLIB_SAMPLE:
        path = root / name
        if path.is_file():
            found.append((name, path.read_text(encoding="utf-8")))
    return found


def test_stdlib_sample_findings_same_with_and_without_prefilter():
    sample = _stdlib_sample()
    if len(sample) < len(STDLIB_SAMPLE) - 2:
        pytest.skip("this interpreter's standard library sources are not installed")
    settings = Settings(cache=False)
    skipped = sliced = with_findings = fixed = 0
    for name, text in sample:
        candidates, cut = engine._prefilter(text, engine._ast_parse(text)[0], FIXERS)
        skipped += not candidates
        sliced += cut is not None
        fast = _findings(text, name, settings, True)
        slow = _findings(text, name, settings, False)
        assert fast == slow, name
        with_findings += bool(slow) and not isinstance(slow, tuple)
        unsafe = replace(settings, unsafe_fixes=True)
        if not isinstance(slow, tuple) and any(f.fix is not None for f in slow):
            fixed += 1
            assert _fixed(text, name, unsafe, True) == _fixed(text, name, unsafe, False), name
    # the comparison means something only if each path of the pre-filter was taken
    assert skipped >= 1 and sliced >= 1 and with_findings >= 3, (skipped, sliced, with_findings, fixed)


# -- the slice itself --------------------------------------------------------------------------

SOURCE = '''\
import os
from json import load as _load

LIMIT = 3


@decorator(
    1,
)
def helper(path, *, mode="r"):
    data = os.path.join(path, mode)
    return data


class Store(Base, metaclass=Meta):
    kind = "x"

    def keep_me(self, path):
        f = open(path)
        return f.read()

    async def other(self):
        await thing(self.attr_name)

    def one(self): return 1


if __name__ == "__main__":
    def inner_main():
        print("hi")
'''


def _kept(tree: ast.Module) -> List[ast.stmt]:
    store = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    return [next(n for n in store.body if isinstance(n, ast.FunctionDef) and n.name == "keep_me")]


def test_slice_keeps_lines_columns_and_the_kept_code_verbatim():
    tree = ast.parse(SOURCE)
    out = slice_source(SOURCE, tree, _kept(tree))
    assert out is not None
    original, sliced = split_lines(SOURCE), split_lines(out)
    assert len(original) == len(sliced)
    for number in range(18, 21):  # keep_me, lines 18-20 (0-based 17-19)
        assert sliced[number - 1] == original[number - 1]
    # module-level simple statements and class-level assignments stay
    assert sliced[0] == "import os\n" and sliced[3] == "LIMIT = 3\n" and sliced[15] == '    kind = "x"\n'
    # stubs bind the same names at the same place, with a body of no scope effect: one string
    # token down to the last line
    assert sliced[6] == 'def helper(): """\n'
    assert sliced[7:11] == ["8\n", "9\n", "10\n", "11\n"] and sliced[11] == '"""\n'
    assert sliced[21] == '    async def other(): """\n'
    assert sliced[24] == "    def one(): pass\n"
    assert sliced[28] == '    def inner_main(): """\n'
    compile(out, "<slice>", "exec")


def test_slice_positions_of_kept_nodes_equal_the_original():
    tree = ast.parse(SOURCE)
    out = slice_source(SOURCE, tree, _kept(tree))
    full = ast.parse(SOURCE)
    cut = ast.parse(out)

    def calls(t):
        return sorted((n.lineno, n.col_offset, n.end_lineno, n.end_col_offset) for n in ast.walk(t) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "open")

    assert calls(full) == calls(cut) != []


def test_slice_knows_every_identifier_of_the_module():
    # rules pick fresh names "used nowhere in the module": the slice's tree and the names of the
    # code its stubs replaced must be the file's names
    tree = ast.parse(SOURCE)
    cut = cut_slice(SOURCE, tree, _kept(tree))
    assert cut is not None

    def names(text):
        found = set()

        class V(cst.CSTVisitor):
            def visit_Name(self, node):
                found.add(node.value)

        cst.parse_module(text).visit(V())
        return found

    assert names(cut.text) | cut.elsewhere == names(SOURCE)
    assert "inner_main" in names(cut.text) and "print" not in names(cut.text) and "print" in cut.elsewhere
    assert {"attr_name", "metaclass", "mode", "inner_main", "_load"} <= AstIndex(tree).spelled(tree)


def test_slice_adds_no_scope_access_or_assignment():
    tree = ast.parse(SOURCE)
    out = slice_source(SOURCE, tree, _kept(tree))
    sliced = ast.parse(out)
    stub = next(n for n in sliced.body if isinstance(n, ast.FunctionDef) and n.name == "helper")
    assert not [n for n in ast.walk(stub) if isinstance(n, ast.Name)]
    assert stub.decorator_list == [] and stub.args.args == []


def test_slice_handles_crlf_and_form_feed():
    text = "import os\r\n\x0c\r\ndef a(x):\r\n    return x\r\n\r\ndef b():\r\n    f = open('p')\r\n    return f\r\n"
    tree = ast.parse(text)
    keep = [tree.body[2]]
    out = slice_source(text, tree, keep)
    assert out is not None
    assert len(split_lines(out)) == len(split_lines(text))
    assert out.endswith("def b():\r\n    f = open('p')\r\n    return f\r\n")
    assert 'def a(): """\r\n"""\r\n' in out
    compile(out, "<slice>", "exec")


def test_enclosing_functions_falls_back_to_the_whole_file():
    tree = ast.parse("f = open('x')\n")
    assert enclosing_functions(tree, [tree.body[0].value]) is True
    tree = ast.parse("def g():\n    global h\n    h = open('x')\n")
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    assert enclosing_functions(tree, [call]) is True
    tree = ast.parse("class A:\n    h = open('x')\n")
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    assert enclosing_functions(tree, [call]) is True
    assert enclosing_functions(tree, []) is False


def test_enclosing_functions_names_the_outermost_function():
    tree = ast.parse("class A:\n    def m(self):\n        def inner():\n            return open('x')\n        return inner\n")
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    regions = enclosing_functions(tree, [call])
    assert isinstance(regions, Regions)
    assert [n.name for n in regions.nodes] == ["m"]
    top = enclosing_top_level(tree, [call])
    assert isinstance(top, Regions) and [n.name for n in top.nodes] == ["A"]


def test_engine_falls_back_to_the_whole_file_when_the_slice_does_not_parse(monkeypatch):
    text = "def a():\n    return 1\n\ndef b(p):\n    f = open(p)\n    data = f.read()\n    f.close()\n    return data\n"
    monkeypatch.setattr(engine, "cut_slice", lambda *args: Slice("def (:\n", frozenset()))
    result = engine.detect(text, "x.py", Settings(cache=False), FIXERS)
    assert not isinstance(result, FileError)
    assert not result.sliced and [f.code for f in result.findings] == ["MF301"]


def test_a_name_spelled_only_in_stubbed_code_is_still_taken():
    # the memo's fix may not import `lru_cache` under its own name: `unrelated` spells it, and the
    # slice stubs `unrelated` out (its names reach the rules as the slice's `elsewhere`)
    text = (
        "_cache = {}\n\n\ndef compute(k):\n    return k * 2\n\n\n"
        "def get(k):\n    if k not in _cache:\n        _cache[k] = str(compute(k))\n    return _cache[k]\n\n\n"
        "def unrelated(items):\n    lru_cache = len(items)\n    return lru_cache\n"
    )
    settings = Settings(cache=False, unsafe_fixes=True)
    result = engine.detect(text, "x.py", settings, FIXERS)
    assert not isinstance(result, FileError) and result.sliced and "lru_cache" in result.elsewhere
    assert "lru_cache" not in result.module.code
    fixed = _fixed(text, "x.py", settings, True)
    assert fixed == _fixed(text, "x.py", settings, False)
    assert "@functools.lru_cache(maxsize=" in fixed and "from functools import" not in fixed


def test_fixes_are_spliced_from_the_slice():
    text = "def a():\n    return 1\n\ndef b(p):\n    f = open(p)\n    data = f.read()\n    f.close()\n    return data\n"
    settings = Settings(cache=False)
    result = engine.detect(text, "x.py", settings, FIXERS)
    assert not isinstance(result, FileError) and result.sliced
    assert _fixed(text, "x.py", settings, True) == _fixed(text, "x.py", settings, False)
    assert "with open(p) as f:" in _fixed(text, "x.py", settings, True)


def test_a_rewrite_beyond_the_slice_is_planned_again_on_the_whole_text(monkeypatch):
    text = "import os\r\n\r\ndef a():\r\n    return 1\r\n\r\ndef b(p):\r\n    f = open(p)\r\n    data = f.read()\r\n    f.close()\r\n    return data\r\n"
    settings = Settings(cache=False)
    expected = _fixed(text, "x.py", settings, False)
    monkeypatch.setattr(engine, "splice_slice", lambda *args: engine.SpliceError("outside"))
    assert _fixed(text, "x.py", settings, True) == expected


def test_splice_slice_refuses_edits_of_stubbed_lines():
    from memfix.prefilter import splice_slice

    original = "def a():\n    x = 1\n    return x\n\ndef b():\n    pass\n"
    sliced = 'def a(): 0 .x, """\n2\n"""\n\ndef b():\n    pass\n'
    assert splice_slice(original, sliced, sliced.replace("    pass", "    return 2")) == original.replace("    pass", "    return 2")
    assert isinstance(splice_slice(original, sliced, sliced.replace("2\n", "3\n")), engine.SpliceError)
    assert isinstance(splice_slice(original, sliced + "\n", sliced), engine.SpliceError)

ALIASES = {
    "builtins_attribute": "import builtins\n\ndef a(p):\n    return builtins.open(p).read()\n\ndef b():\n    return 1\n",
    "builtins_as": "import builtins as b\n\ndef a(p):\n    h = b.open(p)\n    return h.read()\n",
    "from_builtins_as": "from builtins import open as bopen\n\ndef a(p):\n    h = bopen(p)\n    data = h.read()\n    h.close()\n    return data\n",
    "shadowed_at_module_level": "def open(p):\n    return p\n\ndef a(p):\n    return open(p).read()\n",
    "global_handle": "h = None\n\ndef a(p):\n    global h\n    h = open(p)\n\ndef b():\n    return h.read()\n",
    "module_level": "h = open('x')\n\ndef b():\n    return h.read()\n",
}


def test_spellings_of_open_lose_nothing():
    settings = Settings(cache=False)
    for name, text in ALIASES.items():
        assert _findings(text, name, settings, True) == _findings(text, name, settings, False), name
        assert _fixed(text, name, settings, True) == _fixed(text, name, settings, False), name


def test_a_stub_with_many_names_stays_shallow():
    body = "    x = (" + ", ".join(f"v{i}" for i in range(400)) + ")\n"
    text = f"def big():\n{body}\n\ndef b(p):\n    f = open(p)\n    data = f.read()\n    f.close()\n    return data\n"
    settings = Settings(cache=False)
    result = engine.detect(text, "x.py", settings, FIXERS)
    assert not isinstance(result, FileError) and result.sliced  # no RecursionError, no fallback
    assert _findings(text, "x.py", settings, True) == _findings(text, "x.py", settings, False)
    assert _fixed(text, "x.py", settings, True) == _fixed(text, "x.py", settings, False)


_COMPUTE = "def compute(k):\n    return k\n"
_MEMO_GET = "def get(k):\n    if k not in _cache:\n        _cache[k] = str(compute(k))\n    return _cache[k]\n"
_OWNER = "class A:\n    def __init__(self):\n        self.items = []\n\n    def add(self, v):\n"

#: spellings a byte search for the usual forms would miss: each has a finding without the pre-filter
SPELLINGS = {
    "empty dict with a space": "_cache = { }\n" + _COMPUTE + _MEMO_GET,
    "empty dict over two lines": "_cache = {\n}\n" + _COMPUTE + _MEMO_GET,
    "dict() with a space": "_cache = dict( )\n" + _COMPUTE + _MEMO_GET,
    "builtins.dict()": "import builtins\n_cache = builtins.dict()\n" + _COMPUTE + _MEMO_GET,
    "dict imported from builtins under another name": "from builtins import dict as D\n_cache = D()\n" + _COMPUTE + _MEMO_GET,
    "tail trim with spaces": _OWNER + "        self.items.append(v)\n        self.items = self.items[-10:  ]\n",
    "tail trim over two lines": _OWNER + "        self.items.append(v)\n        self.items = self.items[-10:\n        ]\n",
    "growth by a starred copy": _OWNER + "        self.items = [*self.items, v]\n",
    "growth by a copy, prepended": _OWNER + "        self.items = [v] + self.items\n",
    "growth by a copy of a name": _OWNER + "        self.items = self.items + v\n",
    "global grown by a starred copy": "items = []\n\ndef add(v):\n    global items\n    items = [*items, v]\n",
}


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_unusual_spellings_lose_nothing(name):
    text = SPELLINGS[name]
    settings = Settings(cache=False, unsafe_fixes=True)
    whole = _findings(text, "case.py", settings, False)
    assert whole and not isinstance(whole, tuple), "the case must have a finding without the pre-filter"
    assert _findings(text, "case.py", settings, True) == whole
    assert _fixed(text, "case.py", settings, True) == _fixed(text, "case.py", settings, False)


CLOSURE_MEMO = '''
def outer(items):
    seen = {}
    def find(key):
        if key not in seen:
            seen[key] = len(key)
        return seen[key]
    return [find(i) for i in items]


def other(x):
    return x.find("a")
'''


def test_a_closure_memo_escapes_by_the_reads_of_its_function_not_by_spelling():
    """``x.find`` in another function is an attribute, not a read of the nested ``find``: the
    whole-file analysis used to count it (an escape, so a finding) while the slice, which stubs
    ``other``, did not (found on setuptools/package_index.py)."""
    settings = Settings(cache=False)
    for code, reported in ((CLOSURE_MEMO, False), (CLOSURE_MEMO.replace("return [find(i) for i in items]", "return find"), True)):
        sliced = _findings(code, "m.py", settings, prefilter=True)
        whole = _findings(code, "m.py", settings, prefilter=False)
        assert sliced == whole
        assert any(f.code == "MF201" for f in whole) is reported


UNION_OF_REGIONS = '''
_memo = {}


def lookup(key):
    if key not in _memo:
        _memo[key] = key * 2
    return _memo[key]


class Builder:
    """Long-lived builder service."""

    def __init__(self):
        self._names = []
        self._defs = {}

    def add(self, name):
        self._names.append(name)
        if name not in self._defs:
            self._defs[name] = len(self._names)
        return self._defs[name]

    def prune(self, used):
        self._defs = {k: v for k, v in self._defs.items() if k in used}
'''


def test_a_rule_meets_no_half_seen_candidate_in_a_slice_other_rules_widened():
    """MF201's filter drops ``Builder._defs`` (re-bound in ``prune``) and names only ``lookup``;
    the growth rules keep ``__init__`` and ``add`` for ``_names``. On that union slice MF201 saw
    ``_defs`` defined and stored but not re-bound, and reported it; the whole file does not (found
    on lark/load_grammar.py)."""
    settings = Settings(cache=False)
    sliced = _findings(UNION_OF_REGIONS, "m.py", settings, prefilter=True)
    whole = _findings(UNION_OF_REGIONS, "m.py", settings, prefilter=False)
    assert sliced == whole
    assert {(f.code, f.symbol) for f in whole} == {("MF101", "Builder._names"), ("MF201", "_memo")}
    assert _fixed(UNION_OF_REGIONS, "m.py", settings, True) == _fixed(UNION_OF_REGIONS, "m.py", settings, False)


def test_the_prefilter_leaves_no_reference_cycle():
    # a cycle (a recursive closure) keeps the file's whole ast alive until the collector runs,
    # and a pool worker then pays for walking it: refcounting alone must free everything
    text = (
        "class Store:\n    def __init__(self):\n        self.items = []\n        if True:\n            self.x = 1\n\n"
        "    def add(self, v):\n        self.items.append(v)\n\n    def other(self):\n        return 1\n\n\n"
        "def helper():\n    if True:\n        def inner():\n            return 2\n    return 3\n"
    )
    gc.collect()
    gc.disable()
    try:
        tree = ast.parse(text)
        candidates, sliced, regions = engine._prefilter_regions(text, tree, FIXERS)
        assert sliced is not None and candidates
        del tree, candidates, sliced, regions
        found = gc.collect()
    finally:
        gc.enable()
    assert found == 0
