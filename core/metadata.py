"""libcst's position, expression-context and scope metadata, computed without libcst's extra walks.

On the regions the rules send to libcst these three providers cost about five times the parse
(measured on every 4th standard-library file: Position 15.4 s, ExpressionContext 11.1 s, Scope on
top of it 17.4 s, against 6.4 s of parsing). Much of that is bookkeeping around the real work:

* ``PositionProvider`` builds two ``CodePosition`` and a ``CodeRange`` (frozen dataclasses) for
  every node and splits every token with a regular expression. :class:`Positions` runs the same
  code generation but keeps plain tuples, and builds a ``CodeRange`` only for a node someone asks
  about: most nodes never are. It is computed on first use, so a file whose detectors report
  nothing and sort nothing never pays for it.
* ``ExpressionContextProvider`` and ``ScopeProvider`` are "batchable" providers whose only hook is
  ``visit_Module``, which runs their real visitor. libcst still walks the whole tree around that
  call, once per provider, to dispatch hooks nobody defined: as costly as the real visitor.
  :func:`expression_contexts` and :func:`scopes` do what ``visit_Module`` does, with libcst's own
  visitors walked by :class:`_Walk`: children in libcst's order (memfix.cstorder), hooks from a
  per-class table, and no rebuilt copy of every node (libcst's ``visit`` makes one even for a
  read-only visitor).

The answers are libcst's own (tests/test_metadata.py compares them with the providers; a one-off
comparison over every 2nd standard-library file found no difference). Every mapping is computed on first use and never refers back to the wrapper or the
resolved table, so the table holds no reference cycle (see ``memfix.nodes.LazyQualifiedNames``).
"""

from __future__ import annotations

import ast
import functools
import re
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst._position import CodePosition, CodeRange
from libcst.metadata import BaseMetadataProvider, ExpressionContextProvider, ScopeProvider, scope_provider
from libcst.metadata.expression_context_provider import ExpressionContext, ExpressionContextVisitor
from libcst.metadata.scope_provider import ScopeVisitor

from memfix.astindex import DEFINITIONS, first_line
from memfix.contexts import fits_this_libcst, name_contexts
from memfix.cstorder import is_node, own_hook, visit_order

Span = Tuple[int, int, int, int]  # start line, start column, end line, end column


class _Lazy(Mapping[cst.CSTNode, object]):
    """A node mapping computed by ``compute`` the first time anyone reads it."""

    def __init__(self, compute: Callable[[], Mapping[cst.CSTNode, object]]) -> None:
        self._compute: Optional[Callable[[], Mapping[cst.CSTNode, object]]] = compute
        self._values: Mapping[cst.CSTNode, object] = {}

    def _resolved(self) -> Mapping[cst.CSTNode, object]:
        if self._compute is not None:
            compute, self._compute = self._compute, None
            self._values = compute()
        return self._values

    def __getitem__(self, node: cst.CSTNode) -> object:
        return self._resolved()[node]

    def get(self, node: cst.CSTNode, default: object = None) -> object:  # type: ignore[override]
        return self._resolved().get(node, default)

    def __contains__(self, node: object) -> bool:
        return node in self._resolved()

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._resolved())

    def __len__(self) -> int:
        return len(self._resolved())


# -- one walk in libcst's visiting order, without rebuilding the tree -----------------------------


class _Walk(cst.CSTVisitor):
    """Mixin for a libcst visitor that walks a node's children itself, in libcst's order, calling
    the same hooks libcst would (``visit_X``, ``leave_X``, the overridden ``visit_X_field``).

    libcst's ``visit`` rebuilds every node it passes (``_visit_and_replace_children`` constructs
    and validates a copy), which for a read-only visitor is pure cost: a no-op visit of a module
    costs three quarters of parsing it. ``on_visit`` walks the children and answers False, so
    libcst, when it is the caller (a visitor's own ``node.body.visit(self)``), never descends."""

    _field_hooks: Dict[type, frozenset]
    _node_hooks: Dict[type, Tuple[Optional[Callable[[cst.CSTNode], object]], Optional[Callable[[cst.CSTNode], object]]]]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self._field_hooks = {}
        self._node_hooks = {}
        #: node class -> (its visit_X, the fields with hooks): one lookup per node
        self._records: Dict[type, Tuple[Optional[Callable[[cst.CSTNode], object]], frozenset]] = {}
        #: the tree's children table (memfix.nodes.tree_maps), when the caller has one: reading a
        #: node's children from it beats finding them field by field again
        self._children: Optional[Mapping[cst.CSTNode, List[cst.CSTNode]]] = None

    def _hooks(self, kind: type) -> Tuple[Optional[Callable[[cst.CSTNode], object]], Optional[Callable[[cst.CSTNode], object]]]:
        """``visit_X`` and ``leave_X`` for a node class, None for libcst's no-op stubs."""
        pair = self._node_hooks.get(kind)
        if pair is None:
            pair = self._node_hooks[kind] = (own_hook(self, f"visit_{kind.__name__}"), own_hook(self, f"leave_{kind.__name__}"))
        return pair  # type: ignore[return-value]

    def _hooked_fields(self, kind: type) -> frozenset:
        """The fields of a node class this visitor has its own ``visit_X_field`` hooks for (read
        from the hooks, not from one node's visiting order, which can lack an absent field)."""
        hooked = self._field_hooks.get(kind)
        if hooked is None:
            prefix = f"{kind.__name__}_"
            own = _own_field_hooks(type(self))
            hooked = self._field_hooks[kind] = frozenset(h[len(prefix):] for h in own if h.startswith(prefix))
        return hooked

    def on_visit(self, node: cst.CSTNode) -> bool:
        """``CSTVisitor.on_visit``, then the children."""
        kind = node.__class__
        record = self._records.get(kind)
        if record is None:
            record = self._records[kind] = (self._hooks(kind)[0], self._hooked_fields(kind))
        visit, hooked = record
        if visit is not None and visit(node) is False:
            return False
        found = self._children.get(node) if self._children is not None and not hooked else None
        if found is not None:
            self._visit_children(found)
            return False
        self._visit_fields(node, hooked)
        return False

    def _visit_children(self, found: List[cst.CSTNode]) -> None:
        on_visit, on_leave = self.on_visit, self.on_leave
        for child in found:
            on_visit(child)
            on_leave(child)

    def _visit_fields(self, node: cst.CSTNode, hooked: frozenset) -> None:
        """The children, field by field, with the field hooks (no children table, or hooked
        fields)."""
        for name in visit_order(node):
            if name in hooked:
                self.on_visit_attribute(node, name)
            value = getattr(node, name)
            if type(value) is tuple or type(value) is list:
                for item in value:
                    self.on_visit(item)
                    self.on_leave(item)
            elif is_node(value):
                self.on_visit(value)
                self.on_leave(value)
            if name in hooked:
                self.on_leave_attribute(node, name)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        """``CSTVisitor.on_leave``."""
        leave = self._hooks(type(original_node))[1]
        if leave is not None:
            leave(original_node)


_OWN_HOOKS: Dict[type, frozenset] = {}


def _own_field_hooks(visitor: type) -> frozenset:
    """``X_field`` for every ``visit_X_field``/``leave_X_field`` a visitor class defines itself
    (libcst's typed base classes define no-op ones for every field)."""
    found = _OWN_HOOKS.get(visitor)
    if found is None:
        names = set()
        for cls in visitor.__mro__:
            if cls.__module__.startswith("libcst._") or cls in (_Walk, object):
                continue
            for attr in vars(cls):
                for prefix in ("visit_", "leave_"):
                    if attr.startswith(prefix) and "_" in attr[len(prefix):]:
                        names.add(attr[len(prefix):])
        found = _OWN_HOOKS[visitor] = frozenset(names)
    return found


class _ContextWalk(_Walk, ExpressionContextVisitor):
    pass


class _ScopeWalk(_Walk, ScopeVisitor):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        #: node class -> (whether it is assignment-like, its leave_X)
        self._leaves: Dict[type, Tuple[bool, Optional[Callable[[cst.CSTNode], object]]]] = {}
        self._computed: Dict[cst.CSTNode, object] = self.provider._computed
        #: node class -> no hook of any kind and not assignment-like: three quarters of the nodes
        #: (whitespace, punctuation, statement lines), which change nothing but get the scope
        self._inert: Dict[type, bool] = {}

    def _visit_children(self, found: List[cst.CSTNode]) -> None:
        """``on_visit`` then ``on_leave`` of each child; for an inert child that is its children,
        then its scope, which is all the two calls would do."""
        inert, children, computed = self._inert, self._children, self._computed
        assert children is not None
        for child in found:
            kind = child.__class__
            quiet = inert.get(kind)
            if quiet is None:
                quiet = inert[kind] = (
                    self._hooks(kind) == (None, None) and not _assignment_like(kind) and not self._hooked_fields(kind)
                )
            inner = children.get(child) if quiet else None
            if inner is None:
                self.on_visit(child)
                self.on_leave(child)
                continue
            if inner:
                self._visit_children(inner)
            computed[child] = self.scope

    def on_leave(self, original_node: cst.CSTNode) -> None:
        """``ScopeVisitor.on_leave``, with a type-keyed test instead of ``isinstance`` against its
        tuple of eighteen node classes (ABCs, each check slow): a tenth of a whole run."""
        self._computed[original_node] = self.scope  # the provider's set_metadata
        kind = original_node.__class__
        record = self._leaves.get(kind)
        if record is None:
            record = self._leaves[kind] = (_assignment_like(kind), self._hooks(kind)[1])
        assignment, leave = record
        if assignment:
            self.scope._assignment_count += 1
        if leave is not None:
            leave(original_node)


#: what ``ScopeVisitor.on_leave`` refers to in the libcst releases _ScopeWalk.on_leave restates
_SCOPE_ON_LEAVE_NAMES = ("provider", "set_metadata", "scope", "isinstance", "_ASSIGNMENT_LIKE_NODES", "_assignment_count", "super", "on_leave")
_ASSIGNMENT_LIKE: Dict[type, bool] = {}


def _assignment_like(kind: type) -> bool:
    known = _ASSIGNMENT_LIKE.get(kind)
    if known is None:
        known = _ASSIGNMENT_LIKE[kind] = issubclass(kind, scope_provider._ASSIGNMENT_LIKE_NODES)
    return known


Children = Optional[Mapping[cst.CSTNode, List[cst.CSTNode]]]


def _contexts_of(module: cst.Module, children: Children = None) -> Mapping[cst.CSTNode, object]:
    provider = ExpressionContextProvider()
    visitor = _ContextWalk(provider, ExpressionContext.LOAD)  # ExpressionContextProvider.visit_Module
    visitor._children = children
    module.visit(visitor)
    return provider._computed  # type: ignore[no-any-return]


def _scopes_of(module: cst.Module, contexts: Mapping[cst.CSTNode, object], children: Children = None) -> Mapping[cst.CSTNode, object]:
    provider = ScopeProvider()
    provider.metadata = {ExpressionContextProvider: contexts}  # what MetadataDependent.resolve sets
    visitor = _ScopeWalk(provider)  # ScopeProvider.visit_Module
    visitor._children = children
    module.visit(visitor)
    visitor.infer_accesses()
    return provider._computed  # type: ignore[no-any-return]


def expression_contexts(module: cst.Module, children: Children = None) -> Mapping[cst.CSTNode, object]:
    """``ExpressionContextProvider``'s mapping for ``module``, computed on first use. ``children``:
    the module's children table, if the caller has one."""
    return _Lazy(lambda: _contexts_of(module, children))


def scope_contexts(module: cst.Module, children: Children, contexts: Mapping[cst.CSTNode, object]) -> Mapping[cst.CSTNode, object]:
    """What ``ScopeProvider`` reads of ``contexts`` (the contexts of names): computed by
    memfix.contexts's one walk when it fits this libcst, on first use."""
    if not fits_this_libcst():
        return contexts
    return _Lazy(lambda: name_contexts(module, children))


def scopes(module: cst.Module, contexts: Mapping[cst.CSTNode, object], children: Children = None) -> Mapping[cst.CSTNode, object]:
    """``ScopeProvider``'s mapping for ``module``, computed on first use from ``contexts`` (its one
    dependency)."""
    return _Lazy(lambda: _scopes_of(module, contexts, children))


@functools.lru_cache(maxsize=1)  # a property of the installed libcst: checked once per process
def libcst_fits_shortcuts() -> bool:
    """Whether this libcst still works the way memfix's shortcuts assume: its context and scope
    providers do all their work in ``visit_Module``, their visitors keep libcst's ``on_visit``, and
    ``ScopeVisitor.on_leave`` is the one _ScopeWalk restates. If a release changes any of it, the
    engine lets libcst compute these providers itself."""
    return (
        all(
            [name for name in vars(provider) if name.startswith(("visit_", "leave_"))] == ["visit_Module"]
            for provider in (ExpressionContextProvider, ScopeProvider)
        )
        and all("on_visit" not in vars(v) for v in (ScopeVisitor, ExpressionContextVisitor))
        and "on_leave" not in vars(ExpressionContextVisitor)
        and ScopeVisitor.on_leave.__code__.co_names == _SCOPE_ON_LEAVE_NAMES
        and BaseMetadataProvider.set_metadata.__code__.co_names == ("_computed",)
        and isinstance(getattr(scope_provider, "_ASSIGNMENT_LIKE_NODES", None), tuple)
    )


# -- positions -------------------------------------------------------------------------------


class _Syntactic:
    """``record_syntactic_position`` as a plain context manager (libcst's is a generator)."""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: "_PositionState", node: cst.CSTNode, start_node: Optional[cst.CSTNode], end_node: Optional[cst.CSTNode]) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node

    def __enter__(self) -> None:
        self.start = (self.state.line, self.state.column)

    def __exit__(self, *exc: object) -> None:
        spans = self.state.spans
        start = spans[self.start_node][:2] if self.start_node is not None else self.start
        end = spans[self.end_node][2:] if self.end_node is not None else (self.state.line, self.state.column)
        spans[self.node] = (*start, *end)  # type: ignore[assignment]


class _PositionState(CodegenState):
    """libcst's ``PositionProvidingCodegenState``, keeping ``(line, column)`` tuples."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1  # one-indexed, as libcst
        self.column = 0
        self.starts: List[Tuple[int, int]] = []
        self.spans: Dict[cst.CSTNode, Span] = {}

    def _advance(self, value: str) -> None:
        if "\n" not in value and "\r" not in value:
            self.column += len(value)
            return
        # libcst splits on \r\n, \r and \n, each one line break
        lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.line += len(lines) - 1
        self.column = len(lines[-1])

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:
            self._advance(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self._advance(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.starts.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.starts.pop()
        if node not in self.spans:  # a syntactic position, recorded inside, wins
            self.spans[node] = (*start, self.line, self.column)  # type: ignore[assignment]

    def record_syntactic_position(  # type: ignore[override]
        self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None, end_node: Optional[cst.CSTNode] = None
    ) -> _Syntactic:
        return _Syntactic(self, node, start_node, end_node)


class Positions(Mapping[cst.CSTNode, CodeRange]):
    """``PositionProvider``'s mapping for ``module``: the code generation runs on first use, and a
    ``CodeRange`` is built only for the nodes asked about.

    With ``starts`` (where the top-level statements and the members of top-level classes begin,
    from the ``ast`` of the text the module was parsed from: :func:`statement_starts`) and that
    ``text``, a question about a node generates only the innermost such statement holding it: the
    rules ask about few of them (on the standard library's slices, the top-level statements asked
    about hold about half the code, and a method is a small part of its class). A statement's code
    must be the text found at its line, else the next statement out is tried, and in the end the
    whole module, as without ``starts``."""

    def __init__(
        self,
        module: cst.Module,
        parents: Optional[Mapping[cst.CSTNode, cst.CSTNode]] = None,
        starts: Optional[Mapping[cst.CSTNode, Tuple[int, str]]] = None,
        text: Optional[str] = None,
    ) -> None:
        self._module: Optional[cst.Module] = module
        self._spans: Dict[cst.CSTNode, Span] = {}
        self._ranges: Dict[cst.CSTNode, CodeRange] = {}
        #: the module's code, as the position pass generated it (None until then): the fix step
        #: needs it too, and generating it again costs as much as a parse
        self.code: Optional[str] = None
        self._root = module
        self._parents = parents if starts is not None and text is not None else None
        self._starts: Mapping[cst.CSTNode, Tuple[int, str]] = starts or {}
        self._line_offsets: Optional[List[int]] = None
        self._text = text
        self._generated: Dict[cst.CSTNode, bool] = {}  # statement -> its code matched the text

    def spans(self) -> Mapping[cst.CSTNode, Span]:
        """Every node's ``(start line, start column, end line, end column)``."""
        if self._module is not None:
            state = _PositionState(self._module)
            self._module._codegen(state)
            self._spans, self._module = state.spans, None
            self.code = "".join(state.tokens)
        return self._spans

    def _span(self, node: cst.CSTNode) -> Span:
        if self._module is None or self._parents is None:
            return self.spans()[node]
        found = self._spans.get(node)
        if found is not None:
            return found
        path: List[cst.CSTNode] = []  # node and the nodes holding it, below the module
        known: List[cst.CSTNode] = []  # the statements with a known start holding node, innermost first
        current = node
        parent = self._parents.get(current)
        while parent is not None:
            path.append(current)
            if current in self._starts:
                known.append(current)
            if parent is self._root:
                break
            current, parent = parent, self._parents.get(parent)
        if parent is None:
            return self.spans()[node]  # the module itself, or not in it
        if known and known[0] is not node:
            known[:0] = self._deeper(known[0], path)
        for statement in known:
            done = self._generated.get(statement)
            if done is False or (done is None and not self._generate(statement)):
                continue
            found = self._spans.get(node)
            if found is not None:
                return found
        return self.spans()[node]  # the module's header or footer, or code whose text differs

    def _deeper(self, statement: cst.CSTNode, path: List[cst.CSTNode]) -> List[cst.CSTNode]:
        """The statements on ``path`` inside ``statement`` whose start the ``ast`` gives, innermost
        first: a use deep in a method generates its own line, not the method."""
        starts = self._starts
        if not isinstance(starts, StatementStarts):
            return []
        found: List[cst.CSTNode] = []
        below = path.index(statement)
        while below > 0:
            starts.descend(statement)
            inner = next((i for i in range(below - 1, -1, -1) if path[i] in starts), None)
            if inner is None:
                break
            below, statement = inner, path[inner]
            found.append(statement)
        return found[::-1]

    def _generate(self, statement: cst.CSTNode) -> bool:
        """Positions of ``statement``'s nodes, from its code generated alone at its line."""
        assert self._module is not None and self._text is not None
        line, indent = self._starts[statement]
        state = _PositionState(self._module)
        state.line = line
        if indent:
            state.increase_indent(indent)
        statement._codegen(state)
        code = "".join(state.tokens)
        offsets = self._line_offsets
        if offsets is None:
            offsets = self._line_offsets = _line_offsets(self._text)
        matched = 0 < line <= len(offsets) and self._text.startswith(code, offsets[line - 1])
        self._generated[statement] = matched
        if matched:
            self._spans.update(state.spans)
        return matched

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        found = self._ranges.get(node)
        if found is None:
            line, column, end_line, end_column = self._span(node)
            found = self._ranges[node] = CodeRange(CodePosition(line, column), CodePosition(end_line, end_column))
        return found

    def __contains__(self, node: object) -> bool:
        return node in self.spans()

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self.spans())

    def __len__(self) -> int:
        return len(self.spans())


def _line_offsets(text: str) -> List[int]:
    """The offset of each line's first character, lines split as libcst splits them (\\r\\n, \\r, \\n)."""
    offsets = [0]
    for match in _LINE_BREAK.finditer(text):
        offsets.append(match.end())
    return offsets


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class StatementStarts(Dict[cst.CSTNode, Tuple[int, str]]):
    """Where statements begin and the indentation they are generated with (see
    :func:`statement_starts`), with the ``ast`` statement each was paired with: :class:`Positions`
    pairs the blocks inside one only when it is asked about a node there."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.default_indent = module.default_indent
        self.paired: Dict[cst.CSTNode, ast.stmt] = {}
        self._descended: Dict[cst.CSTNode, bool] = {}

    def add(self, statement: cst.CSTNode, first: ast.stmt, indent: str) -> None:
        self[statement] = (first_line(first) - len(getattr(statement, "leading_lines", ())), indent)
        self.paired[statement] = first

    def add_block(self, block: cst.BaseSuite, statements: Sequence[ast.stmt], indent: str) -> None:
        """Pair an indented block's statements (nothing when they do not pair up)."""
        if not isinstance(block, cst.IndentedBlock):
            return
        inner = _paired(block.body, statements)
        indent += self.default_indent if block.indent is None else block.indent
        for member, member_first in inner or ():
            self.add(member, member_first, indent)

    def descend(self, statement: cst.CSTNode) -> None:
        """Pair the blocks of a paired compound statement."""
        first = self.paired.get(statement)
        if first is None or statement in self._descended:
            return
        self._descended[statement] = True
        indent = self[statement][1]
        if isinstance(statement, getattr(cst, "Match", ())):  # its cases are indented once more
            indent += self.default_indent if statement.indent is None else statement.indent  # type: ignore[attr-defined]
        for block, statements in _blocks(statement, first):
            self.add_block(block, statements, indent)


def statement_starts(module: cst.Module, tree: ast.Module) -> Optional[StatementStarts]:
    """Where each of ``module``'s top-level statements, and each statement of a top-level class's
    body, begins (its leading blank and comment lines included) and the indentation it is
    generated with, from the ``ast`` of the same text (or of the file a pre-filter slice keeps the
    lines of); None when the top-level statements do not pair up (a class whose body does not is
    left out). A line of simple statements is as many ``ast`` statements as it has parts; a
    compound statement is one, beginning at its first decorator. Deeper blocks are paired on
    demand (:meth:`StatementStarts.descend`)."""
    starts = StatementStarts(module)
    pairs = _paired(module.body, tree.body)
    if pairs is None:
        return None
    for statement, first in pairs:
        starts.add(statement, first, "")
        if isinstance(statement, cst.ClassDef) and isinstance(first, ast.ClassDef):
            starts.add_block(statement.body, first.body, "")
    return starts


def _blocks(statement: cst.CSTNode, first: ast.stmt) -> List[Tuple[cst.BaseSuite, Sequence[ast.stmt]]]:
    """The blocks of a compound statement with the ``ast`` statements of each (an ``elif``'s
    blocks are its ``if``'s: the ``elif`` is no statement of its own); none when the two kinds
    differ."""
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef, cst.With)):
        if isinstance(first, (*DEFINITIONS, ast.With, ast.AsyncWith)):
            return [(statement.body, first.body)]
        return []
    if isinstance(statement, (cst.For, cst.While)):
        if not isinstance(first, (ast.For, ast.AsyncFor, ast.While)):
            return []
        return [(statement.body, first.body), *_else_block(statement.orelse, first.orelse)]
    if isinstance(statement, cst.If):
        found: List[Tuple[cst.BaseSuite, Sequence[ast.stmt]]] = []
        current: object = statement
        while isinstance(current, cst.If) and isinstance(first, ast.If):
            found.append((current.body, first.body))
            if isinstance(current.orelse, cst.If) and len(first.orelse) == 1 and isinstance(first.orelse[0], ast.If):
                current, first = current.orelse, first.orelse[0]
                continue
            found += _else_block(current.orelse, first.orelse)
            break
        return found
    if isinstance(statement, (cst.Try, getattr(cst, "TryStar", cst.Try))):
        if not isinstance(first, (ast.Try, getattr(ast, "TryStar", ast.Try))) or len(statement.handlers) != len(first.handlers):
            return []
        found = [(statement.body, first.body)]
        found += [(h.body, a.body) for h, a in zip(statement.handlers, first.handlers)]
        found += _else_block(statement.orelse, first.orelse)
        if statement.finalbody is not None:
            found.append((statement.finalbody.body, first.finalbody))
        return found
    if isinstance(statement, getattr(cst, "Match", ())) and isinstance(first, getattr(ast, "Match", ())):
        if len(statement.cases) != len(first.cases):  # type: ignore[attr-defined]
            return []
        return [(c.body, a.body) for c, a in zip(statement.cases, first.cases)]  # type: ignore[attr-defined]
    return []


def _else_block(orelse: Optional[cst.CSTNode], statements: Sequence[ast.stmt]) -> List[Tuple[cst.BaseSuite, Sequence[ast.stmt]]]:
    return [(orelse.body, statements)] if isinstance(orelse, cst.Else) else []


def _paired(body: Sequence[cst.BaseStatement], statements: Sequence[ast.stmt]) -> Optional[List[Tuple[cst.BaseStatement, ast.stmt]]]:
    """Each libcst statement with the first ``ast`` statement it holds, or None when the counts
    differ."""
    pairs: List[Tuple[cst.BaseStatement, ast.stmt]] = []
    index = 0
    for statement in body:
        if index >= len(statements):
            return None
        pairs.append((statement, statements[index]))
        index += len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
    return pairs if index == len(statements) else None

