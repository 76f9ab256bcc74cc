"""libcst's parser, without re-validating what CPython's parser has already accepted.

libcst checks every node it builds (``CSTNode.__post_init__`` calls ``_validate``), the nodes its
own parser builds included, and those checks are a quarter of ``parse_module``: 1.92 s against
1.46 s over twenty large standard-library files, and about 4% of a whole ``--dry-run`` over an
eighth of the standard library (bench/bench_stdlib.py's reference share). libcst's source says as
much beside ``__post_init__`` ("it might make more sense to move validation work into the
visitor, which would allow us to avoid validating the tree when parsing a file").

The checks guard code that builds nodes by hand: whitespace that holds no newline, balanced
parentheses, identifiers that are identifiers. Nodes the parser builds from a text that CPython's
``ast`` has parsed satisfy them by construction, and none of the checks changes a node (each only
raises). So memfix skips them for exactly that case, :func:`parse_trusted`, and only while the
parser runs: the transformers' nodes are still checked as they are built.

The switch is the class attribute libcst calls, swapped for the duration of one parse under a lock,
and always put back to the function read when this module was imported. A node another thread
builds during that parse is not checked either: memfix builds none in another thread, and a check
only ever raises. If a libcst release stops validating in ``__post_init__``,
:func:`validation_hook` is None and the parser runs as it is.
"""

from __future__ import annotations

import threading
from typing import Callable, Optional

import libcst as cst
from libcst._nodes.base import CSTNode


def _find_validation_hook() -> Optional[Callable[[CSTNode], None]]:
    """libcst's ``CSTNode.__post_init__``, when it is the one-line hook that calls ``_validate``."""
    hook = CSTNode.__dict__.get("__post_init__")
    code = getattr(hook, "__code__", None)
    if code is None or code.co_names != ("_validate",):
        return None
    return hook  # type: ignore[no-any-return]


def _skip(node: CSTNode) -> None:
    """Stands in for ``__post_init__`` while a trusted text is parsed."""


_VALIDATION_HOOK = _find_validation_hook()
_SWAP_LOCK = threading.Lock()


def validation_hook() -> Optional[Callable[[CSTNode], None]]:
    """The hook :func:`parse_trusted` switches off (None: this libcst has none it recognises)."""
    return _VALIDATION_HOOK


def parse_trusted(text: str) -> cst.Module:
    """``libcst.parse_module(text)`` for a ``text`` CPython's ``ast.parse`` accepts, without the
    node checks (module docstring). A text CPython rejected, or one not checked, must go through
    ``libcst.parse_module``: there libcst's checks are part of what decides that it parses."""
    hook = _VALIDATION_HOOK
    if hook is None:
        return cst.parse_module(text)
    with _SWAP_LOCK:
        CSTNode.__post_init__ = _skip  # type: ignore[method-assign]
        try:
            return cst.parse_module(text)
        finally:
            CSTNode.__post_init__ = hook  # type: ignore[method-assign]


__all__ = ["parse_trusted", "validation_hook"]
