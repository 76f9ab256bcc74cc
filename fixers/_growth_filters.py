"""Cheap ``ast`` pre-filters for the growth rules: a file without a candidate shape never reaches
libcst (ten times the cost of ``ast``), and a file with one sends libcst only the code the shared
analysis reads (memfix.prefilter.spelling_regions). They may let through files without a finding,
never the reverse: each checks only for the definition shape its rule starts from.

One pass over the file's statements (:class:`GrowthShapes`, shared by the five rules through the
index's memo) records every definition a growth rule can start from, with the class around it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple, Union

from memfix.astindex import FUNCTIONS, AstIndex, Placed, called_name
from memfix.fixers._growth_dismiss import Key, dismissed, growth_uses, key_of
from memfix.fixers._growth_sites import aliased, augmented_target, grown_receiver, rebinds_to_copy
from memfix.fixers._growth_vocab import REFLECTIVE_NAMES, name_tokens, named_bound_score
from memfix.fixers._lifetime_filter import lifetime_evidence
from memfix.prefilter import FilterResult, spelling_regions

_FUNCS = FUNCTIONS

Tree = Union[ast.Module, AstIndex]


def _keyword(node: ast.Call, name: str) -> Optional[ast.expr]:
    return next((k.value for k in node.keywords if k.arg == name), None)


def _is_list(value: Optional[ast.expr]) -> bool:
    if isinstance(value, ast.List):
        return True
    if isinstance(value, ast.Call):
        callee = called_name(value)
        factory = _keyword(value, "default_factory")
        return callee == "list" or (callee == "field" and isinstance(factory, ast.Name) and factory.id == "list")
    return False


def _is_unbounded_deque(value: Optional[ast.expr]) -> bool:
    if isinstance(value, ast.Call) and called_name(value) == "deque" and len(value.args) <= 1:
        maxlen = _keyword(value, "maxlen")
        return maxlen is None or (isinstance(maxlen, ast.Constant) and maxlen.value is None)
    return False


def _is_defaultdict_list(value: Optional[ast.expr]) -> bool:
    return (
        isinstance(value, ast.Call)
        and called_name(value) == "defaultdict"
        and len(value.args) == 1
        and isinstance(value.args[0], ast.Name)
        and value.args[0].id == "list"
    )


def _is_tail_rebind(node: ast.Assign) -> bool:
    value = node.value
    return (
        len(node.targets) == 1
        and isinstance(value, ast.Subscript)
        and isinstance(value.slice, ast.Slice)
        and isinstance(value.slice.lower, ast.UnaryOp)
        and isinstance(value.slice.lower.op, ast.USub)
        and value.slice.upper is None
        and ast.unparse(value.value) == ast.unparse(node.targets[0])
    )


@dataclass
class Definition:
    statement: ast.stmt
    key: Key
    #: the class around it: the analysis knows classes by name, so every class of that name matters
    class_name: Optional[str]
    #: the function the analysis of this definition stays in (a closure variable, or anything
    #: under a class defined in a function); None: it reads the top-level definition around it
    function: Optional[ast.stmt]
    #: how the analysis owns it: instance (set in __init__), class (a class body), global, closure
    owner: str = ""


@dataclass
class GrowthShapes:
    """What the growth rules start from, in one file."""

    lists: List[Definition] = field(default_factory=list)  # can outlive a call
    deques: List[Definition] = field(default_factory=list)  # deque() without maxlen, assigned
    defaultdicts: List[Definition] = field(default_factory=list)  # defaultdict(list), assigned
    trims: List[Definition] = field(default_factory=list)  # x = x[-K:] on a long-lived name
    grown: Set[Key] = field(default_factory=set)  # grown by .append/.extend/+=/x = x + [...]
    #: attributes set in a class's chosen ``__init__`` and stored again elsewhere (``resize``:
    #: self.window = n), by class name: a bound read from one must not be frozen at construction,
    #: so the analysis must see the other stores (``GrowthAnalysis._reassigned``)
    restored_init_attrs: Dict[str, Set[str]] = field(default_factory=dict)
    #: attributes read where the analysis reads a bound (``x[-o.k:]``, ``len(x) > o.k``)
    bound_reads: Set[str] = field(default_factory=set)


def _shapes(index: AstIndex) -> GrowthShapes:
    """The definitions, and the keys grown (``shapes.grown``) in the growth shapes of
    memfix.fixers._growth_sites read as the analysis reads growth (``exact``: ``+=`` only, a copy
    that is a binary operation or a list display), for any receiver or name: these pick the
    candidates, so a wider reading would only let more files through. Aliases are wider than the
    analysis's (any plain name, anywhere, not only a function's single-assignment local)."""
    shapes = GrowthShapes()
    shared = {name for node in index.nodes(ast.Global, ast.Nonlocal) for name in node.names}  # type: ignore[attr-defined]
    aliases: Dict[str, Set[Key]] = {}  # local name -> the attributes and names it aliases

    def used_by_nested(function: ast.AST, name: str) -> bool:
        return name in index.nested_spelled(function)

    inits = _chosen_inits(index)
    init_attrs: Dict[str, Set[str]] = {}  # class name -> attributes stored in its chosen __init__
    stored_elsewhere: Set[str] = set()  # attributes stored anywhere else
    for placed in index.simple_statements():
        for name, in_init in _attribute_stores(placed, inits):
            if in_init:
                init_attrs.setdefault(placed.class_name or "", set()).add(name)
            else:
                stored_elsewhere.add(name)
        stmt, class_name, frame, outer = placed.stmt, placed.class_name, placed.frame, placed.outer
        # instance containers are defined only in a class's __init__/__post_init__, on its receiver
        receiver = None
        if placed.method and id(frame) in inits:
            params = [*frame.args.posonlyargs, *frame.args.args]  # type: ignore[union-attr]
            receiver = params[0].arg if params else None
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = stmt.value
            for target in targets:
                key = key_of(target)
                if key is None:
                    continue
                kind = (
                    shapes.lists if _is_list(value)
                    else shapes.deques if _is_unbounded_deque(value)
                    else shapes.defaultdicts if _is_defaultdict_list(value)
                    else None
                )
                if kind is not None:
                    # where the shared analysis (fixers._growth._FactCollector) takes a definition
                    defined: List[Key] = []
                    owner = ""
                    stays_in = None if outer is frame and receiver is not None else outer
                    if isinstance(target, ast.Attribute):
                        if receiver is not None and isinstance(target.value, ast.Name) and target.value.id == receiver:
                            defined, owner = [key], "instance"
                    elif frame is None or isinstance(frame, ast.ClassDef):
                        defined = [key, ("attr", key[1])]  # also reached as an attribute
                        owner = "global" if frame is None else "class"
                    elif used_by_nested(frame, key[1]):  # what nested code spells: only for these
                        defined, owner = [key], "closure"  # a closure variable
                        stays_in = outer
                    kind.extend(Definition(stmt, k, class_name, stays_in, owner) for k in defined)
                elif isinstance(target, ast.Name) and value is not None and aliased(value):
                    aliases.setdefault(target.id, set()).add(key_of(value))  # type: ignore[arg-type]
                # x = x + [v], x = [v] + x, x = [*x, v]: growth by a copy, as the analysis
                # (``_rebind_use``) reads it
                if value is not None and rebinds_to_copy(target, value, index.spelled, exact=True):
                    shapes.grown.add(key)
            if isinstance(stmt, ast.Assign) and _is_tail_rebind(stmt):
                target = stmt.targets[0]
                while isinstance(target, ast.Subscript):  # d[k] = d[k][-K:]: a key
                    target = target.value
                key = key_of(target) or ("attr", "")
                if key[0] == "attr" or key[1] in shared or target is not stmt.targets[0]:
                    shapes.trims.append(Definition(stmt, key, class_name, None))
        else:
            augmented = augmented_target(stmt, exact=True)  # x += [v]: not x -= ..., an escape
            key = key_of(augmented) if augmented is not None else None
            if key is not None:
                shapes.grown.add(key)
    for node in index.nodes(ast.Attribute):
        receiver = grown_receiver(node)  # x.append(v), x.extend(vs), ...
        key = key_of(receiver) if receiver is not None else None
        if key is not None:
            shapes.grown.add(key)
    # growth through `h = self.items` / `h = ITEMS` (and an alias of an alias: the analysis
    # follows three levels) grows what the alias names
    for _ in range(4):
        more = {key for name, keys in aliases.items() if ("name", name) in shapes.grown for key in keys}
        if more <= shapes.grown:
            break
        shapes.grown |= more
    stored = _restored(index, stored_elsewhere)
    shapes.restored_init_attrs = {
        class_name: attrs & stored for class_name, attrs in init_attrs.items() if not attrs.isdisjoint(stored)
    }
    if shapes.restored_init_attrs:
        shapes.bound_reads = _bound_reads(index)
    return shapes


def _restored(index: AstIndex, stored_elsewhere: Set[str]) -> Set[str]:
    """Attribute names stored after construction: in other statements, as a loop target, through
    ``setattr(x, "name", v)``."""
    stored = set(stored_elsewhere)
    for loop in index.nodes(ast.For, ast.AsyncFor, ast.comprehension):
        stored.update(n.attr for n in ast.walk(loop.target) if isinstance(n, ast.Attribute))  # type: ignore[attr-defined]
    for call in index.nodes(ast.Call):
        if called_name(call) == "setattr" and len(call.args) >= 2:
            literal = call.args[1]
            if isinstance(literal, ast.Constant) and isinstance(literal.value, str):
                stored.add(literal.value)
    return stored


def _bound_reads(index: AstIndex) -> Set[str]:
    """The attributes in the places ``GrowthAnalysis.bound_from_expr`` reads a bound ``o.k`` from:
    a tail ``x[-o.k:]`` (read, or re-bound in ``x = x[-o.k:]``) and a guard ``len(x) > o.k`` /
    ``len(x) >= o.k``."""
    found: Set[str] = set()
    for node in index.nodes(ast.Subscript, ast.Compare):
        if isinstance(node, ast.Subscript):
            part = node.slice  # type: ignore[attr-defined]
            if not (isinstance(part, ast.Slice) and part.upper is None and part.step is None):
                continue
            lower = part.lower
            if not (isinstance(lower, ast.UnaryOp) and isinstance(lower.op, ast.USub)):
                continue
            k: ast.expr = lower.operand
        else:
            if not (
                len(node.ops) == 1  # type: ignore[attr-defined]
                and isinstance(node.ops[0], (ast.Gt, ast.GtE))  # type: ignore[attr-defined]
                and isinstance(node.left, ast.Call)  # type: ignore[attr-defined]
                and called_name(node.left) == "len"  # type: ignore[attr-defined]
            ):
                continue
            k = node.comparators[0]  # type: ignore[attr-defined]
        if isinstance(k, ast.Attribute):
            found.add(k.attr)
    return found


def _rebound_names(shapes: GrowthShapes, definitions: Sequence[Definition]) -> Set[str]:
    """The re-stored ``__init__`` attributes the analysis of ``definitions`` can take a bound from
    (so the slice must keep their other stores): named like a bound of a definition in its own
    class (``GrowthAnalysis._named_bounds``, same predicate), or read where a bound is read (of
    any class: ``bound_from_expr`` resolves the receiver)."""
    restored = shapes.restored_init_attrs
    if not restored:
        return set()
    names = {name for attrs in restored.values() for name in attrs if name in shapes.bound_reads}
    for d in definitions:
        stem = name_tokens(d.key[1])
        names.update(name for name in restored.get(d.class_name or "", ()) if named_bound_score(name, stem) is not None)
    return names


def _attribute_stores(placed: Placed, inits: Set[int]) -> List[Tuple[str, bool]]:
    """The attribute names a simple statement stores to (assigns, augments, deletes; inside tuple
    targets too), each with whether the statement lies in a chosen ``__init__``."""
    stmt = placed.stmt
    if isinstance(stmt, ast.Assign):
        targets: List[ast.expr] = list(stmt.targets)
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        targets = [stmt.target]
    elif isinstance(stmt, ast.Delete):
        targets = list(stmt.targets)
    else:
        return []
    in_init = placed.method and id(placed.frame) in inits
    found: List[Tuple[str, bool]] = []
    while targets:
        target = targets.pop()
        if isinstance(target, (ast.Tuple, ast.List)):
            targets.extend(target.elts)
        elif isinstance(target, ast.Starred):
            targets.append(target.value)
        elif isinstance(target, ast.Attribute):
            found.append((target.attr, in_init))
    return found


def _chosen_inits(index: AstIndex) -> Set[int]:
    """The ``__init__`` / ``__post_init__`` the analysis takes instance definitions from, one per
    class name (``_growth_facts``: classes are known by name, and the first such method with a
    parameter, in source order, of any class of that name is the one): a second class ``C`` in
    another test function defines nothing the analysis follows."""
    first: Dict[str, ast.AST] = {}
    for node in index.nodes(ast.ClassDef):
        for item in node.body:  # type: ignore[attr-defined]
            if not isinstance(item, _FUNCS) or item.name not in ("__init__", "__post_init__"):
                continue
            if not (item.args.posonlyargs or item.args.args):
                continue
            known = first.get(node.name)  # type: ignore[attr-defined]
            if known is None or (item.lineno, item.col_offset) < (known.lineno, known.col_offset):  # type: ignore[attr-defined]
                first[node.name] = item  # type: ignore[attr-defined]
    return {id(item) for item in first.values()}


def growth_shapes(tree: Tree) -> GrowthShapes:
    return AstIndex.of(tree).memo("growth-shapes", _shapes)


def _regions(tree: Tree, definitions: List[Definition], extra: List[Definition] = ()) -> FilterResult:  # type: ignore[assignment]
    """The definitions (and ``extra`` anchors), the code spelling their names, and their classes'
    names (uses through annotations, module instances, ``self.other = Owner()``)."""
    if not definitions:
        return False
    everything = (*definitions, *extra)
    # a closure's analysis stays in its function; the rest follows the names through the module
    spread = [d for d in everything if d.function is None or d.key[0] == "attr"]
    names = {d.key[1] for d in spread if d.key[1]} | {d.class_name for d in spread if d.class_name}
    names |= _rebound_names(growth_shapes(tree), everything)
    # code that reaches an attribute by name (`getattr(self, "items")`) spells neither: the
    # analysis must still see it (memfix.fixers._growth: GrowthAnalysis._reflective_uses)
    names |= REFLECTIVE_NAMES
    index = AstIndex.of(tree)
    return spelling_regions(
        index,
        [d.statement for d in everything if d.function is None],
        names,
        whole=[d.function for d in everything if d.function is not None],
        owner_evidence=lifetime_evidence(index),
    )


def _reportable(tree: Tree, definitions: List[Definition]) -> List[Definition]:
    """The definitions the analysis may report: without the ones the ``ast`` shows it cannot
    (memfix.fixers._growth_dismiss: never grown where growth counts, bounded, opaque)."""
    if not definitions:
        return definitions
    shapes = growth_shapes(tree)
    uses = growth_uses(tree, frozenset(d.key for d in (*shapes.lists, *shapes.deques)))
    return [d for d in definitions if dismissed(uses, d.owner, d.key, d.class_name, d.statement) is None]


def _unless_dismissed(tree: Tree, definitions: List[Definition]) -> FilterResult:
    """No file when the analysis can report none of ``definitions``; else the regions of all of
    them: a dismissed definition's bound may lie only in code its own names keep in the slice,
    and another definition's regions may keep its definition and growth."""
    if not _reportable(tree, definitions):
        return False
    return _regions(tree, definitions)


def growing_list_filter(tree: Tree) -> FilterResult:
    """A list that can outlive a call (``self.x = []``, a module or class level list, a local a
    nested function uses) under a name or attribute that something grows (``.append``,
    ``.extend``, ``+=``, ``x = x + [...]``, directly or through a local alias), unless the
    ``ast`` shows that the analysis cannot report it. MF101 and MF102 start from the same lists:
    the verdict is computed once per index."""
    return AstIndex.of(tree).memo("growing-lists", _growing_lists)


def _growing_lists(index: AstIndex) -> FilterResult:
    shapes = growth_shapes(index)
    return _unless_dismissed(index, [d for d in shapes.lists if d.key in shapes.grown])


def unbounded_deque_filter(tree: Tree) -> FilterResult:
    """A ``deque(...)`` without a ``maxlen`` (or with ``maxlen=None``) that is assigned, unless the
    ``ast`` shows that the analysis cannot report it."""
    return _unless_dismissed(tree, growth_shapes(tree).deques)


def defaultdict_list_filter(tree: Tree) -> FilterResult:
    """A ``defaultdict(list)`` that is assigned."""
    return _regions(tree, growth_shapes(tree).defaultdicts)


def slice_rebind_filter(tree: Tree) -> FilterResult:
    """An ``x = x[-K:]`` re-bind of an attribute, a key, or a name declared global/nonlocal (a
    plain local re-bound to its tail dies with the call); the lists so named are anchors too."""
    shapes = growth_shapes(tree)
    trimmed = {d.key for d in shapes.trims}
    return _regions(tree, shapes.trims, [d for d in shapes.lists if d.key in trimmed])
