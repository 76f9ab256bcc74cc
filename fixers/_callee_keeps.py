"""Whether a function this module defines keeps an argument it is passed (MF301, MF302).

A handle passed to a function the analysis cannot see makes a with-block fix unsafe: the callee
may keep it. When the callee is defined in the same module (``self.initfp(f)`` of a method in the
same class, ``helper(f)``, ``Reader(f)`` with its ``__init__``), its body answers the question.
One that stores the parameter on an object or in a container, returns or yields it, or lets a
nested function capture it, keeps the handle past the call: wrapping the open in a with-block
would close it under the object that holds it (aifc's ``Aifc_read.__init__`` passes its file to
``self.initfp``, which stores it as ``self._file``; CPython's test_aifc then writes to a closed
file). Such a fix is refused, as for a handle stored on ``self`` directly.

Only a definite keep is reported: a callee that passes the parameter on to another call, or
aliases it to a local first, leaves the fix as it was (unsafe).
"""

from __future__ import annotations

from typing import Callable, Optional, Tuple

import libcst as cst

from memfix.fixers._with_plans import STORING_METHODS
from memfix.nodes import walk

Parent = Callable[[cst.CSTNode], Optional[cst.CSTNode]]
Resolve = Callable[[cst.Name], Optional[cst.CSTNode]]


def callee_keeps(call: cst.Call, arg: cst.Arg, parent: Parent, resolve: Resolve) -> Optional[str]:
    """Why the function ``call`` runs keeps what ``arg`` passes (None: not known to). ``parent``:
    the tree's parent lookup; ``resolve``: the definition a plain name is bound to in its scope
    (a ``FunctionDef`` or ``ClassDef``), or None."""
    found = _callee(call, parent, resolve)
    if found is None:
        return None
    function, bound = found
    name = _parameter(call, arg, function, bound)
    if name is None:
        return None
    return _keeps(function, name, parent)


def _callee(call: cst.Call, parent: Parent, resolve: Resolve) -> Optional[Tuple[cst.FunctionDef, bool]]:
    """The definition ``call`` runs, and whether its first parameter is bound (a method)."""
    func = call.func
    if isinstance(func, cst.Name):
        target = resolve(func)
        if isinstance(target, cst.FunctionDef):
            return target, False
        if isinstance(target, cst.ClassDef):
            init = _method(target, "__init__")
            return (init, True) if init is not None else None
        return None
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        method = _enclosing_method(call, parent)
        if method is None:
            return None
        function, owner = method
        params = function.params.params
        if not params or params[0].name.value != func.value.value or _decorated(function, "staticmethod"):
            return None  # not `self.name(...)` in a method of the class
        target = _method(owner, func.attr.value)
        if target is None:
            return None  # inherited, or set on the instance: not visible here
        return target, not _decorated(target, "staticmethod")
    return None


def _enclosing_method(node: cst.CSTNode, parent: Parent) -> Optional[Tuple[cst.FunctionDef, cst.ClassDef]]:
    current = parent(node)
    while current is not None and not isinstance(current, (cst.FunctionDef, cst.Lambda)):
        current = parent(current)
    if not isinstance(current, cst.FunctionDef):
        return None
    block = parent(current)
    owner = parent(block) if isinstance(block, cst.IndentedBlock) else None
    return (current, owner) if isinstance(owner, cst.ClassDef) else None


def _method(owner: cst.ClassDef, name: str) -> Optional[cst.FunctionDef]:
    """The last definition of ``name`` directly in the class body (the one that wins)."""
    found = None
    body = owner.body.body if isinstance(owner.body, cst.IndentedBlock) else ()
    for statement in body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
            found = statement
    return found


def _decorated(function: cst.FunctionDef, name: str) -> bool:
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value == name for d in function.decorators)


def _parameter(call: cst.Call, arg: cst.Arg, function: cst.FunctionDef, bound: bool) -> Optional[str]:
    """The parameter ``arg`` binds (None: through ``*``/``**``, or not known)."""
    params = function.params
    named = [*params.posonly_params, *params.params]
    if bound:
        named = named[1:]
    if arg.star:
        return None
    if arg.keyword is not None:
        keyword = arg.keyword.value
        every = [p.name.value for p in (*named, *params.kwonly_params)]
        return keyword if keyword in every else None
    position = 0
    for other in call.args:
        if other is arg:
            break
        if other.star or other.keyword is not None:
            return None  # the position depends on what a starred argument holds
        position += 1
    return named[position].name.value if position < len(named) else None


def _keeps(function: cst.FunctionDef, name: str, parent: Parent) -> Optional[str]:
    for node in walk(function.body):
        if isinstance(node, cst.Name) and node.value == name:
            reason = _kept_at(node, function, parent)
            if reason is not None:
                return f"`{function.name.value}()` {reason}"
    return None


def _kept_at(use: cst.Name, function: cst.FunctionDef, parent: Parent) -> Optional[str]:
    """What keeps the parameter at ``use``: its value stored on an object or in a container,
    returned, yielded, passed to a storing method, or captured by a nested function."""
    child: cst.CSTNode = use
    holder = parent(use)
    if isinstance(holder, cst.Attribute) and holder.value is use:
        return None  # `f.read()`, `f.name`: what it gives, not the handle itself
    built = False  # the value kept is built from the handle (`wrap(f)`), not the handle itself
    while holder is not None and holder is not function:
        if isinstance(holder, (cst.FunctionDef, cst.Lambda)):
            return "passes it to a nested function, which may outlive the call"
        if isinstance(holder, (cst.Return, cst.Yield)):
            return "returns a value built from it" if built else "returns it"
        if isinstance(holder, cst.Arg):
            built = True
            outer = parent(holder)
            if isinstance(outer, cst.Call) and isinstance(outer.func, cst.Attribute) and outer.func.attr.value in STORING_METHODS:
                return f"stores it with `.{outer.func.attr.value}()`"
        if isinstance(holder, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            if child is not getattr(holder, "value", None):
                return None  # the parameter re-bound, not stored
            targets = [t.target for t in holder.targets] if isinstance(holder, cst.Assign) else [holder.target]
            kept = next((t for t in targets if not isinstance(t, cst.Name)), None)
            if kept is not None:
                return f"stores it in `{cst.Module([]).code_for_node(kept)}`"
            return None
        if isinstance(holder, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            return None
        child, holder = holder, parent(holder)
    return None
