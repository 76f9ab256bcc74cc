"""QA: `# memfix: ignore` must sit in a comment on the flagged line, counted as Python counts lines.

Found by black-box testing: suppressions were read with ``str.splitlines``, which also splits at
form feeds (page breaks, common in older code) and other separators that are not line ends in
Python, so every suppression after one moved to the wrong line: the suppressed finding was
reported, and ``--apply`` rewrote the line the user had asked memfix to leave alone. Text inside a
string literal also counted as a suppression.
"""

from __future__ import annotations

from memfix.api import fix_source, scan_source
from memfix.config import Settings
from memfix.suppress import find_suppressions

SETTINGS = Settings(select=("MF301",), cache=False)

PAGE_BREAK = (
    'x = "a\\x0cb"\n'
    "\x0c\n"  # a page break on its own line
    "\n"
    "def k(p):\n"
    "    return open(p).read()  # memfix: ignore\n"
    "\n"
    "\n"
    "def m(p):\n"
    "    return open(p).read()\n"
)


def test_page_break_does_not_move_suppressions():
    assert find_suppressions(PAGE_BREAK) == {5: None}
    assert [f.span.line for f in scan_source(PAGE_BREAK, SETTINGS)] == [9]


def test_apply_leaves_the_suppressed_line_alone_after_a_page_break():
    fixed = fix_source(PAGE_BREAK, SETTINGS).text
    assert "    return open(p).read()  # memfix: ignore\n" in fixed
    assert fixed.count("with open(p)") == 1


def test_text_in_a_string_is_not_a_suppression():
    code = 'def h(p):\n    return open(p, "r" if "# memfix: ignore" else "r").read()\n'
    assert find_suppressions(code) == {}
    assert [f.code for f in scan_source(code, SETTINGS)] == ["MF301"]


def test_comment_suppressions_still_work():
    code = (
        "def a(p):\n"
        "    return open(p).read()  # memfix: ignore[MF301]\n"
        "def b(p):\n"
        "    return open(p).read()  # MEMFIX: IGNORE[mf101]\n"
    )
    assert find_suppressions(code) == {2: frozenset({"MF301"}), 4: frozenset({"MF101"})}
    assert [f.span.line for f in scan_source(code, SETTINGS)] == [4]


def test_untokenizable_text_keeps_line_suppressions():
    code = 'x = (\n    1  # memfix: ignore\n'  # unclosed bracket: tokenize fails at the end
    assert find_suppressions(code) == {2: None}
