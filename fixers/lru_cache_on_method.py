"""## What it does
Finds `functools.lru_cache` / `functools.cache` (under any alias) decorating a method whose first
parameter is `self`.

## Why is this bad?
The cache lives on the class, for the life of the process, and its keys include `self`: every
instance the method is called on is kept alive by the cache (with everything it references) until
its entry is evicted. With `@cache` or `maxsize=None` that is never; with `maxsize=N` it is the N
most recent calls, across all instances.

## Example
```python
from functools import lru_cache

class Report:
    def __init__(self, rows):
        self.rows = rows

    @lru_cache(maxsize=128)
    def total(self, column):
        return sum(row[column] for row in self.rows)
```

## Use instead
```python
from functools import lru_cache

class Report:
    def __init__(self, rows):
        self.total = lru_cache(maxsize=128)(self.total)
        self.rows = rows

    def total(self, column):
        return sum(row[column] for row in self.rows)
```
Each instance now owns its cache, which dies with the instance (it is a reference cycle, so the
cyclic garbage collector frees it, not reference counting).

## Fix safety
Always unsafe. The rewrite changes what is shared: instances no longer share cache entries (a
hit for one equal instance is a miss for another), `Report.total.cache_clear()` and
`cache_info()` on the class stop existing, `copy.copy(obj)` copies the bound cache of the original
instance (so the copy computes with the original's state), and instances holding the per-instance
cache no longer pickle. An unbounded `@cache` also gets the bound N (inferred from the code, or
`--max-len`).

## Fix availability
Offered only when the per-instance cache can be created honestly: the class defines a plain
`__init__` with a block body, the cache decorator is the method's only decorator, the method is not
`async`, the class has no decorators, no `__slots__` and no `__setattr__`, no other class in the
file defines a method of the same name, and the method is never reached through the class
(`Report.total`, `cls.total`). Otherwise the finding is reported without a fix. Static and class
methods are not reported (MF202 covers an unbounded cache on them).

## References
- [functools.lru_cache](https://docs.python.org/3/library/functools.html#functools.lru_cache)
- [FAQ: How do I cache method calls?](https://docs.python.org/3/faq/programming.html#how-do-i-cache-method-calls)
- flake8-bugbear / ruff B019 cached-instance-method (detection only)
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Dict, List, Optional, Set, Tuple, Union

import libcst as cst
from libcst.metadata import ParentNodeProvider, PositionProvider, QualifiedNameProvider

from memfix.astindex import AstIndex
from memfix.prefilter import FilterResult, spelling_regions
from memfix.fixer import BaseDetector, BaseTransformer, Fixer, FixPlan, Invalid, Rule, Valid
from memfix.fixers._cache_analysis import (
    Bound,
    BoundCandidate,
    CacheDecorator,
    ast_cache_names,
    ast_is_cache_decorator,
    bound_candidates,
    cache_decorator,
    choose_bound,
    class_family,
    drop_unused_from_imports,
    enclosing_class,
    first_param,
    import_ref,
    is_bound_name,
    is_instance_method,
)
from memfix.model import Safety
from memfix.nodes import walk

RULE = Rule(
    code="MF203",
    name="lru-cache-on-method",
    summary="lru_cache/cache on a method keeps every instance alive",
    fix_title="Create the cache per instance in __init__",
)

EXAMPLES = (
    Invalid(
        "from functools import lru_cache\n\nclass Report:\n    def __init__(self, rows):\n        self.rows = rows\n\n"
        "    @lru_cache(maxsize=128)\n    def total(self, column):\n        return sum(r[column] for r in self.rows)\n",
        fixed="from functools import lru_cache\n\nclass Report:\n    def __init__(self, rows):\n"
        "        self.total = lru_cache(maxsize=128)(self.total)\n        self.rows = rows\n\n"
        "    def total(self, column):\n        return sum(r[column] for r in self.rows)\n",
        safety=Safety.UNSAFE,
    ),
    Invalid(
        "import functools\n\nclass Parser:\n    @functools.cache\n    def parse(self, text):\n        return text.split()\n",
    ),
    Valid(
        "import functools\n\nclass Parser:\n    @staticmethod\n    @functools.lru_cache(maxsize=64)\n"
        "    def parse(text):\n        return text.split()\n"
    ),
)


@dataclass(frozen=True)
class PerInstancePlan(FixPlan):
    """Drop the decorator from ``method``; add ``statement`` at the top of ``init``'s body."""

    method: Optional[cst.FunctionDef] = None
    init: Optional[cst.FunctionDef] = None
    statement: Optional[cst.BaseStatement] = None
    import_module: Optional[str] = None
    import_obj: Optional[str] = None


class Detector(BaseDetector):
    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider, QualifiedNameProvider)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not is_instance_method(node, self.parent, self.qualified):
            return
        for decorator in node.decorators:
            found = cache_decorator(decorator, self.qualified)
            if found is not None:
                self.report_method(node, found)
                return

    def report_method(self, method: cst.FunctionDef, found: CacheDecorator) -> None:
        assert self.module is not None
        owner = enclosing_class(method, self.parent)
        assert owner is not None
        symbol = f"{owner.name.value}.{method.name.value}"
        written = self.module.code_for_node(found.decorator.decorator)
        if found.unbounded:
            lifetime = "and the cache is unbounded, so every instance it is called on stays alive for the life of the process"
        else:
            lifetime = "so the instances of the most recent calls stay alive as long as their entries"
        message = f"`@{written}` on method `{symbol}` keys the class-wide cache on `self`, {lifetime}"
        refusal = self.refusal(owner, method, found)
        if refusal is not None:
            self.report(found.decorator, symbol=symbol, message=message, no_fix_reason=refusal)
            return
        plan = self.plan(owner, method, found)
        if isinstance(plan, str):
            self.report(found.decorator, symbol=symbol, message=message, no_fix_reason=plan)
            return
        self.report(found.decorator, symbol=symbol, message=message, plan=plan)

    # -- can the per-instance cache be made honest? ------------------------------------------------

    def init_of(self, owner: cst.ClassDef) -> Optional[cst.FunctionDef]:
        for stmt in owner.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__init__":
                return stmt
        return None

    def refusal(self, owner: cst.ClassDef, method: cst.FunctionDef, found: CacheDecorator) -> Optional[str]:
        assert self.module is not None
        name = method.name.value
        if len(method.decorators) != 1:
            return "the method has other decorators; wrapping it per instance would change their order"
        if method.asynchronous is not None:
            return "an async method caches coroutine objects, which cannot be awaited twice; cache the awaited result instead"
        if owner.decorators:
            return f"class `{owner.name.value}` is decorated; its decorator may forbid or replace instance attributes"
        for stmt in owner.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == "__setattr__":
                return f"`{owner.name.value}` defines `__setattr__`"
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else (
                        [small.target] if isinstance(small, cst.AnnAssign) else []
                    )
                    if any(isinstance(t, cst.Name) and t.value == "__slots__" for t in targets):
                        return f"`{owner.name.value}` uses `__slots__`, so it cannot hold a per-instance cache"
        init = self.init_of(owner)
        if init is None:
            return f"`{owner.name.value}` has no `__init__` of its own to create a per-instance cache in"
        if init.decorators or init.asynchronous is not None or first_param(init) != "self":
            return "`__init__` is not a plain method"
        if not isinstance(init.body, cst.IndentedBlock):
            return "`__init__` is written on one line"
        family = class_family(self.module, owner) - {owner.name.value}
        for node in walk(self.module):
            if isinstance(node, cst.FunctionDef) and node is not method and node.name.value == name:
                other = enclosing_class(node, self.parent)
                if other is not None and other.name.value in family:
                    return f"subclass `{other.name.value}` overrides `{name}` (line {self.line_of(node)}); the per-instance cache would wrap the override"
            if isinstance(node, cst.Attribute) and node.attr.value == name:
                base = node.value
                if isinstance(base, cst.Name) and base.value in (owner.name.value, "cls"):
                    return f"`{base.value}.{name}` at line {self.line_of(node)} reaches the method through the class"
                if isinstance(base, cst.Call) and isinstance(base.func, cst.Name) and base.func.value == "type":
                    return f"`type(...).{name}` at line {self.line_of(node)} reaches the method through the class"
        for node in walk(init.body):
            if isinstance(node, cst.AssignTarget) and isinstance(node.target, cst.Attribute):
                target = node.target
                if target.attr.value == name and isinstance(target.value, cst.Name) and target.value.value == "self":
                    return f"`__init__` already assigns `self.{name}`"
        return None

    def plan(self, owner: cst.ClassDef, method: cst.FunctionDef, found: CacheDecorator):  # -> PerInstancePlan | str
        assert self.module is not None
        init = self.init_of(owner)
        assert init is not None
        local_names = self._local_names(init)
        expr = found.decorator.decorator
        import_module = import_obj = None
        bound_note = ""
        if found.unbounded:
            bound = self.bound_for(owner, init)
            if isinstance(expr, cst.Call):
                func_code = self.module.code_for_node(expr.func)
                head = expr.func
            else:
                head = expr
                if isinstance(expr, cst.Attribute):
                    func_code = f"{self.module.code_for_node(expr.value)}.lru_cache"
                else:
                    ref = import_ref(self.module, "functools", "lru_cache", self.module_names())
                    if ref is None:
                        return "neither `lru_cache` nor `functools.lru_cache` can be written without shadowing a name"
                    func_code, import_module, import_obj = ref.code, ref.add_module, ref.add_obj
            extra = ""
            if isinstance(expr, cst.Call):
                others = [a for a in expr.args if not (a.keyword is None or (a.keyword and a.keyword.value == "maxsize"))]
                positional = [a for a in expr.args if a.keyword is None]
                if len(positional) > 1:
                    return "the decorator passes more than `maxsize` positionally"
                extra = "".join(", " + self.module.code_for_node(a.with_changes(comma=cst.MaybeSentinel.DEFAULT)) for a in others)
            wrapper = f"{func_code}(maxsize={bound.code}{extra})"
            bound_note = f"; the unbounded cache also gets a bound, {bound.describe()}"
            names_used = {head_name for head_name in self._head_names(head)}
        else:
            wrapper = self.module.code_for_node(expr)
            names_used = {n.value for n in walk(expr) if isinstance(n, cst.Name)}
            class_names = {name for name, _ in self._class_body_names(owner)}
            clash = names_used & class_names
            if clash:
                return f"the decorator uses `{sorted(clash)[0]}`, a class-body name that `__init__` cannot see"
        clash = names_used & local_names
        if clash:
            return f"`__init__` has a local `{sorted(clash)[0]}` that would shadow the decorator's name"
        name = method.name.value
        statement = cst.parse_statement(
            f"self.{name} = {wrapper}(self.{name})\n", config=self.module.config_for_parsing
        )
        reason = (
            "each instance gets its own cache, freed with the instance: instances no longer share entries, "
            f"`{owner.name.value}.{name}.cache_clear()`/`cache_info()` on the class go away, `copy.copy()` of an "
            "instance shares the original's bound cache, and instances no longer pickle" + bound_note
        )
        return PerInstancePlan(
            safety=Safety.UNSAFE,
            description=f"create the cache per instance in `{owner.name.value}.__init__`",
            reason=reason,
            method=method,
            init=init,
            statement=statement,
            import_module=import_module,
            import_obj=import_obj,
        )

    def _head_names(self, head: cst.BaseExpression) -> List[str]:
        return [n.value for n in walk(head) if isinstance(n, cst.Name)]

    def _local_names(self, func: cst.FunctionDef) -> Set[str]:
        names = {p.name.value for p in walk(func.params) if isinstance(p, cst.Param)}
        for node in walk(func.body):
            if isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign)):
                target = node.target
                if isinstance(target, cst.Name):
                    names.add(target.value)
            elif isinstance(node, cst.ImportAlias):
                asname = node.asname.name if node.asname is not None else None
                if isinstance(asname, cst.Name):
                    names.add(asname.value)
        return names

    def _class_body_names(self, owner: cst.ClassDef) -> List[Tuple[str, cst.CSTNode]]:
        found = []
        for stmt in owner.body.body:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                found.append((stmt.name.value, stmt))
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign):
                        for t in small.targets:
                            if isinstance(t.target, cst.Name):
                                found.append((t.target.value, small))
                    elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                        found.append((small.target.value, small))
        return found

    def bound_for(self, owner: cst.ClassDef, init: cst.FunctionDef) -> Bound:
        """``__init__`` parameters, then class constants (as ``self.X``), then module constants."""
        assert self.module is not None
        candidates: List[Tuple[str, BoundCandidate]] = []
        for param in [*init.params.params, *init.params.kwonly_params]:
            if is_bound_name(param.name.value):
                candidates.append(
                    (param.name.value, BoundCandidate(param.name.value, self.line_of(param), "`__init__` parameter"))
                )
        for cand in bound_candidates(owner.body.body, "class constant", self.line_of):
            candidates.append((f"self.{cand.name}", cand))
        local = self._local_names(init)
        for cand in bound_candidates(self.module.body, "module constant", self.line_of):
            if cand.name not in local:
                candidates.append((cand.name, cand))
        return choose_bound(candidates, self.ctx.fallback_max_len())


class Transformer(BaseTransformer[PerInstancePlan]):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._methods: Dict[cst.CSTNode, PerInstancePlan] = {}
        self._inits: Dict[cst.CSTNode, List[PerInstancePlan]] = {}
        for plan in self.plans.values():
            if plan.method is not None and plan.init is not None:
                self._methods[plan.method] = plan
                self._inits.setdefault(plan.init, []).append(plan)

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        # `from functools import cache [as memo]` may have lost its last use
        return drop_unused_from_imports(updated_node, "functools", {"cache"}) if self._methods else updated_node

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        plan = self._methods.get(original_node)
        if plan is not None:
            updated_node = updated_node.with_changes(
                decorators=(),
                leading_lines=[*updated_node.leading_lines, *_decorator_comments(updated_node)],
                lines_after_decorators=(),
            )
            if plan.import_module is not None:
                self.add_import(plan.import_module, plan.import_obj)
        plans = self._inits.get(original_node)
        if plans:
            body = updated_node.body
            assert isinstance(body, cst.IndentedBlock)
            statements = list(body.body)
            at = 1 if statements and _is_docstring(statements[0]) else 0
            new = [p.statement for p in plans if p.statement is not None]
            updated_node = updated_node.with_changes(
                body=body.with_changes(body=[*statements[:at], *new, *statements[at:]])
            )
        return updated_node


def _decorator_comments(method: cst.FunctionDef) -> List[cst.EmptyLine]:
    """The comment lines the removed decorator carried (above it, after it on its line, between
    it and ``def``), kept above the method: a rewrite never drops a comment."""
    if not method.decorators:
        return []
    decorator = method.decorators[0]
    lines = list(decorator.leading_lines)
    trailing = decorator.trailing_whitespace.comment
    if trailing is not None:
        lines.append(cst.EmptyLine(comment=trailing))
    return [*lines, *method.lines_after_decorators]


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _ast_filter(tree: Union[ast.Module, AstIndex]) -> FilterResult:
    """A functools cache decorator (any alias) on a function defined directly in a class body.
    The analysis reads the owner class, its subclasses in the file (by base-class name, at any
    depth), every function or attribute spelled like the method, and the module's names."""
    index = AstIndex.of(tree)
    names = ast_cache_names(index)
    classes = index.nodes(ast.ClassDef)
    methods: List[ast.stmt] = []
    family: Set[str] = set()
    for node in classes:
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if any(ast_is_cache_decorator(d, names) for d in item.decorator_list):
                    methods.append(item)
                    family |= {node.name, item.name}
    if not methods:
        return False
    changed = True
    while changed:  # subclasses of subclasses
        changed = False
        for node in classes:
            if node.name not in family and any(not family.isdisjoint(index.spelled(base)) for base in node.bases):
                family.add(node.name)
                changed = True
    return spelling_regions(index, methods, family)


FIXER = Fixer(
    rule=RULE,
    doc=__doc__ or "",
    examples=EXAMPLES,
    detector=Detector,
    transformer=Transformer,
    needles=(b"functools",),
    ast_filter=_ast_filter,
)
