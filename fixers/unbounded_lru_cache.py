"""## What it does
Finds `functools.cache`, `functools.lru_cache(maxsize=None)` and `functools.lru_cache(None)`,
whatever they are imported as (`from functools import cache as memo`, `import functools as ft`),
as decorators or called directly, and bounds them with `lru_cache(maxsize=N)`.

## Why is this bad?
An unbounded cache keeps one entry (the arguments and the result) for every distinct call, for the
life of the process. Called with request data, ids or timestamps, it grows without limit.

## Example
```python
from functools import cache

@cache
def render(template_id, locale):
    return compile_template(template_id, locale)
```

## Use instead
```python
from functools import cache, lru_cache

@lru_cache(maxsize=1000)
def render(template_id, locale):
    return compile_template(template_id, locale)
```

## Options
N is inferred from the code when it names a size limit (a module or class constant such as
`MAX_CACHE_SIZE` or `cache_size`, defined before the decorator), and referenced by name; otherwise
`--max-len` / `max-len` (default 1000). The message says where N came from.

ruff `UP033`, pyupgrade (`--py39-plus`) and refurb `FURB134` (use-cache) push the other way:
they rewrite `lru_cache(maxsize=None)` to `@cache`. All three only look at `maxsize=None`, so once
memfix has written a bound they leave it alone and the tools agree. They only disagree about caches
you want unbounded on purpose (a small, known key set). For those, pick one spelling and tell the
other tools: keep `@cache` and mark the line `# memfix: ignore[MF202]`, or keep
`lru_cache(maxsize=None)` and disable the rewrite (`[tool.ruff.lint] extend-ignore = ["UP033"]`,
refurb `--ignore FURB134` or `[tool.refurb] ignore = ["FURB134"]`; pyupgrade has no per-rule
switch, so run it with a lower `--pyXY-plus` or exclude the file).

## Fix safety
Safe: a bounded cache only recomputes a result that was evicted, and a memoised function returns
the same value for the same arguments. That holds when every result is a value: immutable (a
number, a string, a comparison, a tuple of values, a `str` method's result, `datetime` and
`decimal` objects, `math` and `os.path` results), an argument, a module-level name, or what a
function of this module returns when that is a value (followed three calls deep; a recursive call
counts as a value). Unsafe when the function returns a new mutable or identity-bearing object
(`[]`, `{}`, `text.split()`, `threading.Lock()`, a `collections` container, a class of this
module), or anything else memfix cannot tell is a value (a call of an imported class or function,
a local variable): callers may rely on getting the same object back for a key, and after an
eviction they get a new one. Unsafe when the function returns nothing or is a generator: the
cache only makes its body run once per argument (a "warn once" guard), and a bounded cache runs it
again. Unsafe
when recomputing an evicted result could be observed: the body writes state outside itself
(`global` or `nonlocal` stores, attributes, `print`, calls that change state, any call whose
result nothing uses, such as `warnings.warn(...)`, unless it is a method of a local object the
function builds), or reads a module
variable that can change at run time (declared `global` somewhere, bound more than once at module
level, or a mutable module-level container): the unbounded cache froze the first answer, a
bounded one recomputes it from the new state. Also unsafe for `cache(f)` called on a function
memfix cannot see.

## Fix availability
Always, unless neither `lru_cache` nor `functools.lru_cache` can be spelled without shadowing a
name. Not reported: `lru_cache()` / `lru_cache(maxsize=128)` (already bounded), functions without
parameters (they hold one entry), and methods taking `self` (MF203 reports those).

## References
- [functools.lru_cache](https://docs.python.org/3/library/functools.html#functools.lru_cache)
- ruff UP033, refurb FURB134 (opposite direction); flake8-bugbear B019 (methods)
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import FrozenSet, List, Optional, Set, Tuple, Union

import libcst as cst
from libcst.metadata import Assignment, ParentNodeProvider, PositionProvider, QualifiedNameProvider, ScopeProvider

from memfix.astindex import AstIndex
from memfix.prefilter import FilterResult, Regions, called_helpers, enclosing_functions, spelling_regions
from memfix.fixer import BaseDetector, BaseTransformer, Fixer, FixPlan, Invalid, Rule, Valid
from memfix.fixers._cache_analysis import (
    CACHE,
    CONTAINER_DISPLAYS,
    LRU_CACHE,
    Bound,
    BoundCandidate,
    ModuleState,
    ast_cache_imports,
    ast_may_be_unbounded,
    ast_rebinding_anchors,
    bound_candidates,
    cache_decorator,
    choose_bound,
    drop_unused_from_imports,
    enclosing_class,
    has_any_param,
    import_ref,
    is_instance_method,
    m_is_none,
    makes_new_object,
    maxsize_arg,
)
from memfix.fixers._cached_result import HELPER_DEPTH, NEW, UNKNOWN, helper_kind, own_nodes, param_names, result_kind, single_def
from memfix.model import Safety
from memfix.nodes import walk

RULE = Rule(
    code="MF202",
    name="unbounded-lru-cache",
    summary="functools.lru_cache(maxsize=None) / functools.cache grows without limit",
    fix_title="Bound the cache with lru_cache(maxsize=N)",
)

EXAMPLES = (
    Invalid(
        "import functools\n\n@functools.cache\ndef slug(text):\n    return text.strip().lower().replace(' ', '-')\n",
        fixed="import functools\n\n@functools.lru_cache(maxsize=1000)\ndef slug(text):\n    return text.strip().lower().replace(' ', '-')\n",
        safety=Safety.SAFE,
    ),
    Invalid(
        "import functools\n\n@functools.cache\ndef parse(text):\n    return text.split()\n",
        fixed="import functools\n\n@functools.lru_cache(maxsize=1000)\ndef parse(text):\n    return text.split()\n",
        safety=Safety.UNSAFE,
    ),
    Invalid(
        "from functools import lru_cache\n\nMAX_CACHE_SIZE = 256\n\n@lru_cache(maxsize=None)\n"
        "def fetch(key):\n    return key.upper()\n",
        fixed="from functools import lru_cache\n\nMAX_CACHE_SIZE = 256\n\n@lru_cache(maxsize=MAX_CACHE_SIZE)\n"
        "def fetch(key):\n    return key.upper()\n",
        safety=Safety.SAFE,
    ),
    Valid("from functools import lru_cache\n\n@lru_cache(maxsize=128)\ndef parse(text):\n    return text.split()\n"),
    Valid("from functools import cache\n\n@cache\ndef settings():\n    return load()\n"),
)

#: methods that change the object they are called on (a side effect a recomputation repeats)
_MUTATORS = frozenset(
    {"append", "extend", "insert", "add", "update", "setdefault", "pop", "popitem", "remove", "discard", "clear",
     "write", "writelines", "put", "put_nowait", "send", "sendall", "appendleft", "extendleft", "inc", "incr"}
)


@dataclass(frozen=True)
class BoundPlan(FixPlan):
    """Replace ``node`` (a Decorator's expression or a Call) with ``replacement``."""

    replacement: Optional[cst.BaseExpression] = None
    import_module: Optional[str] = None
    import_obj: Optional[str] = None


class Detector(BaseDetector):
    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider, QualifiedNameProvider, ScopeProvider)

    def visit_Module(self, node: cst.Module) -> Optional[bool]:
        # one per module: its ``global`` declarations are gathered once, whatever the number of
        # cached functions asking about the names they read
        self._module_state = ModuleState(self)
        return super().visit_Module(node)

    # -- helpers --------------------------------------------------------------------------------

    def symbol_of(self, func: cst.FunctionDef) -> str:
        parts = [func.name.value]
        node: Optional[cst.CSTNode] = self.parent(func)
        while node is not None:
            if isinstance(node, cst.ClassDef):
                parts.append(node.name.value)
            elif isinstance(node, cst.FunctionDef):
                parts.append(node.name.value + ".<locals>")
            node = self.parent(node)
        return ".".join(reversed(parts))

    def bound_for(self, site: cst.CSTNode, func: Optional[cst.FunctionDef]) -> Bound:
        """Module constants defined above ``site``; in a class body also class constants above it."""
        assert self.module is not None
        line = self.line_of(site)
        candidates: List[Tuple[str, BoundCandidate]] = []
        owner = enclosing_class(func, self.parent) if func is not None else None
        if owner is not None:
            for cand in bound_candidates(owner.body.body, "class constant", self.line_of):
                if cand.line < line:
                    candidates.append((cand.name, cand))
        top_line = self.line_of(owner) if owner is not None else line
        nested = func is not None and owner is None and self.parent(func) is not None and not isinstance(
            self.parent(func), cst.Module
        )
        for cand in bound_candidates(self.module.body, "module constant", self.line_of):
            if nested or cand.line < top_line:
                if cand.name not in {c.name for _, c in candidates}:
                    candidates.append((cand.name, cand))
        return choose_bound(candidates, self.ctx.fallback_max_len())

    def identity_hazard(self, func: cst.FunctionDef) -> Optional[str]:
        """Why a bounded cache could hand out a different object for the same key, or run the
        body again where the unbounded one ran it once, if it could (memfix.fixers._cached_result)."""
        assert self.module is not None
        name = func.name.value
        parameters = param_names(func)
        if func.asynchronous is not None:
            return f"`{name}` is a coroutine function: each call returns a new single-use coroutine, and callers may rely on getting the same one back for a key"
        returned = False
        for node in own_nodes(func.body):
            if isinstance(node, cst.Yield):
                return f"`{name}` returns a generator (line {self.line_of(node)}), a new single-use object on every call: callers may rely on getting the same one back for a key"
            if not isinstance(node, cst.Return) or node.value is None:
                continue
            value = node.value
            if isinstance(value, cst.Name) and value.value == "None":
                continue
            returned = True
            code = self.module.code_for_node(value)
            kind = self._kind_of(value, func, parameters, frozenset({func}))
            if kind == NEW:
                adjective = "new mutable" if isinstance(value, CONTAINER_DISPLAYS) else "new"
                return f"`{name}` returns a {adjective} `{code}` at line {self.line_of(node)}: callers may rely on getting the same object back for a key"
            if kind == UNKNOWN:
                return (
                    f"`{name}` returns `{code}` at line {self.line_of(node)}, which memfix cannot tell is an immutable value: "
                    "callers may rely on getting the same object back for a key"
                )
        if not returned:
            return (
                f"`{name}` returns nothing: the cache only makes its body run once per argument (a warning, a "
                "registration), and a bounded cache runs it again for an argument it evicted"
            )
        return None

    def _kind_of(self, value: cst.BaseExpression, func: cst.FunctionDef, parameters: Set[str], visiting: FrozenSet[cst.FunctionDef]) -> str:
        return result_kind(
            value, self.qualified, parameters, lambda n: not self._outer_base(n, func), self._makes_new,
            lambda call: self._callee_kind(call, func, visiting),
        )

    def _callee_kind(self, call: cst.Call, func: cst.FunctionDef, visiting: FrozenSet[cst.FunctionDef]) -> Optional[str]:
        """What a function of this module returns, when ``call`` calls one by name: a call of the
        cached function itself is a value if its other returns are (``fib(n - 1) + fib(n - 2)``),
        and a helper is read the same way, a few calls deep."""
        if not isinstance(call.func, cst.Name) or not self._outer_base(call.func, func) or self.module is None:
            return None
        target = single_def(self.module.body, call.func.value)
        if target is None:
            return None
        parameters = param_names(target)
        return helper_kind(target, visiting, lambda value, inner: self._kind_of(value, target, parameters, inner))

    def _makes_new(self, call: cst.Call) -> bool:
        return makes_new_object(self.qualified(call.func)) or self._local_class(call.func)

    def _local_class(self, func: cst.BaseExpression) -> bool:
        """``func`` names a class defined in this module: calling it builds a new object with its
        own identity and state (a per-key singleton factory such as ``get_conn(name)``)."""
        if not isinstance(func, cst.Name):
            return False
        scope = self.get_metadata(ScopeProvider, func, None)
        if scope is None:
            return False
        return any(isinstance(a, Assignment) and isinstance(a.node, cst.ClassDef) for a in scope[func.value])

    def purity_hazard(self, func: cst.FunctionDef) -> Optional[str]:
        """Why recomputing an evicted result could be observed: the body writes state outside the
        call (a recomputation does it again), or reads module state that changes (a recomputation
        sees the new state). ``@cache`` ran such a body once per key; a bound runs it again."""
        assert self.module is not None
        name = func.name.value
        state = self._module_state
        own = {id(node) for node in own_nodes(func.body)}
        for node in walk(func.body):
            if isinstance(node, (cst.Global, cst.Nonlocal)):
                return f"`{name}` writes {self.module.code_for_node(node).strip()} at line {self.line_of(node)}: a result recomputed after an eviction writes it again"
            if isinstance(node, cst.Call):
                if "builtins.print" in self.qualified(node.func):
                    return f"`{name}` prints at line {self.line_of(node)}: a result recomputed after an eviction prints again"
                effect = self._called_for_effect(node, func, own)
                if effect:
                    return effect
                if isinstance(node.func, cst.Attribute) and node.func.attr.value in _MUTATORS and self._outer_base(node.func.value, func):
                    return f"`{self.module.code_for_node(node.func)}()` at line {self.line_of(node)} changes state outside `{name}`: a result recomputed after an eviction changes it again"
            targets: List[cst.BaseExpression] = []
            if isinstance(node, cst.Assign):
                targets = [t.target for t in node.targets]
            elif isinstance(node, (cst.AugAssign, cst.AnnAssign)):
                targets = [node.target]
            elif isinstance(node, cst.Del):
                targets = [node.target]
            for target in targets:
                if isinstance(target, (cst.Subscript, cst.Attribute)) and self._outer_base(target.value, func):
                    return f"`{self.module.code_for_node(target)}` at line {self.line_of(target)} is written outside `{name}`: a result recomputed after an eviction writes it again"
            if isinstance(node, cst.Name):
                why = state.why_changes(node)
                if why:
                    return f"`{name}` reads `{node.value}` at line {self.line_of(node)}, {why}: a result recomputed after an eviction may differ"
        return None

    def _called_for_effect(self, call: cst.Call, func: cst.FunctionDef, own: Set[int]) -> str:
        """A call of ``func``'s own body whose result nothing uses (``warnings.warn(...)``,
        ``registry.add(x)``): it is there for what it does, which a recomputation does again. A
        method of a local object (``parts.append(x)``) only changes what the call builds. ``own``:
        the ids of ``func``'s own nodes (outside nested functions, classes and lambdas)."""
        statement = self.parent(call)
        if isinstance(statement, cst.Await):
            statement = self.parent(statement)
        if not isinstance(statement, cst.Expr) or id(statement) not in own:
            return ""
        if isinstance(call.func, cst.Attribute) and not self._outer_base(call.func.value, func):
            return ""
        assert self.module is not None
        return (
            f"`{func.name.value}` calls `{self.module.code_for_node(call.func)}()` at line {self.line_of(call)} for its effect "
            "(nothing uses its result): a result recomputed after an eviction does it again"
        )

    def _outer_base(self, expr: cst.BaseExpression, func: cst.FunctionDef) -> bool:
        """``expr`` (through attributes and subscripts) is rooted in a name not local to ``func``."""
        while isinstance(expr, (cst.Attribute, cst.Subscript)):
            expr = expr.value
        if not isinstance(expr, cst.Name):
            return False
        scope = self.get_metadata(ScopeProvider, expr, None)
        if scope is None:
            return True
        return not any(a.scope is scope for a in scope[expr.value])

    def lru_spelling(self, func_expr: cst.BaseExpression) -> Optional[Tuple[str, Optional[str], Optional[str]]]:
        """How to write lru_cache here: next to the module alias already used, else an import."""
        if isinstance(func_expr, cst.Attribute) and isinstance(func_expr.value, (cst.Name, cst.Attribute)):
            assert self.module is not None
            return f"{self.module.code_for_node(func_expr.value)}.lru_cache", None, None
        if isinstance(func_expr, cst.Name) and LRU_CACHE in self.qualified(func_expr):
            return func_expr.value, None, None
        assert self.module is not None
        ref = import_ref(self.module, "functools", "lru_cache", self.module_names())
        if ref is None:
            return None
        return ref.code, ref.add_module, ref.add_obj

    # -- detection ------------------------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if is_instance_method(node, self.parent, self.qualified):
            return  # MF203 reports caches on methods
        for decorator in node.decorators:
            found = cache_decorator(decorator, self.qualified)
            if found is None or not found.unbounded:
                continue
            if not has_any_param(node):
                continue  # one entry at most
            self.report_site(decorator.decorator, node, self.symbol_of(node))

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(self.parent(node), cst.Decorator):
            return
        names = self.qualified(node.func)
        if CACHE in names and len(node.args) == 1:
            target: Optional[cst.BaseExpression] = node.args[0].value
        elif LRU_CACHE in names:
            arg = maxsize_arg(node)
            if arg is None or not m_is_none(arg.value):
                return
            outer = self.parent(node)
            if not (isinstance(outer, cst.Call) and outer.func is node and len(outer.args) == 1):
                return
            target = outer.args[0].value
        else:
            return
        func = self._function_named(target)
        symbol = self.module.code_for_node(target) if self.module and target is not None else "?"
        self.report_site(node, func, f"{symbol} (cache call)", called=True)

    def _function_named(self, expr: Optional[cst.BaseExpression]) -> Optional[cst.FunctionDef]:
        if not isinstance(expr, cst.Name) or self.module is None:
            return None
        for stmt in self.module.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == expr.value:
                return stmt
        return None

    def report_site(
        self, expr: cst.BaseExpression, func: Optional[cst.FunctionDef], symbol: str, called: bool = False
    ) -> None:
        assert self.module is not None
        bound = self.bound_for(expr, func)
        written = self.module.code_for_node(expr)
        what = f"`{written}`" if len(written) < 60 else "this cache"
        name = f"`{func.name.value}`" if func is not None else "the function"
        message = f"{what} on {name} is unbounded: it keeps every distinct argument tuple and result forever"
        replacement = self._replacement(expr, bound, called)
        if replacement is None:
            self.report(
                expr, symbol=symbol, message=message,
                no_fix_reason="neither `lru_cache` nor `functools.lru_cache` can be written here without shadowing a name",
            )
            return
        new_expr, module, obj = replacement
        # purity first: its reasons name the state a recomputation would see or change, where an
        # unknown result is the weaker claim
        hazard = (self.purity_hazard(func) or self.identity_hazard(func)) if func is not None else None
        if func is None:
            hazard = "the cached function is not defined in this file, so what it returns is unknown"
        safety = Safety.UNSAFE if hazard else Safety.SAFE
        reason = hazard or f"a bounded memo only recomputes evicted results; {bound.describe()}"
        if hazard:
            reason = f"{hazard}; {bound.describe()}"
        plan = BoundPlan(
            safety=safety,
            description=f"bound the cache: {self.module.code_for_node(new_expr)}",
            reason=reason,
            replacement=new_expr,
            import_module=module,
            import_obj=obj,
        )
        self.report(expr, symbol=symbol, message=message, plan=plan)

    def _replacement(
        self, expr: cst.BaseExpression, bound: Bound, called: bool
    ) -> Optional[Tuple[cst.BaseExpression, Optional[str], Optional[str]]]:
        if isinstance(expr, cst.Call) and LRU_CACHE in self.qualified(expr.func):
            arg = maxsize_arg(expr)
            assert arg is not None
            value = cst.parse_expression(bound.code)
            positional = [a for a in expr.args if a.keyword is None and not a.star]
            if arg.keyword is not None or len(positional) > 1:
                new_arg = arg.with_changes(value=value)
            else:
                new_arg = cst.Arg(
                    value=value,
                    keyword=cst.Name("maxsize"),
                    equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
                    comma=arg.comma,
                )
            args = [new_arg if a is arg else a for a in expr.args]
            return expr.with_changes(args=args), None, None
        func_expr = expr.func if isinstance(expr, cst.Call) else expr
        spelling = self.lru_spelling(func_expr)
        if spelling is None:
            return None
        code, module, obj = spelling
        new_call = cst.parse_expression(f"{code}(maxsize={bound.code})")
        if called:
            assert isinstance(expr, cst.Call)
            return cst.Call(func=new_call, args=expr.args), module, obj
        return new_call, module, obj


class Transformer(BaseTransformer[BoundPlan]):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._changed = False

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        # `from functools import cache [as memo]` may have lost its last use
        return drop_unused_from_imports(updated_node, "functools", {"cache"}) if self._changed else updated_node

    def leave_Decorator(self, original_node: cst.Decorator, updated_node: cst.Decorator) -> cst.Decorator:
        plan = self.plans.get(original_node.decorator)
        if plan is None or plan.replacement is None:
            return updated_node
        self._imports(plan)
        self._changed = True
        return updated_node.with_changes(decorator=plan.replacement)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        plan = self.plans.get(original_node)
        if plan is None or plan.replacement is None:
            return updated_node
        self._imports(plan)
        self._changed = True
        return plan.replacement.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)

    def _imports(self, plan: BoundPlan) -> None:
        if plan.import_module is not None:
            self.add_import(plan.import_module, plan.import_obj)


def _ast_filter(tree: Union[ast.Module, AstIndex]) -> FilterResult:
    """A functools cache (any alias) used as a decorator or called, unbounded or maybe so
    (``ast_may_be_unbounded``: a bounded ``lru_cache`` as written is dropped). The analysis reads
    the decorated function (kept whole, with its enclosing function), a called cache's line and
    the top-level function it wraps, module and class constants (which the slice keeps), and
    whether the names imported from functools are still used after the rewrite."""
    index = AstIndex.of(tree)
    imported = ast_cache_imports(index)
    decorated = [
        function
        for function in index.nodes(ast.FunctionDef, ast.AsyncFunctionDef)
        if any(ast_may_be_unbounded(d, imported) for d in function.decorator_list)
    ]
    calls = [call for call in index.nodes(ast.Call) if ast_may_be_unbounded(call, imported)]
    if not decorated and not calls:
        return False
    names = set(imported)
    # `cache(f)` or `lru_cache(maxsize=None)(f)`: f's definition decides the fix's safety
    outer = [call for call in index.nodes(ast.Call) if isinstance(call.func, ast.Call) and call.func in calls]
    wrapped = {arg.id for call in (*calls, *outer) for arg in call.args if isinstance(arg, ast.Name)}
    top_level = [stmt for stmt in index.tree.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name in wrapped]
    # what a cached function returns may be what a helper of this module returns
    # (Detector._callee_kind reads helpers three calls deep): they go into the slice whole
    helpers = called_helpers(index, [*decorated, *top_level], depth=HELPER_DEPTH)
    regions = enclosing_functions(index.tree, [*decorated, *calls, *top_level, *helpers])
    if not isinstance(regions, Regions):
        return regions
    # a rewrite can leave `from functools import cache` unused and drop it: every use of those
    # names must be in the slice, or a use in a stubbed function would look like none.
    # The purity check (Detector.purity_hazard) asks ModuleState about the module names the
    # cached functions read: its pre-filter rule anchors their `global` declarations.
    read = set().union(*(index.spelled(f) for f in [*decorated, *top_level]))
    anchors = ast_rebinding_anchors(index, read)
    return spelling_regions(index, anchors, names, whole=regions.nodes)


FIXER = Fixer(
    rule=RULE,
    doc=__doc__ or "",
    examples=EXAMPLES,
    detector=Detector,
    transformer=Transformer,
    needles=(b"functools",),
    ast_filter=_ast_filter,
)
