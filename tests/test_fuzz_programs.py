"""Syntactically valid programs from hypothesmith through the whole pipeline.

Generated programs rarely contain a leak, so the second test appends (or prepends) one of every
rule's ``Invalid`` examples to them: the generated code is then the random surroundings libcst,
every detector and the splice must survive. Properties: no exception, any error is a per-file
error of an expected kind, a changed result compiles, changes nothing outside the example's lines
(imports aside), keeps every comment, and is stable under a second pass.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from memfix.api import fix_source
from memfix.config import Settings
from memfix.discover import SourceFile
from memfix.fixer import Invalid
from memfix.fixers import FIXERS
from memfix.model import Mode
from memfix.process import process_file

_spec = importlib.util.spec_from_file_location("memfix_regions", Path(__file__).resolve().parent / "corpus" / "regions.py")
regions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regions)

EXAMPLES_PER_TEST = int(os.environ.get("MEMFIX_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES_PER_TEST,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
RAW = Settings(unsafe_fixes=True, verify=False, cache=False)
FULL = Settings(unsafe_fixes=True, cache=False)
# hypothesmith compiles what it generates; the SyntaxWarnings are about generated code, not memfix
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")
SHAPES = [ex.code for fx in FIXERS for ex in fx.examples if isinstance(ex, Invalid)]
TOLERATED = ("parse", "verify", "roundtrip")


@FUZZ
@given(hypothesmith.from_grammar())
def test_generated_programs_survive_the_pipeline(source):
    result = fix_source(source, FULL)
    assert result.error is None or result.error.kind in TOLERATED, result.error
    if result.changed:
        assert regions.compile_error(result.text) is None


@FUZZ
@given(hypothesmith.from_node())
def test_libcst_generated_programs_survive_the_pipeline(source):
    result = fix_source(source, FULL)
    assert result.error is None or result.error.kind in TOLERATED, result.error


@FUZZ
@given(hypothesmith.from_grammar(), st.sampled_from(SHAPES), st.booleans())
def test_leak_shapes_inside_generated_programs(generated, shape, shape_first):
    if not generated.endswith(("\n", "\r")) and generated:
        generated += "\n"
    if shape_first:
        source = shape + generated
        start, stop = 0, len(regions.physical_lines(shape))
    else:
        source = generated + shape
        start = len(regions.physical_lines(generated))
        stop = start + len(regions.physical_lines(shape))
    assume(regions.compile_error(source) is None)
    note(source)
    result = fix_source(source, RAW)
    assert result.error is None or result.error.kind in ("parse", "roundtrip"), result.error
    if not result.changed:
        return
    note(result.text)
    assert regions.compile_error(result.text) is None
    assert regions.unexpected_changes(source, result.text, range(start, stop)) == []
    assert regions.lost_comments(source, result.text) == []
    assert fix_source(result.text, RAW).text == result.text


@settings(max_examples=max(10, EXAMPLES_PER_TEST // 2), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=400), st.sampled_from(SHAPES))
def test_arbitrary_bytes_never_crash_a_file(tmp_path_factory, noise, shape):
    """Random bytes around a leak, through the file pipeline (decode included)."""
    path = tmp_path_factory.mktemp("bytes") / "case.py"
    data = noise + shape.encode() + noise
    path.write_bytes(data)
    report = process_file(SourceFile("case.py", str(path)), FULL, Mode.APPLY, FIXERS)
    assert all(e.kind in ("decode",) + TOLERATED for e in report.errors), report.errors
    after = path.read_bytes()
    if after != data:
        assert report.written and regions.compile_error(after.decode(report.encoding)) is None


def test_a_comment_ended_by_a_lone_cr_keeps_its_own_line_through_an_import_fix():
    # found by the generated-programs fuzz: `#\r` above a leak whose fix adds an import. Python
    # ends the comment at the CR; the oracle must read lines as Python does, and the fix must
    # keep the comment and add its import on lines of its own
    shape = next(ex.code for fx in FIXERS for ex in fx.examples if isinstance(ex, Invalid) and "LatencyMonitor" in ex.code)
    source = "#\r" + shape
    assert regions.comments(source) == {"#": 1}
    result = fix_source(source, RAW)
    assert result.changed and result.text.startswith("#\rfrom collections import deque\r")
    assert regions.lost_comments(source, result.text) == []
    assert regions.compile_error(result.text) is None
