"""The engine's promises: errors are values, verify rolls back, bytes outside a rewrite survive."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest

from memfix.api import fix_source, scan_source
from memfix.config import Settings
from memfix.discover import SourceFile
from memfix.fixer import BaseDetector, BaseTransformer, Fixer, FixPlan, Rule
from memfix.fixers import open_without_with
from memfix.model import Mode, Safety
from memfix.process import process_file
from memfix.splice import SpliceError, splice

MF301 = (open_without_with.FIXER,)


# -- a toy rule: report every `x = 1`, fix it to `x = 2` (or break it on purpose) ----------------

TOY_RULE = Rule(code="MF999", name="toy", summary="toy", fix_title="toy")


class ToyDetector(BaseDetector):
    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Integer) and node.value.value == "1":
            self.report(node, symbol="x", message="x is one", plan=FixPlan(Safety.SAFE, "make it two"))


class ToyTransformer(BaseTransformer):
    REPLACEMENT = "2"

    def leave_Assign(self, original_node, updated_node):
        if original_node not in self.plans:
            return updated_node
        return updated_node.with_changes(value=cst.Integer(self.REPLACEMENT))


class NoopTransformer(ToyTransformer):
    REPLACEMENT = "1"  # "fixes" nothing: verify must notice the finding remains


class CrashingDetector(BaseDetector):
    def visit_Module(self, node):
        raise ZeroDivisionError("boom")


def toy(transformer=ToyTransformer, detector=ToyDetector):
    return (Fixer(TOY_RULE, "", (), detector, transformer, needles=(b"=",)),)


def test_fix_applies_and_verifies():
    result = fix_source("x = 1\ny = 3\n", fixers=toy())
    assert result.text == "x = 2\ny = 3\n"
    assert result.verify is not None and result.verify.ok


def test_verify_rolls_back_a_fix_that_leaves_the_finding():
    class Sneaky(ToyTransformer):
        def leave_Assign(self, original_node, updated_node):
            if original_node not in self.plans:
                return updated_node
            # changes the statement but keeps the finding
            return updated_node.with_changes(value=cst.Integer("1"), targets=[cst.AssignTarget(cst.Name("z"))])

    result = fix_source("x = 1\n", fixers=toy(Sneaky))
    assert not result.changed and result.text == "x = 1\n"
    assert result.error is not None and result.error.kind == "verify"
    assert "still reports MF999 x" in result.error.message


def test_verify_rolls_back_a_fix_that_does_not_compile():
    class Broken(ToyTransformer):
        def leave_Assign(self, original_node, updated_node):
            if original_node not in self.plans:
                return updated_node
            return updated_node.with_changes(value=cst.Name("return"))  # `x = return`

    result = fix_source("x = 1\n", fixers=toy(Broken))
    assert not result.changed
    assert result.error is not None and "does not compile" in result.error.message


def test_a_crashing_rule_is_a_per_file_error(tmp_path):
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    report = process_file(
        SourceFile("a.py", str(source)), Settings(), Mode.APPLY, toy(detector=CrashingDetector)
    )
    assert report.errors and report.errors[0].kind == "internal"
    assert "MF999 crashed" in report.errors[0].message and "ZeroDivisionError" in report.errors[0].message
    assert "Traceback" in report.errors[0].detail
    assert source.read_text() == "x = 1\n"


def test_apply_does_not_write_when_verify_fails(tmp_path):
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    report = process_file(SourceFile("a.py", str(source)), Settings(), Mode.APPLY, toy(NoopTransformer))
    assert source.read_text() == "x = 1\n"
    assert not report.written


def test_no_verify_skips_the_check(tmp_path):
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")

    class Rename(ToyTransformer):
        def leave_Assign(self, original_node, updated_node):
            if original_node not in self.plans:
                return updated_node
            return updated_node.with_changes(targets=[cst.AssignTarget(cst.Name("z"))])

    report = process_file(SourceFile("a.py", str(source)), Settings(verify=False), Mode.APPLY, toy(Rename))
    assert report.written and source.read_text() == "z = 1\n"


def test_changed_on_disk_between_scan_and_write_is_not_overwritten(tmp_path, monkeypatch):
    import memfix.process as process

    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    real_apply = process.apply_fixes

    def racing_apply(*args, **kwargs):
        source.write_text("x = 1  # edited meanwhile\n")
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(process, "apply_fixes", racing_apply)
    report = process_file(SourceFile("a.py", str(source)), Settings(), Mode.APPLY, toy())
    assert source.read_text() == "x = 1  # edited meanwhile\n"
    assert report.errors[0].kind == "changed"


# -- splicing into the original bytes --------------------------------------------------------


def test_libcst_roundtrip_difference_outside_the_fix_is_kept():
    source = (
        "try:\n    pass\nexcept OSError :\n    pass\n\n"
        "def read(p):\n    return open(p).read()\n"
    )
    assert cst.parse_module(source).code != source  # the pitfall this guards against
    result = fix_source(source, fixers=MF301)
    assert result.changed
    assert "except OSError :\n" in result.text
    assert "with open(p) as f:\n        return f.read()\n" in result.text


def test_splice_refuses_an_edit_on_a_line_the_roundtrip_changed():
    original = "a = 1\nexcept_line = 2 \n"
    roundtrip = "a = 1\nexcept_line = 2\n"
    rewritten = "a = 1\nexcept_line = 3\n"
    assert isinstance(splice(original, roundtrip, rewritten), SpliceError)


def test_splice_uses_neighbouring_line_endings():
    original = "a = 1\r\nb = 2\r\n"
    assert splice(original, original, "a = 1\r\nnew = 0\nb = 2\r\n") == "a = 1\r\nnew = 0\r\nb = 2\r\n"


@pytest.mark.skipif(
    not (Path(sysconfig.get_paths()["stdlib"]) / "webbrowser.py").exists(), reason="no stdlib source"
)
def test_stdlib_webbrowser_is_spliced_not_regenerated():
    path = Path(sysconfig.get_paths()["stdlib"]) / "webbrowser.py"
    text = path.read_text(encoding="utf-8")
    # webbrowser defines its own `open`, so the probe names the builtin explicitly
    probe = "\n\nimport builtins\n\ndef _memfix_probe(p):\n    return builtins.open(p).read()\n"
    assert scan_source(text + "\n\ndef _p(p):\n    return open(p).read()\n", fixers=MF301) == ()
    result = fix_source(text + probe, fixers=MF301)
    assert result.changed
    original_lines = text.splitlines(keepends=True)
    assert result.text.splitlines(keepends=True)[: len(original_lines)] == original_lines


# -- encodings ---------------------------------------------------------------------------------


def _process_bytes(tmp_path, data: bytes, mode=Mode.APPLY):
    source = tmp_path / "a.py"
    source.write_bytes(data)
    report = process_file(SourceFile("a.py", str(source)), Settings(), mode, MF301)
    return report, source.read_bytes()


def test_bom_is_kept(tmp_path):
    data = b"\xef\xbb\xbfdef read(p):\n    return open(p).read()\n"
    report, out = _process_bytes(tmp_path, data)
    assert report.written and out.startswith(b"\xef\xbb\xbfdef read(p):\n    with open(p) as f:")


def test_latin1_cookie_is_kept(tmp_path):
    data = "# -*- coding: latin-1 -*-\nNAME = 'café'\n\ndef read(p):\n    return open(p).read()\n".encode("latin-1")
    report, out = _process_bytes(tmp_path, data)
    assert report.written
    assert out.startswith(b"# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n")
    assert b"    with open(p) as f:\n" in out
    assert b"caf\xe9" in report.diff  # the patch is in the file's own encoding


def test_crlf_file_stays_crlf(tmp_path):
    data = b"def read(p):\r\n    return open(p).read()\r\n"
    report, out = _process_bytes(tmp_path, data)
    assert out == b"def read(p):\r\n    with open(p) as f:\r\n        return f.read()\r\n"


def test_undecodable_bytes_are_reported_and_left_alone(tmp_path):
    data = b"# -*- coding: utf-8 -*-\nx = '\xff'\nopen('a').read()\n"
    report, out = _process_bytes(tmp_path, data)
    assert out == data
    assert report.errors[0].kind == "decode" and "line 2" in report.errors[0].message


# -- detection basics ---------------------------------------------------------------------------


def test_suppression_only_for_named_codes():
    source = "def read(p):\n    return open(p).read()  # memfix: ignore[MF101]\n"
    assert len(scan_source(source, fixers=MF301)) == 1
    assert scan_source(source.replace("MF101", "MF301"), fixers=MF301) == ()


def test_files_without_a_needle_are_not_parsed_by_libcst(tmp_path):
    report, _ = _process_bytes(tmp_path, b"x = 1\n", mode=Mode.DRY_RUN)
    assert not report.parsed and report.findings == ()


def test_syntax_error_is_reported_even_without_candidates(tmp_path):
    report, _ = _process_bytes(tmp_path, b"def f(:\n", mode=Mode.DRY_RUN)
    assert report.errors[0].kind == "parse" and report.errors[0].message.startswith("cannot parse: line 1")


def test_unsafe_fix_needs_opt_in():
    source = "def rows(path, parse):\n    f = open(path)\n    parse(f)\n    f.close()\n"
    assert not fix_source(source, fixers=MF301).changed
    assert fix_source(source, Settings(unsafe_fixes=True), fixers=MF301).changed
    assert fix_source(source, Settings(extend_safe_fixes=("MF3",)), fixers=MF301).changed


@pytest.mark.parametrize(
    "rewrite, expected",
    [
        # parses, but the compiler refuses it: the check compiles the parsed tree, not just parses
        ("def f():\n    pass\nreturn 1\n", "SyntaxError at line 3: 'return' outside function"),
        ("def f():\n    nonlocal x\n", "SyntaxError at line 2: no binding for nonlocal 'x' found"),
        ("def f(:\n    pass\n", "SyntaxError at line 1"),
    ],
)
def test_verify_refuses_a_rewrite_the_compiler_refuses(rewrite, expected):
    from memfix.engine import verify_fix
    from memfix.fixers import FIXERS

    old = "def f():\n    pass\n"
    outcome = verify_fix("x.py", Settings(cache=False), FIXERS, [], {}, old.encode(), rewrite, rewrite.encode())
    assert not outcome.ok
    assert outcome.reason.startswith(f"the rewritten file does not compile ({expected}")
