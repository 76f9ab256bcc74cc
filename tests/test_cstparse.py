"""memfix.cstparse: libcst's parser without its node checks, for text CPython has parsed.

The trees must be libcst's own (same code, same structure), the checks must be back on after every
parse (one that fails included), and the engine must use the shortcut only where CPython's parser
has accepted the text."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Callable, List
from unittest import mock

import libcst as cst
import pytest
from libcst._nodes.base import CSTNode

from memfix.config import Settings
from memfix.cstparse import parse_trusted, validation_hook
from memfix.engine import detect
from memfix.fixers import open_without_with
from memfix.model import FileError

FIXTURES = Path(__file__).parent / "fixtures"

#: libcst's own test of the parser's checks (libcst/_parser/tests/test_parse_errors.py) breaks
#: this one: every identifier goes through it
BROKEN_CHECK = "libcst._nodes.expression.Name._validate"


def _parses(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except Exception:  # SyntaxError, libcst.ParserSyntaxError
        return False
    return True


def _sources() -> List[Path]:
    return sorted(FIXTURES.rglob("*.py"))


#: a libcst that no longer validates in ``__post_init__`` gets plain ``parse_module`` (the fallback
#: test below); the tests of the shortcut itself need the hook
needs_hook = pytest.mark.skipif(validation_hook() is None, reason="this libcst validates elsewhere")


@needs_hook
def test_this_libcst_has_the_hook() -> None:
    assert validation_hook() is CSTNode.__dict__["__post_init__"]


def test_an_unrecognised_libcst_parses_as_it_always_did(monkeypatch) -> None:
    monkeypatch.setattr("memfix.cstparse._VALIDATION_HOOK", None)
    with mock.patch(BROKEN_CHECK, side_effect=cst.CSTValidationError("broken")):
        with pytest.raises((SyntaxError, cst.ParserSyntaxError)):
            parse_trusted("foo = bar\n")
    assert parse_trusted("foo = bar\n").code == "foo = bar\n"


@pytest.mark.parametrize("path", _sources()[::7], ids=lambda p: str(p.relative_to(FIXTURES)))
def test_the_tree_is_libcsts_own(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    checked = cst.parse_module(text)
    trusted = parse_trusted(text)
    assert trusted.code == text
    assert trusted.deep_equals(checked)


@needs_hook
def test_the_checks_are_skipped_while_parsing() -> None:
    with mock.patch(BROKEN_CHECK, side_effect=cst.CSTValidationError("broken")):
        with pytest.raises((SyntaxError, cst.ParserSyntaxError)):
            cst.parse_module("foo = bar\n")
        assert parse_trusted("foo = bar\n").code == "foo = bar\n"


@needs_hook
def test_the_checks_are_back_after_a_parse() -> None:
    parse_trusted("x = 1\n")
    assert CSTNode.__dict__["__post_init__"] is validation_hook()
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not an identifier")  # a transformer's node is still checked


@needs_hook
def test_the_checks_are_back_after_a_failed_parse() -> None:
    with pytest.raises(cst.ParserSyntaxError):
        parse_trusted("def (:\n")
    assert CSTNode.__dict__["__post_init__"] is validation_hook()
    with pytest.raises(cst.CSTValidationError):
        cst.SimpleWhitespace("\n")


def _detect(source: str):
    return detect(source, "m.py", Settings(), (open_without_with.FIXER,))


def test_the_engine_parses_what_cpython_accepted_without_the_checks() -> None:
    source = "def read(path):\n    handle = open(path)\n    return handle.read()\n"
    with mock.patch("memfix.engine.parse_trusted", wraps=parse_trusted) as trusted:
        detection = _detect(source)
    assert not isinstance(detection, FileError), detection
    assert [f.code for f in detection.findings] == ["MF301"]
    assert trusted.call_count == 1


NEWER_SYNTAX = "type Pair = tuple\nhandle = open('log')\n"  # a 3.12 type alias


@pytest.mark.skipif(_parses(ast.parse, NEWER_SYNTAX), reason="this Python's ast parses type aliases")
@pytest.mark.skipif(not _parses(cst.parse_module, NEWER_SYNTAX), reason="this libcst does not parse type aliases here")
def test_the_engine_keeps_the_checks_where_cpython_did_not_parse() -> None:
    # this interpreter's `ast` rejects the text, so libcst alone decides whether it parses, and
    # its checks are part of that decision
    with mock.patch("memfix.engine.parse_trusted", wraps=parse_trusted) as trusted:
        detection = _detect(NEWER_SYNTAX)
    assert not isinstance(detection, FileError), detection  # libcst accepts it
    assert trusted.call_count == 0
