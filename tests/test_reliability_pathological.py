"""Pathological input: every file ends with a clear per-file outcome and the run goes on.

All the files go through ONE real `memfix --apply` subprocess, next to a normal file with a leak:
if any of them crashed the process (libcst's native parser overflows its stack on deep nesting
and would take the whole run down), hung it, or leaked a traceback, this test sees it. The
subprocess timeout is a hang guard, not a speed target (timings live in bench/pathological.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest

from memfix.api import fix_source
from memfix.config import Settings
from memfix.fixer import Invalid
from memfix.fixers import FIXERS
from memfix.limits import MAX_AST_DEPTH, ast_depth_exceeds, too_deep
from memfix.model import Safety

FIXER, EXAMPLE = next(
    (fx, ex)
    for fx in FIXERS
    for ex in fx.examples
    if isinstance(ex, Invalid) and ex.fixed is not None and ex.safety is Safety.SAFE and not ex.unsafe_fixes
    # a fix that adds or edits no import: libcst places imports by its own rules (after a
    # leading `if` block, with the module's default newline), which these layout checks do not
    # model; MF301's examples rewrite statements in place
    and "import" not in ex.fixed
)
LEAK = EXAMPLE.code
FIXED = EXAMPLE.fixed
#: every rule's needles, so each pathological file reaches the parser whatever the rule set
NEEDLES = "# " + " ".join(sorted({n.decode() for fx in FIXERS for n in fx.needles})) + "\n"
OPEN_TAIL = "\n" + LEAK


def _deep(prefix: str, opener: str, closer: str, depth: int, middle: str = "1") -> str:
    return f"{prefix}{opener * depth}{middle}{closer * depth}\n"


# name -> (bytes, expected error kind or None for "processed normally", substring of the message)
CASES: Dict[str, Tuple[bytes, Optional[str], str]] = {
    "empty.py": (b"", None, ""),
    "only_bom.py": (b"\xef\xbb\xbf", None, ""),
    "whitespace_only.py": (b"\n\n   \n\t\n\x0c\n", None, ""),
    "comment_only.py": (b"# just a comment\n# " + NEEDLES.encode(), None, ""),
    "no_final_newline_comment.py": (b"# no newline at the end", None, ""),
    "py2_print.py": (('print "hello"\n' + LEAK).encode(), "parse", "line 1: Missing parentheses"),
    "py2_exec.py": (('exec "x = 1"\n' + LEAK).encode(), "parse", "cannot parse"),
    "py2_except_comma.py": (("try:\n    pass\nexcept IOError, e:\n    pass\n" + LEAK).encode(), "verify", "does not compile"),
    "py2_octal_backticks.py": (("x = 0777\ny = `x`\n" + LEAK).encode(), "parse", "cannot parse"),
    "tabs_inconsistent.py": (("if x:\n\ty = 1\n        z = 2\n" + LEAK).encode(), "parse", "line 3: inconsistent use of tabs"),
    "null_bytes.py": (("x = 1\x00\n" + LEAK).encode(), "decode", "null byte at line 1"),
    "binary_junk.py": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe" + LEAK.encode(), "decode", "cannot"),
    "deep_list.py": ((_deep("x = ", "[", "]", 10_000) + OPEN_TAIL).encode(), "parse", "nesting too deep"),
    "deep_dict.py": ((_deep("x = ", "{1: ", "}", 3_000) + OPEN_TAIL).encode(), "parse", "nesting too deep"),
    "deep_parens.py": ((_deep("x = ", "(", ")", 1_000) + OPEN_TAIL).encode(), "parse", "nesting too deep"),
    "call_chain.py": (("x = f" + "()" * 5_000 + "\n" + OPEN_TAIL).encode(), "parse", "nesting too deep"),
    "attribute_chain.py": (("x = a" + ".b" * 50_000 + "\n" + OPEN_TAIL).encode(), "parse", "nesting too deep"),
    "binop_chain.py": (("x = " + " + ".join(["1"] * 30_000) + "\n" + OPEN_TAIL).encode(), "parse", "nesting too deep"),
    "unary_chain.py": (("x = " + "-" * 10_000 + "1\n" + OPEN_TAIL).encode(), "parse", "nesting too deep"),
    "lambda_chain.py": (("f = " + "lambda: " * 500 + "1\n" + OPEN_TAIL).encode(), "parse", "nesting too deep"),
    "ifexp_chain.py": (("v = " + "a if b else " * 3_000 + "c\n" + OPEN_TAIL).encode(), "parse", "nesting too deep"),
    # CPython's own limit is 100 indentation levels: 99 nested ifs are valid Python. Wrapping the
    # innermost statements in a with-block would need a 100th level: verify refuses the rewrite.
    "nested_ifs_99.py": (
        ("".join(" " * i + "if x:\n" for i in range(99)) + " " * 99 + "f = open('p')\n" + " " * 99 + "d = f.read()\n"
         + " " * 99 + "f.close()\n" + OPEN_TAIL).encode(),
        None,
        "",
    ),
    "long_line.py": (("X = '" + "y" * 1_000_000 + "'\n" + LEAK).encode(), None, ""),
    "fifty_thousand_lines.py": (('"""\n' + "".join(f"line {i}\n" for i in range(50_000)) + '"""\n' + LEAK).encode(), None, ""),
    "cr_line_endings.py": (LEAK.replace("\n", "\r").encode(), None, ""),
    "syntax_warning.py": (('x = "not callable"()\ny = 1 is 1\n' + LEAK).encode(), None, ""),
}
FIXED_NORMALLY = {"long_line.py", "fifty_thousand_lines.py", "cr_line_endings.py", "syntax_warning.py", "normal.py"}


@pytest.fixture(scope="module")
def pathological_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("pathological")
    for name, (data, _, _) in CASES.items():
        (root / name).write_bytes(data)
    (root / "normal.py").write_text(LEAK)
    proc = subprocess.run(
        [sys.executable, "-m", "memfix", "--apply", "--select", FIXER.code, "--format", "json", "-j", "2", "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return root, proc


def test_the_run_survives_and_exits_2(pathological_run):
    _, proc = pathological_run
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert "Warning" not in proc.stderr  # the scanned code's SyntaxWarnings are not memfix's to print
    assert all(line.startswith("memfix: error: ") for line in proc.stderr.splitlines()), proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["summary"]["files_scanned"] == len(CASES) + 1


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_file_has_a_clear_outcome(pathological_run, name):
    root, proc = pathological_run
    data, kind, fragment = CASES[name]
    report = json.loads(proc.stdout)
    errors = [e for e in report["errors"] if e["path"] == name]
    if kind is None:
        assert errors == [] or name == "nested_ifs_99.py" and errors[0]["kind"] == "verify", errors
    else:
        assert [e["kind"] for e in errors] == [kind], errors
        assert fragment in errors[0]["message"], errors[0]["message"]
    after = (root / name).read_bytes()
    if name in FIXED_NORMALLY:
        assert after != data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(after, name, "exec", dont_inherit=True)
    else:
        assert after == data


def test_normal_file_next_to_them_is_fixed(pathological_run):
    root, _ = pathological_run
    assert (root / "normal.py").read_text() == FIXED


def test_cr_only_file_keeps_cr_endings(pathological_run):
    root, _ = pathological_run
    assert (root / "cr_line_endings.py").read_bytes() == FIXED.replace("\n", "\r").encode()


def test_depth_guard_is_iterative_and_exact():
    import ast

    tree = ast.parse("x = " + "[" * 150 + "]" * 150)
    assert ast_depth_exceeds(tree, 100) is not None
    assert ast_depth_exceeds(tree, 500) is None
    assert too_deep("x = [[1]]\n") is None
    # the deepest real stdlib file (3.11) is 33 deep: far below the guard
    assert MAX_AST_DEPTH >= 150


@pytest.mark.parametrize(
    "source",
    ["x = 1\n", "x = -(-(-1))\n", "y = " + "a + " * 240 + "a\n", "z = " + "[" * 90 + "]" * 90 + "\n",
     "def f():\n    return [x for x in y if not x]\n", "del a.b[c]\n"],
    ids=["assign", "unary", "long sum", "nested lists", "comprehension", "del"],
)
def test_the_index_walks_depth_bound_is_never_below_the_guards_depth(source):
    import ast

    from memfix.astindex import AstIndex

    tree = ast.parse(source)
    index = AstIndex(tree)
    assert index.depth_bound is None  # nothing walked yet
    index.nodes(ast.Name)
    exact = next(d for d in range(1, 1000) if ast_depth_exceeds(tree, d) is None)
    assert exact <= index.depth_bound <= exact + 1
    assert too_deep(source, tree, index.depth_bound) == too_deep(source, tree)


def test_a_tree_deeper_than_the_guard_is_refused_after_the_prefilter(tmp_path):
    # a growing list makes MF101 a candidate, so the pre-filter's walk supplies the depth bound
    source = "items = []\ndef add(x):\n    items.append(x)\ny = " + "a + " * (MAX_AST_DEPTH + 10) + "a\n"
    from memfix.config import Settings
    from memfix.engine import detect
    from memfix.fixers import FIXERS
    from memfix.model import FileError

    found = detect(source, "deep.py", Settings(cache=False), FIXERS)
    assert isinstance(found, FileError) and f"syntax tree deeper than {MAX_AST_DEPTH}" in found.message


def test_guard_refuses_deep_python2_files_by_brackets():
    source = "print 'x'\ny = " + "[" * 150 + "]" * 150 + "\n"
    assert "nesting too deep" in (too_deep(source) or "")


def test_recursion_error_in_a_transform_is_a_per_file_error(monkeypatch):
    import memfix.engine

    def explode(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(memfix.engine, "splice", explode)
    monkeypatch.setattr(memfix.engine, "splice_slice", explode)  # the pre-filter's sliced path
    from memfix.discover import SourceFile
    from memfix.model import Mode
    from memfix.process import process_file
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.py"
        path.write_text(LEAK)
        report = process_file(SourceFile("a.py", str(path)), Settings(select=(FIXER.code,)), Mode.APPLY, (FIXER,))
        assert [(e.kind, e.message) for e in report.errors] == [
            ("parse", "cannot analyse: nesting too deep (RecursionError)")
        ]
        assert path.read_text() == LEAK


def test_file_that_does_not_compile_is_never_rewritten():
    """libcst accepts `except E, e:` (Python 2); the rewrite cannot be checked, so none is made."""
    source = "try:\n    pass\nexcept IOError, e:\n    pass\n" + LEAK
    result = fix_source(source, Settings(select=(FIXER.code,)))
    assert not result.changed and result.text == source
    assert result.error is not None and "does not compile with Python" in result.error.message
