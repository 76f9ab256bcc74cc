"""Bytes in, text for the parser, the same bytes out wherever nothing was rewritten.

The encoding comes from the BOM or the PEP 263 cookie (``tokenize.detect_encoding``, the rules the
interpreter itself applies). Decoding does no newline translation, so CRLF and mixed line endings
reach the parser and the splice untouched.

A file is only accepted if encoding its text again gives back exactly its bytes: every byte memfix
does not rewrite is then written back as it was read, whatever the codec. Anything else (bytes
invalid in the declared encoding, a codec that is not ASCII-compatible, a null byte) is a per-file
error and the file is left alone.
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


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


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
        ascii_compatible = b"# x\n".decode(encoding) == "# x\n"
    except (UnicodeError, LookupError):
        ascii_compatible = False
    if not ascii_compatible:
        # Python itself refuses these ("encoding problem"): the cookie line could not have been read
        return FileError(path, "decode", f"cannot decode: {encoding} is not an ASCII-compatible encoding")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        return FileError(
            path,
            "decode",
            f"cannot decode: byte {data[exc.start:exc.start + 1]!r} at line {_line_of(data, exc.start)} "
            f"is not valid {encoding}",
        )
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return FileError(path, "decode", f"cannot read: null byte at line {line}; not Python source")
    try:
        exact = encode_source(text, encoding) == data
    except UnicodeError:
        exact = False
    if not exact:
        return FileError(
            path, "decode", f"cannot decode: {encoding} does not give back the same bytes; left alone"
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
