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

SETTINGS = Settings(select=("MF105",), unsafe_fixes=True, cache=False)  # the lone-guard case is unsafe

HEAD = (
    "class Monitor:\n"
    "    MAX = 10\n"
    "\n"
    "    def __init__(self):\n"
    "        self.history = []\n"
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
        "\tdef collect(self, m):\n\t\tself.history.append(m)\n"
        "\t\tif len(self.history) > self.MAX:\n\t\t\tself.history = self.history[-self.MAX:]\n"
        "\t\t\t\n\t\t\t# tabbed\n",
        "from collections import deque\n\n"
        "class Monitor:\n\tMAX = 10\n\n\tdef __init__(self):\n\t\tself.history = deque(maxlen=self.MAX)\n\n"
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
        assert text.endswith("        self.history.append(m)\n" + after)
