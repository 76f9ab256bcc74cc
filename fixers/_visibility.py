"""Whether code memfix cannot see may read a container by its name.

memfix reads one module at a time. A closure variable, or a name spelled private (a leading
underscore), is read only where memfix looks; a public attribute or module global may also be
read by any module that imports this one or holds one of its objects, and those readers are out
of sight. A fix that bounds such a container, or changes its type, can change what they observe
(``json.dumps(monitor.samples)`` fails on a deque; ``len(registry.items)`` is smaller), so it
cannot be classed safe from the readers in sight alone: safe means the program behaves the same.
"""

from __future__ import annotations

#: how a container is reached, as the rules name it
ATTRIBUTE = "attribute"
MODULE_GLOBAL = "module global"


def public(name: str) -> bool:
    """Spelled for use outside its module: no leading underscore (PEP 8's convention; name
    mangling makes ``__x`` private too)."""
    return not name.startswith("_")


def read_elsewhere(reached_as: str, name: str, shown: str) -> str:
    """Why readers out of sight may exist ("" when none can): ``reached_as`` is
    :data:`ATTRIBUTE`, :data:`MODULE_GLOBAL` or anything else (a closure variable, a local);
    ``shown`` is the container as the message spells it."""
    if not public(name):
        return ""
    if reached_as == ATTRIBUTE:
        return f"{shown} is a public attribute: code in other modules, which memfix does not read, may read it"
    if reached_as == MODULE_GLOBAL:
        return f"{shown} is a public module global: code in other modules, which memfix does not read, may import and read it"
    return ""


__all__ = ["ATTRIBUTE", "MODULE_GLOBAL", "public", "read_elsewhere"]
