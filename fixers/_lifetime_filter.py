"""Which methods of a class can show that its instances live long, for the pre-filters.

The growth and dict-cache analyses decide an instance container's confidence from its owner class
(LEAK_PATTERNS "owner lifetime"): a ``while True`` loop, background work started through
threading/asyncio/signal/atexit/sched, the class name and docstring. The slice keeps the class
header and docstring anyway; this predicate names the methods that must stay too, so the rest of
a large owner class can be stubbed.
"""

from __future__ import annotations

import ast
from typing import Callable, FrozenSet, Set

from memfix.astindex import AstIndex
from memfix.fixers._growth_vocab import BACKGROUND_CALLS

#: modules whose calls can start background work (the roots of BACKGROUND_CALLS and friends)
_BACKGROUND_MODULES: FrozenSet[str] = frozenset({name.split(".")[0] for name in BACKGROUND_CALLS}) | {
    "concurrent",
    "multiprocessing",
}
#: last components of the calls that start background work, however they are reached
_BACKGROUND_WORDS: FrozenSet[str] = frozenset({name.rsplit(".", 1)[-1] for name in BACKGROUND_CALLS}) | {
    "create_task",
    "call_later",
    "call_soon",
    "run_forever",
    "submit",
}


def lifetime_evidence(index: AstIndex) -> Callable[[ast.stmt], bool]:
    """True for a method with a ``while`` loop or one that spells a background call (directly, as
    an attribute, or through an alias imported from one of those modules)."""
    words: Set[str] = set(_BACKGROUND_WORDS) | set(_BACKGROUND_MODULES)
    for node in index.nodes(ast.Import):
        words.update(a.asname for a in node.names if a.asname and a.name.split(".")[0] in _BACKGROUND_MODULES)
    for node in index.nodes(ast.ImportFrom):
        if node.module and node.module.split(".")[0] in _BACKGROUND_MODULES:
            words.update(a.asname or a.name for a in node.names)

    def evidence(method: ast.stmt) -> bool:
        if not words.isdisjoint(index.spelled(method)):
            return True
        return any(isinstance(node, ast.While) for node in ast.walk(method))

    return evidence
