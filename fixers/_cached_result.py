"""What a cached function hands back, as far as its code shows (MF202's identity question).

An unbounded ``@cache`` hands every caller of a key the same object, for ever; a bounded one
hands out a new object for a key it evicted and recomputed. Callers cannot tell the difference
only when the result is a value: immutable (a number, a string, a tuple of values, a
``datetime.timezone``) or an object the function does not create (an argument, a module-level
name). A new list (``text.split()``) is shared by every caller and may be mutated by one of them;
a new client, session or lock is relied on by identity. A call memfix knows nothing about may
return either, so its result is *unknown*, and a fix that bounds it is not safe.
"""

from __future__ import annotations

from typing import Callable, FrozenSet, Iterable, Optional, Sequence, Set

import libcst as cst

from memfix.nodes import child_nodes, walk

VALUE = "value"  # the same object, or an equal immutable one, whoever computes it
NEW = "new"  # a new mutable or identity-bearing object on every computation
UNKNOWN = "unknown"  # nothing shows which

#: calls (qualified names) whose result is an immutable value
_VALUE_CALLS = frozenset(
    {
        "builtins.int", "builtins.float", "builtins.complex", "builtins.str", "builtins.bytes",
        "builtins.bool", "builtins.len", "builtins.abs", "builtins.round",
        "builtins.hash", "builtins.repr", "builtins.ascii", "builtins.ord", "builtins.chr",
        "builtins.format", "builtins.isinstance", "builtins.issubclass", "builtins.hasattr",
        "builtins.callable", "builtins.bin", "builtins.oct", "builtins.hex", "builtins.divmod",
        "builtins.pow", "builtins.any", "builtins.all",
        "datetime.timezone", "datetime.timedelta", "datetime.date", "datetime.datetime", "datetime.time",
        "decimal.Decimal", "fractions.Fraction", "re.escape", "re.compile",
        "ipaddress.ip_address", "ipaddress.ip_network", "ipaddress.ip_interface",
        "ipaddress.IPv4Address", "ipaddress.IPv6Address", "ipaddress.IPv4Network", "ipaddress.IPv6Network",
    }
)
#: modules whose functions all return immutable values (numbers, strings, booleans)
_VALUE_MODULES = ("math.", "cmath.", "unicodedata.", "os.path.", "posixpath.", "ntpath.", "keyword.")
#: methods that return a new string, bytes, number or boolean whatever the (str-like) receiver
_VALUE_METHODS = frozenset(
    {
        "upper", "lower", "casefold", "title", "capitalize", "swapcase", "strip", "lstrip", "rstrip",
        "replace", "format", "format_map", "join", "zfill", "ljust", "rjust", "center", "expandtabs",
        "removeprefix", "removesuffix", "encode", "decode", "translate", "startswith", "endswith",
        "find", "rfind", "count", "isdigit", "isalpha", "isalnum", "isspace", "isidentifier",
        "isupper", "islower", "isnumeric", "isdecimal", "hexdigest", "digest", "isoformat",
        "strftime", "bit_length", "exists", "is_file", "is_dir", "isdisjoint", "issubset", "issuperset",
    }
)
#: immutable copies of an iterable: a value when what they hold is
_FROZEN_COPIES = frozenset({"builtins.tuple", "builtins.frozenset"})
#: str methods whose result is a new list of strings
_SPLITS = frozenset({"split", "rsplit", "splitlines"})
#: methods whose result is a new container
_NEW_METHODS = frozenset({"split", "rsplit", "splitlines", "copy", "keys", "values", "items", "readlines"})
_CONTAINER_DISPLAYS = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp, cst.GeneratorExp, cst.Lambda)


def result_kind(
    expr: cst.BaseExpression,
    qualified: Callable[[cst.BaseExpression], Set[str]],
    parameters: Set[str],
    is_local: Callable[[cst.Name], bool],
    makes_new: Callable[[cst.Call], bool],
    callee: Callable[[cst.Call], Optional[str]] = lambda call: None,
    resolve: Callable[[cst.Name], Optional[cst.BaseExpression]] = lambda name: None,
    depth: int = 0,
) -> str:
    """:data:`VALUE`, :data:`NEW` or :data:`UNKNOWN` for a returned expression. ``qualified``
    resolves a callee's qualified names; ``is_local`` tells a name bound inside the function (its
    object is whatever the function built) from a module-level one; ``makes_new`` is the caller's
    own list of constructors (``collections``, ``threading``, classes of this module); ``callee``
    the kind of what a function of this module returns (None: not one); ``resolve`` the one
    expression a local name is bound to (None: bound more than once, by a loop, or unknown)."""
    def kind(e: cst.BaseExpression) -> str:
        return result_kind(e, qualified, parameters, is_local, makes_new, callee, resolve, depth + 1)

    if depth > 8:
        return UNKNOWN

    if isinstance(expr, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString,
                         cst.FormattedString, cst.Ellipsis, cst.Comparison)):
        return VALUE
    if isinstance(expr, _CONTAINER_DISPLAYS):
        return NEW
    if isinstance(expr, cst.Name):
        if expr.value in ("None", "True", "False") or expr.value in parameters:
            return VALUE
        if not is_local(expr):
            return VALUE
        source = resolve(expr)
        return kind(source) if source is not None else UNKNOWN
    if isinstance(expr, cst.UnaryOperation):
        return VALUE if isinstance(expr.operator, cst.Not) else kind(expr.expression)
    if isinstance(expr, (cst.BinaryOperation, cst.BooleanOperation)):
        return _combined(kind(e) for e in (expr.left, expr.right))
    if isinstance(expr, cst.IfExp):
        return _combined(kind(e) for e in (expr.body, expr.orelse))
    if isinstance(expr, cst.Tuple):
        return _combined(
            kind(e.value) if isinstance(e, cst.Element) else UNKNOWN
            for e in expr.elements
        )
    if isinstance(expr, cst.Call):
        if makes_new(expr):
            return NEW
        own = callee(expr)
        if own is not None:
            return own
        names = qualified(expr.func)
        if names & _VALUE_CALLS or any(n.startswith(_VALUE_MODULES) for n in names):
            return VALUE
        if names & _FROZEN_COPIES and len(expr.args) <= 1:
            # a tuple or frozenset of what its argument holds: strings from a split, or values
            if not expr.args:
                return VALUE
            arg = expr.args[0].value
            splits = isinstance(arg, cst.Call) and isinstance(arg.func, cst.Attribute) and arg.func.attr.value in _SPLITS
            return VALUE if splits or kind(arg) == VALUE else UNKNOWN
        if isinstance(expr.func, cst.Attribute):
            method = expr.func.attr.value
            if method in _VALUE_METHODS:
                return VALUE
            if method in _NEW_METHODS:
                return NEW
    return UNKNOWN


def param_names(func: cst.FunctionDef) -> Set[str]:
    return {p.name.value for p in walk(func.params) if isinstance(p, cst.Param)}


def single_def(body: Sequence[cst.CSTNode], name: str) -> Optional[cst.FunctionDef]:
    """The function ``body`` (a module's or a class's) defines as ``name``, when it defines it
    once: with two definitions, which one a call reaches depends on when it runs."""
    found = [stmt for stmt in body if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name]
    return found[0] if len(found) == 1 else None


#: how many helper calls deep a result is followed (the pre-filter keeps as many:
#: memfix.prefilter.called_helpers)
HELPER_DEPTH = 3


def helper_kind(
    target: cst.FunctionDef,
    visiting: FrozenSet[cst.FunctionDef],
    kind_in: Callable[[cst.BaseExpression, FrozenSet[cst.FunctionDef]], str],
) -> str:
    """What calling ``target`` (a helper a cached computation calls) hands back: the kinds of its
    returns combined (none, or a bare ``return``, is ``None``: a value); a generator is new, a
    coroutine unknown. A function already being read (``visiting``: recursion) is a value if its
    other returns are; past :data:`HELPER_DEPTH` helpers, unknown. ``kind_in`` reads one returned
    expression of ``target``, with the functions then being read."""
    if target in visiting:
        return VALUE
    if len(visiting) > HELPER_DEPTH or target.asynchronous is not None:
        return UNKNOWN
    inner = visiting | {target}
    kinds = set()
    for node in own_nodes(target.body):
        if isinstance(node, cst.Yield):
            return NEW
        if isinstance(node, cst.Return) and node.value is not None:
            kinds.add(kind_in(node.value, inner))
    return _combined(kinds)


#: node classes a function's own code stops at (libcst's node classes are concrete and never
#: subclassed by the parser, so a type test is exact, and cheaper than ``isinstance`` through ABCMeta)
_NESTED_SCOPES = frozenset({cst.FunctionDef, cst.ClassDef, cst.Lambda})


def own_nodes(root: cst.CSTNode) -> Iterable[cst.CSTNode]:
    """Nodes of a function body, not descending into nested functions, classes or lambdas."""
    stack = list(child_nodes(root))
    while stack:
        node = stack.pop()
        yield node
        if node.__class__ not in _NESTED_SCOPES:
            stack.extend(child_nodes(node))


def _combined(kinds: Iterable[str]) -> str:
    seen = set(kinds)
    if NEW in seen:
        return NEW
    return UNKNOWN if UNKNOWN in seen else VALUE


__all__ = ["HELPER_DEPTH", "NEW", "UNKNOWN", "VALUE", "helper_kind", "own_nodes", "param_names", "result_kind", "single_def"]
