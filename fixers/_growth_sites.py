"""What grows a container, on the ``ast``: the one statement of the growth shapes that the
growth pre-filter's readers share.

The shared analysis (``fixers._growth``, ``_classify_sequence`` and ``_rebind_use``) takes four
shapes of code as growth of a list, deque or ``defaultdict(list)`` ``x``:

* a growth method (``GROW_METHODS``) of ``x``: ``x.append(v)``, ``x.extend(vs)``, ... called or
  not (``add = x.append`` grows ``x`` once ``add`` is called);
* an augmented assignment ``x += vs`` (the analysis reads any other operator as an escape);
* a re-bind of ``x`` to a copy that spells it: ``x = x + [v]``, ``x = [v] + x``, ``x = [*x, v]``
  (a binary operation or a list display; the analysis compares the code of the target with the
  names, attributes and subscripts of the value, of which the identifier is a superset);
* an alias ``h = x``, through which the other three may grow ``x`` (the analysis follows a
  function's plain local, a few levels deep).

Three readers ask about them, for different questions, and so at different breadths:
``_growth_filters._shapes`` (the keys something grows: the candidates, read as the analysis reads
growth), ``_growth_dismiss._Collector`` (every site that may grow a candidate: a superset, since a
missed site would dismiss what the analysis reports) and ``_growth_dismiss.names_grown_in`` (the
plain names a function may grow an alias through). Each says where it is wider than the analysis;
none may be narrower. ``exact=True`` asks for the shape as the analysis reads it, ``exact=False``
for the wider reading a superset may take.
"""

from __future__ import annotations

import ast
from typing import AbstractSet, Callable, List, Optional, Tuple

from memfix.fixers._growth_vocab import GROW_METHODS

#: the values of a re-bind the analysis takes as growth by a copy when they spell the target
COPY_VALUES = (ast.BinOp, ast.List)

Spelled = Callable[[ast.AST], AbstractSet[str]]


def grown_receiver(node: ast.AST) -> Optional[ast.expr]:
    """``x`` of ``x.append`` / ``x.extend`` / ... (a growth method, called or not), else None."""
    if isinstance(node, ast.Attribute) and node.attr in GROW_METHODS:
        return node.value
    return None


def augmented_target(node: ast.AST, exact: bool) -> Optional[ast.expr]:
    """``x`` of ``x += vs``, else None. ``exact``: only ``+=``, as the analysis reads growth (it
    takes ``x -= v`` or ``x *= 2`` as an escape); else any operator."""
    if isinstance(node, ast.AugAssign) and (not exact or isinstance(node.op, ast.Add)):
        return node.target
    return None


def targets_and_value(node: ast.AST) -> Optional[Tuple[List[ast.expr], ast.expr]]:
    """The targets and the value of ``a = b = value`` / ``a: T = value`` (None: no assignment, or
    an annotation without a value)."""
    if isinstance(node, ast.Assign):
        return list(node.targets), node.value
    if isinstance(node, ast.AnnAssign) and node.value is not None:
        return [node.target], node.value
    return None


def rebinds_to_copy(target: ast.expr, value: ast.expr, spelled: Spelled, exact: bool) -> bool:
    """``target = value`` grows ``target`` by a copy: ``x = x + [v]``, ``x = [*x, v]``,
    ``self.x = self.x + [v]``. ``exact``: a binary operation or a list display spelling the
    target's name, as the analysis reads it; else any value spelling it (``x = sorted(x)``, which
    the analysis takes as a bound: a superset that would rather count a growth than a bound)."""
    if isinstance(target, ast.Attribute):
        name = target.attr
    elif isinstance(target, ast.Name):
        name = target.id
    else:
        return False
    if exact and not isinstance(value, COPY_VALUES):
        return False
    return name in spelled(value)


def aliased(value: ast.expr) -> bool:
    """``h = value`` makes ``h`` an alias of what ``value`` names: growth through ``h`` may grow
    it (``h = self.items``, ``h = ITEMS``, ``g = h``)."""
    return isinstance(value, (ast.Attribute, ast.Name))


__all__ = ["COPY_VALUES", "aliased", "augmented_target", "grown_receiver", "rebinds_to_copy", "targets_and_value"]
