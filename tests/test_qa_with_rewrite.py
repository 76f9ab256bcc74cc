"""QA: safe with-block rewrites (MF301) that closed a handle before a lazy reader ran.

Each program is run before and after ``fix_source`` (safe fixes only) on the same input file; a
safe fix must print the same thing. Found by black-box testing: a generator expression over the
handle, or a bound method of it, kept past the statement, read a closed file after the rewrite
(``ValueError: I/O operation on closed file``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Tuple

import pytest

from memfix.api import SourceResult, fix_source
from memfix.config import Settings
from memfix.model import Finding, Safety
from memfix.testing import assert_same_behaviour

MAIN = """

if __name__ == "__main__":
    print(run(sys.argv[1]))
"""

LAZY_GENERATOR = """\
import sys


def run(p):
    f = open(p)
    lines = (l.split() for l in f)
    return list(lines)
""" + MAIN

BOUND_METHOD = """\
import sys


def run(p):
    f = open(p)
    rl = f.readline
    return rl()
""" + MAIN

# negative cases: these stay fixable (the reader runs inside the block)
CONSUMED_GENERATOR = """\
import sys


def run(p):
    f = open(p)
    total = sum(len(l) for l in f)
    return total
""" + MAIN

PLAIN_ATTRIBUTE = """\
import sys


def run(p):
    f = open(p)
    n = f.name
    data = f.read()
    f.close()
    return n == p, data
""" + MAIN


def _same_behaviour(tmp_path: Path, before: str, after: str) -> None:
    """The programs read the file named on their command line."""
    data = tmp_path / "data.txt"
    data.write_text("a b\nc d\n")
    assert_same_behaviour(tmp_path, before, after, str(data))


def _unsafe_run(code: str) -> Tuple[SourceResult, Finding]:
    """The unsafe fixes too, on a program with one MF301 finding: the result and that finding."""
    result = fix_source(code, Settings(select=("MF301",), cache=False, unsafe_fixes=True))
    (finding,) = result.findings
    return result, finding


def _fixed(code: str) -> str:
    result = fix_source(code, Settings(select=("MF301",), cache=False))
    assert result.error is None
    return result.text


@pytest.mark.parametrize("code", [LAZY_GENERATOR, BOUND_METHOD], ids=["generator", "bound-method"])
def test_safe_fix_keeps_behaviour_of_lazy_readers(tmp_path: Path, code: str):
    _same_behaviour(tmp_path, code, _fixed(code))


@pytest.mark.parametrize("code", [LAZY_GENERATOR, BOUND_METHOD], ids=["generator", "bound-method"])
def test_lazy_reader_is_reported_without_a_fix(code: str):
    result, finding = _unsafe_run(code)
    assert finding.fix is None or finding.fix.safety is not Safety.SAFE
    assert result.text == code


@pytest.mark.parametrize("code", [CONSUMED_GENERATOR, PLAIN_ATTRIBUTE], ids=["consumed-generator", "plain-attribute"])
def test_readers_inside_the_statement_stay_fixed(tmp_path: Path, code: str):
    fixed = _fixed(code)
    assert "with open(p) as f:" in fixed
    _same_behaviour(tmp_path, code, fixed)


INLINE_READER = """\
import csv
import sys


def run(p):
    r = csv.reader(open(p))
    return [row for row in r]
""" + MAIN

INLINE_MAP = """\
import sys


def run(p):
    lines = map(str.split, open(p))
    return list(lines)
""" + MAIN


@pytest.mark.parametrize("code", [INLINE_READER, INLINE_MAP], ids=["csv-reader", "map"])
def test_unsafe_fix_of_an_inline_open_kept_by_its_callee_still_runs(tmp_path: Path, code: str):
    """An unsafe fix may drop data, but must leave code that runs ("What safe means"): a with-block
    around `r = csv.reader(open(p))` closed the file before `r` was read (ValueError)."""
    result = fix_source(code, Settings(select=("MF301",), cache=False, unsafe_fixes=True))
    _same_behaviour(tmp_path, code, result.text)


# A descriptor or a kept method of the handle refers to the open file as much as the handle does
# (the stdlib's own tests failed after a safe fix: test_os used `fd = f.fileno()` after the block)
DESCRIPTOR_USED_LATER = """\
import os
import sys


def run(p):
    f = open(p, "rb")
    fd = f.fileno()
    head = os.read(fd, 3)
    return head
""" + MAIN

DESCRIPTOR_READ_LATER = """\
import os
import sys


def run(p):
    f = open(p, "rb")
    fd = f.fileno()
    print(os.read(fd, 3))
    return 0
""" + MAIN

CLEANUP = """\
import sys


class Case:
    def __init__(self):
        self.cleanups = []

    def addCleanup(self, fn):
        self.cleanups.append(fn)


def run(p):
    case = Case()
    f = open(p)
    case.addCleanup(f.flush)
    data = f.read()
    for fn in case.cleanups:
        fn()
    return data
""" + MAIN

# negative cases: the descriptor is consumed inside the statement, the method is called there
DESCRIPTOR_CONSUMED = """\
import os
import sys


def run(p):
    f = open(p, "rb")
    size = os.fstat(f.fileno()).st_size
    data = f.read()
    f.close()
    return size == len(data)
""" + MAIN


@pytest.mark.parametrize(
    "code", [DESCRIPTOR_USED_LATER, DESCRIPTOR_READ_LATER, CLEANUP], ids=["fd-kept", "fd-read-later", "kept-method"]
)
def test_what_depends_on_the_handle_stays_inside_the_block_or_the_fix_is_not_safe(tmp_path: Path, code: str):
    _same_behaviour(tmp_path, code, _fixed(code))
    result, finding = _unsafe_run(code)
    assert finding.fix is None or finding.fix.safety is Safety.UNSAFE
    if finding.fix is not None:
        _same_behaviour(tmp_path, code, result.text)  # the block reaches the descriptor's last use


def test_a_kept_close_method_makes_the_fix_unsafe():
    code = "class T:\n    def test(self, p):\n        f = open(p)\n        self.addCleanup(f.close)\n        return len(f.read())\n"
    result, finding = _unsafe_run(code)
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    assert "`f.close`" in finding.message and "addCleanup" in finding.message


def test_a_descriptor_consumed_in_its_statement_stays_a_safe_fix(tmp_path: Path):
    fixed = _fixed(DESCRIPTOR_CONSUMED)
    assert 'with open(p, "rb") as f:' in fixed
    assert _fixed(fixed) == fixed
    _same_behaviour(tmp_path, DESCRIPTOR_CONSUMED, fixed)


# `with open(p) as f` binds `open(p).__enter__()`: a file returns itself, a mock another mock
# (unittest's own testpatch.py failed after a safe fix)
MOCKED_OPEN = """\
import sys
from unittest.mock import patch


def run(p):
    @patch(__name__ + ".open")
    def read_mocked(mock_open):
        mock_open.return_value.read.return_value = "mocked"
        f = open(p)
        data = f.read()
        f.close()
        return data

    return read_mocked()
""" + MAIN

MOCKED_ELSEWHERE = """\
import sys
from unittest.mock import patch


def run(p):
    @patch("os.remove")
    def read(mock_remove):
        f = open(p)
        data = f.read()
        f.close()
        return data

    return read()
""" + MAIN


def test_an_opener_a_mock_may_replace_gets_no_safe_fix(tmp_path: Path):
    _same_behaviour(tmp_path, MOCKED_OPEN, _fixed(MOCKED_OPEN))
    result, finding = _unsafe_run(MOCKED_OPEN)
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    assert "mock" in finding.message and "line 6" in finding.message


def test_a_mock_of_another_name_leaves_the_fix_safe(tmp_path: Path):
    fixed = _fixed(MOCKED_ELSEWHERE)
    assert "with open(p) as f:" in fixed
    assert _fixed(fixed) == fixed
    _same_behaviour(tmp_path, MOCKED_ELSEWHERE, fixed)


# CPython's aifc passes the file it opens to `self.initfp`, which stores it: the unsafe fix closed
# it under the object (test_aifc: "write to closed file"). A handle a visible callee keeps gets
# no fix at all, as a handle stored on `self` directly
KEPT_BY_A_METHOD = """\
import sys


class Reader:
    def __init__(self, p):
        f = open(p)
        try:
            self.initfp(f)
        except Exception:
            f.close()
            raise

    def initfp(self, file):
        self._file = file

    def first_line(self):
        return self._file.readline()


def run(p):
    return Reader(p).first_line()
""" + MAIN

KEPT_BY_A_FUNCTION = """\
import sys

OPEN_FILES = []


def remember(handle):
    OPEN_FILES.append(handle)


def run(p):
    f = open(p)
    remember(f)
    return OPEN_FILES[0].readline()
""" + MAIN

KEPT_BY_A_CONSTRUCTOR = """\
import sys


class Registry:
    last = None

    def __init__(self, name=None, stream=None):
        Registry.last = stream


def run(p):
    f = open(p)
    Registry(name="x", stream=f)
    return Registry.last.readline()
""" + MAIN

# negative: a callee that only reads through the handle leaves the fix as it was (unsafe: the
# analysis does not follow what the callee passes on)
READ_BY_A_FUNCTION = """\
import sys


def show(handle):
    print(handle.readline().strip())


def run(p):
    f = open(p)
    show(f)
    f.close()
    return "done"
""" + MAIN


@pytest.mark.parametrize("code", [KEPT_BY_A_METHOD, KEPT_BY_A_FUNCTION, KEPT_BY_A_CONSTRUCTOR], ids=["method", "function", "constructor"])
def test_a_handle_a_visible_callee_keeps_gets_no_fix(tmp_path: Path, code: str):
    result, finding = _unsafe_run(code)
    assert finding.fix is None and "no fix" in finding.message and "stores it" in finding.message
    assert not result.changed
    # closing the handle once the callee returns, as the with-block would, breaks the program:
    # what the callee kept reads a closed file
    lines = code.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "f)" in line and "open" not in line)
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    broken = "".join([*lines[: at + 1], f"{indent}f.close()\n", *lines[at + 1 :]])
    with pytest.raises(AssertionError, match="closed file"):
        _same_behaviour(tmp_path, code, broken)


def test_a_callee_that_only_reads_the_handle_leaves_the_fix_unsafe():
    result, finding = _unsafe_run(READ_BY_A_FUNCTION)
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    assert "may keep" in finding.message


def test_the_callee_is_read_even_when_the_prefilter_slices_the_file():
    from memfix.engine import detect
    from memfix.fixers import FIXERS

    # the callee sits far from the open, among code the slice stubs out
    filler = "".join(f"\n\ndef unrelated_{i}(x):\n    return [x] * {i}\n" for i in range(30))
    code = KEPT_BY_A_FUNCTION.replace("\n\ndef run(p):", filler + "\n\ndef run(p):")
    rules = [f for f in FIXERS if f.code == "MF301"]
    settings = Settings(select=("MF301",), cache=False)
    sliced, whole = detect(code, "m.py", settings, rules), detect(code, "m.py", settings, rules, prefilter=False)
    assert sliced.sliced and [f.message for f in sliced.findings] == [f.message for f in whole.findings]
    assert "stores it" in sliced.findings[0].message


# test_asyncio's test_sendfile: `server = self.run_loop(self.loop.create_server(sock=s))` keeps
# the socket inside the server the outer call returns; the unsafe fix closed it (EBADF)
KEPT_THROUGH_NESTED_CALLS = """\
import itertools
import sys


def run(p):
    f = open(p)
    rows = enumerate(itertools.chain(f))
    return next(rows)
""" + MAIN

CONSUMED_AROUND = """\
import itertools
import sys


def run(p):
    f = open(p)
    rows = list(enumerate(itertools.chain(f)))
    f.close()
    return rows
""" + MAIN


def test_a_value_built_from_the_handle_and_kept_through_nested_calls_gets_no_fix(tmp_path: Path):
    result, finding = _unsafe_run(KEPT_THROUGH_NESTED_CALLS)
    assert finding.fix is None and "whose result may hold it" in finding.message
    broken = KEPT_THROUGH_NESTED_CALLS.replace("    rows = enumerate(itertools.chain(f))\n", "    rows = enumerate(itertools.chain(f))\n    f.close()\n")
    with pytest.raises(AssertionError, match="closed file"):
        _same_behaviour(tmp_path, KEPT_THROUGH_NESTED_CALLS, broken)


def test_a_consumer_around_the_calls_reads_the_value_up_in_the_statement(tmp_path: Path):
    result, finding = _unsafe_run(CONSUMED_AROUND)
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE  # chain() is not followed
    _same_behaviour(tmp_path, CONSUMED_AROUND, result.text)
    assert fix_source(result.text, Settings(select=("MF301",), cache=False, unsafe_fixes=True)).text == result.text


# -- a value built from the handle goes through the same checks as the handle ---------------------

#: ``f.buffer`` is not plain data: it is the open stream under the text file. Passed to a function
#: of this module that keeps it, it outlives the with-block that would close it
DEPENDENT_KEPT_BY_CALLEE = KEPT_BY_A_FUNCTION.replace("    remember(f)\n", "    raw = f.buffer\n    remember(raw)\n")

#: the same value, kept through nested calls whose outermost result is assigned
DEPENDENT_KEPT_THROUGH_NESTED_CALLS = """\
import itertools
import sys


def run(p):
    f = open(p)
    raw = f.buffer
    rows = enumerate(itertools.chain(raw))
    return next(rows)
""" + MAIN


@pytest.mark.parametrize(
    "code, reason",
    [(DEPENDENT_KEPT_BY_CALLEE, "is passed to `remember()` at line 13: "), (DEPENDENT_KEPT_THROUGH_NESTED_CALLS, "whose result may hold it")],
    ids=["callee-keeps", "nested-calls"],
)
def test_a_value_built_from_the_handle_and_kept_gets_no_fix(tmp_path: Path, code: str, reason: str):
    """Both checks were only asked of the handle itself (session 9), so these two were unsafe
    fixes that close the stream under the value that holds it."""
    result, finding = _unsafe_run(code)
    assert finding.fix is None, finding.message
    assert "`raw`, which depends on the open handle," in finding.message and reason in finding.message
    last = "    remember(raw)\n" if "remember(raw)" in code else "    rows = enumerate(itertools.chain(raw))\n"
    broken = code.replace(last, last + "    f.close()\n")
    with pytest.raises(AssertionError, match="closed file"):
        _same_behaviour(tmp_path, code, broken)


def test_a_value_built_from_the_handle_and_passed_to_a_callee_that_only_reads_it_stays_unsafe(tmp_path: Path):
    """negative case: a callee of this module that reads its parameter and keeps nothing."""
    code = DEPENDENT_KEPT_BY_CALLEE.replace("    OPEN_FILES.append(handle)\n", "    OPEN_FILES.append(handle.readline())\n").replace(
        "    return OPEN_FILES[0].readline()\n", "    return OPEN_FILES[0]\n"
    )
    result, finding = _unsafe_run(code)
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    _same_behaviour(tmp_path, code, result.text)


# -- a result bound by `with ... as` is kept like an assigned one ---------------------------------

#: ``proc = Popen(stdin=tf)`` keeps ``tf`` in ``proc``, so ``tf`` gets no fix, while ``proc`` gets
#: a with-block. A second run then read ``with Popen(stdin=tf) as proc:`` as a call whose result
#: nobody keeps, and wrapped ``tf`` too: CPython's test_subprocess and test_socket changed again on
#: every second run of ``bench/corpus_run.py``
KEPT_BY_A_PROCESS = """\
import subprocess
import sys
import tempfile


def run(p):
    tf = tempfile.TemporaryFile()
    tf.write(open(p, "rb").read())
    tf.seek(0)
    proc = subprocess.Popen([sys.executable, "-c", "import sys; print(sys.stdin.read())"], stdin=tf, stdout=subprocess.PIPE)
    out = proc.communicate()[0]
    return out.decode().split()
""" + MAIN


def test_unsafe_fixes_are_idempotent_when_a_result_moves_into_a_with_item(tmp_path: Path):
    settings = Settings(select=("MF3",), cache=False, unsafe_fixes=True)
    first = fix_source(KEPT_BY_A_PROCESS, settings)
    assert first.error is None and first.changed
    assert "with subprocess.Popen(" in first.text and "tf = tempfile.TemporaryFile()" in first.text
    second = fix_source(first.text, settings)
    assert second.error is None
    assert second.text == first.text
    [kept] = [f for f in second.findings if f.symbol == "run.tf"]
    assert kept.fix is None and "whose result may hold it" in kept.message
    _same_behaviour(tmp_path, KEPT_BY_A_PROCESS, first.text)
