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
`while len(d) > N: d.popitem(last=False)` after every insert. When some use may see the order
(the dict is iterated, measured, passed on or reached from outside), there is no `move_to_end`: the
cache evicts first-in first-out, so the entries stay in insertion order and such a reader sees
fewer of them, never reordered. With `--lru-backend cachetools`
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
would lose data. Unsafe when the stored value reads, besides the key, a module variable that can
change at run time (declared `global` somewhere, bound more than once at module level, or a
mutable module-level container) or the owner's own state: the memo froze the first answer, and a
key recomputed after an eviction would see the new state. Unsafe when a function hands a stored
object back to its caller (`return d[k]`, or the value it just stored) and that object is not a
value memfix can recognise (a number, a string, a `str` method's result, a tuple of values...): an
unbounded memo gave every caller of a key the same object, a bounded one hands out a new one after
an eviction, and a caller that mutated or kept the old one sees the difference. Also unsafe when
the module uses threads and a read is not under a `with` block (an eviction in another thread could
remove a key between its check and its read), and when the dict has a public name (an attribute or
module global without a leading underscore): code in other modules may read it and miss evicted
entries.

## Fix availability
The `lru_cache` rewrite is used for a private module dict used by exactly one module-level
function, keyed by exactly its plain positional parameters, whose body starts with the lookup and
ends with the store (no other return), and which does not call itself (a C `lru_cache` wrapper
halves the usable recursion depth on CPython 3.11). The in-place LRU is offered only when every
read (the first-in first-out cache rewrites none) and write site can be rewritten: one statement per line, a simple key (a name, attribute or
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
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst

from memfix.astindex import AstIndex
from memfix.fixer import BaseTransformer, Fixer, Invalid, Rule, Valid
from memfix.fixers._cache_analysis import ast_rebinding_anchors
from memfix.fixers._dict_cache_filter import DictCacheEvidence
from memfix.fixers._dict_cache_model import Candidate, DictCachePlan, Stmt, StmtOp
from memfix.fixers._dict_cache_plans import DictCachePlanner
from memfix.fixers._lifetime_filter import lifetime_evidence
from memfix.fixers._cached_result import HELPER_DEPTH
from memfix.fixers._visibility import ATTRIBUTE, MODULE_GLOBAL, read_elsewhere
from memfix.model import Safety
from memfix.prefilter import FilterResult, Regions, called_helpers, spelling_regions

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
        "class Slugger:\n    def __init__(self):\n        self._cache = {}\n\n    def slug(self, title):\n"
        "        if title in self._cache:\n            return self._cache[title]\n"
        "        slug = title.strip().lower().replace(' ', '-')\n"
        "        self._cache[title] = slug\n        return slug\n",
        fixed="from collections import OrderedDict\n\nclass Slugger:\n    def __init__(self):\n"
        "        self._cache = OrderedDict()\n\n    def slug(self, title):\n        if title in self._cache:\n"
        "            self._cache.move_to_end(title)\n            return self._cache[title]\n"
        "        slug = title.strip().lower().replace(' ', '-')\n"
        "        self._cache[title] = slug\n        while len(self._cache) > 1000:\n"
        "            self._cache.popitem(last=False)\n        return slug\n",
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


# ---------------------------------------------------------------------------------------------
# detector

#: how code in other modules could reach a candidate of each kind (memfix.fixers._visibility)
_REACHED_AS = {"module": MODULE_GLOBAL, "class": ATTRIBUTE, "instance": ATTRIBUTE}


class Detector(DictCachePlanner):
    """The analysis (``_dict_cache_analysis``) collects and classifies; the planner
    (``_dict_cache_plans``) builds the rewrite; this class decides what to report."""

    def visit_Module(self, node: cst.Module) -> bool:
        # The analysis needs the whole module at once; a plain walk of the dataclass fields is
        # several times cheaper than libcst's visitor dispatch, so the visit stops here.
        super().visit_Module(node)
        return False

    def leave_Module(self, original_node: cst.Module) -> None:
        for node in self.nodes_of(cst.Attribute, cst.Assign, cst.AnnAssign):
            kind = type(node)
            if kind is cst.Attribute:
                self._attributes.setdefault(node.attr.value, []).append(node)  # type: ignore[attr-defined]
            elif kind is cst.Assign and len(node.targets) == 1 and self.is_empty_dict(node.value):  # type: ignore[attr-defined]
                self._empty_dict(node, node.targets[0].target, node.value)  # type: ignore[attr-defined]
            elif kind is cst.AnnAssign and node.value is not None and self.is_empty_dict(node.value):  # type: ignore[attr-defined]
                self._empty_dict(node, node.target, node.value)  # type: ignore[attr-defined]
        for stmt, target, value in self._empty_dicts:
            candidate = self.candidate(stmt, target, value)
            if candidate is not None:
                self.analyse(candidate)

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
        elsewhere = read_elsewhere(_REACHED_AS.get(cand.kind, ""), cand.name, subject)
        plan_or_reason = self.plan(cand, registry or "; ".join(r for r in (unsafe, elsewhere) if r))
        if isinstance(plan_or_reason, str):
            self.report(cand.define_value, symbol=cand.symbol, message=message, no_fix_reason=plan_or_reason, confidence=confidence)
        else:
            self.report(cand.define_value, symbol=cand.symbol, message=message, plan=plan_or_reason, confidence=confidence)


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
        body, left = self._rebuild(original_node.body, updated_node.body)
        return updated_node.with_changes(body=body, footer=[*left, *updated_node.footer])

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body, left = self._rebuild(original_node.body, updated_node.body)
        return updated_node.with_changes(body=body, footer=[*left, *updated_node.footer])

    def _rebuild(self, original: Sequence[Stmt], updated: Sequence[Stmt]) -> Tuple[List[Stmt], List[cst.EmptyLine]]:
        """The block's statements with the plans' edits, and the comment lines of removed
        statements that no later statement could take (they go to the block's footer)."""
        if not any(stmt in self._ops for stmt in original):
            return list(updated), []
        result: List[Stmt] = []
        carried: List[cst.EmptyLine] = []  # leading lines (and trailing comments) of removed statements
        for orig, stmt in zip(original, updated):
            ops = self._ops.get(orig, [])
            before = [s for op in ops for s in op.before]
            after = [s for op in ops for s in op.after]
            replaced: Optional[List[Stmt]] = [stmt]
            unwrapped = False
            for op in ops:
                if op.replace is not None:
                    replaced = list(op.replace)
                elif op.unwrap_return is not None:
                    replaced, unwrapped = _unwrap(stmt, op.unwrap_return), True
            group = [*before, *(replaced or []), *after]
            lead = list(stmt.leading_lines)
            if not group:
                carried.extend(lead)
                comment = stmt.trailing_whitespace.comment if isinstance(stmt, cst.SimpleStatementLine) else None
                if comment is not None:  # `_cache = {}  # why`: the comment stays, on a line of its own
                    carried.append(cst.EmptyLine(indent=True, comment=comment))
                continue
            if carried:
                lead = _merge_leading(carried, lead)
            # an unwrapped body keeps the comments it had above its first statement
            own = list(group[0].leading_lines) if unwrapped and not before else []
            group[0] = group[0].with_changes(leading_lines=[*lead, *own])
            carried = []
            if before and replaced:
                index = len(before)
                group[index] = group[index].with_changes(leading_lines=())
            result.extend(group)
        return result, [line for line in carried if line.comment is not None]


def _merge_leading(removed: List[cst.EmptyLine], lead: List[cst.EmptyLine]) -> List[cst.EmptyLine]:
    """Leading lines for the statement after removed ones: their comments survive in place, and
    without comments the blank-line gap above the next line is the wider of the two (`def` keeps
    two, no more; a comment opening the next statement's lead keeps the blank lines above it)."""
    if any(line.comment is not None for line in removed):
        return [*removed, *lead]
    blanks_first = 0
    for line in lead:
        if line.comment is not None:
            break
        blanks_first += 1
    # the removed statement's own leading lines stay as they were (they lie outside the rewrite);
    # the next statement gives up as many of its blank lines as that adds
    return [*removed, *lead[min(len(removed), blanks_first):]]


def _unwrap(stmt: Stmt, value: cst.BaseExpression) -> List[Stmt]:
    """``if k not in d: <body>; d[k] = expr`` -> ``<body>; return expr``. A comment on the
    ``if`` line moves above the body's first statement."""
    node = cst.ensure_type(stmt, cst.If)
    block = cst.ensure_type(node.body, cst.IndentedBlock)
    inner = list(block.body)
    last = cst.ensure_type(inner[-1], cst.SimpleStatementLine)
    inner[-1] = last.with_changes(body=[cst.Return(value=value)])
    if block.header.comment is not None:
        inner[0] = inner[0].with_changes(leading_lines=[cst.EmptyLine(indent=True, comment=block.header.comment), *inner[0].leading_lines])
    return inner


def _is_empty_dict_ast(value: Optional[ast.expr], dict_names: Set[str]) -> bool:
    """``{}``, or a call without arguments of what may be the builtin ``dict``: ``dict``, a name
    ``from builtins import dict as D`` binds, ``builtins.dict`` (the detector asks the call's
    qualified names)."""
    if isinstance(value, ast.Dict):
        return not value.keys
    if not isinstance(value, ast.Call) or value.args or value.keywords:
        return False
    func = value.func
    return (isinstance(func, ast.Name) and func.id in dict_names) or (isinstance(func, ast.Attribute) and func.attr == "dict")


def _dict_names(index: AstIndex) -> Set[str]:
    names = {"dict"}
    for node in index.nodes(ast.ImportFrom):
        if node.module == "builtins":
            names.update(a.asname or a.name for a in node.names if a.name == "dict")
    return names


def _ast_filter(tree: Union[ast.Module, AstIndex]) -> FilterResult:
    """An empty dict that can outlive a call (module or class level, ``self.x`` / ``x.attr``, or
    a local of a function with a nested def), stored into at call time (``[k] = v`` /
    ``setdefault`` on the same name inside a function), and neither evicted nor re-bound for
    certain (see ``_dict_cache_filter``).
    The analysis follows the name through the module, so libcst needs the definitions, their
    classes and the code that spells the name (memfix.prefilter.spelling_regions)."""
    index = AstIndex.of(tree)
    evidence = DictCacheEvidence(index)
    if not evidence.stored:
        return False
    anchors: List[ast.stmt] = []
    names: Set[str] = set()
    # names of the dicts dropped below: another rule's regions may bring a dropped dict's
    # definition and stores into the slice, so the code that drops it (an eviction, a re-binding)
    # must come too, or the analysis would see half of it and report it
    dropped: Set[str] = set()

    def has_nested(function: ast.AST) -> bool:
        return bool(index.nested_functions(function))

    whole: List[ast.stmt] = []
    dict_names = _dict_names(index)
    for placed in index.simple_statements():
        stmt, class_name, frame, outer = placed.stmt, placed.class_name, placed.frame, placed.outer
        # the analysis takes ``self.x = {}`` from an __init__ only
        init = isinstance(frame, (ast.FunctionDef, ast.AsyncFunctionDef)) and frame.name == "__init__"
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign)) or not _is_empty_dict_ast(stmt.value, dict_names):
            continue
        for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
            if isinstance(target, ast.Attribute):
                if not (init and isinstance(target.value, ast.Name) and target.value.id == "self"):
                    continue
                name, spreads = target.attr, True
            elif isinstance(target, ast.Name) and (frame is None or isinstance(frame, ast.ClassDef)):
                name, spreads = target.id, True
            elif isinstance(target, ast.Name) and has_nested(outer):  # type: ignore[arg-type]
                name, spreads = target.id, False  # a closure's analysis stays in its function
            else:
                continue
            if name not in evidence.stored:
                continue
            if not _may_report(evidence, target, name, frame, spreads):
                if spreads:
                    dropped.add(name)
                    if class_name:
                        dropped.add(class_name)
                continue
            if outer is not None and not (init and outer is frame):
                whole.append(outer)  # under a function (a closure, or a class defined there)
            else:
                anchors.append(stmt)
            if spreads:
                names.add(name)
                if class_name:
                    names.add(class_name)
    if anchors or whole:
        # a memo's value may read module state that changes (`global EPOCH` in some function):
        # the analysis asks ModuleState, whose pre-filter rule this is; a closure's memo too
        anchors.extend(ast_rebinding_anchors(index))
        names |= dropped
    regions = spelling_regions(index, anchors, names, whole=whole, owner_evidence=lifetime_evidence(index))
    if not isinstance(regions, Regions):
        return regions
    # the identity check reads what the helpers a stored value comes from return
    # (DictCacheAnalysis._callee_kind): they join the slice whole
    kept = {id(stmt) for stmt in regions.nodes}
    helpers = [h for h in called_helpers(index, regions.nodes, depth=HELPER_DEPTH) if id(h) not in kept]
    return Regions(regions.nodes + tuple(helpers)) if helpers else regions


def _may_report(evidence: DictCacheEvidence, target: ast.expr, name: str, frame: Optional[ast.stmt], spreads: bool) -> bool:
    """False when ``Detector.analyse`` certainly returns without a report: no store runs at call
    time, or the dict is evicted or re-bound (``_dict_cache_filter``)."""
    if not spreads:  # a closure's dict: written by the functions nested in its own
        return frame is not None and evidence.nested_store(name, frame)
    # a class body's dict is reached at call time as an attribute (self.x, cls.x, Owner.x) only
    if not evidence.runtime_store(name, attribute=isinstance(target, ast.Attribute) or isinstance(frame, ast.ClassDef)):
        return False
    if isinstance(target, ast.Attribute):  # self.x = {} in __init__: its class holds __init__
        owner = _class_of(evidence, frame)
        return owner is None or not evidence.attribute_evicted(name, owner, target, instance=True)
    if isinstance(frame, ast.ClassDef):
        return not evidence.attribute_evicted(name, frame, target, instance=False)
    return not evidence.module_evicted(name)


def _class_of(evidence: DictCacheEvidence, method: Optional[ast.stmt]) -> Optional[ast.ClassDef]:
    """The class whose body lists ``method`` directly (the detector's ``enclosing_class``)."""
    for node in evidence.index.nodes(ast.ClassDef):
        if any(stmt is method for stmt in node.body):
            return node
    return None


FIXER = Fixer(
    rule=RULE,
    doc=__doc__ or "",
    examples=EXAMPLES,
    detector=Detector,
    transformer=Transformer,
    needles=(b"{", b"dict"),  # {}, { }, {\n}, dict(), builtins.dict( )
    ast_filter=_ast_filter,
)
