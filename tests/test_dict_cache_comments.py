"""MF201's lru_cache rewrite removes statements (the dict, the lookup, the store): the comments on
them must survive, and lines outside the rewritten code must not move. Found by the leak-shape
fuzz test (tests/test_fuzz_leak_shapes.py) with a random seed."""

from __future__ import annotations

from memfix.api import fix_source
from memfix.config import Settings

SETTINGS = Settings(select=("MF201",), cache=False)
MEMO = "def square(n):\n    if n not in _cache:\n        _cache[n] = n * n\n    return _cache[n]\n"


def _fixed(code: str) -> str:
    result = fix_source(code, SETTINGS)
    assert "@lru_cache(maxsize=1000)" in result.text, result.text
    return result.text


def test_a_comment_after_the_removed_dict_survives():
    text = _fixed("_cache = {}  # squares seen so far\n\n\n" + MEMO)
    assert "# squares seen so far\n" in text
    compile(text, "case.py", "exec")


def test_a_comment_on_the_removed_lookup_survives_in_the_body():
    text = _fixed(MEMO.replace("    if n not in _cache:\n", "    if n not in _cache:  # miss\n").replace("def", "_cache = {}\n\n\ndef", 1))
    assert "\n    # miss\n    return n * n\n" in text


def test_a_comment_on_the_last_removed_statement_goes_to_the_block_footer():
    text = _fixed("_cache = {}\n\n\n" + MEMO.replace("    return _cache[n]\n", "    return _cache[n]  # hit\n"))
    assert text.endswith("    return n * n\n    # hit\n")


def test_the_blank_line_above_the_removed_dict_stays_when_a_comment_follows():
    before = "def other():\n    return 1\n\n_cache = {}\n# squares\n\n\n"
    text = _fixed(before + MEMO)
    assert "    return 1\n\n# squares\n" in text


def test_the_removed_dicts_own_leading_lines_stay_byte_for_byte():
    """A whitespace-only line above the removed dict lies outside the rewrite: it stays, and the
    gap above the function keeps its width (found by tests/test_fuzz_programs.py)."""
    text = _fixed("pass\n \n_cache = {}\n\n\n" + MEMO)
    assert "pass\n \n\n@lru_cache(maxsize=1000)\n" in text, text
