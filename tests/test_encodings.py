"""Encodings and layout survive a rewrite byte for byte, for every rule's fixable examples.

Each rule's ``Invalid`` examples that carry a ``fixed`` text are written to disk under a layout
transform (BOM, PEP 263 cookies, CRLF, tabs, no final newline, form feeds, very long lines) and
run through ``process_file --apply``; the file must then hold exactly the transformed ``fixed``
text, in the same encoding. New rules are covered as soon as they are in ``FIXERS``.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Callable, List, NamedTuple, Tuple

import pytest

from memfix.discover import SourceFile
from memfix.fixer import Fixer, Invalid
from memfix.fixers import FIXERS
from memfix.model import FileReport, Mode
from memfix.process import process_file
from memfix.testing import settings_for_example

FIXABLE: List[Tuple[Fixer, Invalid]] = [
    (fx, ex) for fx in FIXERS for ex in fx.examples if isinstance(ex, Invalid) and ex.fixed is not None
]
FIXABLE_IDS = [f"{fx.code}-{i}" for i, (fx, _) in enumerate(FIXABLE)]
REPORTED: List[Tuple[Fixer, Invalid]] = [(fx, ex) for fx in FIXERS for ex in fx.examples if isinstance(ex, Invalid)]


class Layout(NamedTuple):
    name: str
    text: Callable[[str], str]
    encode: Callable[[str], bytes]


def _tabs(text: str) -> str:
    return re.sub(r"(?m)^((?:    )+)", lambda m: "\t" * (len(m.group(1)) // 4), text)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")


LONG = "x" * 200_000
LAYOUTS = [
    Layout("utf8", lambda t: t, _utf8),
    Layout("utf8-bom", lambda t: t, lambda t: b"\xef\xbb\xbf" + t.encode("utf-8")),
    Layout("utf8-nonascii", lambda t: "# naïve café ☃ 𝔘\n" + t, _utf8),
    Layout("latin1-cookie", lambda t: "# -*- coding: latin-1 -*-\n# café, ½\n" + t, lambda t: t.encode("latin-1")),
    Layout("cp1252-cookie", lambda t: "# vim: set fileencoding=cp1252 :\n# 5 € “quoted”\n" + t, lambda t: t.encode("cp1252")),
    Layout("crlf", lambda t: t.replace("\n", "\r\n"), _utf8),
    Layout("tabs", _tabs, _utf8),
    Layout("no-final-newline", lambda t: t.rstrip("\n"), _utf8),
    Layout("form-feed", lambda t: "# header\n\x0c\n" + t + "\x0c\n# end\n", _utf8),
    Layout("long-lines", lambda t: f"# {LONG}\n" + t + f"_LONG = '{LONG}'\n", _utf8),
    Layout(
        "bom-crlf-tabs-no-final-newline",
        lambda t: _tabs(t).rstrip("\n").replace("\n", "\r\n"),
        lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    ),
]


def _run(path: Path, fixer: Fixer, example: Invalid) -> FileReport:
    settings = settings_for_example(example, fixer.code)
    return process_file(SourceFile(path.name, str(path)), settings, Mode.APPLY, (fixer,))


@pytest.mark.parametrize("layout", LAYOUTS, ids=[layout.name for layout in LAYOUTS])
@pytest.mark.parametrize("fixer,example", FIXABLE, ids=FIXABLE_IDS)
def test_layout_preserved_byte_for_byte(tmp_path, fixer, example, layout):
    path = tmp_path / "case.py"
    path.write_bytes(layout.encode(layout.text(example.code)))
    report = _run(path, fixer, example)
    assert report.errors == ()
    assert report.written
    assert path.read_bytes() == layout.encode(layout.text(example.fixed))
    again = _run(path, fixer, example)
    assert again.errors == () and not again.written
    assert path.read_bytes() == layout.encode(layout.text(example.fixed))


def _split_endings(data: bytes) -> List[Tuple[bytes, bytes]]:
    lines = data.splitlines(keepends=True)
    out = []
    for line in lines:
        body = line.rstrip(b"\r\n")
        out.append((body, line[len(body):]))
    return out


@pytest.mark.parametrize("first", [b"\n", b"\r\n"], ids=["lf-first", "crlf-first"])
@pytest.mark.parametrize("fixer,example", FIXABLE, ids=FIXABLE_IDS)
def test_mixed_line_endings_kept_and_inserted_lines_use_neighbours(tmp_path, fixer, example, first):
    other = b"\r\n" if first == b"\n" else b"\n"
    lines = example.code.encode("utf-8").splitlines()
    source = b"".join(line + (first if i % 2 == 0 else other) for i, line in enumerate(lines))
    path = tmp_path / "case.py"
    path.write_bytes(source)
    report = _run(path, fixer, example)
    assert report.errors == () and report.written
    result = path.read_bytes()
    # the text is the example's fix; only the line endings are in question
    assert result.replace(b"\r\n", b"\n") == example.fixed.encode("utf-8")
    old, new = _split_endings(source), _split_endings(result)
    matcher = difflib.SequenceMatcher(None, [b for b, _ in old], [b for b, _ in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":  # untouched lines keep their own ending
            assert [e for _, e in old[i1:i2]] == [e for _, e in new[j1:j2]]
            continue
        neighbours = {e for _, e in old[max(0, i1 - 1) : min(len(old), i2 + 1)]}
        for _, ending in new[j1:j2]:
            assert ending in neighbours | {b""}, (tag, old[i1:i2], new[j1:j2])


BAD_BYTES = [
    ("utf8", b"", b"# \xff\xfe not utf-8\n"),
    ("utf8-bom", b"\xef\xbb\xbf", b"# \xc3 truncated\n"),
    ("cp1252", b"# coding: cp1252\n", b"# \x81 is undefined in cp1252\n"),
    ("bom-with-latin1-cookie", b"\xef\xbb\xbf# coding: latin-1\n", b"# fine\n"),
    ("utf16-cookie", b"# coding: utf-16\n", b"# fine\n"),
    ("null-byte", b"", b"# nul \x00 here\n"),
]


@pytest.mark.parametrize("name,head,bad", BAD_BYTES, ids=[b[0] for b in BAD_BYTES])
@pytest.mark.parametrize("fixer,example", REPORTED[:1] + FIXABLE[:1], ids=["reported", "fixable"])
def test_undecodable_file_is_reported_and_left_alone(tmp_path, fixer, example, name, head, bad):
    data = head + b"# line two\n" + bad + example.code.encode("utf-8")
    path = tmp_path / "case.py"
    path.write_bytes(data)
    report = _run(path, fixer, example)
    assert [e.kind for e in report.errors] == ["decode"]
    assert report.errors[0].message.startswith(("cannot decode", "cannot read"))
    assert report.findings == () and not report.written
    assert path.read_bytes() == data


def test_decode_error_names_the_line(tmp_path):
    fixer, example = REPORTED[0]
    path = tmp_path / "case.py"
    path.write_bytes(b"# coding: utf-8\nx = 1\ny = 2\n# \xff\n" + example.code.encode())
    report = _run(path, fixer, example)
    assert "line 4" in report.errors[0].message


def test_invalid_utf8_is_not_silently_replaced(tmp_path):
    """A lenient decode (errors="replace") would write U+FFFD over the user's bytes."""
    fixer, example = FIXABLE[0]
    path = tmp_path / "case.py"
    data = example.code.encode() + b"# \xe9t\xe9 in latin-1 without a cookie\n"
    path.write_bytes(data)
    report = _run(path, fixer, example)
    assert report.errors and report.errors[0].kind == "decode"
    assert path.read_bytes() == data
