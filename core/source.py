"""Bytes in, text for the parser, the same bytes out wherever nothing was rewritten.

The encoding comes from the BOM or the PEP 263 cookie (``tokenize.detect_encoding``, the rules the
interpreter itself applies). Decoding does no newline translation, so CRLF and mixed line endings
reach the parser and the splice untouched.
"""

from __future__ import annotations

import codecs
import io
import tokenize
from dataclasses import dataclass
from typing import Union

from memfix.model import FileError


@dataclass(frozen=True)
class DecodedSource:
    text: str
    encoding: str  # codec name; "utf-8-sig" when the file starts with a BOM


def decode_source(path: str, data: bytes) -> Union[DecodedSource, FileError]:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        return FileError(path, "decode", f"cannot decode: {exc.msg if hasattr(exc, 'msg') else exc}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        return FileError(path, "decode", f"cannot decode: unknown encoding {encoding!r}")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return FileError(
            path,
            "decode",
            f"cannot decode: byte {data[exc.start:exc.start + 1]!r} at line {line} is not valid {encoding}",
        )
    return DecodedSource(text=text, encoding=encoding)


def encode_source(text: str, encoding: str) -> bytes:
    """Inverse of decode_source; "utf-8-sig" re-adds the BOM the file had."""
    return text.encode(encoding)


def line_ending_of(text: str) -> str:
    """The file's dominant line ending, for lines the rewrite creates without a neighbour."""
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    return "\r\n" if crlf > lf else "\n"
