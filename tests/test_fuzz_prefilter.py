"""The pre-filter loses no finding however a leak shape is spaced.

The needles are byte searches and the ast filters read shapes, so a spelling the rule's author did
not think of (``{ }``, ``x[-10:  ]``, ``open (p)``, a call split over lines) is where a finding can
be lost. Hypothesis re-spaces every rule's ``Invalid`` examples: extra spaces between tokens, and
line breaks between tokens inside brackets (Python joins those lines), then the file is scanned
with and without the pre-filter and the findings and fixes must be the same.

Bounded in CI like the other fuzz tests: half of ``MEMFIX_FUZZ_EXAMPLES`` (default 40) per shape,
since each example is scanned twice, once with libcst's full metadata on the whole file. Before the
needles were fixed, 15 examples per shape found the lost MF105 and MF201 findings.
"""

from __future__ import annotations

import io
import os
import tokenize
from typing import List, Tuple

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from memfix import engine
from memfix.config import Settings
from memfix.fixer import Fixer, Invalid
from memfix.fixers import FIXERS
from memfix.model import FileError

EXAMPLES_PER_TEST = max(10, int(os.environ.get("MEMFIX_FUZZ_EXAMPLES", "40")) // 2)
SETTINGS = Settings(unsafe_fixes=True, cache=False)
INVALID: List[Tuple[Fixer, Invalid]] = [(fx, ex) for fx in FIXERS for ex in fx.examples if isinstance(ex, Invalid)]
#: tokens whose insides are text: nothing is inserted between them (3.12 splits f-strings up)
_TEXT_OPEN = {"FSTRING_START"}
_TEXT_CLOSE = {"FSTRING_END"}


def gaps(source: str) -> List[Tuple[int, bool]]:
    """Offsets between two tokens of one logical line where a space may go, and whether a line
    break may go there too (inside brackets)."""
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    found: List[Tuple[int, bool]] = []
    depth = 0
    in_text = 0
    previous = None
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        kind = tokenize.tok_name[token.type]
        if kind in _TEXT_CLOSE:
            in_text -= 1
        if (
            previous is not None
            and not in_text
            and previous.end[0] == token.start[0]
            and token.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER)
            and previous.type not in (tokenize.INDENT, tokenize.DEDENT, tokenize.NL, tokenize.NEWLINE)
        ):
            found.append((starts[token.start[0] - 1] + token.start[1], depth > 0))
        if kind in _TEXT_OPEN:
            in_text += 1
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        previous = token
    return found


def respaced(source: str, choices: List[int]) -> str:
    """``source`` with, at each gap, nothing (0), a space (1), two spaces (2) or, inside brackets,
    a line break (3)."""
    out = source
    for (offset, bracketed), choice in sorted(zip(gaps(source), choices), reverse=True):
        insert = ("", " ", "  ", "\n" if bracketed else " ")[choice % 4]
        out = out[:offset] + insert + out[offset:]
    return out


def _scan(text: str, prefilter: bool):
    detection = engine.detect(text, "case.py", SETTINGS, FIXERS, prefilter=prefilter)
    if isinstance(detection, FileError):
        return ("error", detection.kind), None
    findings = sorted((f.code, f.symbol, f.span.line, f.span.column, f.message) for f in detection.findings)
    if not any(engine.fix_enabled(r.plan, code, SETTINGS) for code, rs in detection.reports.items() for r in rs):
        return findings, None
    outcome = engine.apply_fixes(text, "case.py", SETTINGS, detection)
    return findings, outcome.new_text if outcome.error is None else f"error: {outcome.error.message}"


def test_respacing_keeps_the_code_valid_and_spaced():
    source = "x = { }\ncache = dict()\ndef f(p):\n    return open(p).read()[-10:]\n"
    spaced = respaced(source, [3] * 100)
    compile(spaced, "case.py", "exec")
    assert spaced != source
    assert "\n" in spaced.split("dict", 1)[1].split(")", 1)[0], "a line break inside the call"
    assert respaced(source, [0] * 100) == source


@pytest.mark.parametrize("fixer, example", INVALID, ids=[f"{fx.code}-{i}" for i, (fx, _) in enumerate(INVALID)])
@settings(
    max_examples=EXAMPLES_PER_TEST,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=True,
)
@given(choices=st.lists(st.integers(0, 3), min_size=200, max_size=200))
def test_the_prefilter_keeps_every_finding_of_a_respaced_shape(fixer, example, choices):
    text = respaced(example.code, choices)
    note(text)
    compile(text, "case.py", "exec")
    assert _scan(text, True) == _scan(text, False)
