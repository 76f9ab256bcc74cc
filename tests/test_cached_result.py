"""MF202's fix is safe only when what the cached function returns is a value (immutable, or an
object it does not create): memfix.fixers._cached_result. Each unsafe case runs, to show the
bounded cache behaving differently; each safe case runs, to show it does not."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from memfix import engine
from memfix.api import fix_source
from memfix.config import Settings
from memfix.fixers import FIXERS
from memfix.model import Safety
from memfix.testing import assert_same_behaviour, run_program


def _settings(unsafe: bool = False) -> Settings:
    return Settings(select=("MF202",), cache=False, max_len=2, unsafe_fixes=unsafe)


def _finding(code: str):
    result = fix_source(code, _settings())
    [finding] = result.findings
    assert finding.fix is not None
    return result, finding


#: (program, what the reason says): programs whose callers see a difference once an entry is evicted
UNSAFE = {
    "warn once": (
        """
        import functools
        import warnings

        warnings.simplefilter("always")


        @functools.lru_cache(maxsize=None)
        def warn_once(name):
            warnings.warn(f"{name} is deprecated")


        for name in ["a", "b", "c", "a"]:
            warn_once(name)
        """,
        "`warn_once` calls `warnings.warn()` at line",
    ),
    "a warning besides a value": (
        """
        import functools
        import warnings

        warnings.simplefilter("always")


        @functools.lru_cache(maxsize=None)
        def parse(text):
            warnings.warn("parse is deprecated")
            return text.strip()


        for text in ["a", "b", "c", "a"]:
            parse(text)
        """,
        "`parse` calls `warnings.warn()` at line",
    ),
    "a shared new list": (
        """
        import functools


        @functools.lru_cache(maxsize=None)
        def words(text):
            return text.split()


        words("a b").append("c")
        words("d e")
        words("f g")
        print(words("a b"))
        """,
        "`words` returns a new `text.split()`",
    ),
    "a new list through a helper": (
        """
        import functools


        def _tokens(text):
            return text.split()


        @functools.lru_cache(maxsize=None)
        def words(text):
            return _tokens(text)


        words("a b").append("c")
        words("d e")
        words("f g")
        print(words("a b"))
        """,
        "`words` returns a new `_tokens(text)`",
    ),
    "an object of an imported class": (
        """
        import functools
        from types import SimpleNamespace


        @functools.lru_cache(maxsize=None)
        def config(name):
            return SimpleNamespace(name=name)


        first = config("a")
        config("b")
        config("c")
        print(config("a") is first)
        """,
        "which memfix cannot tell is an immutable value",
    ),
}

#: negative cases: results that are values, so a recomputed entry is indistinguishable
SAFE = {
    "str methods": "return text.strip().lower().replace(' ', '-')",
    "a comparison of helper results": "return _clean(text) == _clean(text.upper())",
    "a tuple of split strings": "return tuple(text.split())",
    "recursion": "return len(text) if len(text) < 2 else length(text[1:]) + 1",
    "a module-level name": "return PREFIX if text else text",
    "a local list built and joined": "parts = []\n    for w in text.split():\n        parts.append(w.upper())\n    return ' '.join(parts)",
}

SAFE_PROGRAM = """
import functools

PREFIX = "p"


def _clean(s):
    return s.strip().lower()


@functools.lru_cache(maxsize=None)
def length(text):
    BODY


for text in ["a b", "C d", " e ", "a b", "C d", "xyz"]:
    print(repr(length(text)))
"""


@pytest.mark.parametrize("name", sorted(UNSAFE))
def test_a_result_that_is_not_a_value_makes_the_fix_unsafe(tmp_path: Path, name: str) -> None:
    program, why = UNSAFE[name]
    code = dedent(program)
    result, finding = _finding(code)
    assert finding.fix.safety is Safety.UNSAFE and why in finding.message, finding.message
    assert result.text == code  # not applied by default
    # the hazard is real: with the bound applied (N = 2), the program behaves differently
    applied = fix_source(code, _settings(unsafe=True)).text
    assert "lru_cache(maxsize=2)" in applied
    before, after = run_program(tmp_path, code), run_program(tmp_path, applied)
    assert before.returncode == 0 and after.returncode == 0, before.stderr + after.stderr
    assert (before.stdout, before.stderr.count("deprecated")) != (after.stdout, after.stderr.count("deprecated"))


@pytest.mark.parametrize("name", sorted(SAFE))
def test_a_value_result_keeps_the_safe_fix_and_the_behaviour(tmp_path: Path, name: str) -> None:
    code = SAFE_PROGRAM.replace("BODY", SAFE[name])
    result, finding = _finding(code)
    assert finding.fix.safety is Safety.SAFE, finding.message
    assert "lru_cache(maxsize=2)" in result.text
    assert_same_behaviour(tmp_path, code, result.text)
    assert fix_source(result.text, _settings()).text == result.text  # idempotent


@pytest.mark.parametrize("name", ["a new list through a helper", "a comparison of helper results"])
def test_the_pre_filter_keeps_the_helpers_the_check_reads(name: str) -> None:
    code = dedent(UNSAFE[name][0]) if name in UNSAFE else SAFE_PROGRAM.replace("BODY", SAFE[name])
    settings = _settings()
    sliced = engine.detect(code, "m.py", settings, FIXERS)
    whole = engine.detect(code, "m.py", settings, FIXERS, prefilter=False)
    assert [f.message for f in sliced.findings] == [f.message for f in whole.findings]


# -- MF201: a dict memo hands its stored objects back the same way -----------------------------

DICT_MEMO = """
_cache = {}


def words(text):
    if text not in _cache:
        _cache[text] = STORED
    return _cache[text]


def main():
    words("a b").append("c") if isinstance(words("a b"), list) else None
    words("d e")
    words("f g")
    print(words("a b"))


main()
"""

#: a memo that keeps its stored list to itself (base64's _b32tab2): no caller sees the object
KEPT_INSIDE = """
_tables = {}


def encode(alphabet, i):
    if alphabet not in _tables:
        _tables[alphabet] = [a + b for a in alphabet for b in alphabet]
    return _tables[alphabet][i]


def main():
    print([encode("ab", 1), encode("cd", 2), encode("ef", 0), encode("ab", 3)])


main()
"""


def _mf201(unsafe: bool = False) -> Settings:
    return Settings(select=("MF201",), cache=False, max_len=2, unsafe_fixes=unsafe)


@pytest.mark.parametrize("stored, why", [("text.split()", "a new object"), ("make(text=text)", "cannot tell is an immutable value")])
def test_a_dict_memo_handing_back_a_stored_object_is_unsafe(tmp_path: Path, stored: str, why: str) -> None:
    code = DICT_MEMO.replace("STORED", stored)
    if stored.startswith("make"):
        code = "from types import SimpleNamespace as make\n" + code.replace('.append("c") if isinstance(words("a b"), list) else None', '.extra = 1').replace('print(words("a b"))', 'print(vars(words("a b")))')
    result = fix_source(code, _mf201())
    [finding] = result.findings
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE and why in finding.message, finding.message
    assert "`words` returns the stored" in finding.message
    applied = fix_source(code, _mf201(unsafe=True)).text
    before, after = run_program(tmp_path, code), run_program(tmp_path, applied)
    assert before.returncode == 0 and after.returncode == 0, before.stderr + after.stderr
    assert before.stdout != after.stdout  # the hazard is real


@pytest.mark.parametrize("code", [DICT_MEMO.replace("STORED", "text.upper()"), KEPT_INSIDE], ids=["a str", "kept inside"])
def test_a_dict_memo_of_values_or_of_objects_kept_inside_stays_safe(tmp_path: Path, code: str) -> None:
    """negative cases: the stored object is a value, or no caller ever gets it."""
    result = fix_source(code, _mf201())
    [finding] = result.findings
    assert finding.fix is not None and finding.fix.safety is Safety.SAFE, finding.message
    assert result.changed
    assert_same_behaviour(tmp_path, code, result.text)
    assert fix_source(result.text, _mf201()).text == result.text


@pytest.mark.parametrize("header, body", [("async def", "return url.upper()"), ("def", "yield url.upper()")])
def test_a_cached_coroutine_or_generator_gets_an_unsafe_fix(header: str, body: str) -> None:
    """Each call makes a new single-use object, which the cache hands to every later caller."""
    code = f"import functools\n\n\n@functools.lru_cache(maxsize=None)\n{header} fetch(url):\n    {body}\n"
    result, finding = _finding(code)
    assert finding.fix.safety is Safety.UNSAFE and "single-use" in finding.message, finding.message
    assert result.text == code


def test_a_cached_function_that_returns_nothing_gets_an_unsafe_fix() -> None:
    """Such a cache only makes its body run once per argument; whatever the body does, a bounded
    cache does it again for an evicted argument."""
    code = "import functools\n\n\n@functools.lru_cache(maxsize=None)\ndef check(name):\n    if not name.isidentifier():\n        raise ValueError(name)\n"
    result, finding = _finding(code)
    assert finding.fix.safety is Safety.UNSAFE and "`check` returns nothing" in finding.message, finding.message
    assert result.text == code


HELPERS = """
_cache = {}


def _normal(k):
    return k.strip().lower()


def get(k):
    if k not in _cache:
        _cache[k] = _normal(k)
    return _cache[k]


class Resolver:
    \"\"\"A long-running resolver service.\"\"\"

    def __init__(self):
        self._seen = {}

    def __canon(self, host):
        return host.lower()

    def resolve(self, host):
        if host not in self._seen:
            self._seen[host] = self.__canon(host)
        return self._seen[host]
"""


def test_helpers_whose_results_are_values_keep_the_memo_safe() -> None:
    """A module function, and a name-mangled method (no subclass can override it), are read;
    the pre-filter keeps them, so the slice and the whole file agree."""
    settings = _mf201()
    sliced = engine.detect(HELPERS, "m.py", settings, FIXERS)
    whole = engine.detect(HELPERS, "m.py", settings, FIXERS, prefilter=False)
    assert [f.message for f in sliced.findings] == [f.message for f in whole.findings]
    assert [(f.symbol, f.fix.safety if f.fix else None) for f in sliced.findings] == [
        ("_cache", Safety.SAFE),
        ("Resolver._seen", Safety.SAFE),
    ]


@pytest.mark.parametrize("change", [("return k.strip().lower()", "return k.split()"), ("self.__canon(host)", "self._canon(host)")])
def test_a_helper_returning_a_new_object_or_one_a_subclass_may_override_is_unsafe(change) -> None:
    old, new = change
    code = HELPERS.replace(old, new).replace("def __canon", "def _canon" if new.startswith("self._canon") else "def __canon")
    findings = {f.symbol: f for f in fix_source(code, _mf201()).findings}
    symbol = "_cache" if "split" in new else "Resolver._seen"
    assert findings[symbol].fix.safety is Safety.UNSAFE, findings[symbol].message
    assert "returns the stored" in findings[symbol].message
