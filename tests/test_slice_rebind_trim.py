"""MF105 removes the ``if len(x) > K: x = x[-K:]`` guard that ``deque(maxlen=K)`` makes redundant.
The lines libcst files under the guard's block as its footer (blank or whitespace-only lines, and
comments indented at the guard's body, after its last statement) are not the guard's code: they
must survive the removal byte for byte, like every line outside the statements a rewrite touches
(tests/corpus/regions.py). Found by tests/test_fuzz_programs.py with random seed 3: a blank and a
whitespace-only line at the guard's indentation, then a comment there, at the end of the file."""

from __future__ import annotations

from typing import Tuple

import pytest

from memfix.api import fix_source
from memfix.config import Settings
from memfix.model import Safety
from memfix.testing import assert_same_for_a_reader_elsewhere

SETTINGS = Settings(select=("MF105",), unsafe_fixes=True, cache=False)  # the lone-guard case is unsafe

HEAD = (
    "class Monitor:\n"
    "    MAX = 10\n"
    "\n"
    "    def __init__(self):\n"
    "        self.history = []\n"
    "\n"
    "    def latest(self):\n"
    "        return self.history[-1]\n"
    "\n"
)
FIXED_HEAD = (
    "from collections import deque\n"
    "\n"
    "class Monitor:\n"
    "    MAX = 10\n"
    "\n"
    "    def __init__(self):\n"
    "        self.history = deque(maxlen=self.MAX)\n"
    "\n"
    "    def latest(self):\n"
    "        return self.history[-1]\n"
    "\n"
)
COLLECT = "    def collect(self, m):\n        self.history.append(m)\n"
GUARD = "        if len(self.history) > self.MAX:\n            self.history = self.history[-self.MAX:]\n"
OTHER = "    def count(self):\n        return len(self.history)\n"


def _fixed(source: str) -> str:
    result = fix_source(source, SETTINGS)
    assert result.error is None, result.error
    assert [f.code for f in result.findings if f.fix is not None] == ["MF105"], result.findings
    assert result.changed, source
    again = fix_source(result.text, SETTINGS)
    assert again.text == result.text, "a second pass changed the output"
    compile(result.text, "case.py", "exec")
    return result.text


def _after_guard(tail: str) -> Tuple[str, str]:
    """The case of lines ``tail`` after a guard that ends ``collect``: they stay as written."""
    return HEAD + COLLECT + GUARD + tail, FIXED_HEAD + COLLECT + tail


CASES = {
    # the fuzz finding: a blank and a whitespace-only line at the guard's body indentation, at EOF
    "blank_lines_at_end_of_file": _after_guard("\n            \n"),
    "whitespace_lines_of_every_width_at_end_of_file": _after_guard("  \n            \n                \n\n"),
    "blank_line_and_comment_before_the_next_method": _after_guard("\n            # trimmed above\n\n" + OTHER),
    "deeper_comment": _after_guard("            \n              # deeper\n" + OTHER),
    "comment_line_at_end_of_file": _after_guard("\n            # the end\n"),
    # a comment left of the guard's body indentation, between lines indented with it
    "shallow_comment_between_indented_lines": _after_guard("# column zero\n            # inner\n" + OTHER),
    # the guard last in a nested block: its footer stays between the block and what follows
    "guard_inside_a_nested_block": (
        HEAD
        + "    def collect(self, batch):\n"
        + "        for m in batch:\n"
        + "            self.history.append(m)\n"
        + "            if len(self.history) > self.MAX:\n"
        + "                self.history = self.history[-self.MAX:]\n"
        + "\n"
        + "                # per item\n"
        + "                \n"
        + "        return batch\n",
        FIXED_HEAD
        + "    def collect(self, batch):\n"
        + "        for m in batch:\n"
        + "            self.history.append(m)\n"
        + "\n"
        + "                # per item\n"
        + "                \n"
        + "        return batch\n",
    ),
    # the guard not last: the footer goes above the next statement, as it was
    "guard_followed_by_a_statement": _after_guard("\n            # then\n        return m\n"),
    # the guard alone in its method: `pass` takes its place, the footer comes after it
    "guard_alone_in_its_method": (
        HEAD
        + COLLECT
        + "\n"
        + "    def trim(self):\n"
        + "        # keep the tail\n"
        + GUARD
        + "\n"
        + "            # trimmed\n"
        + "\n"
        + OTHER,
        FIXED_HEAD
        + COLLECT
        + "\n"
        + "    def trim(self):\n"
        + "        # keep the tail\n"
        + "        pass\n"
        + "\n"
        + "            # trimmed\n"
        + "\n"
        + OTHER,
    ),
    # tabs: a whitespace-only line keeps the tabs it had
    "tab_indented_file": (
        "class Monitor:\n\tMAX = 10\n\n\tdef __init__(self):\n\t\tself.history = []\n\n"
        "\tdef latest(self):\n\t\treturn self.history[-1]\n\n"
        "\tdef collect(self, m):\n\t\tself.history.append(m)\n"
        "\t\tif len(self.history) > self.MAX:\n\t\t\tself.history = self.history[-self.MAX:]\n"
        "\t\t\t\n\t\t\t# tabbed\n",
        "from collections import deque\n\n"
        "class Monitor:\n\tMAX = 10\n\n\tdef __init__(self):\n\t\tself.history = deque(maxlen=self.MAX)\n\n"
        "\tdef latest(self):\n\t\treturn self.history[-1]\n\n"
        "\tdef collect(self, m):\n\t\tself.history.append(m)\n"
        "\t\t\t\n\t\t\t# tabbed\n",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_removed_guards_footer_lines_stay(name):
    source, expected = CASES[name]
    assert _fixed(source) == expected


def test_crlf_lines_after_the_guard_keep_their_line_ending():
    source, expected = CASES["blank_line_and_comment_before_the_next_method"]
    assert _fixed(source.replace("\n", "\r\n")) == expected.replace("\n", "\r\n")


def test_without_footer_lines_the_output_is_unchanged():
    """The case every fixture has: nothing after the guard but the next method."""
    source = HEAD + COLLECT + GUARD + "\n" + OTHER
    assert _fixed(source) == FIXED_HEAD + COLLECT + "\n" + OTHER


def test_the_fuzz_finding_changes_no_line_outside_the_example():
    """The failing examples of tests/test_fuzz_programs.py (random seed 3): the rule's own example
    followed by a blank and a whitespace-only line, or a blank line and a comment at the guard's
    body indentation."""
    import importlib.util
    from pathlib import Path

    from memfix.fixers import slice_rebind_trim

    spec = importlib.util.spec_from_file_location("memfix_regions", Path(__file__).resolve().parent / "corpus" / "regions.py")
    assert spec is not None and spec.loader is not None
    regions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(regions)
    shape = slice_rebind_trim.EXAMPLES[0].code
    for after in ("\n            \n", "\n            #\n"):
        source = shape + after
        text = fix_source(source, Settings(unsafe_fixes=True, verify=False, cache=False)).text
        assert "deque(maxlen=self.MAX_HISTORY)" in text
        assert regions.unexpected_changes(source, text, range(0, len(regions.physical_lines(shape)))) == []
        assert regions.lost_comments(source, text) == []
        assert text.endswith("        self._history.append(m)\n" + after)


# ---------------------------------------------------------------------------------------------
# blank lines around a removed statement: the neighbours it separated stay apart, and the blank
# lines above and below it become one run as wide as the wider of the two (as MF201 keeps them);
# the lines below stay byte for byte

FLUSH = "        self.flush()\n"
TRIM = "        self.history = self.history[-self.MAX:]\n"


BLANK_CASES = {
    # the issue: the blank line between the append and the removed guard used to vanish
    "blank_line_above_the_guard": (HEAD + COLLECT + "\n" + GUARD + FLUSH, FIXED_HEAD + COLLECT + "\n" + FLUSH),
    "blank_line_above_the_trim": (HEAD + COLLECT + "\n" + TRIM + FLUSH, FIXED_HEAD + COLLECT + "\n" + FLUSH),
    # blank lines above and below: one run, not both
    "one_blank_line_above_and_below": (HEAD + COLLECT + "\n" + GUARD + "\n" + FLUSH, FIXED_HEAD + COLLECT + "\n" + FLUSH),
    "two_blank_lines_above_one_below": (HEAD + COLLECT + "\n\n" + GUARD + "\n" + FLUSH, FIXED_HEAD + COLLECT + "\n\n" + FLUSH),
    "one_blank_line_above_two_below": (HEAD + COLLECT + "\n" + GUARD + "\n\n" + FLUSH, FIXED_HEAD + COLLECT + "\n\n" + FLUSH),
    # a whitespace-only line keeps its bytes; below the removed code, those lines are the ones kept
    "whitespace_only_line_above": (HEAD + COLLECT + "        \n" + GUARD + FLUSH, FIXED_HEAD + COLLECT + "        \n" + FLUSH),
    "whitespace_only_lines_above_and_below": (
        HEAD + COLLECT + "        \n" + TRIM + "   \n" + FLUSH,
        FIXED_HEAD + COLLECT + "   \n" + FLUSH,
    ),
    # first in its block: the blank line under the `def` line stays
    "first_in_its_block": (
        HEAD + "    def collect(self, m):\n\n" + GUARD + "        self.history.append(m)\n",
        FIXED_HEAD + "    def collect(self, m):\n\n        self.history.append(m)\n",
    ),
    # last in its block: the run goes on past the block
    "last_before_the_next_method": (HEAD + COLLECT + "\n" + GUARD + "\n" + OTHER, FIXED_HEAD + COLLECT + "\n" + OTHER),
    "last_before_the_next_method_without_a_blank_line": (HEAD + COLLECT + "\n" + GUARD + OTHER, FIXED_HEAD + COLLECT + "\n" + OTHER),
    "last_at_end_of_file": (HEAD + COLLECT + "\n" + GUARD, FIXED_HEAD + COLLECT),
    "last_before_a_whitespace_only_footer_line": (
        HEAD + COLLECT + "\n" + GUARD + "            \n" + OTHER,
        FIXED_HEAD + COLLECT + "            \n" + OTHER,
    ),
    "last_before_a_footer_comment": (
        HEAD + COLLECT + "\n" + GUARD + "            # trimmed\n" + OTHER,
        FIXED_HEAD + COLLECT + "\n" + "            # trimmed\n" + OTHER,
    ),
    "last_in_a_nested_block_before_an_outer_statement": (
        HEAD
        + "    def collect(self, batch):\n"
        + "        for m in batch:\n"
        + "            self.history.append(m)\n"
        + "\n"
        + "            if len(self.history) > self.MAX:\n"
        + "                self.history = self.history[-self.MAX:]\n"
        + "        return batch\n",
        FIXED_HEAD + "    def collect(self, batch):\n        for m in batch:\n            self.history.append(m)\n\n        return batch\n",
    ),
    "last_in_an_if_before_its_else": (
        HEAD
        + "    def collect(self, m, keep):\n"
        + "        if keep:\n"
        + "            self.history.append(m)\n"
        + "\n"
        + "            if len(self.history) > self.MAX:\n"
        + "                self.history = self.history[-self.MAX:]\n"
        + "        else:\n"
        + "            pass\n",
        FIXED_HEAD + "    def collect(self, m, keep):\n        if keep:\n            self.history.append(m)\n\n        else:\n            pass\n",
    ),
    # the statement after the class is not visited by the transformer (memfix.transform)
    "last_before_an_unvisited_top_level_statement": (HEAD + COLLECT + "\n" + GUARD + "x = 1\n", FIXED_HEAD + COLLECT + "\n" + "x = 1\n"),
    # alone in its block: `pass` takes its place, below the blank line
    "alone_in_its_block": (
        HEAD + COLLECT + "\n" + "    def trim(self):\n\n" + GUARD + "\n" + OTHER,
        FIXED_HEAD + COLLECT + "\n" + "    def trim(self):\n\n        pass\n\n" + OTHER,
    ),
    # comments keep their place among the blank lines
    "comments_between_blank_lines": (
        HEAD + COLLECT + "\n        # a\n\n        # b\n" + GUARD + "\n" + FLUSH,
        FIXED_HEAD + COLLECT + "\n        # a\n\n        # b\n\n" + FLUSH,
    ),
    "comment_then_blank_line_above": (
        HEAD + COLLECT + "        # a\n\n" + GUARD + "\n" + FLUSH,
        FIXED_HEAD + COLLECT + "        # a\n\n" + FLUSH,
    ),
    "trailing_comment_of_the_trim": (
        HEAD + COLLECT + "\n" + TRIM.rstrip("\n") + "  # a copy\n" + "\n" + FLUSH,
        FIXED_HEAD + COLLECT + "\n        # a copy\n\n" + FLUSH,
    ),
}


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("name", sorted(BLANK_CASES))
def test_a_removed_statement_keeps_the_blank_lines_around_it(name, newline):
    source, expected = BLANK_CASES[name]
    assert _fixed(source.replace("\n", newline)) == expected.replace("\n", newline)


def _remove(source: str, *paths: Tuple[int, ...]) -> str:
    """The statements at ``paths`` (indexes into the module's body, then into each statement's
    block) removed by GrowthTransformer: MF105 leaves module-level code alone (it runs once), so
    the plan is built by hand."""
    import libcst as cst

    from memfix.fixers._growth_rewrite import GrowthPlan, GrowthTransformer
    from memfix.transform import transform

    wrapper = cst.MetadataWrapper(cst.parse_module(source))
    removed = []
    for path in paths:
        node = wrapper.module.body[path[0]]
        for index in path[1:]:
            node = node.body.body[index]  # type: ignore[attr-defined]
        removed.append(node)
    plans = {removed[0]: GrowthPlan(safety=Safety.SAFE, description="", reason="", remove=tuple(removed))}
    return transform(wrapper, GrowthTransformer(None, plans), plans).code


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize(
    "source, paths, expected",
    [
        ("a = 1\n\nx = x[-3:]\nb = 2\n", [(1,)], "a = 1\n\nb = 2\n"),
        ("a = 1\n\nx = x[-3:]\n\n\nb = 2\n", [(1,)], "a = 1\n\n\nb = 2\n"),
        ("a = 1\n\nx = x[-3:]\n", [(1,)], "a = 1\n"),
        ("a = 1\n\nx = x[-3:]\n\n# end\n", [(1,)], "a = 1\n\n# end\n"),
        ("a = 1\n\n# why\nx = x[-3:]  # copy\nb = 2\n", [(1,)], "a = 1\n\n# why\n# copy\nb = 2\n"),
        # several in a row: the runs between them do not add up
        ("a = 1\n\nx = x[-3:]\n\ny = y[-3:]\n\nb = 2\n", [(1,), (2,)], "a = 1\n\nb = 2\n"),
        ("a = 1\n\nx = x[-3:]\n\n\ny = y[-3:]\nb = 2\n", [(1,), (2,)], "a = 1\n\n\nb = 2\n"),
        ("a = 1\n\nx = x[-3:]\n# between\ny = y[-3:]\n\nb = 2\n", [(1,), (2,)], "a = 1\n\n# between\n\nb = 2\n"),
        # a block ending with removed code, then a module-level statement
        ("def f():\n    a = 1\n\n    if x:\n        x = x[-3:]\nb = 2\n", [(0, 1)], "def f():\n    a = 1\n\nb = 2\n"),
        ("def f():\n    a = 1\n\n    if x:\n        x = x[-3:]\n", [(0, 1)], "def f():\n    a = 1\n"),
    ],
)
def test_removals_keep_the_blank_lines_around_them_at_module_level(source, paths, expected, newline):
    assert _remove(source.replace("\n", newline), *paths) == expected.replace("\n", newline)


# -- a list that only its trim reads ---------------------------------------------------------------

#: nothing in the module reads ``items`` but the trim: its readers are elsewhere (a JSON endpoint
#: in another module, here), and a deque would break them (TypeError: not JSON serializable), where
#: the in-place trim keeps the list and the same items
ONLY_THE_TRIM_READS = """\
class Log:
    def __init__(self):
        self.items = []

    def add(self, v):
        self.items.append(v)
        self.items = self.items[-3:]
"""

OUTSIDE_JSON_READER = """\
import json
import log

entries = log.Log()
for i in range(5):
    entries.add(i)
print(json.dumps(entries.items), entries.items[:2], isinstance(entries.items, list))
"""


def test_a_list_only_its_trim_reads_keeps_its_type(tmp_path):
    result = fix_source(ONLY_THE_TRIM_READS, SETTINGS)
    [finding] = result.findings
    assert finding.code == "MF105" and finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    assert "nothing in this module reads it" in finding.message
    assert "deque" not in result.text and "del self.items[:-3]" in result.text
    assert fix_source(result.text, SETTINGS).text == result.text
    assert_same_for_a_reader_elsewhere(tmp_path, "log", ONLY_THE_TRIM_READS, result.text, OUTSIDE_JSON_READER)


def test_a_list_read_besides_its_trim_still_becomes_a_safe_deque():
    """negative case: one tail read in sight, and the copy gives way to ``deque(maxlen=3)`` (the
    attribute private: a public one could have readers in other modules)."""
    code = (ONLY_THE_TRIM_READS + "\n    def last(self):\n        return self.items[-1]\n").replace("self.items", "self._items")
    result = fix_source(code, SETTINGS)
    [finding] = result.findings
    assert finding.fix is not None and finding.fix.safety is Safety.SAFE
    assert "deque(maxlen=3)" in result.text
