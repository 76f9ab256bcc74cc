"""The rule registry: every rule module is listed here, explicitly, in code order.

No import-time discovery: the list is easy to read, and tests/test_registry.py fails when a module
under fixers/ is missing from it.
"""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

from memfix.fixer import Fixer
from memfix.fixers import lru_cache_on_method
from memfix.fixers import open_without_with
from memfix.fixers import resource_without_with
from memfix.fixers import slice_rebind_trim
from memfix.fixers import unbounded_defaultdict
from memfix.fixers import unbounded_deque
from memfix.fixers import unbounded_dict_cache
from memfix.fixers import unbounded_list
from memfix.fixers import unbounded_list_trim
from memfix.fixers import unbounded_lru_cache
from memfix.fixers import unbounded_queue

FIXERS: Tuple[Fixer, ...] = (
    unbounded_list.FIXER,
    unbounded_list_trim.FIXER,
    unbounded_deque.FIXER,
    unbounded_defaultdict.FIXER,
    slice_rebind_trim.FIXER,
    unbounded_dict_cache.FIXER,
    unbounded_lru_cache.FIXER,
    lru_cache_on_method.FIXER,
    open_without_with.FIXER,
    resource_without_with.FIXER,
    unbounded_queue.FIXER,
)


class UnknownRuleError(ValueError):
    pass


def _matches(fixer: Fixer, selector: str) -> bool:
    selector = selector.strip()
    return fixer.rule.code.startswith(selector.upper()) or fixer.rule.name == selector.lower()


def check_selectors(selectors: Iterable[str]) -> None:
    for selector in selectors:
        if not any(_matches(f, selector) for f in FIXERS):
            raise UnknownRuleError(f"unknown rule code or name: {selector!r}")


def select_fixers(select: Sequence[str] = (), ignore: Sequence[str] = ()) -> Tuple[Fixer, ...]:
    chosen: List[Fixer] = [f for f in FIXERS if not select or any(_matches(f, s) for s in select)]
    return tuple(f for f in chosen if not any(_matches(f, s) for s in ignore))


def by_code(code: str) -> Optional[Fixer]:
    for fixer in FIXERS:
        if fixer.rule.code == code.upper() or fixer.rule.name == code.lower():
            return fixer
    return None
