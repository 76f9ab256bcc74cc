"""## What it does
Finds dicts used as caches that nothing ever evicts: a module global, class attribute, instance
attribute or closure variable that is read with `in` / `.get` / `[k]` / `setdefault` and written
with `d[k] = v` in code that runs repeatedly (a function or method), and that is never popped,
deleted from, cleared, re-bound, or guarded by a `len(d)` check.

## Why is this bad?
Every new key adds an entry that stays for the life of the owner. Keyed by request data, ids or
timestamps, the cache grows until the process runs out of memory.

## Example
```python
_cache = {}

def lookup(key):
    if key not in _cache:
        _cache[key] = expensive(key)
    return _cache[key]
```

## Use instead
```python
from functools import lru_cache

@lru_cache(maxsize=1000)
def lookup(key):
    return expensive(key)
```
A cache shared by several functions or methods becomes a bounded LRU in place:
`collections.OrderedDict()`, `d.move_to_end(k)` before every read of a hit, and
`while len(d) > N: d.popitem(last=False)` after every insert. With `--lru-backend cachetools`
(config `lru-backend = "cachetools"`), and only when the project declares `cachetools` as a
dependency, the dict becomes `cachetools.LRUCache(maxsize=N)` and no other line changes.

## Options
N is taken from a size limit the code already names (`MAX_CACHE_SIZE`, `self.max_cache_size`, a
`maxsize` parameter of the enclosing decorator factory), referenced by name; otherwise
`--max-len` / `max-len` (default 1000). The message says where N came from.

## Fix safety
Safe only for the memo shape: on a miss the value is computed in that code from the key (and
nothing else the caller passes), it is stored once (after a lookup of the same key), it is never
mutated through the cache, and the dict is never iterated, measured, serialised, passed on or
reached from outside its owner. Then an evicted key is simply recomputed and every caller sees the
same values as before. Unsafe when the dict is a registry (values handed in from outside:
sessions, cookies, subscribers, pending requests; values mutated after they are stored): evicting
would lose data. Also unsafe when the module uses threads and a read is not under a `with` block
(an eviction in another thread could remove a key between its check and its read).

## Fix availability
The `lru_cache` rewrite is used for a private module dict used by exactly one module-level
function, keyed by exactly its plain positional parameters, whose body starts with the lookup and
ends with the store (no other return), and which does not call itself (a C `lru_cache` wrapper
halves the usable recursion depth on CPython 3.11). The in-place LRU is offered only when every
read and write site can be rewritten: one statement per line, a simple key (a name, attribute or
constant), no reads inside lambdas, comprehensions or `while`/`elif` conditions. Otherwise the
finding is reported without a fix.
Not reported: dicts filled only at import time, dicts that already evict or are re-bound or
cleared (also on a timer, e.g. `threading.Timer(60, d.clear)`), dicts guarded by `len(d)`, and
counters (`d[k] += 1`, `d[k] = d.get(k, 0) + 1`): whether a counter's key set is bounded (an enum,
HTTP status codes) cannot be told from the code, and a counter is not a cache.

## References
- [functools.lru_cache](https://docs.python.org/3/library/functools.html#functools.lru_cache)
- [collections.OrderedDict](https://docs.python.org/3/library/collections.html#collections.OrderedDict)
- [cachetools.LRUCache](https://cachetools.readthedocs.io/)
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst
from libcst.metadata import (
    ClassScope,
    FunctionScope,
    GlobalScope,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from memfix.fixer import BaseDetector, BaseTransformer, Fixer, FixPlan, Invalid, Rule, Valid
from memfix.fixers._cache_analysis import (
    Bound,
    BoundCandidate,
    bound_candidates,
    choose_bound,
    class_family,
    depends_on,
    enclosing_class,
    first_param,
    import_ref,
    init_attribute_candidates,
    stem_bound_names,
    is_bound_name,
)
from memfix.model import Confidence, Safety
from memfix.nodes import child_nodes, walk

RULE = Rule(
    code="MF201",
    name="unbounded-dict-cache",
    summary="dict used as a cache/memo with no eviction",
    fix_title="Bound the cache (lru_cache, or an LRU dict in place)",
)

EXAMPLES = (
    Invalid(
        "_cache = {}\n\n\ndef square(n):\n    if n not in _cache:\n        _cache[n] = n * n\n    return _cache[n]\n",
        fixed="from functools import lru_cache\n\n\n@lru_cache(maxsize=1000)\ndef square(n):\n    return n * n\n",
        safety=Safety.SAFE,
    ),
    Invalid(
        "class Resolver:\n    def __init__(self):\n        self.cache = {}\n\n    def resolve(self, host):\n"
        "        if host in self.cache:\n            return self.cache[host]\n        addr = lookup(host)\n"
        "        self.cache[host] = addr\n        return addr\n",
        fixed="from collections import OrderedDict\n\nclass Resolver:\n    def __init__(self):\n"
        "        self.cache = OrderedDict()\n\n    def resolve(self, host):\n        if host in self.cache:\n"
        "            self.cache.move_to_end(host)\n            return self.cache[host]\n        addr = lookup(host)\n"
        "        self.cache[host] = addr\n        while len(self.cache) > 1000:\n"
        "            self.cache.popitem(last=False)\n        return addr\n",
        safety=Safety.SAFE,
    ),
    Invalid(
        "class Sessions:\n    def __init__(self):\n        self.sessions = {}\n\n    def add(self, sid, session):\n"
        "        if sid not in self.sessions:\n            self.sessions[sid] = session\n\n"
        "    def get(self, sid):\n        return self.sessions.get(sid)\n",
        fixed="from collections import OrderedDict\n\nclass Sessions:\n    def __init__(self):\n"
        "        self.sessions = OrderedDict()\n\n    def add(self, sid, session):\n"
        "        if sid not in self.sessions:\n            self.sessions[sid] = session\n"
        "            while len(self.sessions) > 1000:\n                self.sessions.popitem(last=False)\n\n"
        "    def get(self, sid):\n        if sid in self.sessions:\n            self.sessions.move_to_end(sid)\n"
        "        return self.sessions.get(sid)\n",
        safety=Safety.UNSAFE,
    ),
    Valid("STATUS = {}\nfor code in range(100, 600):\n    STATUS[code] = str(code)\n\ndef text(code):\n    return STATUS.get(code)\n"),
    Valid(
        "_cache = {}\n\ndef get(key):\n    if key not in _cache:\n        if len(_cache) >= 100:\n            _cache.clear()\n"
        "        _cache[key] = compute(key)\n    return _cache[key]\n"
    ),
)

_MUTATING_METHODS = frozenset(
    {"append", "appendleft", "extend", "extendleft", "add", "update", "insert", "remove", "pop", "popleft",
     "clear", "discard", "setdefault", "sort", "reverse", "__setitem__", "__delitem__", "put", "put_nowait"}
)
_EVICTING = frozenset({"pop", "popitem", "clear", "__delitem__"})
_ITERATING = frozenset({"keys", "values", "items", "copy", "__iter__", "__len__"})
_THREAD_MODULES = frozenset({"threading", "_thread", "concurrent", "multiprocessing", "socketserver"})
#: words in a class name or docstring that say "this object lives as long as the process"
_LONG_LIVED_WORDS = frozenset(
    {"service", "monitor", "tracker", "engine", "manager", "cache", "daemon", "worker", "server", "registry", "singleton"}
)


def _says_long_lived(class_name: str, docstring: str) -> bool:
    words = {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", class_name)}
    words |= {w.lower().rstrip("s") for w in re.findall(r"[A-Za-z]+", docstring)}
    return bool(words & _LONG_LIVED_WORDS) or "long-lived" in docstring.lower()


Stmt = cst.BaseStatement


@dataclass
class Use:
    """One place the dict is used. ``kind``: read | get | member | write | setdefault | evict |
    rebind | len_bound | counter | mutate | other."""

    kind: str
    node: cst.BaseExpression
    line: int
    key: Optional[cst.BaseExpression] = None
    value: Optional[cst.BaseExpression] = None
    detail: str = ""
    func: Optional[cst.FunctionDef] = None


@dataclass
class Candidate:
    kind: str  # module | class | instance | closure
    name: str
    symbol: str
    define_stmt: cst.SimpleStatementLine
    define_value: cst.BaseExpression
    owner_class: Optional[cst.ClassDef] = None
    outer_func: Optional[cst.FunctionDef] = None
    uses: List[Use] = field(default_factory=list)
    foreign: List[cst.CSTNode] = field(default_factory=list)
    rebound_at: Optional[int] = None


@dataclass(frozen=True)
class StmtOp:
    """What happens to one statement of a block: statements inserted before/after it, or the
    statement replaced (``replace`` set, possibly empty = removed), or an ``if`` unwrapped into
    its body with the last statement turned into ``return <unwrap_return>``."""

    before: Tuple[Stmt, ...] = ()
    after: Tuple[Stmt, ...] = ()
    replace: Optional[Tuple[Stmt, ...]] = None
    unwrap_return: Optional[cst.BaseExpression] = None


@dataclass(frozen=True)
class DictCachePlan(FixPlan):
    """Statement ops keyed by original statement; the dict's definition value replaced; for the
    memo-function shape, a decorator added to ``func``."""

    ops: Tuple[Tuple[Stmt, StmtOp], ...] = ()
    value_node: Optional[cst.BaseExpression] = None
    value_replacement: Optional[cst.BaseExpression] = None
    func: Optional[cst.FunctionDef] = None
    decorator: Optional[cst.Decorator] = None
    imports: Tuple[Tuple[str, Optional[str]], ...] = ()


class _Refusal(Exception):
    """A site that cannot be rewritten consistently: the fix is not offered."""


# ---------------------------------------------------------------------------------------------
# detector


class Detector(BaseDetector):
    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider, ScopeProvider, QualifiedNameProvider)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._nodes: Optional[List[cst.CSTNode]] = None
        self._threads: Optional[Tuple[str, int]] = None
        self._attributes: Dict[str, List[cst.Attribute]] = {}
        self._empty_dicts: List[Tuple[cst.SimpleStatementLine, cst.BaseExpression, cst.BaseExpression]] = []

    # -- generic helpers ------------------------------------------------------------------------

    def code(self, node: cst.CSTNode) -> str:
        assert self.module is not None
        return self.module.code_for_node(node)

    def nodes(self) -> List[cst.CSTNode]:
        """Every node of the module, walked once."""
        if self._nodes is None:
            assert self.module is not None
            self._nodes = list(walk(self.module))
        return self._nodes

    def func_of(self, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
        current = self.parent(node)
        while current is not None:
            if isinstance(current, cst.FunctionDef):
                return current
            current = self.parent(current)
        return None

    def is_empty_dict(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.Dict):
            return not value.elements
        if isinstance(value, cst.Call) and not value.args:
            return "builtins.dict" in self.qualified(value.func)
        return False

    # -- collection -----------------------------------------------------------------------------

    def visit_Module(self, node: cst.Module) -> bool:
        # The analysis needs the whole module at once; a plain walk of the dataclass fields is
        # several times cheaper than libcst's visitor dispatch, so the visit stops here.
        super().visit_Module(node)
        return False

    def leave_Module(self, original_node: cst.Module) -> None:
        for node in self.nodes():
            if isinstance(node, cst.Attribute):
                self._attributes.setdefault(node.attr.value, []).append(node)
            elif isinstance(node, cst.Assign) and len(node.targets) == 1 and self.is_empty_dict(node.value):
                self._empty_dict(node, node.targets[0].target, node.value)
            elif isinstance(node, cst.AnnAssign) and node.value is not None and self.is_empty_dict(node.value):
                self._empty_dict(node, node.target, node.value)
        for stmt, target, value in self._empty_dicts:
            candidate = self.candidate(stmt, target, value)
            if candidate is not None:
                self.analyse(candidate)

    def _empty_dict(self, assign: cst.CSTNode, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        stmt = self.parent(assign)
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
            self._empty_dicts.append((stmt, target, value))

    def candidate(self, stmt: cst.SimpleStatementLine, target: cst.BaseExpression, value: cst.BaseExpression) -> Optional[Candidate]:
        scope = self.get_metadata(ScopeProvider, stmt, None)
        if isinstance(target, cst.Name):
            name = target.value
            if isinstance(scope, GlobalScope):
                cand = Candidate("module", name, name, stmt, value)
                self.name_uses(cand, scope, target)
                return cand
            if isinstance(scope, ClassScope) and isinstance(scope.node, cst.ClassDef):
                owner = scope.node
                cand = Candidate("class", name, f"{owner.name.value}.{name}", stmt, value, owner_class=owner)
                if len(scope.assignments[name]) > 1:
                    cand.rebound_at = self.line_of(stmt)
                self.attribute_uses(cand, None)
                return cand
            if isinstance(scope, FunctionScope) and isinstance(scope.node, cst.FunctionDef):
                outer = scope.node
                cand = Candidate("closure", name, f"{outer.name.value}.{name}", stmt, value, outer_func=outer)
                self.name_uses(cand, scope, target)
                inner = {id(u.func): u.func for u in cand.uses if u.func is not None and u.func is not outer}
                if not any(self._escapes(func, outer) for func in inner.values() if func is not None):
                    return None  # a local that dies with the call (its closures die with it)
                return cand
            return None
        if (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value == "self"
            and isinstance(scope, FunctionScope)
            and isinstance(scope.node, cst.FunctionDef)
            and scope.node.name.value == "__init__"
            and first_param(scope.node) == "self"
        ):
            owner = enclosing_class(scope.node, self.parent)
            if owner is None:
                return None
            name = target.attr.value
            cand = Candidate("instance", name, f"{owner.name.value}.{name}", stmt, value, owner_class=owner, outer_func=scope.node)
            self.attribute_uses(cand, target)
            return cand
        return None

    def _escapes(self, inner: cst.FunctionDef, outer: cst.FunctionDef) -> bool:
        """The nested function outlives the call of ``outer``: it (or a function enclosing it)
        is decorated, or referenced other than by calling it (returned, stored, passed on)."""
        func: Optional[cst.FunctionDef] = inner
        while func is not None and func is not outer:
            if func.decorators:
                return True
            for node in self.nodes():
                if not (isinstance(node, cst.Name) and node.value == func.name.value) or node is func.name:
                    continue
                parent = self.parent(node)
                if isinstance(parent, cst.Call) and parent.func is node:
                    continue  # called, not handed on
                return True  # returned, stored, passed or wrapped: it may outlive the call
            func = self.func_of(func)
        return False

    def name_uses(self, cand: Candidate, scope: object, target: cst.Name) -> None:
        assignments = scope.assignments[cand.name]  # type: ignore[attr-defined]
        if len(assignments) > 1:
            others = [a for a in assignments if a.node is not target]
            lines = [self.line_of(a.node) for a in others if isinstance(a.node, cst.CSTNode)]
            cand.rebound_at = min(lines) if lines else self.line_of(target)
        seen: Set[int] = set()
        for assignment in assignments:
            for access in assignment.references:
                node = access.node
                if id(node) in seen or not isinstance(node, cst.Name):
                    continue
                seen.add(id(node))
                cand.uses.append(self.classify(node))

    def family(self, owner: cst.ClassDef) -> Set[str]:
        assert self.module is not None
        return class_family(self.module, owner, self.nodes())

    def attribute_uses(self, cand: Candidate, define_target: Optional[cst.Attribute]) -> None:
        assert cand.owner_class is not None
        family = self.family(cand.owner_class)
        for node in self._attributes.get(cand.name, []):
            if node is define_target:
                continue
            if self.own_attribute(node, cand, family):
                cand.uses.append(self.classify(node))
            elif not self.other_self(node):
                cand.foreign.append(node)

    def other_self(self, node: cst.Attribute) -> bool:
        """``self.x`` inside a method of some other class: another object's attribute."""
        base = node.value
        if not (isinstance(base, cst.Name) and base.value in ("self", "cls")):
            return False
        current = self.parent(node)
        while current is not None:
            if isinstance(current, cst.FunctionDef) and first_param(current) == base.value:
                return enclosing_class(current, self.parent) is not None
            current = self.parent(current)
        return False

    def own_attribute(self, node: cst.Attribute, cand: Candidate, family: Set[str]) -> bool:
        base = node.value
        if not isinstance(base, cst.Name):
            return False
        if cand.kind == "class" and base.value in family:
            return True
        if base.value not in ("self", "cls") or (base.value == "cls" and cand.kind != "class"):
            return False
        current = self.parent(node)
        while current is not None:
            if isinstance(current, cst.FunctionDef) and first_param(current) == base.value:
                owner = enclosing_class(current, self.parent)
                return owner is not None and owner.name.value in family
            current = self.parent(current)
        return False

    # -- use classification -------------------------------------------------------------------------

    def classify(self, node: cst.BaseExpression) -> Use:
        use = Use("other", node, self.line_of(node), func=self.func_of(node))
        parent = self.parent(node)
        if isinstance(parent, cst.Subscript) and parent.value is node:
            return self._classify_subscript(use, parent)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            return self._classify_method(use, parent)
        if isinstance(parent, cst.ComparisonTarget) and parent.comparator is node:
            comparison = self.parent(parent)
            if (
                isinstance(parent.operator, (cst.In, cst.NotIn))
                and isinstance(comparison, cst.Comparison)
                and comparison.comparisons[0] is parent
            ):
                use.kind, use.key = "member", comparison.left
                return use
        if isinstance(parent, cst.Arg):
            call = self.parent(parent)
            if isinstance(call, cst.Call) and "builtins.len" in self.qualified(call.func):
                if isinstance(self.parent(call), (cst.Comparison, cst.ComparisonTarget)):
                    use.kind = "len_bound"
                else:
                    use.detail = f"`len({self.code(node)})` at line {use.line} measures it"
                return use
            if isinstance(call, cst.Call):
                use.detail = f"it is passed to `{self.code(call.func)}()` at line {use.line}"
                return use
        if isinstance(parent, cst.AssignTarget):
            use.kind = "rebind"
            return use
        if isinstance(parent, cst.For) and parent.iter is node:
            use.detail = f"it is iterated at line {use.line}"
        elif isinstance(parent, (cst.Return, cst.Yield)):
            use.detail = f"it is returned at line {use.line}"
        elif isinstance(parent, cst.Del):
            use.kind = "evict"
        else:
            use.detail = f"`{self.code(parent) if parent is not None and len(self.code(parent)) < 50 else self.code(node)}` at line {use.line} uses it directly"
        return use

    def _classify_subscript(self, use: Use, sub: cst.Subscript) -> Use:
        if len(sub.slice) != 1 or not isinstance(sub.slice[0].slice, cst.Index):
            use.detail = f"it is sliced at line {use.line}"
            return use
        use.key = sub.slice[0].slice.value
        outer = self.parent(sub)
        if isinstance(outer, cst.AssignTarget):
            assign = self.parent(outer)
            assert isinstance(assign, cst.Assign)
            use.kind, use.value = "write", assign.value
            if self._reads_same(assign.value, use):
                use.kind = "counter"
            return use
        if isinstance(outer, cst.AugAssign) and outer.target is sub:
            use.kind = "counter"
            return use
        if isinstance(outer, cst.Del) or (isinstance(outer, cst.Element) and isinstance(self.parent(self.parent(outer) or sub), cst.Del)):
            use.kind = "evict"
            return use
        use.kind = "read"
        if self._mutated(sub):
            use.kind, use.detail = "mutate", f"an entry is mutated through the cache at line {use.line}"
        return use

    def _classify_method(self, use: Use, attr: cst.Attribute) -> Use:
        method = attr.attr.value
        call = self.parent(attr)
        called = isinstance(call, cst.Call) and call.func is attr
        if method in _EVICTING:
            use.kind = "evict"
            return use
        if not called:
            use.detail = f"`{self.code(attr)}` at line {use.line} is used without a call"
            return use
        assert isinstance(call, cst.Call)
        args = [a for a in call.args if a.keyword is None and not a.star]
        if method == "get" and args:
            use.kind, use.key = "get", args[0].value
        elif method == "setdefault" and args:
            use.kind, use.key = "setdefault", args[0].value
            use.value = args[1].value if len(args) > 1 else cst.Name("None")
        elif method in _ITERATING:
            use.detail = f"`.{method}()` at line {use.line} sees every entry"
            return use
        elif method == "update":
            use.detail = f"`.update()` at line {use.line} stores values handed in from outside"
            return use
        else:
            use.detail = f"`.{method}()` at line {use.line}"
            return use
        if self._mutated(call):
            use.kind, use.detail = "mutate", f"an entry is mutated through the cache at line {use.line}"
        return use

    def _reads_same(self, value: cst.BaseExpression, use: Use) -> bool:
        """``d[k] = d.get(k, 0) + 1`` / ``d[k] = d[k] + 1``: a counter, not a cache."""
        dict_code = self.code(use.node)
        for node in walk(value):
            if isinstance(node, cst.Subscript) and self.code(node.value) == dict_code:
                return True
            if isinstance(node, cst.Attribute) and self.code(node.value) == dict_code and node.attr.value in ("get", "setdefault"):
                return True
        return False

    def _mutated(self, expr: cst.BaseExpression) -> bool:
        """The entry read by ``expr`` is changed in place: ``d[k].append(x)``, ``d[k][j] = v``,
        ``d[k].x = v``, or the same through a local it was assigned to."""
        parent = self.parent(expr)
        if isinstance(parent, cst.Attribute) and parent.value is expr:
            grand = self.parent(parent)
            if isinstance(grand, cst.Call) and parent.attr.value in _MUTATING_METHODS:
                return True
            if isinstance(grand, cst.AssignTarget):
                return True
        if isinstance(parent, cst.Subscript) and parent.value is expr:
            if isinstance(self.parent(parent), (cst.AssignTarget, cst.AugAssign, cst.Del)):
                return True
        if isinstance(parent, cst.AssignTarget):
            return False
        if isinstance(parent, cst.Assign) and parent.value is expr and len(parent.targets) == 1:
            target = parent.targets[0].target
            func = self.func_of(expr)
            if isinstance(target, cst.Name) and func is not None:
                return self._local_mutated(func, target.value)
        return False

    def _local_mutated(self, func: cst.FunctionDef, name: str) -> bool:
        for node in walk(func.body):
            if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == name:
                grand = self.parent(node)
                if isinstance(grand, cst.Call) and grand.func is node and node.attr.value in _MUTATING_METHODS:
                    return True
                if isinstance(grand, cst.AssignTarget):
                    return True
            if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name) and node.value.value == name:
                if isinstance(self.parent(node), (cst.AssignTarget, cst.AugAssign, cst.Del)):
                    return True
        return False

    # -- decision -------------------------------------------------------------------------------------

    def analyse(self, cand: Candidate) -> None:
        kinds = {u.kind for u in cand.uses}
        if cand.rebound_at is not None or kinds & {"evict", "rebind", "len_bound", "counter"}:
            return
        if cand.kind == "instance" and self._rebound_elsewhere(cand):
            return
        if self._foreign_evicts(cand):
            return
        writes = [u for u in cand.uses if u.kind in ("write", "setdefault") or (u.kind == "mutate" and self._is_setdefault(u))]
        reads = [u for u in cand.uses if u.kind in ("read", "get", "member", "setdefault", "mutate")]
        if not writes or not reads:
            return
        runtime = [w for w in writes if w.func is not None and not self._import_time_only(w.func)]
        if cand.kind == "closure":
            runtime = [w for w in runtime if w.func is not cand.outer_func]
        if not runtime:
            return
        registry, unsafe = self.classify_shape(cand)
        confidence, lifetime = self.confidence(cand, bool(registry))
        subject = f"`{self._display(cand)}`"
        message = f"{subject} is a dict cache that nothing evicts: every new key adds an entry for the life of its owner"
        if registry:
            message = (
                f"{subject} grows with every new key and nothing removes entries; it holds {registry}, "
                "so it is a registry, not a cache: evicting entries would lose data"
            )
        if lifetime:
            message += f" ({lifetime})"
        plan_or_reason = self.plan(cand, registry or unsafe)
        if isinstance(plan_or_reason, str):
            self.report(cand.define_value, symbol=cand.symbol, message=message, no_fix_reason=plan_or_reason, confidence=confidence)
        else:
            self.report(cand.define_value, symbol=cand.symbol, message=message, plan=plan_or_reason, confidence=confidence)

    def _is_setdefault(self, use: Use) -> bool:
        parent = self.parent(use.node)
        return isinstance(parent, cst.Attribute) and parent.attr.value == "setdefault"

    def _display(self, cand: Candidate) -> str:
        if cand.kind == "instance":
            return f"self.{cand.name}"
        if cand.kind == "class":
            return cand.symbol
        return cand.name

    def _rebound_elsewhere(self, cand: Candidate) -> bool:
        return any(u.kind == "rebind" for u in cand.uses)

    def _foreign_evicts(self, cand: Candidate) -> bool:
        for node in cand.foreign:
            parent = self.parent(node)
            if isinstance(parent, cst.Attribute) and parent.value is node and parent.attr.value in _EVICTING:
                return True
            if isinstance(parent, cst.AssignTarget):
                return True
            if isinstance(parent, cst.Subscript) and isinstance(self.parent(parent), cst.Del):
                return True
        return False

    def _import_time_only(self, func: cst.FunctionDef) -> bool:
        """A module-level, undecorated function called only from module-level statements: it runs
        once, at import, like the rest of the module body."""
        assert self.module is not None
        if func.decorators or not isinstance(self.parent(func), cst.Module):
            return False
        scope = self.get_metadata(ScopeProvider, func, None)
        if not isinstance(scope, GlobalScope):
            return False
        references = [r for a in scope.assignments[func.name.value] for r in a.references]
        if not references:
            return False
        for ref in references:
            node = ref.node
            call = self.parent(node)
            if not (isinstance(call, cst.Call) and call.func is node):
                return False
            if self.func_of(node) is not None or isinstance(ref.scope, ClassScope):
                return False
        return True

    def confidence(self, cand: Candidate, registry: bool) -> Tuple[Confidence, str]:
        """Module, class and closure dicts live as long as the process; an instance's dict as long
        as its owner, which needs evidence (LEAK_PATTERNS "owner lifetime"). Without it, a memo is
        medium confidence and a registry low: most are accumulators of short-lived objects."""
        if cand.kind != "instance":
            return Confidence.HIGH, ""
        owner = cand.owner_class
        assert owner is not None and self.module is not None
        if _says_long_lived(owner.name.value, owner.get_docstring() or ""):
            return Confidence.HIGH, ""
        for node in self.nodes():
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == owner.name.value:
                if self.func_of(node) is None and isinstance(self.get_metadata(ScopeProvider, node, None), GlobalScope):
                    return Confidence.HIGH, ""  # an instance created at import time lives as long as the module
        for node in walk(owner):
            if isinstance(node, cst.While) and isinstance(node.test, cst.Name) and node.test.value == "True":
                return Confidence.HIGH, ""
        level = Confidence.LOW if registry else Confidence.MEDIUM
        return level, f"{level.value} confidence: nothing shows that a `{owner.name.value}` lives long"

    def classify_shape(self, cand: Candidate) -> Tuple[str, str]:
        """(registry evidence, other unsafe reason); both empty for the memo shape."""
        for use in cand.uses:
            if use.kind == "mutate":
                return f"values mutated after they are stored ({use.detail})", ""
        for use in cand.uses:
            if use.kind not in ("write", "setdefault") or use.value is None or use.func is None:
                continue
            evidence = self.value_evidence(use)
            if evidence:
                return evidence, ""
        for use in cand.uses:
            if use.kind == "write" and use.func is not None and not self._guarded(cand, use):
                return "", f"the store at line {use.line} does not follow a lookup of the same key, so an entry may be replaced"
        for use in cand.uses:
            if use.kind == "other":
                return "", f"{use.detail}: it would see fewer entries"
        writers = {id(u.func) for u in cand.uses if u.kind in ("write", "setdefault") and u.func is not None}
        for use in cand.uses:
            if use.kind in ("read", "get", "member") and id(use.func) not in writers:
                where = f" in `{use.func.name.value}`" if use.func is not None else ""
                return "", (
                    f"`{self.code(self.site_expr(use))}` at line {use.line}{where} looks entries up without "
                    "recomputing a miss: after an eviction it sees less"
                )
        if cand.foreign:
            node = cand.foreign[0]
            return "", f"`{self.code(node)}` at line {self.line_of(node)} may reach this dict from outside its class"
        return "", ""

    def value_evidence(self, use: Use) -> str:
        """Why the stored value is not computed from the key alone ("" when it is)."""
        func = use.func
        assert func is not None and use.value is not None and use.key is not None
        sources = _local_sources(func)
        params = _params(func)
        value = use.value
        dict_code = self.code(use.node)
        seen = 0
        while isinstance(value, cst.Name) and value.value in sources and seen < 5:
            # the lookup that found nothing (`v = d.get(k)`) is not where the value comes from
            options = [s for s in sources[value.value] if s is None or not self._reads_dict(s, dict_code)]
            if len(options) != 1:
                break
            source = options[0]
            if source is None:
                return f"values taken from an iteration (`{use.value and self.code(use.value)}` at line {use.line})"
            value = source
            seen += 1
        shown = self.code(use.value)
        if _constant(value):
            return f"constant markers (`{shown}` at line {use.line}): it remembers which keys were seen, and evicting would forget them"
        if isinstance(value, cst.Name) and value.value in params:
            return f"values handed in by the caller (`{shown}` at line {use.line})"
        if _plain_reference(value):
            return f"values handed in from elsewhere (`{shown}` at line {use.line})"
        key_names = _deps(use.key, sources)
        value_names = _deps(value, sources)
        if not (value_names & key_names):
            return f"values not computed from the key (`{shown}` at line {use.line})"
        outside = (value_names & params) - key_names - {"self", "cls"}
        if outside:
            return f"values that depend on `{sorted(outside)[0]}`, which the caller passes besides the key (line {use.line})"
        return self._stored_object_changed(use, func)

    def _stored_object_changed(self, use: Use, func: cst.FunctionDef) -> str:
        """After ``v = d[k] = make(k)``, ``configure(v)`` may change the stored object: a rebuilt
        entry would miss that change."""
        assign = self.parent(self.parent(use.node) or use.node)
        holders: Set[str] = set()
        if use.kind == "write" and isinstance(assign, cst.AssignTarget):
            statement = self.parent(assign)
            if isinstance(statement, cst.Assign):
                holders |= {t.target.value for t in statement.targets if isinstance(t.target, cst.Name)}
                if isinstance(statement.value, cst.Name):
                    holders.add(statement.value.value)
        if not holders:
            return ""
        if any(self._local_mutated(func, name) for name in holders):
            return f"objects changed after they are stored (`{sorted(holders)[0]}` is modified in `{func.name.value}`)"
        for node in _own_nodes(func.body):
            if isinstance(node, cst.Arg) and isinstance(node.value, cst.Name) and node.value.value in holders:
                call = self.parent(node)
                if isinstance(call, cst.Call) and not any(q.startswith("builtins.") for q in self.qualified(call.func)):
                    return (
                        f"objects handed to `{self.code(call.func)}()` at line {self.line_of(call)} after they are "
                        "stored, which may change them"
                    )
        return ""

    def site_expr(self, use: Use) -> cst.CSTNode:
        """The whole expression of a use, for messages: `k in d`, `d.get(k)`, `d[k]`."""
        node: cst.CSTNode = use.node
        parent = self.parent(node)
        if use.kind == "member" and parent is not None:
            return self.parent(parent) or parent
        if use.kind == "get" and parent is not None:
            return self.parent(parent) or parent
        if use.kind == "read" and parent is not None:
            return parent
        return node

    def _reads_dict(self, expr: cst.BaseExpression, dict_code: str) -> bool:
        for node in walk(expr):
            if isinstance(node, (cst.Subscript, cst.Attribute)) and self.code(node.value) == dict_code:
                return True
        return False

    def _guarded(self, cand: Candidate, write: Use) -> bool:
        """Stored once: the same function looks the same key up before storing it."""
        assert write.key is not None
        key = self.code(write.key)
        start = self.get_metadata(PositionProvider, write.node).start
        for use in cand.uses:
            if use.func is write.func and use.kind in ("member", "get", "read") and use.key is not None:
                pos = self.get_metadata(PositionProvider, use.node).start
                if self.code(use.key) == key and (pos.line, pos.column) < (start.line, start.column):
                    return True
        return False

    # -- plans ----------------------------------------------------------------------------------------

    def plan(self, cand: Candidate, unsafe: str) -> Union[DictCachePlan, str]:
        threads = self._thread_reason(cand)
        if not unsafe:
            lru = self.lru_function_plan(cand)
            if isinstance(lru, DictCachePlan):
                return lru
        try:
            return self.lru_dict_plan(cand, unsafe, threads)
        except _Refusal as refusal:
            return str(refusal)

    def _thread_import(self) -> Tuple[str, int]:
        """The first import of a threading module (name, line), or ("", 0)."""
        if self._threads is None:
            self._threads = ("", 0)
            for node in self.nodes():
                names: List[str] = []
                if isinstance(node, cst.Import):
                    names = [self.code(alias.name) for alias in node.names]
                elif isinstance(node, cst.ImportFrom) and node.module is not None and not node.relative:
                    names = [self.code(node.module)]
                hit = [n for n in names if n.split(".")[0] in _THREAD_MODULES]
                if hit:
                    self._threads = (hit[0], self.line_of(node))
                    break
        return self._threads

    def _thread_reason(self, cand: Candidate) -> str:
        module, line = self._thread_import()
        if not module:
            return ""
        unlocked = [u for u in cand.uses if u.kind in ("read", "get", "setdefault") and not self._under_with(u.node)]
        if not unlocked:
            return ""
        return (
            f"the module uses threads (`{module}`, line {line}) and the read at line "
            f"{unlocked[0].line} is not under a `with` lock: another thread's eviction could remove a key between its check and its read"
        )

    def _under_with(self, node: cst.CSTNode) -> bool:
        current = self.parent(node)
        while current is not None and not isinstance(current, cst.FunctionDef):
            if isinstance(current, cst.With):
                return True
            current = self.parent(current)
        return False

    # memo function -> functools.lru_cache

    def lru_function_plan(self, cand: Candidate) -> Optional[DictCachePlan]:
        if cand.kind != "module" or not cand.name.startswith("_") or cand.foreign:
            return None
        funcs = {id(u.func): u.func for u in cand.uses}
        if len(funcs) != 1:
            return None
        func = next(iter(funcs.values()))
        if func is None or not isinstance(self.parent(func), cst.Module) or func.decorators or func.asynchronous:
            return None
        if any(self.func_of(u.node) is not func or self._in_lambda(u.node) for u in cand.uses):
            return None
        p = func.params
        if p.posonly_params or p.kwonly_params or p.star_kwarg or isinstance(p.star_arg, cst.Param) or not p.params:
            return None
        params = [param.name.value for param in p.params]
        if "self" in params or "cls" in params:
            return None
        if any(isinstance(n, cst.Name) and n.value == func.name.value for n in walk(func.body)):
            return None  # recursive: lru_cache's C wrapper halves the usable recursion depth
        if any(isinstance(n, (cst.Yield, cst.Await)) for n in _own_nodes(func.body)):
            return None
        if not all(u.key is not None and _is_param_key(u.key, params) for u in cand.uses):
            return None
        if not isinstance(func.body, cst.IndentedBlock):
            return None
        shape = self._memo_body(cand, func)
        if shape is None:
            return None
        ops, note = shape
        assert self.module is not None
        ref = import_ref(self.module, "functools", "lru_cache", self.module_names(), self.nodes())
        if ref is None:
            return None
        bound = self.module_bound(before_line=self.line_of(func), local=set(params), stems=stem_bound_names(cand.name))
        decorator = cst.Decorator(decorator=cst.parse_expression(f"{ref.code}(maxsize={bound.code})"))
        ops.append((cand.define_stmt, StmtOp(replace=())))
        imports = ((ref.add_module, ref.add_obj),) if ref.add_module else ()
        return DictCachePlan(
            safety=Safety.SAFE,
            description=f"replace `{cand.name}` with @{ref.code}(maxsize={bound.code}) on `{func.name.value}`",
            reason=f"memo shape: `{func.name.value}` computes each value from its arguments and stores it once ({note}); {bound.describe()}",
            ops=tuple(ops),
            func=func,
            decorator=decorator,
            imports=imports,  # type: ignore[arg-type]
        )

    def _in_lambda(self, node: cst.CSTNode) -> bool:
        current = self.parent(node)
        while current is not None and not isinstance(current, cst.FunctionDef):
            if isinstance(current, (cst.Lambda, cst.BaseComp)):
                return True
            current = self.parent(current)
        return False

    def _memo_body(self, cand: Candidate, func: cst.FunctionDef) -> Optional[Tuple[List[Tuple[Stmt, StmtOp]], str]]:
        body = list(cst.ensure_type(func.body, cst.IndentedBlock).body)
        start = 1 if body and _is_docstring(body[0]) else 0
        stmts = body[start:]
        returns = [n for n in _own_nodes(func.body) if isinstance(n, cst.Return)]
        d = cand.name
        if len(stmts) < 2:
            return None
        first, last = stmts[0], stmts[-1]
        if not isinstance(first, cst.If) or first.orelse is not None or not isinstance(first.body, cst.IndentedBlock):
            return None
        test = first.test
        if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
            return None
        op = test.comparisons[0].operator
        comparator = test.comparisons[0].comparator
        if not (isinstance(comparator, cst.Name) and comparator.value == d):
            return None
        key = self.code(test.left)
        n_uses = len(cand.uses)
        if isinstance(op, cst.In):
            # shape A: if k in d: return d[k] / ... / d[k] = v; return v
            hit = first.body.body
            if len(hit) != 1 or not _is_return_of(hit[0], lambda e: _is_subscript(e, d, key, self.code)):
                return None
            if len(stmts) < 3:
                return None
            write, final = stmts[-2], stmts[-1]
            assign = _single_assign(write)
            if assign is None or not _is_subscript(assign.targets[0].target, d, key, self.code) or len(assign.targets) != 1:
                return None
            if len(returns) != 2 or n_uses != 3:
                return None
            ops: List[Tuple[Stmt, StmtOp]] = [(first, StmtOp(replace=()))]
            if isinstance(assign.value, cst.Name) and _is_return_of(final, lambda e: isinstance(e, cst.Name) and e.value == cst.ensure_type(assign.value, cst.Name).value):
                ops.append((write, StmtOp(replace=())))
            elif _is_return_of(final, lambda e: _is_subscript(e, d, key, self.code)):
                ops.append((write, StmtOp(replace=(_return_stmt(write, assign.value),))))
                ops.append((final, StmtOp(replace=())))
            else:
                return None
            return ops, f"lookup at line {self.line_of(first)}, store at line {self.line_of(write)}"
        if isinstance(op, cst.NotIn):
            # shape B: if k not in d: ...; d[k] = expr / return d[k]
            if len(stmts) != 2 or not _is_return_of(last, lambda e: _is_subscript(e, d, key, self.code)):
                return None
            inner = first.body.body
            assign = _single_assign(inner[-1]) if inner else None
            if assign is None or len(assign.targets) != 1 or not _is_subscript(assign.targets[0].target, d, key, self.code):
                return None
            if len(returns) != 1 or n_uses != 3:
                return None
            return (
                [(first, StmtOp(unwrap_return=assign.value)), (last, StmtOp(replace=()))],
                f"lookup at line {self.line_of(first)}, store at line {self.line_of(inner[-1])}",
            )
        return None

    # shared cache -> OrderedDict LRU (or cachetools.LRUCache)

    def lru_dict_plan(self, cand: Candidate, unsafe: str, threads: str) -> DictCachePlan:
        assert self.module is not None
        note = ""
        if self.ctx.settings.lru_backend == "cachetools":
            declared, where = depends_on(self.ctx.settings.project_root, "cachetools")
            blocker = "" if declared else f"cachetools is not a declared dependency ({where})"
            if not blocker and (unsafe or cand.foreign or any(u.kind == "other" for u in cand.uses)):
                blocker = "cachetools.LRUCache is not a dict, and this dict is used as more than a cache"
            if not blocker:
                plan = self.cachetools_plan(cand, unsafe, threads)
                if isinstance(plan, DictCachePlan):
                    return plan
                blocker = plan
            note = f"; --lru-backend cachetools not used: {blocker}"
        ref = import_ref(self.module, "collections", "OrderedDict", self.module_names(), self.nodes())
        if ref is None:
            raise _Refusal("neither `OrderedDict` nor `collections.OrderedDict` can be written without shadowing a name")
        ops: Dict[int, Tuple[Stmt, List[Stmt], List[Stmt]]] = {}
        bound_used: Optional[Bound] = None
        for use in cand.uses:
            if use.kind in ("member", "other"):
                continue
            dict_code = self.code(use.node)
            if use.kind in ("read", "get", "setdefault", "mutate"):
                stmt, conditional = self.statement_of(use)
                key = self.simple_key(use)
                present = use.kind == "read" and not conditional and self._known_present(stmt, dict_code, key)
                move = f"{dict_code}.move_to_end({key})"
                code = f"{move}\n" if present else f"if {key} in {dict_code}:\n    {move}\n"
                self._add(ops, stmt, before=cst.parse_statement(code, config=self.module.config_for_parsing))
            if use.kind in ("write", "setdefault") or (use.kind == "mutate" and self._is_setdefault(use)):
                stmt, _ = self.statement_of(use, simple=True)
                if use.kind != "write" and _is_flow(stmt):
                    raise _Refusal(f"`setdefault` at line {use.line} is returned directly, leaving no place to evict after it")
                bound = self.bound_at(cand, use)
                bound_used = bound_used or bound
                evict = f"while len({dict_code}) > {bound.code}:\n    {dict_code}.popitem(last=False)\n"
                self._add(ops, stmt, after=cst.parse_statement(evict, config=self.module.config_for_parsing))
        bound_used = bound_used or Bound(str(self.ctx.fallback_max_len()), "the configured default")
        value = cst.parse_expression(f"{ref.code}()")
        reasons = [r for r in (unsafe, threads) if r]
        safety = Safety.UNSAFE if reasons else Safety.SAFE
        reason = "; ".join(reasons) if reasons else "memo shape: a miss recomputes the value from the key"
        return DictCachePlan(
            safety=safety,
            description=f"make `{self._display(cand)}` a bounded LRU ({ref.code}, {bound_used.code} entries)",
            reason=f"{reason}; {bound_used.describe()}{note}",
            ops=tuple((stmt, StmtOp(before=tuple(b), after=tuple(a))) for stmt, b, a in ops.values()),
            value_node=cand.define_value,
            value_replacement=value,
            imports=((ref.add_module, ref.add_obj),) if ref.add_module else (),
        )

    def cachetools_plan(self, cand: Candidate, unsafe: str, threads: str) -> Union[DictCachePlan, str]:
        assert self.module is not None
        ref = import_ref(self.module, "cachetools", "LRUCache", self.module_names(), self.nodes())
        if ref is None:
            return "neither `LRUCache` nor `cachetools.LRUCache` can be written without shadowing a name"
        bound = self.definition_bound(cand)
        reasons = [r for r in (unsafe, threads) if r]
        return DictCachePlan(
            safety=Safety.UNSAFE if reasons else Safety.SAFE,
            description=f"make `{self._display(cand)}` a {ref.code}(maxsize={bound.code})",
            reason=("; ".join(reasons) if reasons else "memo shape: a miss recomputes the value from the key; LRUCache is a drop-in mapping for these uses")
            + f"; {bound.describe()}",
            value_node=cand.define_value,
            value_replacement=cst.parse_expression(f"{ref.code}(maxsize={bound.code})"),
            imports=((ref.add_module, ref.add_obj),) if ref.add_module else (),
        )

    def _add(self, ops: Dict[int, Tuple[Stmt, List[Stmt], List[Stmt]]], stmt: Stmt, before: Optional[Stmt] = None, after: Optional[Stmt] = None) -> None:
        entry = ops.setdefault(id(stmt), (stmt, [], []))
        if before is not None and not any(b.deep_equals(before) for b in entry[1]):
            entry[1].append(before)
        if after is not None and not any(a.deep_equals(after) for a in entry[2]):
            entry[2].append(after)

    def statement_of(self, use: Use, simple: bool = False) -> Tuple[Stmt, bool]:
        """The statement a site belongs to, and whether the site is only conditionally evaluated
        within it. Refuses sites that have no single place before/after them."""
        conditional = False
        child: cst.CSTNode = use.node
        current = self.parent(child)
        while current is not None:
            if isinstance(current, (cst.Lambda, cst.BaseComp, cst.FunctionDef, cst.ClassDef)):
                raise _Refusal(f"the use at line {use.line} is inside a lambda or comprehension")
            if isinstance(current, cst.BooleanOperation) and child is current.right:
                conditional = True
            if isinstance(current, cst.IfExp) and child is not current.test:
                conditional = True
            if isinstance(current, cst.SimpleStatementLine):
                if len(current.body) != 1:
                    raise _Refusal(f"line {use.line} holds several statements")
                break
            if isinstance(current, cst.BaseCompoundStatement):
                if simple:
                    raise _Refusal(f"the store at line {use.line} is not a statement of its own")
                if isinstance(current, cst.While):
                    raise _Refusal(f"the read at line {use.line} is in a `while` condition, evaluated on every turn")
                if isinstance(current, cst.If) and isinstance(self.parent(current), cst.If):
                    raise _Refusal(f"the read at line {use.line} is in an `elif` condition")
                break
            if isinstance(current, cst.SimpleStatementSuite):
                raise _Refusal(f"line {use.line} is a one-line block")
            child, current = current, self.parent(current)
        if current is None or not isinstance(self.parent(current), (cst.IndentedBlock, cst.Module)):
            raise _Refusal(f"the use at line {use.line} is not in a statement block")
        assert isinstance(current, cst.BaseStatement)
        if simple:
            small = cst.ensure_type(current, cst.SimpleStatementLine).body[0]
            if use.kind == "write" and not isinstance(small, cst.Assign):
                raise _Refusal(f"the store at line {use.line} is not a plain assignment")
        return current, conditional

    def simple_key(self, use: Use) -> str:
        key = use.key
        if key is None or not _simple_expr(key):
            shown = self.code(key) if key is not None else "?"
            raise _Refusal(f"the key `{shown}` at line {use.line} is not a simple name; repeating it could evaluate it twice")
        return self.code(key)

    def _known_present(self, stmt: Stmt, dict_code: str, key: str) -> bool:
        """The key is certainly in the dict when ``stmt`` runs: it opens ``if key in d:``, or it
        follows ``if key not in d: ... d[key] = v``."""
        block = self.parent(stmt)
        owner = self.parent(block) if block is not None else None
        if isinstance(block, cst.IndentedBlock) and isinstance(owner, cst.If) and owner.body is block and block.body[0] is stmt:
            if self._membership(owner.test, cst.In, dict_code, key):
                return True
        if isinstance(block, (cst.IndentedBlock, cst.Module)):
            siblings = list(block.body)
            index = next(i for i, s in enumerate(siblings) if s is stmt)
            if index > 0:
                prev = siblings[index - 1]
                if isinstance(prev, cst.If) and prev.orelse is None and isinstance(prev.body, cst.IndentedBlock):
                    if self._membership(prev.test, cst.NotIn, dict_code, key):
                        inner = prev.body.body
                        assign = _single_assign(inner[-1]) if inner else None
                        if assign is not None and len(assign.targets) == 1:
                            target = assign.targets[0].target
                            return isinstance(target, cst.Subscript) and self.code(target) == f"{dict_code}[{key}]"
        return False

    def _membership(self, test: cst.BaseExpression, op: type, dict_code: str, key: str) -> bool:
        return (
            isinstance(test, cst.Comparison)
            and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, op)
            and self.code(test.comparisons[0].comparator) == dict_code
            and self.code(test.left) == key
        )

    # bounds

    def module_bound(self, before_line: Optional[int], local: Set[str], stems: Set[str]) -> Bound:
        assert self.module is not None
        candidates = [
            (c.name, c)
            for c in bound_candidates(self.module.body, "module constant", self.line_of, stems)
            if c.name not in local and (before_line is None or c.line < before_line)
        ]
        return choose_bound(candidates, self.ctx.fallback_max_len())

    def bound_at(self, cand: Candidate, use: Use) -> Bound:
        """N as seen from a store site: through the same base the site uses (``self.``/``cls.``/
        the class name) for class and instance dicts, by bare name otherwise."""
        assert self.module is not None
        local = _local_names(use.func) if use.func is not None else set()
        if cand.kind in ("instance", "class"):
            assert cand.owner_class is not None
            base = self.code(cst.ensure_type(use.node, cst.Attribute).value)
            candidates: List[Tuple[str, BoundCandidate]] = [
                (f"{base}.{c.name}", c) for c in bound_candidates(cand.owner_class.body.body, "class constant", self.line_of, stem_bound_names(cand.name))
            ]
            if base == "self":
                candidates += [(f"self.{c.name}", c) for c in init_attribute_candidates(cand.owner_class, self.line_of)]
            module = [(c.name, c) for c in bound_candidates(self.module.body, "module constant", self.line_of, stem_bound_names(cand.name)) if c.name not in local]
            return choose_bound(candidates + module, self.ctx.fallback_max_len(), hint=cand.name)
        candidates = []
        if cand.kind == "closure" and cand.outer_func is not None:
            outer = cand.outer_func
            for param in [*outer.params.params, *outer.params.kwonly_params]:
                if is_bound_name(param.name.value) and param.name.value not in local:
                    candidates.append((param.name.value, BoundCandidate(param.name.value, self.line_of(param), f"parameter of `{outer.name.value}`")))
        candidates += [
            (c.name, c) for c in bound_candidates(self.module.body, "module constant", self.line_of, stem_bound_names(cand.name)) if c.name not in local
        ]
        return choose_bound(candidates, self.ctx.fallback_max_len(), hint=cand.name)

    def definition_bound(self, cand: Candidate) -> Bound:
        """N where the dict is created (cachetools): only names already defined there."""
        assert self.module is not None
        line = self.line_of(cand.define_stmt)
        candidates: List[Tuple[str, BoundCandidate]] = []
        if cand.kind == "instance" and cand.owner_class is not None and cand.outer_func is not None:
            init = cand.outer_func
            for param in [*init.params.params, *init.params.kwonly_params]:
                if is_bound_name(param.name.value):
                    candidates.append((param.name.value, BoundCandidate(param.name.value, self.line_of(param), "`__init__` parameter")))
            candidates += [(f"self.{c.name}", c) for c in bound_candidates(cand.owner_class.body.body, "class constant", self.line_of, stem_bound_names(cand.name))]
            candidates += [(f"self.{c.name}", c) for c in init_attribute_candidates(cand.owner_class, self.line_of) if c.line < line]
        elif cand.kind == "class" and cand.owner_class is not None:
            candidates += [(c.name, c) for c in bound_candidates(cand.owner_class.body.body, "class constant", self.line_of, stem_bound_names(cand.name)) if c.line < line]
        elif cand.kind == "closure" and cand.outer_func is not None:
            outer = cand.outer_func
            for param in [*outer.params.params, *outer.params.kwonly_params]:
                if is_bound_name(param.name.value):
                    candidates.append((param.name.value, BoundCandidate(param.name.value, self.line_of(param), f"parameter of `{outer.name.value}`")))
        candidates += [
            (c.name, c)
            for c in bound_candidates(self.module.body, "module constant", self.line_of, stem_bound_names(cand.name))
            if cand.kind != "module" or c.line < line
        ]
        return choose_bound(candidates, self.ctx.fallback_max_len(), hint=cand.name)


# ---------------------------------------------------------------------------------------------
# small pure helpers


def _own_nodes(root: cst.CSTNode) -> Iterable[cst.CSTNode]:
    """Nodes of a function body, not descending into nested functions, classes or lambdas."""
    stack = list(child_nodes(root))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            stack.extend(child_nodes(node))


def _params(func: cst.FunctionDef) -> Set[str]:
    return {p.name.value for p in walk(func.params) if isinstance(p, cst.Param)}


def _local_names(func: Optional[cst.FunctionDef]) -> Set[str]:
    if func is None:
        return set()
    return _params(func) | set(_local_sources(func))


def _local_sources(func: cst.FunctionDef) -> Dict[str, List[Optional[cst.BaseExpression]]]:
    """Local name -> the expressions assigned to it (None: bound by a loop, with or import)."""
    sources: Dict[str, List[Optional[cst.BaseExpression]]] = {}

    def bind(target: cst.BaseExpression, value: Optional[cst.BaseExpression]) -> None:
        if isinstance(target, cst.Name):
            sources.setdefault(target.value, []).append(value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                bind(element.value, None)

    for node in _own_nodes(func.body):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                bind(target.target, node.value)
        elif isinstance(node, cst.AnnAssign) and node.value is not None:
            bind(node.target, node.value)
        elif isinstance(node, cst.AugAssign):
            bind(node.target, node.value)
        elif isinstance(node, cst.NamedExpr):
            bind(node.target, node.value)
        elif isinstance(node, (cst.For, cst.CompFor)):
            bind(node.target, None)
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            bind(node.asname.name, None)
    return sources


def _deps(expr: cst.BaseExpression, sources: Dict[str, List[Optional[cst.BaseExpression]]]) -> Set[str]:
    """Names an expression depends on, following local assignments (attribute names excluded)."""
    found: Set[str] = set()
    pending = [expr]
    while pending:
        node = pending.pop()
        for sub in walk(node):
            if isinstance(sub, cst.Name) and sub.value not in found:
                parent_attr = False
                found.add(sub.value)
                if not parent_attr:
                    for source in sources.get(sub.value, []):
                        if source is not None:
                            pending.append(source)
    return found


def _plain_reference(expr: cst.BaseExpression) -> bool:
    """A name or attribute chain: a value taken as it is, not computed (a subscript is a lookup
    by the key, which a miss can repeat)."""
    if isinstance(expr, cst.Name):
        return True
    if isinstance(expr, cst.Attribute):
        return _plain_reference(expr.value)
    return False


def _constant(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString)):
        return True
    return isinstance(expr, cst.Name) and expr.value in ("None", "True", "False")


def _simple_expr(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, (cst.Name, cst.Integer, cst.SimpleString)):
        return True
    if isinstance(expr, cst.Attribute):
        return _simple_expr(expr.value)
    if isinstance(expr, cst.Tuple):
        return all(_simple_expr(e.value) for e in expr.elements if not isinstance(e, cst.StarredElement))
    return False


def _is_param_key(key: cst.BaseExpression, params: List[str]) -> bool:
    if len(params) == 1:
        return isinstance(key, cst.Name) and key.value == params[0]
    if isinstance(key, cst.Tuple) and len(key.elements) == len(params):
        return all(isinstance(e.value, cst.Name) and e.value.value == p for e, p in zip(key.elements, params))
    return False


def _is_docstring(stmt: Stmt) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _single_assign(stmt: Stmt) -> Optional[cst.Assign]:
    if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Assign):
        return stmt.body[0]
    return None


def _is_return_of(stmt: Stmt, predicate) -> bool:  # type: ignore[no-untyped-def]
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Return)
        and stmt.body[0].value is not None
        and predicate(stmt.body[0].value)
    )


def _is_subscript(expr: cst.BaseExpression, name: str, key: str, code) -> bool:  # type: ignore[no-untyped-def]
    return (
        isinstance(expr, cst.Subscript)
        and isinstance(expr.value, cst.Name)
        and expr.value.value == name
        and len(expr.slice) == 1
        and isinstance(expr.slice[0].slice, cst.Index)
        and code(expr.slice[0].slice.value) == key
    )


def _is_flow(stmt: Stmt) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], (cst.Return, cst.Raise))


def _return_stmt(write: Stmt, value: cst.BaseExpression) -> Stmt:
    line = cst.ensure_type(write, cst.SimpleStatementLine)
    return line.with_changes(body=[cst.Return(value=value)])


# ---------------------------------------------------------------------------------------------
# transformer


class Transformer(BaseTransformer[DictCachePlan]):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._ops: Dict[cst.CSTNode, List[StmtOp]] = {}
        self._values: Dict[cst.CSTNode, cst.BaseExpression] = {}
        self._funcs: Dict[cst.CSTNode, cst.Decorator] = {}
        for plan in self.plans.values():
            for stmt, op in plan.ops:
                self._ops.setdefault(stmt, []).append(op)
            if plan.value_node is not None and plan.value_replacement is not None:
                self._values[plan.value_node] = plan.value_replacement
            if plan.func is not None and plan.decorator is not None:
                self._funcs[plan.func] = plan.decorator
            for module, obj in plan.imports:
                self.add_import(module, obj)

    def leave_Dict(self, original_node: cst.Dict, updated_node: cst.Dict) -> cst.BaseExpression:
        return self._value(original_node, updated_node)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        return self._value(original_node, updated_node)

    def _value(self, original: cst.BaseExpression, updated: cst.BaseExpression) -> cst.BaseExpression:
        replacement = self._values.get(original)
        if replacement is None:
            return updated
        return replacement.with_changes(lpar=updated.lpar, rpar=updated.rpar)

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        decorator = self._funcs.get(original_node)
        if decorator is None:
            return updated_node
        return updated_node.with_changes(decorators=[*updated_node.decorators, decorator])

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock) -> cst.IndentedBlock:
        return updated_node.with_changes(body=self._rebuild(original_node.body, updated_node.body))

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return updated_node.with_changes(body=self._rebuild(original_node.body, updated_node.body))

    def _rebuild(self, original: Sequence[Stmt], updated: Sequence[Stmt]) -> List[Stmt]:
        if not any(stmt in self._ops for stmt in original):
            return list(updated)
        result: List[Stmt] = []
        carried: List[cst.EmptyLine] = []  # leading lines of removed statements
        for orig, stmt in zip(original, updated):
            ops = self._ops.get(orig, [])
            before = [s for op in ops for s in op.before]
            after = [s for op in ops for s in op.after]
            replaced: Optional[List[Stmt]] = [stmt]
            for op in ops:
                if op.replace is not None:
                    replaced = list(op.replace)
                elif op.unwrap_return is not None:
                    replaced = _unwrap(stmt, op.unwrap_return)
            group = [*before, *(replaced or []), *after]
            lead = list(stmt.leading_lines)
            if not group:
                carried.extend(lead)
                continue
            if carried:
                lead = _merge_leading(carried, lead)
            group[0] = group[0].with_changes(leading_lines=lead)
            carried = []
            if before and replaced:
                index = len(before)
                group[index] = group[index].with_changes(leading_lines=())
            result.extend(group)
        return result


def _merge_leading(removed: List[cst.EmptyLine], lead: List[cst.EmptyLine]) -> List[cst.EmptyLine]:
    """Leading lines for the statement after removed ones: their comments survive in place, and
    without comments the blank-line gap is the wider of the two (`def` keeps two, no more)."""
    if any(line.comment is not None for line in removed):
        return [*removed, *lead]
    extra = max(0, len(removed) - sum(1 for line in lead if line.comment is None))
    return [*([cst.EmptyLine()] * extra), *lead]


def _unwrap(stmt: Stmt, value: cst.BaseExpression) -> List[Stmt]:
    """``if k not in d: <body>; d[k] = expr`` -> ``<body>; return expr``."""
    node = cst.ensure_type(stmt, cst.If)
    inner = list(cst.ensure_type(node.body, cst.IndentedBlock).body)
    last = cst.ensure_type(inner[-1], cst.SimpleStatementLine)
    return [*inner[:-1], last.with_changes(body=[cst.Return(value=value)])]


def _is_empty_dict_ast(value: Optional[ast.expr]) -> bool:
    if isinstance(value, ast.Dict):
        return not value.keys
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "dict"
        and not value.args
        and not value.keywords
    )


def _ast_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _ast_filter(tree: ast.Module) -> bool:
    """An empty dict that can outlive a call (module or class level, ``self.x`` / ``x.attr``, or
    a local of a function with a nested def) and a ``[k] = v`` / ``setdefault`` on the same name."""
    long_lived: Set[str] = set()
    stored: Set[str] = set()

    def scan_body(body: List[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and _is_empty_dict_ast(stmt.value):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                long_lived.update(t.id for t in targets if isinstance(t, ast.Name))
            elif isinstance(stmt, ast.ClassDef):
                scan_body(stmt.body)
            elif isinstance(stmt, (ast.If, ast.Try)):
                scan_body(stmt.body)
                scan_body(stmt.orelse)

    scan_body(tree.body)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if _is_empty_dict_ast(node.value):
                long_lived.update(t.attr for t in targets if isinstance(t, ast.Attribute))
            stored.update(_ast_name(t.value) for t in targets if isinstance(t, ast.Subscript))
        elif isinstance(node, ast.Attribute) and node.attr == "setdefault":
            stored.add(_ast_name(node.value))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) for n in ast.walk(node) if n is not node):
                scan_body([n for n in ast.walk(node) if isinstance(n, (ast.Assign, ast.AnnAssign))])  # type: ignore[misc]
    return bool(long_lived & stored)


FIXER = Fixer(
    rule=RULE,
    doc=__doc__ or "",
    examples=EXAMPLES,
    detector=Detector,
    transformer=Transformer,
    needles=(b"{}", b"dict()"),
    ast_filter=_ast_filter,
)
