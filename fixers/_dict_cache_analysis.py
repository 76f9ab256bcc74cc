"""The MF201 analysis: find the dicts that outlive a call, collect every use, and classify them
(memo, registry, counter, evicted...). No plans here: see ``_dict_cache_plans``."""

from __future__ import annotations

import re
from functools import partial
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple, Union

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

from memfix.fixer import BaseDetector
from memfix.fixers._cache_analysis import ModuleState, binding_counts, class_family, enclosing_class, first_param, makes_new_object
from memfix.fixers._cached_result import NEW, VALUE, helper_kind, own_nodes, param_names, result_kind, single_def
from memfix.fixers._dict_cache_model import Candidate, Use
from memfix.model import Confidence
from memfix.nodes import children_in, nodes_in_order, walk

_MUTATING_METHODS = frozenset(
    {"append", "appendleft", "extend", "extendleft", "add", "update", "insert", "remove", "pop", "popleft",
     "clear", "discard", "setdefault", "sort", "reverse", "__setitem__", "__delitem__", "put", "put_nowait"}
)
_EVICTING = frozenset({"pop", "popitem", "clear", "__delitem__"})
_ITERATING = frozenset({"keys", "values", "items", "copy", "__iter__", "__len__"})
#: words in a class name or docstring that say "this object lives as long as the process"
_LONG_LIVED_WORDS = frozenset(
    {"service", "monitor", "tracker", "engine", "manager", "cache", "daemon", "worker", "server", "registry", "singleton"}
)


def _says_long_lived(class_name: str, docstring: str) -> bool:
    words = {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", class_name)}
    words |= {w.lower().rstrip("s") for w in re.findall(r"[A-Za-z]+", docstring)}
    return bool(words & _LONG_LIVED_WORDS) or "long-lived" in docstring.lower()


class DictCacheAnalysis(BaseDetector):
    """Collection, classification and the evidence the rule's decision rests on."""

    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider, ScopeProvider, QualifiedNameProvider)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._nodes_of: Dict[Tuple[type, ...], List[cst.CSTNode]] = {}
        self._bindings: Optional[Dict[str, int]] = None
        self._module_state: Optional[ModuleState] = None
        self._threads: Optional[Tuple[str, int]] = None
        self._attributes: Dict[str, List[cst.Attribute]] = {}
        self._empty_dicts: List[Tuple[cst.SimpleStatementLine, cst.BaseExpression, cst.BaseExpression]] = []

    # -- generic helpers ------------------------------------------------------------------------

    def code(self, node: cst.CSTNode) -> str:
        assert self.module is not None
        return self.module.code_for_node(node)

    def nodes_of(self, *types: type) -> List[cst.CSTNode]:
        """The module's nodes of these concrete classes (``cst.Call``, not ``cst.BaseExpression``),
        in walk order, filtered once per detector: the analysis asks for the same kinds (calls,
        names, classes, imports) once per candidate, and ``isinstance`` against libcst's classes
        goes through ``ABCMeta``, several times the cost of a type lookup."""
        found = self._nodes_of.get(types)
        if found is None:
            assert self.module is not None
            found = self._nodes_of[types] = nodes_in_order(self.module, children_in(self.metadata), *types)
        return found

    def bindings(self) -> Dict[str, int]:
        """How many times each name is bound in the module (memfix.fixers._cache_analysis)."""
        if self._bindings is None:
            assert self.module is not None
            self._bindings = binding_counts(self.module, self.nodes_of(cst.ImportAlias, cst.FunctionDef, cst.ClassDef, cst.AssignTarget))
        return self._bindings

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
            for node in self._reads_of(func):
                parent = self.parent(node)
                if isinstance(parent, cst.Call) and parent.func is node:
                    continue  # called, not handed on
                return True  # returned, stored, passed or wrapped: it may outlive the call
            # a method of a class defined in between: its instances are not followed, so any use
            # of the class (``exec(code, {}, CNS2())``) may keep the method alive
            current = self.parent(func)
            while current is not None and not isinstance(current, cst.FunctionDef):
                if isinstance(current, cst.ClassDef) and (current.decorators or self._reads_of(current)):
                    return True
                current = self.parent(current)
            func = self.func_of(func)
        return False

    def _reads_of(self, definition: Union[cst.FunctionDef, cst.ClassDef]) -> List[cst.CSTNode]:
        """The reads of the name a ``def`` or ``class`` binds, through its scope's accesses: an
        attribute spelled like it (``x.find``) is not one. When the scope cannot say, every
        ``Name`` spelled like it but the definition's own (the reading that can only over-report
        escapes)."""
        scope = self.get_metadata(ScopeProvider, definition, None)
        try:
            assignments = [a for a in scope.assignments[definition.name.value] if getattr(a, "node", None) is definition]  # type: ignore[union-attr]
        except Exception:
            assignments = []
        if len(assignments) == 1:
            return [access.node for access in assignments[0].references]
        return [n for n in self.nodes_of(cst.Name) if n.value == definition.name.value and n is not definition.name]  # type: ignore[attr-defined]

    def name_uses(self, cand: Candidate, scope: object, target: cst.Name) -> None:
        assignments = scope.assignments[cand.name]  # type: ignore[attr-defined]
        if len(assignments) > 1:
            others = [a for a in assignments if a.node is not target]
            lines = [self.line_of(a.node) for a in others if isinstance(a.node, cst.CSTNode)]
            cand.rebound_at = min(lines) if lines else self.line_of(target)
        seen: Set[int] = set()
        for assignment in self.in_order(assignments):
            for access in self.in_order(assignment.references):
                node = access.node
                if id(node) in seen or not isinstance(node, cst.Name):
                    continue
                seen.add(id(node))
                cand.uses.append(self.classify(node))

    def family(self, owner: cst.ClassDef) -> Set[str]:
        assert self.module is not None
        return class_family(self.module, owner, self.nodes_of(cst.ClassDef))

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
        for node in self.nodes_of(cst.Call):
            if isinstance(node.func, cst.Name) and node.func.value == owner.name.value:  # type: ignore[attr-defined]
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
        return "", self.identity_reason(cand)

    def identity_reason(self, cand: Candidate) -> str:
        """Why a caller could tell a recomputed entry from the stored one ("" when it cannot): a
        function hands a stored object back (``return d[k]``, or the value it just stored) and that
        object is not a value (memfix.fixers._cached_result). An unbounded memo gave every caller
        of a key the same object; a bounded one gives a new one after an eviction, and whoever
        mutated or kept the old one sees the difference."""
        for write in cand.uses:
            if write.kind not in ("write", "setdefault") or write.value is None or write.func is None:
                continue
            dict_code = self.code(write.node)
            # the lookup that found nothing (`v = d.get(k)`) is not where a stored value comes from
            sources = {
                name: [s for s in options if s is None or not self._reads_dict(s, dict_code)]
                for name, options in local_sources(write.func).items()
            }
            stored = _followed(write.value, sources)
            kind = self._kind_of(stored, write.func, sources, frozenset({write.func}))
            if kind == VALUE:
                continue
            handed = self._entry_returned(cand)
            if handed is None:
                return ""
            func, line = handed
            what = "a new object" if kind == NEW else "which memfix cannot tell is an immutable value"
            return (
                f"`{func}` returns the stored `{self.code(stored)}` (line {write.line}) at line {line}, {what}: "
                "callers may rely on getting the same object back for a key"
            )
        return ""

    def _kind_of(
        self,
        value: cst.BaseExpression,
        func: cst.FunctionDef,
        sources: Dict[str, List[Optional[cst.BaseExpression]]],
        visiting: FrozenSet[cst.FunctionDef],
    ) -> str:
        return result_kind(
            value, self.qualified, param_names(func), lambda name: name.value in sources,
            lambda call: makes_new_object(self.qualified(call.func)),
            callee=lambda call: self._callee_kind(call, func, sources, visiting),
            resolve=lambda name: _single_source(name.value, sources),
        )

    def _callee_kind(
        self,
        call: cst.Call,
        func: cst.FunctionDef,
        sources: Dict[str, List[Optional[cst.BaseExpression]]],
        visiting: FrozenSet[cst.FunctionDef],
    ) -> Optional[str]:
        """What a helper of this module returns (None: ``call`` calls none): a module-level
        function called by name, or a name-mangled method of the caller's class called on
        ``self`` or ``cls``, read a few calls deep (the pre-filter keeps them:
        ``memfix.prefilter.called_helpers``)."""
        target = self._helper(call, func, sources)
        if target is None:
            return None
        own_sources = local_sources(target)
        return helper_kind(target, visiting, lambda value, inner: self._kind_of(value, target, own_sources, inner))

    def _helper(
        self, call: cst.Call, func: cst.FunctionDef, sources: Dict[str, List[Optional[cst.BaseExpression]]]
    ) -> Optional[cst.FunctionDef]:
        """The function of this module ``call`` (in ``func``, whose locals are ``sources``) reaches."""
        assert self.module is not None
        callee = call.func
        if isinstance(callee, cst.Name):
            if callee.value in sources or callee.value in param_names(func):
                return None
            body: Sequence[cst.CSTNode] = self.module.body
            name = callee.value
        elif (
            isinstance(callee, cst.Attribute)
            and isinstance(callee.value, cst.Name)
            and callee.value.value == first_param(func)
            and callee.attr.value.startswith("__")
            and not callee.attr.value.endswith("__")
        ):
            # only a name-mangled method is this class's own: any other may be overridden by a
            # subclass, here or in a module memfix does not read
            owner = enclosing_class(func, self.parent)
            if owner is None or not isinstance(owner.body, cst.IndentedBlock):
                return None
            body, name = owner.body.body, callee.attr.value
        else:
            return None
        return single_def(body, name)

    def _entry_returned(self, cand: Candidate) -> Optional[Tuple[str, int]]:
        """The first function (and line) returning an entry of ``cand`` as it is: a lookup
        (``d[k]``, ``d.get(k)``, ``d.setdefault(k, v)``), the value just stored, or a local name
        bound to either."""
        entries: Dict[int, Set[int]] = {}  # id(function) -> ids of the expressions that are entries
        stored_names: Dict[int, Set[str]] = {}
        functions: Dict[int, cst.FunctionDef] = {}
        for use in cand.uses:
            if use.func is None:
                continue
            functions[id(use.func)] = use.func
            if use.kind in ("read", "get", "setdefault"):
                entries.setdefault(id(use.func), set()).add(id(self.site_expr(use)))
            if use.kind in ("write", "setdefault") and use.value is not None:
                entries.setdefault(id(use.func), set()).add(id(use.value))
                if isinstance(use.value, cst.Name):
                    stored_names.setdefault(id(use.func), set()).add(use.value.value)
        for key, func in functions.items():
            own = entries.get(key, set())
            names = stored_names.get(key, set())
            sources = local_sources(func)
            for node in own_nodes(func.body):
                if not isinstance(node, cst.Return) or node.value is None:
                    continue
                value = node.value
                if id(value) in own or (
                    isinstance(value, cst.Name)
                    and (value.value in names or any(s is not None and id(s) in own for s in sources.get(value.value, ())))
                ):
                    return func.name.value, self.line_of(node)
        return None

    def value_evidence(self, use: Use) -> str:
        """Why the stored value is not computed from the key alone ("" when it is)."""
        func = use.func
        assert func is not None and use.value is not None and use.key is not None
        sources = local_sources(func)
        params = param_names(func)
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
        changing = self._changing_module_state(value, key_names, sources)
        if changing is not None:
            return (
                f"values that depend on `{changing[0]}` (line {use.line}), {changing[1]}: "
                "an entry recomputed after an eviction may differ"
            )
        state = _instance_state(value, sources)
        if state is not None:
            # another method may change it (self.epoch += 1): a recomputed entry would differ, and
            # the methods that write it are not all in view (the pre-filter's slice keeps the
            # code spelling the cache, not every writer of the object's other attributes)
            return (
                f"values that depend on `{self.code(state)}`, the object's state rather than the key "
                f"(line {use.line}): an entry recomputed after an eviction may differ"
            )
        return self._stored_object_changed(use, func)

    def _changing_module_state(
        self, value: cst.BaseExpression, key_names: Set[str], sources: Dict[str, List[Optional[cst.BaseExpression]]]
    ) -> Optional[Tuple[str, str]]:
        """(name, why) for the first module name, by spelling, that the stored value reads besides
        the key (following local assignments, as ``_deps`` does) and that may hold something else
        when an evicted entry is recomputed (``ModuleState``)."""
        if self._module_state is None:
            self._module_state = ModuleState(self, self.nodes_of(cst.Global))
        found: Dict[str, str] = {}
        for node in _dep_names(value, sources):
            if node.value not in key_names and node.value not in found:
                why = self._module_state.why_changes(node)
                if why:
                    found[node.value] = why
        if not found:
            return None
        name = min(found)
        return name, found[name]

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
        for node in own_nodes(func.body):
            if isinstance(node, cst.Arg) and isinstance(node.value, cst.Name) and node.value.value in holders:
                call = self.parent(node)
                if isinstance(call, cst.Call) and not any(q.startswith("builtins.") for q in self.qualified(call.func)):
                    return (
                        f"objects handed to `{self.code(call.func)}()` at line {self.line_of(call)} after they are "
                        "stored, which may change them"
                    )
        return ""

    def site_expr(self, use: Use) -> cst.CSTNode:
        """The whole expression of a use: `k in d`, `d.get(k)`, `d.setdefault(k, v)`, `d[k]`."""
        node: cst.CSTNode = use.node
        parent = self.parent(node)
        if use.kind == "member" and parent is not None:
            return self.parent(parent) or parent
        if use.kind in ("get", "setdefault") and parent is not None:
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


# ---------------------------------------------------------------------------------------------
# small pure helpers


def _single_source(name: str, sources: Dict[str, List[Optional[cst.BaseExpression]]]) -> Optional[cst.BaseExpression]:
    """The one expression local ``name`` is assigned (None when it is bound more than once, by a
    loop, or not in the function)."""
    options = sources.get(name, [])
    return options[0] if len(options) == 1 else None


def _followed(expr: cst.BaseExpression, sources: Dict[str, List[Optional[cst.BaseExpression]]]) -> cst.BaseExpression:
    """A local name's one assigned expression, followed a few names deep (``expr`` itself when
    it is not such a name)."""
    for _ in range(5):
        source = _single_source(expr.value, sources) if isinstance(expr, cst.Name) else None
        if source is None:
            break
        expr = source
    return expr


def local_sources(func: cst.FunctionDef) -> Dict[str, List[Optional[cst.BaseExpression]]]:
    """Local name -> the expressions assigned to it (None: bound by a loop, with or import)."""
    sources: Dict[str, List[Optional[cst.BaseExpression]]] = {}
    bind = partial(_bind, sources)
    for node in own_nodes(func.body):
        kind = node.__class__  # exact classes: see memfix.fixers._cached_result.own_nodes
        if kind not in _BINDERS:
            continue
        if kind is cst.Assign:
            for target in node.targets:  # type: ignore[attr-defined]
                bind(target.target, node.value)  # type: ignore[attr-defined]
        elif kind is cst.AnnAssign:
            if node.value is not None:  # type: ignore[attr-defined]
                bind(node.target, node.value)  # type: ignore[attr-defined]
        elif kind is cst.AugAssign or kind is cst.NamedExpr:
            bind(node.target, node.value)  # type: ignore[attr-defined]
        elif kind is cst.For or kind is cst.CompFor:
            bind(node.target, None)  # type: ignore[attr-defined]
        elif node.asname is not None:  # type: ignore[attr-defined]  # a WithItem
            bind(node.asname.name, None)  # type: ignore[attr-defined]
    return sources


_BINDERS = frozenset({cst.Assign, cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For, cst.CompFor, cst.WithItem})


def _bind(sources: Dict[str, List[Optional[cst.BaseExpression]]], target: cst.BaseExpression, value: Optional[cst.BaseExpression]) -> None:
    """Records a binding of ``target`` for :func:`local_sources` (a function of its own: a
    recursive closure is a reference cycle)."""
    if isinstance(target, cst.Name):
        sources.setdefault(target.value, []).append(value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _bind(sources, element.value, None)


def _instance_state(expr: cst.BaseExpression, sources: Dict[str, List[Optional[cst.BaseExpression]]]) -> Optional[cst.Attribute]:
    """An attribute of ``self`` or ``cls`` that ``expr`` reads as data (``self.epoch``), following
    local assignments; calling a method (``self.compute(key)``) is not such a read."""
    pending = [expr]
    followed: Set[str] = set()
    while pending:
        node = pending.pop()
        called = {id(sub.func) for sub in walk(node) if isinstance(sub, cst.Call)}
        for sub in walk(node):
            if (
                isinstance(sub, cst.Attribute)
                and isinstance(sub.value, cst.Name)
                and sub.value.value in ("self", "cls")
                and id(sub) not in called
            ):
                return sub
            if isinstance(sub, cst.Name) and sub.value not in followed:
                followed.add(sub.value)
                pending.extend(source for source in sources.get(sub.value, []) if source is not None)
    return None


def _dep_names(expr: cst.BaseExpression, sources: Dict[str, List[Optional[cst.BaseExpression]]]) -> List[cst.Name]:
    """Every Name node an expression spells, and those of the local assignments it reads (each
    local followed once)."""
    found: List[cst.Name] = []
    followed: Set[str] = set()
    pending = [expr]
    while pending:
        node = pending.pop()
        for sub in walk(node):
            if isinstance(sub, cst.Name):
                found.append(sub)
                if sub.value not in followed:
                    followed.add(sub.value)
                    pending.extend(source for source in sources.get(sub.value, []) if source is not None)
    return found


def _deps(expr: cst.BaseExpression, sources: Dict[str, List[Optional[cst.BaseExpression]]]) -> Set[str]:
    """Names an expression depends on, following local assignments (attribute names included)."""
    return {name.value for name in _dep_names(expr, sources)}


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
















