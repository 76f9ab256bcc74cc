"""Shared analysis for the cache rules (MF201-MF203).

Three questions every cache rule asks, answered once here:

- *Is this decorator functools' cache, and is it unbounded?* Decided by qualified name
  (``from functools import cache as memo``, ``import functools as ft`` are both resolved), never
  by spelling.
- *Which bound N?* A name the code already has (``MAX_SIZE``, ``max_cache_size``, a ``maxsize``
  parameter kept on ``self``), referenced by name so the owner's configuration keeps working;
  otherwise the configured default. The result says where N came from, for the message.
- *How do we spell ``lru_cache`` / ``OrderedDict`` / ``LRUCache`` here?* Reuse an existing import,
  or schedule one whose name shadows nothing; refuse when both spellings are taken.

- *May the module state a cached computation reads have changed when an evicted entry is
  recomputed?* (:class:`ModuleState`, with its pre-filter rule ``ast_rebinding_anchors``.)

Plus one project-level fact: whether the project declares ``cachetools`` as a dependency (the
opt-in backend is offered only then).
"""

from __future__ import annotations

import ast
import configparser
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import Assignment, GlobalScope, ScopeProvider

from memfix.astindex import AstIndex
from memfix.fixer import BaseDetector
from memfix.nodes import children_in, dotted_name, import_alias_name, nodes_in_order, walk

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10
    import tomli as tomllib

LRU_CACHE = "functools.lru_cache"
CACHE = "functools.cache"

#: names that say "the size limit of a cache" (case-insensitive, leading underscores allowed)
_BOUND_NAME = re.compile(
    r"^_*(max_?(cache_?)?(size|len|length|entries|items|keys)|max_?cache|maxsize|maxlen"
    r"|cache_?(size|limit|capacity|max)|capacity|size_?limit)$",
    re.IGNORECASE,
)


def is_bound_name(name: str) -> bool:
    return bool(_BOUND_NAME.match(name))


# ---------------------------------------------------------------------------------------------
# decorators


@dataclass(frozen=True)
class CacheDecorator:
    """A functools cache decorator as written: ``kind`` is "cache" or "lru_cache"."""

    decorator: cst.Decorator
    kind: str
    unbounded: bool
    #: the ``maxsize`` argument holding ``None`` (lru_cache(maxsize=None) / lru_cache(None))
    none_arg: Optional[cst.Arg] = None


def cache_decorator(
    decorator: cst.Decorator, qualified: Callable[[cst.CSTNode], Set[str]]
) -> Optional[CacheDecorator]:
    expr = decorator.decorator
    if isinstance(expr, (cst.Name, cst.Attribute)):
        names = qualified(expr)
        if CACHE in names:
            return CacheDecorator(decorator, "cache", unbounded=True)
        if LRU_CACHE in names:  # bare @lru_cache: maxsize=128
            return CacheDecorator(decorator, "lru_cache", unbounded=False)
        return None
    if isinstance(expr, cst.Call) and LRU_CACHE in qualified(expr.func):
        maxsize = maxsize_arg(expr)
        if maxsize is not None and m_is_none(maxsize.value):
            return CacheDecorator(decorator, "lru_cache", unbounded=True, none_arg=maxsize)
        return CacheDecorator(decorator, "lru_cache", unbounded=False)
    return None


def maxsize_arg(call: cst.Call) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "maxsize":
            return arg
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[0] if positional else None


def m_is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def ast_cache_names(index: AstIndex) -> Set[str]:
    """Local names ``from functools import cache/lru_cache [as x]`` binds (for the ast pre-filter)."""
    names: Set[str] = set()
    for node in index.nodes(ast.ImportFrom):
        if node.module == "functools":
            names |= {a.asname or a.name for a in node.names if a.name in ("cache", "lru_cache")}
    return names


def ast_is_cache_decorator(expr: ast.expr, names: Set[str]) -> bool:
    func = expr.func if isinstance(expr, ast.Call) else expr
    if isinstance(func, ast.Attribute):
        return func.attr in ("cache", "lru_cache")
    return isinstance(func, ast.Name) and func.id in names


def ast_cache_imports(index: AstIndex) -> Dict[str, Set[str]]:
    """Local name -> which of ``cache`` / ``lru_cache`` some ``from functools import`` binds it to."""
    imported: Dict[str, Set[str]] = {}
    for node in index.nodes(ast.ImportFrom):
        if node.module == "functools":
            for alias in node.names:
                if alias.name in ("cache", "lru_cache"):
                    imported.setdefault(alias.asname or alias.name, set()).add(alias.name)
    return imported


def _ast_may_name(func: ast.expr, imported: Dict[str, Set[str]], which: str) -> bool:
    if isinstance(func, ast.Attribute):
        return func.attr == which
    return isinstance(func, ast.Name) and which in imported.get(func.id, ())


def ast_may_be_unbounded(expr: ast.expr, imported: Dict[str, Set[str]]) -> bool:
    """``expr`` (a decorator, or a call) may be a cache MF202 reports, as ``cache_decorator`` and
    the detector's ``visit_Call`` read it: ``cache`` / ``cache(f)``, or ``lru_cache`` called with
    a ``maxsize`` (keyword, else first positional) that is ``None``. A bare ``lru_cache`` and
    ``lru_cache()`` / ``lru_cache(128)`` / ``lru_cache(maxsize=SIZE)`` are bounded by what is
    written, whatever SIZE holds: the detector reports only a literal ``None``."""
    if not isinstance(expr, ast.Call):
        return _ast_may_name(expr, imported, "cache")
    if _ast_may_name(expr.func, imported, "cache"):
        return True
    if not _ast_may_name(expr.func, imported, "lru_cache"):
        return False
    maxsize = next((k.value for k in expr.keywords if k.arg == "maxsize"), None)
    if maxsize is None:
        positional = [a for a in expr.args if not isinstance(a, ast.Starred)]
        maxsize = positional[0] if positional else None
    return isinstance(maxsize, ast.Constant) and maxsize.value is None


# ---------------------------------------------------------------------------------------------
# module state a cached computation reads

#: calls whose result is a new object callers may mutate or rely on by identity
IDENTITY_PREFIXES = ("threading.", "asyncio.", "multiprocessing.", "collections.", "queue.", "weakref.")
IDENTITY_BUILTINS = frozenset({"builtins.list", "builtins.dict", "builtins.set", "builtins.bytearray", "builtins.object"})


def makes_new_object(qualified_names: Set[str]) -> bool:
    """A call of one of ``qualified_names`` builds a container or an identity-bearing object."""
    return bool(qualified_names & IDENTITY_BUILTINS) or any(n.startswith(IDENTITY_PREFIXES) for n in qualified_names)


#: expressions that build a new mutable container
CONTAINER_DISPLAYS = (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)


class ModuleState:
    """Why a module-level name that a cached computation reads may hold something else by the
    time the computation runs again ('' when nothing shows it may).

    Both cache rules bound a memo that never evicted: MF202 ``@cache`` -> ``lru_cache(maxsize=N)``,
    MF201 a dict memo -> an LRU. Unbounded, each entry was computed once and kept what the module
    state was at that first call; bounded, an evicted entry is recomputed with the state of now.
    The bound preserves behaviour only if that state cannot have changed. It can when the name is

    - declared ``global`` by some function (or class body): the only way code running after
      import re-binds a module name, so the declaration alone is the evidence;
    - bound more than once at module level (a ``try``/``except ImportError`` fallback, a
      platform switch): a call made at import time between two bindings saw the earlier one;
    - bound to a mutable container (a display, a comprehension, ``dict()``, a ``collections`` /
      ``threading`` / ``queue`` object...): its contents change without any re-binding. Whether
      anything mutates it is not followed: the rules' slices do not hold every mutation.

    The name must resolve, through libcst's scopes, to the module's binding (a local, parameter or
    closure variable of the same spelling is not it; attribute and keyword names are not reads).

    Pre-filter rule (``ast_rebinding_anchors``): the analysis reads every binding of the name and
    every ``global`` declaration. A slice always keeps module-level statements (a stubbed
    definition still binds its name); a binding made after import sits in the function or class
    body that declares the name ``global``; so a filter that anchors every ``global`` statement
    (its unit kept, or the statements around it opened) lets libcst see the same bindings as on
    the whole file.
    """

    def __init__(self, detector: BaseDetector, nodes: Optional[Sequence[cst.CSTNode]] = None) -> None:
        """``nodes``: the module's nodes, or at least its ``Global`` statements, when the caller
        has them (the module is walked otherwise)."""
        self._detector = detector
        self._nodes = nodes
        self._declared: Optional[Dict[str, cst.Global]] = None

    def declarations(self) -> Dict[str, cst.Global]:
        """Name -> its first ``global`` declaration in the module."""
        if self._declared is None:
            detector = self._detector
            assert detector.module is not None
            nodes = self._nodes if self._nodes is not None else nodes_in_order(detector.module, children_in(detector.metadata), cst.Global)
            declared: Dict[str, cst.Global] = {}
            for node in nodes:
                if isinstance(node, cst.Global):
                    for item in node.names:
                        declared.setdefault(item.name.value, node)
            self._declared = declared
        return self._declared

    def why_changes(self, name: cst.Name) -> str:
        detector = self._detector
        scope = detector.get_metadata(ScopeProvider, name, None)
        if scope is None or isinstance(scope, GlobalScope):
            return ""  # not a read, or read by module-level code, which runs once
        assignments = [a for a in scope[name.value] if isinstance(a, Assignment)]
        if not assignments or not all(isinstance(a.scope, GlobalScope) for a in assignments):
            return ""
        declaration = self.declarations().get(name.value)
        if declaration is not None:
            return (
                f"a module variable re-bound at run time (`global {name.value}` at line "
                f"{detector.line_of(declaration)})"
            )
        if len(assignments) > 1:
            lines = sorted({detector.line_of(a.node) for a in assignments if isinstance(a.node, cst.CSTNode)})
            return f"a module variable bound more than once (lines {', '.join(map(str, lines))})"
        binding = assignments[0].node
        target = detector.parent(binding)
        statement = detector.parent(target) if isinstance(target, cst.AssignTarget) else target
        value = getattr(statement, "value", None) if isinstance(statement, (cst.Assign, cst.AnnAssign)) else None
        if isinstance(value, CONTAINER_DISPLAYS) or (
            isinstance(value, cst.Call) and makes_new_object(detector.qualified(value.func))
        ):
            return f"a mutable module-level container (line {detector.line_of(binding)})"
        return ""


def ast_rebinding_anchors(index: AstIndex, names: Optional[Set[str]] = None) -> List[ast.stmt]:
    """What a cache rule's ast filter anchors so that :class:`ModuleState` sees on a slice what it
    sees on the whole file: every ``global`` declaration (of one of ``names``, when the filter
    knows which names the analysis will ask about)."""
    return [
        node for node in index.nodes(ast.Global) if names is None or not names.isdisjoint(node.names)  # type: ignore[attr-defined]
    ]


# ---------------------------------------------------------------------------------------------
# the bound N


@dataclass(frozen=True)
class Bound:
    """The N to write, as code (``MAX_SIZE``, ``self.max_cache_size``, ``1000``), and its origin."""

    code: str
    source: str

    def describe(self) -> str:
        return f"N = `{self.code}` ({self.source})"


@dataclass(frozen=True)
class BoundCandidate:
    name: str
    line: int
    where: str  # "module constant", "class constant", "instance attribute", "constant"


def _plausible_bound_value(value: cst.BaseExpression) -> bool:
    """An int literal or something that may compute one; not a string, float, None or container."""
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Float)):
        return False
    if isinstance(value, (cst.List, cst.Tuple, cst.Dict, cst.Set, cst.Lambda)):
        return False
    if isinstance(value, cst.Name) and value.value in ("None", "True", "False"):
        return False
    if isinstance(value, cst.Integer):
        return value.evaluated_value > 0
    return True


def simple_assignments(body: Sequence[cst.BaseStatement]) -> List[Tuple[str, cst.BaseExpression, cst.CSTNode]]:
    """``NAME = value`` / ``NAME: T = value`` statements directly in ``body``."""
    found: List[Tuple[str, cst.BaseExpression, cst.CSTNode]] = []
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target = small.targets[0].target
                if isinstance(target, cst.Name):
                    found.append((target.value, small.value, stmt))
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                if isinstance(small.target, cst.Name):
                    found.append((small.target.value, small.value, stmt))
    return found


def stem_bound_names(container: str) -> Set[str]:
    """``MAX_PATTERNS`` bounds ``_patterns`` (and ``_pattern_cache``): names made from the
    container's own name, lower-cased."""
    stem = container.strip("_").lower()
    for suffix in ("_cache", "cache", "_memo", "_by_key"):
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)].rstrip("_")
    singular = stem[:-1] if stem.endswith("s") else stem
    return {f"max_{singular}", f"max_{singular}s", f"max_{stem}", f"max_{singular}_size", f"{singular}_limit"}


def bound_candidates(
    body: Sequence[cst.BaseStatement],
    where: str,
    line_of: Callable[[cst.CSTNode], int],
    extra: Set[str] = frozenset(),  # type: ignore[assignment]
) -> List[BoundCandidate]:
    """Bound-like names (or ``extra`` names, lower-cased) assigned exactly once in a body."""
    assigned = simple_assignments(body)
    counts: Dict[str, int] = {}
    for name, _, _ in assigned:
        counts[name] = counts.get(name, 0) + 1
    return [
        BoundCandidate(name, line_of(node), where)
        for name, value, node in assigned
        if counts[name] == 1 and (is_bound_name(name) or name.lower().strip("_") in extra) and _plausible_bound_value(value)
    ]


#: concrete classes: ``isinstance`` against libcst's classes goes through ``ABCMeta``
_ASSIGNMENTS = frozenset({cst.Assign, cst.AnnAssign, cst.AugAssign})


def init_attribute_candidates(
    class_def: cst.ClassDef,
    line_of: Callable[[cst.CSTNode], int],
    children: Optional[Mapping[cst.CSTNode, List[cst.CSTNode]]] = None,
) -> List[BoundCandidate]:
    """``self.<bound name> = ...`` in ``__init__``, assigned nowhere else in the class.
    ``children``: the tree's children table, if the caller has it."""
    assigned: Dict[str, List[Tuple[cst.BaseExpression, cst.CSTNode, bool]]] = {}
    for stmt in class_def.body.body:
        if not isinstance(stmt, cst.FunctionDef):
            continue
        in_init = stmt.name.value == "__init__"
        for node in walk(stmt.body, children):
            if type(node) in _ASSIGNMENTS:
                targets = (
                    [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
                )
                value = getattr(node, "value", None)
                for target in targets:
                    if (
                        isinstance(target, cst.Attribute)
                        and isinstance(target.value, cst.Name)
                        and target.value.value == "self"
                    ):
                        assigned.setdefault(target.attr.value, []).append(
                            (value if value is not None else cst.Name("None"), target, in_init and isinstance(node, cst.Assign))
                        )
    found = []
    for name, sites in assigned.items():
        if len(sites) == 1 and sites[0][2] and is_bound_name(name) and _plausible_bound_value(sites[0][0]):
            found.append(BoundCandidate(name, line_of(sites[0][1]), "instance attribute set in __init__"))
    return found


def choose_bound(
    candidates: Sequence[Tuple[str, BoundCandidate]], fallback: int, hint: str = ""
) -> Bound:
    """``candidates``: (code to write, candidate), nearest scope first. Names mentioning "cache"
    (or ``hint``) win, then the first listed; otherwise the configured default."""

    def rank(item: Tuple[str, BoundCandidate]) -> int:
        name = item[1].name.lower()
        preferred = "cache" in name or bool(hint and hint.lower().strip("_") in name)
        return 0 if preferred else 1

    if candidates:  # stable: the caller lists the nearest scope first
        code, cand = sorted(candidates, key=rank)[0]
        return Bound(code, f"{cand.where}, line {cand.line}")
    return Bound(str(max(1, fallback)), "the configured default: no size limit is named in the code")


# ---------------------------------------------------------------------------------------------
# import spelling


@dataclass(frozen=True)
class ImportRef:
    """How to refer to ``module.obj`` at a site, and the import to schedule (if any)."""

    code: str
    add_module: Optional[str] = None
    add_obj: Optional[str] = None


def import_ref(
    module: cst.Module, module_name: str, obj: str, taken: Set[str], bindings: Optional[Mapping[str, int]] = None
) -> Optional[ImportRef]:
    """Reuse a top-level ``from module import obj [as x]`` / ``import module [as m]``; else pick
    ``obj`` or ``module.obj`` when that name is bound nowhere in the file (``taken``: every Name
    in the module); else None. ``bindings``: :func:`binding_counts` of the module, when the caller
    keeps it (a walk of the whole module per fix otherwise)."""
    if bindings is None:
        bindings = binding_counts(module)
    imports = [
        small
        for stmt in module.body
        if isinstance(stmt, cst.SimpleStatementLine)
        for small in stmt.body
        if isinstance(small, (cst.Import, cst.ImportFrom))
    ]
    for small in imports:  # `from module import obj` first: the shortest spelling
        if isinstance(small, cst.ImportFrom) and dotted_name(small.module) == module_name and not small.relative:
            if isinstance(small.names, cst.ImportStar):
                continue
            for alias in small.names:
                if dotted_name(alias.name) == obj:
                    local = import_alias_name(alias) or obj
                    if bindings.get(local, 0) == 1:
                        return ImportRef(local)
    for small in imports:
        if isinstance(small, cst.Import):
            for alias in small.names:
                if dotted_name(alias.name) == module_name:
                    local = import_alias_name(alias) or module_name
                    if "." not in local and bindings.get(local, 0) == 1:
                        return ImportRef(f"{local}.{obj}")
    if obj not in taken:
        return ImportRef(obj, module_name, obj)
    if module_name not in taken:
        return ImportRef(f"{module_name}.{obj}", module_name, None)
    return None


def binding_counts(module: cst.Module, nodes: Optional[Sequence[cst.CSTNode]] = None) -> Dict[str, int]:
    """How many times each name is bound in the module (:func:`taken_bindings`)."""
    counts: Dict[str, int] = {}
    for name in taken_bindings(module, nodes):
        counts[name] = counts.get(name, 0) + 1
    return counts


def taken_bindings(module: cst.Module, nodes: Optional[Sequence[cst.CSTNode]] = None) -> Iterable[str]:
    """Names bound anywhere in the module (imports, assignments, defs); repeated names repeat.
    ``nodes``: every node of ``module``, when the caller already has them."""
    for node in nodes if nodes is not None else walk(module):
        if isinstance(node, cst.ImportAlias):
            yield import_alias_name(node) or dotted_name(node.name).split(".")[0]
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            yield node.name.value
        elif isinstance(node, cst.AssignTarget) and isinstance(node.target, cst.Name):
            yield node.target.value


def enclosing_class(func: cst.FunctionDef, parent: Callable[[cst.CSTNode], Optional[cst.CSTNode]]) -> Optional[cst.ClassDef]:
    """The class whose body directly holds ``func`` (a method), else None."""
    block = parent(func)
    owner = parent(block) if block is not None else None
    return owner if isinstance(owner, cst.ClassDef) and isinstance(block, cst.IndentedBlock) else None


def class_family(module: cst.Module, owner: cst.ClassDef, nodes: Optional[Sequence[cst.CSTNode]] = None) -> Set[str]:
    """The class and its subclasses defined in this file (by base-class name)."""
    names = {owner.name.value}
    classes = [n for n in (nodes if nodes is not None else walk(module)) if isinstance(n, cst.ClassDef)]
    changed = True
    while changed:
        changed = False
        for cls in classes:
            if cls.name.value not in names and {dotted_name(b.value) for b in cls.bases} & names:
                names.add(cls.name.value)
                changed = True
    return names


def first_param(func: cst.FunctionDef) -> Optional[str]:
    params = [*func.params.posonly_params, *func.params.params]
    return params[0].name.value if params else None


def has_any_param(func: cst.FunctionDef) -> bool:
    p = func.params
    return bool(p.posonly_params or p.params or p.kwonly_params or isinstance(p.star_arg, cst.Param) or p.star_kwarg)


def decorator_names(func: cst.FunctionDef, qualified: Callable[[cst.CSTNode], Set[str]]) -> Set[str]:
    names: Set[str] = set()
    for dec in func.decorators:
        expr = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
        names |= qualified(expr)
        if isinstance(expr, cst.Name):
            names.add(expr.value)
    return names


def is_instance_method(func: cst.FunctionDef, parent: Callable[[cst.CSTNode], Optional[cst.CSTNode]], qualified: Callable[[cst.CSTNode], Set[str]]) -> bool:
    """A method whose first parameter is ``self`` and that is neither static nor a classmethod."""
    if enclosing_class(func, parent) is None or first_param(func) != "self":
        return False
    names = decorator_names(func, qualified)
    return not names & {"builtins.staticmethod", "builtins.classmethod", "staticmethod", "classmethod"}


# ---------------------------------------------------------------------------------------------
# project dependencies


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _requirement_names(lines: Iterable[str]) -> Set[str]:
    names = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = _REQ_NAME.match(line)
        if match:
            names.add(_normalise(match.group(1)))
    return names


def project_dependencies(root: Optional[str]) -> Tuple[Set[str], str]:
    """Declared runtime dependencies of the project at ``root`` and where we looked.

    Reads ``[project].dependencies`` and ``[tool.poetry.dependencies]`` in pyproject.toml,
    ``requirements*.txt`` (and ``requirements/*.txt``), and ``[options] install_requires`` in
    setup.cfg. Optional extras do not count: they may not be installed.
    """
    if root is None:
        return set(), "no project root: no pyproject.toml was found"
    base = Path(root)
    names: Set[str] = set()
    looked: List[str] = []
    pyproject = base / "pyproject.toml"
    if pyproject.is_file():
        looked.append("pyproject.toml")
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            data = {}
        deps = data.get("project", {}).get("dependencies", [])
        if isinstance(deps, list):
            names |= _requirement_names(d for d in deps if isinstance(d, str))
        poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
        if isinstance(poetry, dict):
            names |= {_normalise(k) for k in poetry}
    for req in sorted([*base.glob("requirements*.txt"), *base.glob("requirements/*.txt")]):
        looked.append(str(req.relative_to(base)))
        try:
            names |= _requirement_names(req.read_text(encoding="utf-8").splitlines())
        except (OSError, UnicodeDecodeError):
            pass
    setup_cfg = base / "setup.cfg"
    if setup_cfg.is_file():
        looked.append("setup.cfg")
        parser = configparser.ConfigParser()
        try:
            parser.read(setup_cfg, encoding="utf-8")
            raw = parser.get("options", "install_requires", fallback="")
        except (configparser.Error, OSError, UnicodeDecodeError):
            raw = ""
        names |= _requirement_names(raw.splitlines())
    where = ", ".join(looked) if looked else "no dependency file"
    return names, f"{where} under {root}"


def depends_on(root: Optional[str], package: str) -> Tuple[bool, str]:
    names, where = project_dependencies(root)
    return _normalise(package) in names, where


# ---------------------------------------------------------------------------------------------
# imports a rewrite made unused


def drop_unused_from_imports(module: cst.Module, module_name: str, objs: Set[str]) -> cst.Module:
    """Remove ``from module_name import obj [as x]`` aliases (``obj`` in ``objs``) whose local name
    no longer appears anywhere in ``module``: the rewrite replaced their last use. Conservative:
    any Name or string with that spelling (``__all__``, an attribute) keeps the import, and an
    import line carrying comments is left alone."""
    used_outside = _uses_outside_imports(module)

    changed = False
    body: List[cst.BaseStatement] = []
    for stmt in module.body:
        new_stmt: Optional[cst.BaseStatement] = stmt
        if isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1:
            imp = stmt.body[0]
            if (
                isinstance(imp, cst.ImportFrom)
                and not imp.relative
                and dotted_name(imp.module) == module_name
                and not isinstance(imp.names, cst.ImportStar)
                and not any(line.comment for line in stmt.leading_lines)
                and stmt.trailing_whitespace.comment is None
            ):
                keep = [
                    a
                    for a in imp.names
                    if not (dotted_name(a.name) in objs and (import_alias_name(a) or dotted_name(a.name)) not in used_outside)
                ]
                if len(keep) != len(imp.names):
                    changed = True
                    if not keep:
                        new_stmt = None
                    else:
                        if imp.names[-1].comma is cst.MaybeSentinel.DEFAULT or imp.rpar is None:
                            keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                        new_stmt = stmt.with_changes(body=[imp.with_changes(names=keep)])
        if new_stmt is not None:
            body.append(new_stmt)
    return module.with_changes(body=body) if changed else module


def _uses_outside_imports(module: cst.Module) -> Set[str]:
    """Every Name that is not part of an import statement."""
    found: Set[str] = set()
    stack: List[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            continue
        if isinstance(node, cst.Name):
            found.add(node.value)
        elif isinstance(node, cst.SimpleString):
            found.add(node.value.strip("\"'"))
        stack.extend(node.children)
    return found
