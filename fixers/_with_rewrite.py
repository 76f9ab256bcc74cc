"""Shared analysis and rewrite for "a closeable created outside a with-block" (MF301, MF302).

A rule supplies which calls create a closeable (by qualified name, never by spelling) and the
analysis here decides, from the handle's uses (ScopeProvider accesses, parents, positions):

- not a finding: the call is already managed (with-item, ``enter_context``, ``closing``), the
  handle is returned or yielded (a factory), or it is closed in a ``finally:``;
- no fix: the handle escapes (stored on ``self``, in a container, aliased, captured by a nested
  function, kept by a function this module defines that it is passed to: ``_callee_keeps``), is
  re-bound, used before the open or outside its block, or the statement cannot be
  wrapped without changing when the call runs (conditional expressions, lambdas, loops);
- unsafe fix: the handle is passed to a function we cannot see (it might keep it), or wrapping
  would move the call ahead of other calls in the same statement, or add a class attribute;
- safe fix: every use is in the same block after the open, and nothing else changes.

The plans it builds are in ``_with_plans``; ``_with_transform`` carries them out (the statements
from the open to the last use wrapped in a with-block, the ``close()`` dropped).
"""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple, Union

import libcst as cst
from libcst.metadata import (
    Assignment,
    ClassScope,
    ComprehensionScope,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from memfix.fixer import BaseDetector
from memfix.model import Safety
from memfix.fixers._callee_keeps import callee_keeps
from memfix.fixers._with_plans import STORING_METHODS, NestClosingPlan, OpenerSpec, WithPlan
from memfix.nodes import calls_method_on, children_in, import_alias_name, nodes_in_order

Block = Union[cst.IndentedBlock, cst.Module]

#: calls that read a handle to the end, or write to it, and keep no reference to it
CONSUMERS: FrozenSet[str] = frozenset(
    {
        "json.load",
        "json.dump",
        "pickle.load",
        "pickle.dump",
        "marshal.load",
        "marshal.dump",
        "tomllib.load",
        "tomli.load",
        "plistlib.load",
        "plistlib.dump",
        "yaml.safe_load",
        "yaml.load",
        "yaml.full_load",
        "yaml.safe_load_all",
        "yaml.dump",
        "yaml.safe_dump",
        "shutil.copyfileobj",
        "hashlib.file_digest",
        "builtins.print",
        "builtins.list",
        "builtins.sorted",
        "builtins.len",
        "builtins.sum",
        "builtins.tuple",
        "builtins.set",
        "os.fstat",
        "os.fsync",
    }
)


#: the names among the specs' ``detached`` that are attributes holding data, not methods: their
#: value may be kept after the block. A method kept uncalled (`read = f.readline`,
#: `self.addCleanup(f.close)`) still holds the handle, and is followed like it
DATA_ATTRIBUTES: FrozenSet[str] = frozenset(
    {
        "name", "mode", "closed", "encoding", "errors", "newlines", "total_changes", "in_transaction",
        "isolation_level", "lastrowid", "rowcount", "family", "type", "proto", "comment", "filename",
        "status", "url", "headers", "reason", "code", "msg", "returncode", "pid", "args",
    }
)  # fmt: skip

#: calls whose argument becomes managed by something else (not a finding)
MANAGING_METHODS: FrozenSet[str] = frozenset({"enter_context", "enter_async_context", "closing", "callback"})


#: a quoted dotted name (`"builtins.open"`, the `".open"` of `__name__ + ".open"`): the target
#: string of `mock.patch`, `monkeypatch.setattr` and the like
_QUOTED_NAME = re.compile(r"""(['"])\.?([A-Za-z_][\w.]*)\1""")
#: a module that replaces names at run time with mocks
_MOCKING = re.compile(r"\b(?:mock|monkeypatch|mocker)\b")


def patched_names(source: str) -> Dict[str, int]:
    """The last parts of the dotted names the module may patch, with the line of the first.

    `with opener() as h` binds what the opener's result's ``__enter__`` returns: the object itself
    for a file, a socket or a process, but another object for a mock that replaced the opener
    (`@patch(__name__ + ".open")`; unittest's own tests do this). A patch target is a string, so
    the whole source is searched (the slice may have stubbed out the test that patches), and
    only when the module mocks at all. Comments and docstrings count too: that can only make
    a fix unsafe, never safe."""
    if _MOCKING.search(source) is None:
        return {}
    found: Dict[str, int] = {}
    line, counted = 1, 0
    for match in _QUOTED_NAME.finditer(source):
        tail = match.group(2).rsplit(".", 1)[-1]
        if tail not in found:
            line += source.count("\n", counted, match.start())
            counted = match.start()
            found[tail] = line
    return found


# ---------------------------------------------------------------------------------------------
# detector


class _Verdict:
    """What the use analysis concluded; ``skip`` means "not a finding at all"."""

    def __init__(self) -> None:
        self.skip = False
        self.no_fix: Optional[str] = None
        self.unsafe: Optional[str] = None

    def refuse(self, reason: str) -> None:
        if self.no_fix is None:
            self.no_fix = reason

    def doubt(self, reason: str) -> None:
        if self.unsafe is None:
            self.unsafe = reason


class WithRewriteDetector(BaseDetector):
    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider, ScopeProvider, QualifiedNameProvider)

    #: qualified names of the calls that create a closeable, set by each rule
    OPENERS: FrozenSet[str] = frozenset()
    #: their last names (set from OPENERS for each rule's class)
    OPENER_TAILS: FrozenSet[str] = frozenset()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)  # type: ignore[call-arg]
        cls.OPENER_TAILS = frozenset(name.rsplit(".", 1)[-1] for name in cls.OPENERS)

    #: short label for messages ("open()", "sqlite3.connect()")
    def opener_label(self, call: cst.Call, qualified: str) -> str:
        return qualified.replace("builtins.", "") + "()"

    def opener_spec(self, call: cst.Call, qualified: str) -> OpenerSpec:
        """How the closeable ``qualified`` behaves; rules with several kinds override this."""
        return OpenerSpec(label=self.opener_label(call, qualified))

    def refine_assigned(
        self, spec: OpenerSpec, call: cst.Call, name: str, block: cst.CSTNode, start: int, end: int, verdict: "_Verdict"
    ) -> None:
        """Rule-specific checks on a planned ``name = call`` rewrite of ``block.body[start..end]``."""

    def refine_inline(self, spec: OpenerSpec, call: cst.Call, statement: cst.CSTNode, verdict: "_Verdict") -> None:
        """Rule-specific checks on a planned rewrite of ``call`` used inline in ``statement``."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._introduced: Dict[int, Set[str]] = {}
        self._renamed: Optional[Set[str]] = None  # names an import binds under another name
        self._patched: Optional[Dict[str, int]] = None  # names a mock may replace (patched_names)
        self._claimed: Dict[int, List[Tuple[int, int, int, bool]]] = {}  # id(block) -> [(start, end, line, inline)]

    # -- helpers ------------------------------------------------------------------------------

    def opener_of(self, call: cst.Call) -> Optional[str]:
        func: cst.BaseExpression = call.func
        while isinstance(func, cst.Attribute):
            func = func.value
        if not isinstance(func, cst.Name):
            return None  # `open(p).read()` is a method of the result, not an opener
        if not self.may_be_opener(call.func):
            return None
        names = self.qualified(call.func) & self.OPENERS
        return min(names) if names else None

    def may_be_opener(self, func: cst.BaseExpression) -> bool:
        """Whether ``func``'s qualified names can hold an opener, without asking the scopes (a
        lookup per call of the file was most of the rule's time): a qualified name of
        ``a.b.z`` ends with ``z``; one of a plain name ends with that name, unless an import binds
        it under another (``from io import open as o``)."""
        tails = self.OPENER_TAILS
        if isinstance(func, cst.Attribute):
            return func.attr.value in tails
        if not isinstance(func, cst.Name):
            return True
        if func.value in tails:
            return True
        if self._renamed is None:
            assert self.module is not None
            aliases = nodes_in_order(self.module, children_in(self.metadata), cst.ImportAlias)
            self._renamed = {name for name in map(import_alias_name, aliases) if name is not None}  # type: ignore[arg-type]
        return func.value in self._renamed

    def fresh_name(self, scope: object, preferred: Tuple[str, ...] = ()) -> str:
        """A name used nowhere in the module (so it shadows nothing, in any scope), nor already
        introduced by another rewrite in the same scope."""
        introduced = self._introduced.setdefault(id(scope), set())
        taken = self.module_names()
        candidates = (*preferred, "f", "fh", "handle", "file_handle", "resource")
        extra = (f"handle{n}" for n in range(1, 10_000))
        for candidate in (*candidates, *extra):
            if candidate not in taken and candidate not in introduced:
                introduced.add(candidate)
                return candidate
        raise RuntimeError("no free name")

    def statement_in_block(self, node: cst.CSTNode) -> Tuple[Optional[cst.CSTNode], Optional[cst.CSTNode]]:
        """The statement holding ``node`` and the block whose ``body`` lists it, stopping at a
        function, class or lambda boundary (a use there is a capture, not a use in this block)."""
        current = node
        while True:
            parent = self.parent(current)
            if parent is None:
                return None, None
            if isinstance(parent, (cst.IndentedBlock, cst.Module)) and isinstance(current, cst.BaseStatement):
                return current, parent
            if isinstance(parent, (cst.SimpleStatementSuite,)):
                return None, None
            if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                return None, None
            current = parent

    def statement_of(self, node: cst.CSTNode, block: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The statement of ``block.body`` that holds ``node`` (at any depth), or None when
        ``node`` is elsewhere or behind a function, class or lambda boundary."""
        current = node
        while True:
            parent = self.parent(current)
            if parent is None:
                return None
            if parent is block:
                return current
            if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                return None
            current = parent

    def ancestors(self, node: cst.CSTNode, stop: Optional[cst.CSTNode] = None) -> List[cst.CSTNode]:
        chain: List[cst.CSTNode] = []
        current = self.parent(node)
        while current is not None and current is not stop:
            chain.append(current)
            if isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Module)):
                break
            current = self.parent(current)
        return chain

    def scope_name(self, node: cst.CSTNode) -> str:
        parts: List[str] = []
        current = self.parent(node)
        while current is not None:
            if isinstance(current, (cst.FunctionDef, cst.ClassDef)):
                parts.append(current.name.value)
            current = self.parent(current)
        return ".".join(reversed(parts)) or "<module>"

    # -- entry --------------------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.opener_of(node)
        if qualified is None:
            return
        spec = self.opener_spec(node, qualified)
        label = spec.label
        parent = self.parent(node)
        if self._closed_at_once(node, parent, spec):
            return
        chain = self.ancestors(node)
        if self._managed(node, chain) or self._escapes_by_return(node):
            if not spec.exit_closes and isinstance(parent, cst.WithItem) and parent.item is node:
                self._report_unclosing_with(node, parent, spec)
            return
        if (
            isinstance(parent, cst.Assign)
            and parent.value is node
        ):
            self._assigned(node, parent, spec, qualified)
            return
        if isinstance(parent, cst.AnnAssign) and parent.value is node:
            if isinstance(parent.target, cst.Name):
                self._report(node, parent.target.value, label, None, "an annotated assignment cannot become a with-item")
            else:
                self._report(node, self._target_text(parent.target), label, None, self._stored_reason(parent.target))
            return
        self._inline(node, spec, chain, qualified)

    def _closed_at_once(self, call: cst.Call, parent: Optional[cst.CSTNode], spec: OpenerSpec) -> bool:
        """``open(p, "w").close()`` (``sqlite3.connect(db).close()``...): the expression that opens
        the resource closes it, on every path that opened it, so nothing is left for the collector
        and a with-block would only restate it (the standard library creates empty files so)."""
        if not (isinstance(parent, cst.Attribute) and parent.value is call and parent.attr.value in spec.close_methods):
            return False
        outer = self.parent(parent)
        return isinstance(outer, cst.Call) and outer.func is parent and not outer.args

    # -- shapes -------------------------------------------------------------------------------

    def _managed(self, call: cst.Call, chain: Sequence[cst.CSTNode]) -> bool:
        for ancestor in chain:
            if isinstance(ancestor, cst.WithItem):
                return True
            if isinstance(ancestor, cst.Call) and ancestor is not call:
                func = ancestor.func
                name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
                if name in MANAGING_METHODS:
                    return True
            if isinstance(ancestor, cst.Lambda) and ancestor.body is call:
                return True  # a factory hands the handle to its caller
            if isinstance(ancestor, cst.BaseStatement):
                return False
        return False

    def _result_kept(self, call: cst.Call) -> bool:
        """What ``call`` returns is assigned, bound by ``with ... as``, or returned, directly or as
        an argument of the calls around it (``server = run(loop.create_server(sock=s))``: the
        server built on the socket outlives the statement); a consumer around it
        (``list(csv.reader(f))``) reads it up in the statement."""
        while True:
            holder = self.parent(call)
            outer = self.parent(holder) if isinstance(holder, cst.Arg) else None
            if not isinstance(outer, cst.Call):
                if isinstance(holder, cst.WithItem):
                    # `with Popen(stdin=f) as p:` binds the result as `p = Popen(stdin=f)` does,
                    # and is what this rule rewrites that assignment into: the two must agree, or
                    # a second run would fix what the first refused
                    return holder.item is call and holder.asname is not None
                return isinstance(holder, (cst.Assign, cst.AnnAssign, cst.Return)) and holder.value is call
            if self.qualified(outer.func) & CONSUMERS:
                return False
            call = outer

    def _pass_to_call(self, arg: cst.Arg, verdict: _Verdict, subject: str, at: str = "", result_counts: bool = True) -> None:
        """Judge a value that holds the open resource (the handle, or one built from it) passed as
        ``arg`` to the call around it: the one decision for an open call that is itself an argument,
        a named handle and a dependent value, so each check reaches all three. ``subject`` and
        ``at`` word the reason ("the handle", " at line 12"); ``result_counts``: the value is the
        resource itself or read from it, so the call's result may hold it.

        A storing method keeps it; a consumer (``list``, ``json.load``) reads it up within the
        statement; a call whose result is kept (assigned, also through the calls around it, or
        returned) may hold it in that result after the block; a callee this module defines that
        stores, returns or captures its parameter keeps it; any other call may keep it."""
        call = self.parent(arg)
        assert isinstance(call, cst.Call)
        func = call.func
        method = func.attr.value if isinstance(func, cst.Attribute) else ""
        callee = self._call_text(func)
        if method in STORING_METHODS:
            verdict.refuse(f"{subject} is stored with `.{method}()`{at}")
        elif self.qualified(func) & CONSUMERS:
            return
        elif result_counts and self._result_kept(call):
            verdict.refuse(f"{subject} is passed to `{callee}()`{at}, whose result may hold it after the block")
        else:
            keeper = callee_keeps(call, arg, self.parent, self._definition)
            if keeper is not None:
                verdict.refuse(f"{subject} is passed to `{callee}()`{at}: {keeper}")
            else:
                verdict.doubt(f"{subject} is passed to `{callee}()`{at}, which may keep it")

    def _definition(self, name: cst.Name) -> Optional[cst.CSTNode]:
        """The one statement binding ``name`` where it is used (a ``def``, a ``class``...), or None."""
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return None
        found = {a.node for a in scope[name.value] if isinstance(a, Assignment)}  # type: ignore[index]
        return next(iter(found)) if len(found) == 1 else None

    def _target_text(self, target: cst.CSTNode) -> str:
        return cst.Module(body=[]).code_for_node(target)

    def _stored_reason(self, target: cst.CSTNode) -> str:
        return f"the handle is stored in `{self._target_text(target)}`, a long-lived resource; close it where its owner is closed"

    def _report(self, call: cst.Call, name: str, label: str, plan: Optional[WithPlan], no_fix: str = "") -> None:
        symbol = f"{self.scope_name(call)}.{name}"
        if name == "<inline>":
            message = f"`{label}` is used without a with-block; the handle is closed only when garbage-collected"
        else:
            message = f"`{label}` handle `{name}` is not managed by a with-block"
        self.report(call, symbol=symbol, message=message, plan=plan, no_fix_reason=no_fix)

    def _report_unclosing_with(self, call: cst.Call, item: cst.WithItem, spec: OpenerSpec) -> None:
        """``with sqlite3.connect(p) as conn:``: the block ends a transaction, not the connection.
        Nesting ``closing`` is safe when every use of ``conn`` (and of what it hands out) is
        inside the block, where the connection is open in both versions."""
        asname = item.asname.name if item.asname is not None else None
        name = asname.value if isinstance(asname, cst.Name) else "<with>"
        message = f"`with {spec.label}` does not close it" + (f": {spec.exit_note}" if spec.exit_note else "")
        symbol = f"{self.scope_name(call)}.{name}"
        statement = self.parent(item)
        if (item.asname is not None and not isinstance(asname, cst.Name)) or not isinstance(statement, cst.With):
            shown = self._call_text(call)
            self.report(
                call,
                symbol=symbol,
                message=message,
                no_fix_reason=f"nest it by hand: `with contextlib.closing({shown}) as conn, conn:`",
            )
            return
        verdict = _Verdict()
        scope = self.get_metadata(ScopeProvider, asname if asname is not None else call, None)
        if asname is None:
            name = self.fresh_name(scope, spec.names)  # nothing refers to it: always inside the block
            binding = None
        else:
            assignments = scope.assignments[name] if scope is not None else set()
            binding = next(iter(assignments)) if len(assignments) == 1 else None
        if asname is None:
            pass
        elif not isinstance(binding, Assignment) or binding.node is not asname:
            verdict.refuse(f"`{name}` is bound more than once")
        else:
            for access in self.in_order(binding.references):
                use = access.node
                line = self.line_of(use)
                if access.scope is not scope and not isinstance(access.scope, ComprehensionScope):
                    verdict.refuse(f"captured by a nested function or class at line {line}")
                    continue
                if not self._within(use, statement.body):
                    verdict.refuse(f"used after the with-block at line {line}")
                    continue
                if self._escapes_by_return(use):
                    verdict.refuse(f"returned at line {line}; the caller would get a closed connection")
                    continue
                used_in, _ = self.statement_in_block(use)
                self._classify_handle_use(use, used_in or statement, verdict, spec)
                parent = self.parent(use)
                if isinstance(parent, cst.Attribute) and parent.value is use:
                    for dependent in self._result_flow(use, verdict, spec, 0):
                        if not self._within(dependent, statement.body):
                            verdict.refuse(
                                f"`{self._call_text(dependent)}` at line {self.line_of(dependent)} depends on "
                                f"`{name}` and is used after the with-block"
                            )
        wrapper, wrapper_import = self._wrapper(spec, call, verdict)
        if verdict.no_fix is not None:
            self.report(call, symbol=symbol, message=message, no_fix_reason=verdict.no_fix)
            return
        item_text = f"{wrapper}({self._call_text(call)}) as {name}, {name}"
        plan = NestClosingPlan(
            safety=Safety.UNSAFE if verdict.unsafe else Safety.SAFE,
            description=f"nest it: `with {item_text}:`",
            reason=verdict.unsafe
            or (
                f"every use of `{name}` is inside the with-block at line {self.line_of(statement)}"
                if asname is not None
                else "the connection has no name, so nothing uses it after the block"
            ),
            item=item,
            name=name,
            wrapper=wrapper,
            wrapper_import=wrapper_import,
        )
        self.report(call, symbol=symbol, message=message, plan=plan)

    def closing_name(self, call: cst.Call) -> Optional[Tuple[str, Optional[Tuple[str, Optional[str]]]]]:
        """How to spell ``contextlib.closing`` at ``call``: an existing ``closing`` or
        ``contextlib`` binding that resolves there, else ``contextlib.closing`` plus an import;
        None when ``contextlib`` already names something else in the module."""
        scope = self.get_metadata(ScopeProvider, call, None)
        if scope is None:
            return None
        if {q.name for q in scope.get_qualified_names_for("closing")} == {"contextlib.closing"}:
            return "closing", None
        names = {q.name for q in scope.get_qualified_names_for("contextlib")}
        if names == {"contextlib"}:
            return "contextlib.closing", ("contextlib", None)
        if not names and "contextlib" not in self.module_names():
            return "contextlib.closing", ("contextlib", None)
        return None

    def _doubt_a_mocked_opener(self, qualified: str, verdict: "_Verdict") -> None:
        """A with-target is bound to ``__enter__()``'s result, which a mock does not make the handle."""
        if self._patched is None:
            self._patched = patched_names(self.ctx.source)
        tail = qualified.rsplit(".", 1)[-1]
        line = self._patched.get(tail)
        if line is not None:
            verdict.doubt(
                f"`{tail}` may be replaced by a mock at run time (a patch target names it at line {line}), "
                "and a mock's `__enter__()` returns another object than the mock"
            )

    def _wrapper(self, spec: OpenerSpec, call: cst.Call, verdict: "_Verdict") -> Tuple[str, Optional[Tuple[str, Optional[str]]]]:
        if spec.exit_closes:
            return "", None
        found = self.closing_name(call)
        if found is None:
            verdict.refuse("`contextlib` names something else in this module, so `contextlib.closing` cannot be added")
            return "", None
        return found

    def _assigned(self, call: cst.Call, assign: cst.Assign, spec: OpenerSpec, qualified: str) -> None:
        label = spec.label
        if len(assign.targets) != 1:
            self._report(call, "handle", label, None, "chained assignment")
            return
        target = assign.targets[0].target
        if not isinstance(target, cst.Name):
            self._report(call, self._target_text(target), label, None, self._stored_reason(target))
            return
        name = target.value
        statement, block = self.statement_in_block(assign)
        scope = self.get_metadata(ScopeProvider, target, None)
        if statement is None or block is None or scope is None:
            self._report(call, name, label, None, "the open is not a statement of its own in a block")
            return
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            self._report(call, name, label, None, "the open shares its line with other statements")
            return
        assignments = [a for a in scope.assignments[name] if isinstance(a, Assignment)]
        mine = [a for a in assignments if a.node is target]
        if not mine:
            self._report(call, name, label, None, "the name's binding could not be analysed")
            return
        if len(scope.assignments[name]) > 1:
            if any(self._escapes_by_return(access.node) for access in mine[0].references):
                return  # a factory that opens on several branches and returns the handle
            others = sorted(self.line_of(a.node) for a in assignments if a.node is not target)
            where = f" at line {others[0]}" if others else ""
            self._report(call, name, label, None, f"`{name}` is re-bound{where}")
            return
        verdict = _Verdict()
        body = list(block.body)  # type: ignore[attr-defined]
        start = body.index(statement)
        end = start
        close_index: Optional[int] = None
        lines_used: List[int] = []
        dependents: List[cst.CSTNode] = []
        for access in sorted(mine[0].references, key=lambda a: self.line_of(a.node)):
            use = access.node
            if access.scope is not scope and not isinstance(access.scope, ComprehensionScope):
                verdict.refuse(f"captured by a nested function or class at line {self.line_of(use)}")
                continue
            if self._closed_in_finally(use, spec.released_by):
                verdict.skip = True
                break
            if self._escapes_by_return(use):
                verdict.skip = True
                break
            used_in = self.statement_of(use, block)
            if used_in is None:
                verdict.refuse(f"used outside the block of the open at line {self.line_of(use)}")
                continue
            index = body.index(used_in)
            if index <= start:
                verdict.refuse(f"used before the open at line {self.line_of(use)}")
                continue
            dependents.extend(self._classify_use(use, used_in, verdict, spec))
            if self._is_close_statement(used_in, name, spec.close_methods):
                if close_index is None or index > close_index:
                    close_index = index
            end = max(end, index)
            lines_used.append(self.line_of(use))
        if verdict.skip:
            return
        for dependent in dependents:
            used_in = self.statement_of(dependent, block)
            line = self.line_of(dependent)
            shown = self._call_text(dependent)
            if used_in is None or body.index(used_in) < start:
                verdict.refuse(f"`{shown}` at line {line} depends on the open `{name}` and is used outside its block")
                continue
            index = body.index(used_in)
            if close_index is not None and index > close_index:
                verdict.refuse(f"`{shown}` at line {line} depends on `{name}` and is used after its `close()`")
            end = max(end, index)
        if close_index is not None and close_index != end:
            verdict.refuse(f"used after `{name}.{self._close_call(body[close_index])}()` at line {self.line_of(body[close_index])}")
        if spec.no_fix:
            verdict.refuse(spec.no_fix)
        if verdict.no_fix is None:
            self.refine_assigned(spec, call, name, block, start, end, verdict)
        self._doubt_a_mocked_opener(qualified, verdict)
        wrapper, wrapper_import = self._wrapper(spec, call, verdict)
        if verdict.no_fix is not None:
            self._report(call, name, label, None, verdict.no_fix)
            return
        crossing = self._crossing(block, start, end)
        if crossing is not None:
            self._report(call, name, label, None, f"its lines overlap the with-block planned at line {crossing}")
            return
        self._claim(block, start, end)
        first_line = self.line_of(statement)
        last_line = self.get_metadata(PositionProvider, body[end]).end.line
        item_text = f"{wrapper}({self._call_text(call)})" if wrapper else self._call_text(call)
        description = f"wrap lines {first_line}-{last_line} in `with {item_text} as {name}:`"
        if close_index is not None:
            description += f" and drop `{name}.{self._close_call(body[close_index])}()`"
        plan = WithPlan(
            safety=Safety.UNSAFE if verdict.unsafe else Safety.SAFE,
            description=description,
            reason=verdict.unsafe or f"every use of `{name}` is in lines {first_line}-{last_line}",
            block=block,
            start=start,
            end=end,
            call=call,
            name=name,
            assigned=True,
            close_index=close_index,
            wrapper=wrapper,
            wrapper_import=wrapper_import,
        )
        self._report(call, name, label, plan)

    def _inline(self, call: cst.Call, spec: OpenerSpec, chain: Sequence[cst.CSTNode], qualified: str) -> None:
        label = spec.label
        statement, block = self.statement_in_block(call)
        symbol_name = "<inline>"
        if statement is None or block is None:
            self._report(call, symbol_name, label, None, "the call is not in a statement of a block (one-line suite, lambda or decorator)")
            return
        verdict = _Verdict()
        previous: cst.CSTNode = call
        for ancestor in chain:
            if ancestor is statement:
                break
            if isinstance(ancestor, (cst.Lambda, cst.GeneratorExp)):
                verdict.refuse("the call runs lazily inside a lambda or generator expression")
            elif isinstance(ancestor, (cst.ListComp, cst.SetComp, cst.DictComp)):
                if previous is not ancestor.for_in:
                    verdict.refuse("the call runs once per item of a comprehension")
            elif isinstance(ancestor, cst.CompFor):
                if previous is not ancestor.iter:
                    verdict.refuse("the call runs once per item of a comprehension")
            elif isinstance(ancestor, cst.IfExp) and previous is not ancestor.test:
                verdict.refuse("the call runs only on one branch of a conditional expression")
            elif isinstance(ancestor, cst.BooleanOperation) and previous is ancestor.right:
                verdict.refuse("the call runs only when the left operand allows it")
            elif isinstance(ancestor, (cst.Tuple, cst.List, cst.Set, cst.Dict, cst.DictElement, cst.Element)):
                if not self._inside_consumer(ancestor, statement):
                    verdict.refuse("the handle is put in a container")
            elif isinstance(ancestor, cst.Arg) and isinstance(self.parent(ancestor), cst.Call):
                # `r = csv.reader(open(p))`: r is read after the statement, where the with-block
                # would have closed the handle (as for a named handle). Further out, the argument
                # is a call's result, and whether that result is kept was asked of the inner call
                self._pass_to_call(ancestor, verdict, "the handle", result_counts=ancestor.value is call)
            elif isinstance(ancestor, (cst.Assign, cst.AugAssign, cst.AnnAssign)):
                targets = [t.target for t in ancestor.targets] if isinstance(ancestor, cst.Assign) else [ancestor.target]
                if verdict.unsafe and any(not isinstance(t, cst.Name) for t in targets):
                    verdict.refuse(f"a value that may hold the handle is stored in `{self._target_text(targets[0])}`")
            previous = ancestor
        if isinstance(statement, cst.For):
            if not self._within(call, statement.iter):
                verdict.refuse("the call is evaluated on every iteration of the loop")
        elif isinstance(statement, cst.SimpleStatementLine):
            if len(statement.body) != 1:
                verdict.refuse("the call shares its line with other statements")
        else:
            verdict.refuse(f"the call is part of a `{type(statement).__name__.lower()}` statement header")
        if verdict.no_fix is None:
            parent = self.parent(call)
            if isinstance(parent, cst.Attribute) and parent.value is call:
                kept = self._result_flow(call, verdict, spec, 0)
                if kept:
                    verdict.refuse(
                        f"`{self._call_text(kept[0])}` at line {self.line_of(kept[0])} depends on the open handle, "
                        "which the with-block would close after this statement"
                    )
        if spec.no_fix:
            verdict.refuse(spec.no_fix)
        if verdict.no_fix is None:
            self.refine_inline(spec, call, statement, verdict)
        self._doubt_a_mocked_opener(qualified, verdict)
        wrapper, wrapper_import = self._wrapper(spec, call, verdict)
        if verdict.no_fix is not None:
            self._report(call, symbol_name, label, None, verdict.no_fix)
            return
        earlier = self._earlier_calls(call, statement)
        if earlier:
            verdict.doubt(f"`{earlier}` runs before the call today and would run after it")
        scope = self.get_metadata(ScopeProvider, call, None)
        discarded = _is_whole_statement(call, statement)
        if isinstance(scope, ClassScope) and not discarded:
            verdict.doubt("the with-block would add a class attribute")
        name = "" if discarded else self.fresh_name(scope, spec.names)
        body = list(block.body)  # type: ignore[attr-defined]
        index = body.index(statement)
        crossing = self._crossing(block, index, index, inline=True)
        if crossing is not None:
            self._report(call, symbol_name, label, None, f"it overlaps the with-block planned at line {crossing}")
            return
        self._claim(block, index, index, inline=True)
        line = self.line_of(statement)
        item_text = f"{wrapper}({self._call_text(call)})" if wrapper else self._call_text(call)
        plan = WithPlan(
            safety=Safety.UNSAFE if verdict.unsafe else Safety.SAFE,
            description=f"wrap line {line} in `with {item_text}:`" if discarded else f"wrap line {line} in `with {item_text} as {name}:`",
            reason=verdict.unsafe or "the handle is used only in this statement",
            block=block,
            start=index,
            end=index,
            call=call,
            name=name,
            assigned=False,
            discarded=discarded,
            wrapper=wrapper,
            wrapper_import=wrapper_import,
        )
        self._report(call, symbol_name, label, plan)

    # -- use classification -------------------------------------------------------------------

    def _classify_use(self, use: cst.CSTNode, statement: cst.CSTNode, verdict: _Verdict, spec: OpenerSpec) -> List[cst.CSTNode]:
        """Judge one use of the handle; returns the uses of values derived from it, each of which
        must also fall inside the with-block."""
        self._classify_handle_use(use, statement, verdict, spec)
        parent = self.parent(use)
        if isinstance(parent, cst.Attribute) and parent.value is use:
            return self._result_flow(use, verdict, spec, 0)
        return []

    def _classify_handle_use(self, use: cst.CSTNode, statement: cst.CSTNode, verdict: _Verdict, spec: OpenerSpec) -> None:
        line = self.line_of(use)
        parent = self.parent(use)
        lazy = self._lazy_generator(use, statement)
        if lazy is not None:
            verdict.refuse(
                f"read by the generator expression at line {self.line_of(lazy)}, which runs lazily and may "
                "read it after the block"
            )
            return
        if isinstance(parent, cst.Attribute) and parent.value is use:
            return  # f.read(), f.name, f.fileno(): where the result goes is _result_flow's
        if isinstance(parent, cst.For) and parent.iter is use:
            return
        if isinstance(parent, cst.CompFor) and parent.iter is use:
            return
        if isinstance(parent, (cst.Comparison, cst.ComparisonTarget, cst.If, cst.While, cst.UnaryOperation)):
            return
        if isinstance(parent, cst.WithItem):
            if spec.exit_closes:
                verdict.skip = True  # `with f:` manages it already
            return  # `with conn:` commits but does not close: a use inside the block
        if isinstance(parent, cst.Arg):
            call = self.parent(parent)
            if isinstance(call, cst.Call):
                func = call.func
                method = func.attr.value if isinstance(func, cst.Attribute) else ""
                if isinstance(func, cst.Name) and func.value in MANAGING_METHODS or method in MANAGING_METHODS:
                    verdict.skip = True  # `stack.enter_context(f)`, `closing(f)`: managed already
                    return
                self._pass_to_call(parent, verdict, "the handle", f" at line {line}")
                return
        if isinstance(parent, cst.Del):
            verdict.refuse(f"deleted at line {line}")
            return
        if isinstance(parent, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            verdict.refuse(f"aliased or stored at line {line}")
            return
        if isinstance(parent, (cst.Element, cst.DictElement, cst.StarredElement, cst.Tuple, cst.List)):
            verdict.refuse(f"put in a container at line {line}")
            return
        verdict.doubt(f"used as a value at line {line}")

    # -- values derived from the handle (OpenerSpec.detached) ----------------------------------

    def _result_flow(self, node: cst.CSTNode, verdict: _Verdict, spec: OpenerSpec, depth: int) -> List[cst.CSTNode]:
        """``node`` holds the open resource (the handle, or a value derived from it). Follow its
        trailer chain (``conn.execute(q).fetchall()``): a name in ``spec.detached`` yields plain
        data when it is called or is a data attribute; otherwise the chain's result (``f.fileno()``,
        the bound method ``f.readline``) still depends on the resource and must not outlive the
        with-block. Returns the uses of names bound to such results."""
        top = node
        while True:
            parent = self.parent(top)
            if isinstance(parent, cst.Attribute) and parent.value is top:
                attr = parent.attr.value
                if attr in spec.detached:
                    holder = self.parent(parent)
                    if attr in DATA_ATTRIBUTES or (isinstance(holder, cst.Call) and holder.func is parent):
                        return []
                    if isinstance(holder, cst.Arg) and attr != "close" and attr not in spec.close_methods:
                        # a callback (`self.addCleanup(f.flush)`): called later, on a closed handle
                        # (a late `close()` does nothing: that one only makes the fix unsafe)
                        callee = self.parent(holder)
                        shown = self._call_text(callee.func) if isinstance(callee, cst.Call) else "a call"
                        verdict.refuse(
                            f"`{self._call_text(parent)}` at line {self.line_of(parent)} is passed to `{shown}()`, "
                            "which may call it after the with-block closes the handle"
                        )
                        return []
                top = parent
            elif isinstance(parent, cst.Call) and parent.func is top:
                top = parent
            elif isinstance(parent, cst.Subscript) and parent.value is top:
                top = parent
            else:
                break
        return self._attached_flow(top, verdict, spec, depth)

    def _attached_flow(self, value: cst.CSTNode, verdict: _Verdict, spec: OpenerSpec, depth: int) -> List[cst.CSTNode]:
        """Where a value that depends on the open resource goes."""
        parent = self.parent(value)
        line = self.line_of(value)
        shown = self._call_text(value)
        if isinstance(parent, cst.Expr):
            return []  # result discarded: `conn.execute(q)`
        if isinstance(parent, (cst.For, cst.WithItem)) and getattr(parent, "iter", getattr(parent, "item", None)) is value:
            return []  # consumed by a statement that is itself inside the block
        if isinstance(parent, cst.CompFor) and parent.iter is value:
            outer: Optional[cst.CSTNode] = parent
            while isinstance(outer, cst.CompFor):
                outer = self.parent(outer)
            if isinstance(outer, (cst.ListComp, cst.SetComp, cst.DictComp)):
                return []  # consumed eagerly within the statement
            if outer is not None:
                return self._attached_flow(outer, verdict, spec, depth)
        if isinstance(parent, (cst.Comparison, cst.ComparisonTarget, cst.If, cst.While, cst.UnaryOperation)):
            return []
        if isinstance(parent, cst.AssignTarget) or (
            isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is value
        ):
            return []  # `conn.row_factory = ...` writes to the resource; nothing flows out
        if isinstance(parent, cst.IfExp):
            if parent.test is value:
                return []
            return self._attached_flow(parent, verdict, spec, depth)
        if isinstance(parent, cst.BooleanOperation):
            return self._attached_flow(parent, verdict, spec, depth)
        if isinstance(parent, (cst.Element, cst.FormattedStringExpression)):
            holder = self.parent(parent)
            if holder is not None:
                return self._attached_flow(holder, verdict, spec, depth)
        if isinstance(parent, cst.BinaryOperation):
            return self._attached_flow(parent, verdict, spec, depth)
        if isinstance(parent, cst.Arg) and isinstance(self.parent(parent), cst.Call):
            self._pass_to_call(parent, verdict, f"`{shown}`, which depends on the open handle,", f" at line {line}")
            return []
        if (
            isinstance(parent, cst.Assign)
            and parent.value is value
            and len(parent.targets) == 1
            and isinstance(parent.targets[0].target, cst.Name)
            and depth < 2
        ):
            return self._derived_uses(parent.targets[0].target, shown, verdict, spec, depth + 1)
        if isinstance(parent, (cst.Return, cst.Yield)):
            verdict.refuse(f"`{shown}` at line {line} depends on the open handle and is returned; it would outlive the with-block")
        else:
            verdict.refuse(f"`{shown}` at line {line} depends on the open handle and is kept where the analysis cannot follow it")
        return []

    def _derived_uses(
        self, target: cst.Name, source: str, verdict: _Verdict, spec: OpenerSpec, depth: int
    ) -> List[cst.CSTNode]:
        name = target.value
        scope = self.get_metadata(ScopeProvider, target, None)
        line = self.line_of(target)
        if scope is None or len(scope.assignments[name]) != 1:
            verdict.refuse(f"`{name}` holds `{source}` (line {line}), which depends on the open handle, and is re-bound")
            return []
        binding = next(iter(scope.assignments[name]))
        if not isinstance(binding, Assignment) or binding.node is not target:
            verdict.refuse(f"`{name}` at line {line} could not be analysed")
            return []
        uses: List[cst.CSTNode] = []
        for access in self.in_order(binding.references):
            if access.scope is not scope and not isinstance(access.scope, ComprehensionScope):
                verdict.refuse(f"`{name}`, which depends on the open handle, is captured by a nested scope at line {self.line_of(access.node)}")
                continue
            uses.append(access.node)
            uses.extend(self._result_flow(access.node, verdict, spec, depth))
        return uses

    def _is_close_statement(self, statement: cst.CSTNode, name: str, methods: FrozenSet[str] = frozenset({"close"})) -> bool:
        """``name.close()`` (or another of ``methods``, without arguments) as a statement of its own."""
        if not (methods and isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
            return False
        expr = statement.body[0]
        call = expr.value if isinstance(expr, cst.Expr) else None
        return isinstance(call, cst.Call) and not call.args and calls_method_on(call, name, methods)

    @staticmethod
    def _close_call(statement: cst.CSTNode) -> str:
        expr = statement.body[0]  # type: ignore[attr-defined]
        return expr.value.func.attr.value  # type: ignore[no-any-return]

    def _closed_in_finally(self, use: cst.CSTNode, methods: FrozenSet[str] = frozenset({"close"})) -> bool:
        parent = self.parent(use)
        if not (isinstance(parent, cst.Attribute) and parent.attr.value in methods):
            return False
        return any(isinstance(a, cst.Finally) for a in self.ancestors(use))

    def _escapes_by_return(self, use: cst.CSTNode) -> bool:
        current = use
        while True:
            parent = self.parent(current)
            if parent is None or isinstance(parent, cst.BaseStatement):
                return False
            if isinstance(parent, (cst.Return, cst.Yield)):
                return True
            if isinstance(parent, cst.Attribute) and parent.value is current:
                return False
            if isinstance(parent, cst.Arg):
                call = self.parent(parent)
                if isinstance(call, cst.Call) and self.qualified(call.func) & CONSUMERS:
                    return False
            current = parent

    def _lazy_generator(self, use: cst.CSTNode, statement: cst.CSTNode) -> Optional[cst.GeneratorExp]:
        """The generator expression around ``use`` whose body runs when someone iterates it, not
        in this statement (``lines = (l for l in f)``: ``list(lines)`` after the block would read a
        closed handle). One passed straight to a consumer (``sum(len(l) for l in f)``) runs here."""
        for ancestor in self.ancestors(use, stop=statement):
            if isinstance(ancestor, cst.GeneratorExp):
                holder = self.parent(ancestor)
                call = self.parent(holder) if isinstance(holder, cst.Arg) else None
                if not (isinstance(call, cst.Call) and self.qualified(call.func) & CONSUMERS):
                    return ancestor
        return None

    def _inside_consumer(self, node: cst.CSTNode, statement: cst.CSTNode) -> bool:
        for ancestor in self.ancestors(node, stop=statement):
            if isinstance(ancestor, cst.Call) and self.qualified(ancestor.func) & CONSUMERS:
                return True
        return False

    def _within(self, node: cst.CSTNode, container: cst.CSTNode) -> bool:
        return node is container or any(a is container for a in self.ancestors(node))

    def _earlier_calls(self, call: cst.Call, statement: cst.CSTNode) -> Optional[str]:
        """A call in the statement that Python evaluates before ``call`` and that is neither an
        enclosing call nor inside ``call``'s arguments: wrapping would reorder them."""
        start = self.get_metadata(PositionProvider, call).start
        enclosing = set(map(id, self.ancestors(call, stop=statement)))
        header = statement.iter if isinstance(statement, cst.For) else statement
        found: List[cst.Call] = []
        detector = self

        class _Calls(cst.CSTVisitor):
            def visit_Call(self, node: cst.Call) -> Optional[bool]:
                if node is call:
                    return False
                if id(node) not in enclosing:
                    pos = detector.get_metadata(PositionProvider, node).start
                    if (pos.line, pos.column) < (start.line, start.column):
                        found.append(node)
                return True

            def visit_Assign(self, node: cst.Assign) -> Optional[bool]:
                node.value.visit(self)  # targets are evaluated after the value
                return False

            def visit_Lambda(self, node: cst.Lambda) -> Optional[bool]:
                return False  # its body does not run here

            def _comprehension(self, node: cst.CSTNode) -> Optional[bool]:
                node.for_in.iter.visit(self)  # type: ignore[attr-defined]  # runs first; the rest after
                return False

            visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

        header.visit(_Calls())
        return self._call_text(found[0].func) + "()" if found else None

    def _call_text(self, node: cst.CSTNode) -> str:
        text = cst.Module(body=[]).code_for_node(node)
        text = " ".join(text.split())
        return text if len(text) <= 60 else text[:57] + "..."

    # -- overlap between plans in one block ---------------------------------------------------

    def _crossing(self, block: cst.CSTNode, start: int, end: int, inline: bool = False) -> Optional[int]:
        for s, e, line, other_inline in self._claimed.get(id(block), []):
            if inline and other_inline and (s, e) == (start, end):
                continue  # several inline opens in one statement share one with-statement
            nested = (s < start and end <= e) or (start < s and e <= end)
            disjoint = end < s or e < start
            if not nested and not disjoint:
                return line
        return None

    def _claim(self, block: cst.CSTNode, start: int, end: int, inline: bool = False) -> None:
        body = list(block.body)  # type: ignore[attr-defined]
        self._claimed.setdefault(id(block), []).append((start, end, self.line_of(body[start]), inline))


def _is_whole_statement(call: cst.Call, statement: cst.CSTNode) -> bool:
    """``open(p)`` as a statement of its own: what it returns is never used (the call runs for
    its error, or its side effect)."""
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and statement.body[0].value is call
    )
