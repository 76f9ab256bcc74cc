"""MF201 plans: the rewrite of a dict cache into ``functools.lru_cache``, an ``OrderedDict`` with
eviction, or ``cachetools.LRUCache``, with the bound N chosen per LEAK_PATTERNS "Choosing N"."""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple, Union

import libcst as cst

from memfix.fixers._cache_analysis import (
    Bound,
    BoundCandidate,
    bound_candidates,
    choose_bound,
    depends_on,
    import_ref,
    init_attribute_candidates,
    stem_bound_names,
    is_bound_name,
)
from memfix.fixers._cached_result import own_nodes, param_names
from memfix.fixers._dict_cache_analysis import DictCacheAnalysis, local_sources
from memfix.fixers._dict_cache_model import Candidate, DictCachePlan, Refusal, Stmt, StmtOp, Use
from memfix.model import Safety
from memfix.nodes import children_in, walk

_THREAD_MODULES = frozenset({"threading", "_thread", "concurrent", "multiprocessing", "socketserver"})


class DictCachePlanner(DictCacheAnalysis):
    """Builds the plan (or the reason there is none) for one analysed candidate."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        #: a class's ``self.<bound> = ...`` set in ``__init__``: asked once per store site
        self._init_candidates: Dict[cst.ClassDef, List[BoundCandidate]] = {}

    def _init_attributes(self, class_def: cst.ClassDef) -> List[BoundCandidate]:
        found = self._init_candidates.get(class_def)
        if found is None:
            found = self._init_candidates[class_def] = init_attribute_candidates(
                class_def, self.line_of, children_in(self.metadata)
            )
        return found

    # -- plans ----------------------------------------------------------------------------------------

    def plan(self, cand: Candidate, unsafe: str) -> Union[DictCachePlan, str]:
        threads = self._thread_reason(cand)
        if not unsafe:
            lru = self.lru_function_plan(cand)
            if isinstance(lru, DictCachePlan):
                return lru
        try:
            return self.lru_dict_plan(cand, unsafe, threads)
        except Refusal as refusal:
            return str(refusal)

    def _thread_import(self) -> Tuple[str, int]:
        """The first import of a threading module (name, line), or ("", 0)."""
        if self._threads is None:
            self._threads = ("", 0)
            for node in self.nodes_of(cst.Import, cst.ImportFrom):
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
        if any(isinstance(n, (cst.Yield, cst.Await)) for n in own_nodes(func.body)):
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
        ref = import_ref(self.module, "functools", "lru_cache", self.module_names(), self.bindings())
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
        returns = [n for n in own_nodes(func.body) if isinstance(n, cst.Return)]
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
        ref = import_ref(self.module, "collections", "OrderedDict", self.module_names(), self.bindings())
        if ref is None:
            raise Refusal("neither `OrderedDict` nor `collections.OrderedDict` can be written without shadowing a name")
        ops: Dict[int, Tuple[Stmt, List[Stmt], List[Stmt]]] = {}
        bound_used: Optional[Bound] = None
        order_seen = self._order_seen(cand)
        for use in cand.uses:
            if use.kind in ("member", "other"):
                continue
            dict_code = self.code(use.node)
            if use.kind in ("read", "get", "setdefault", "mutate") and not order_seen:
                stmt, conditional = self.statement_of(use)
                key = self.simple_key(use)
                present = use.kind == "read" and not conditional and self._known_present(stmt, dict_code, key)
                move = f"{dict_code}.move_to_end({key})"
                code = f"{move}\n" if present else f"if {key} in {dict_code}:\n    {move}\n"
                self._add(ops, stmt, before=cst.parse_statement(code, config=self.module.config_for_parsing))
            if use.kind in ("write", "setdefault") or (use.kind == "mutate" and self._is_setdefault(use)):
                stmt, _ = self.statement_of(use, simple=True)
                if use.kind != "write" and _is_flow(stmt):
                    raise Refusal(f"`setdefault` at line {use.line} is returned directly, leaving no place to evict after it")
                bound = self.bound_at(cand, use)
                bound_used = bound_used or bound
                evict = f"while len({dict_code}) > {bound.code}:\n    {dict_code}.popitem(last=False)\n"
                self._add(ops, stmt, after=cst.parse_statement(evict, config=self.module.config_for_parsing))
        bound_used = bound_used or Bound(str(self.ctx.fallback_max_len()), "the configured default")
        value = cst.parse_expression(f"{ref.code}()")
        reasons = [r for r in (unsafe, threads) if r]
        safety = Safety.UNSAFE if reasons else Safety.SAFE
        reason = "; ".join(reasons) if reasons else "memo shape: a miss recomputes the value from the key"
        kind = "LRU"
        if order_seen:
            kind = "first-in first-out cache"
            reason += f"; entries stay in insertion order, which {order_seen} sees: a lookup does not move its key to the end"
        return DictCachePlan(
            safety=safety,
            description=f"make `{self._display(cand)}` a bounded {kind} ({ref.code}, {bound_used.code} entries)",
            reason=f"{reason}; {bound_used.describe()}{note}",
            ops=tuple((stmt, StmtOp(before=tuple(b), after=tuple(a))) for stmt, b, a in ops.values()),
            value_node=cand.define_value,
            value_replacement=value,
            imports=((ref.add_module, ref.add_obj),) if ref.add_module else (),
        )

    def _order_seen(self, cand: Candidate) -> str:
        """The first use that may see the dict's order ("" for none): an LRU moves each looked-up
        key to the end, so iterating it (graphlib's ``TopologicalSorter`` walks ``_node2info``)
        would see the entries reordered, not only fewer of them. Keyed lookups, stores and
        membership tests never see the order; anything else may."""
        for use in cand.uses:
            if use.kind == "other":
                return f"the use at line {use.line}"
        if cand.foreign:
            node = cand.foreign[0]
            return f"`{self.code(node)}` at line {self.line_of(node)}"
        return ""

    def cachetools_plan(self, cand: Candidate, unsafe: str, threads: str) -> Union[DictCachePlan, str]:
        assert self.module is not None
        ref = import_ref(self.module, "cachetools", "LRUCache", self.module_names(), self.bindings())
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
                raise Refusal(f"the use at line {use.line} is inside a lambda or comprehension")
            if isinstance(current, cst.BooleanOperation) and child is current.right:
                conditional = True
            if isinstance(current, cst.IfExp) and child is not current.test:
                conditional = True
            if isinstance(current, cst.SimpleStatementLine):
                if len(current.body) != 1:
                    raise Refusal(f"line {use.line} holds several statements")
                break
            if isinstance(current, cst.BaseCompoundStatement):
                if simple:
                    raise Refusal(f"the store at line {use.line} is not a statement of its own")
                if isinstance(current, cst.While):
                    raise Refusal(f"the read at line {use.line} is in a `while` condition, evaluated on every turn")
                if isinstance(current, cst.If) and isinstance(self.parent(current), cst.If):
                    raise Refusal(f"the read at line {use.line} is in an `elif` condition")
                break
            if isinstance(current, cst.SimpleStatementSuite):
                raise Refusal(f"line {use.line} is a one-line block")
            child, current = current, self.parent(current)
        if current is None or not isinstance(self.parent(current), (cst.IndentedBlock, cst.Module)):
            raise Refusal(f"the use at line {use.line} is not in a statement block")
        assert isinstance(current, cst.BaseStatement)
        if simple:
            small = cst.ensure_type(current, cst.SimpleStatementLine).body[0]
            if use.kind == "write" and not isinstance(small, cst.Assign):
                raise Refusal(f"the store at line {use.line} is not a plain assignment")
        return current, conditional

    def simple_key(self, use: Use) -> str:
        key = use.key
        if key is None or not _simple_expr(key):
            shown = self.code(key) if key is not None else "?"
            raise Refusal(f"the key `{shown}` at line {use.line} is not a simple name; repeating it could evaluate it twice")
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
                candidates += [(f"self.{c.name}", c) for c in self._init_attributes(cand.owner_class)]
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
            candidates += [(f"self.{c.name}", c) for c in self._init_attributes(cand.owner_class) if c.line < line]
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


def _local_names(func: Optional[cst.FunctionDef]) -> Set[str]:
    if func is None:
        return set()
    return param_names(func) | set(local_sources(func))


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
