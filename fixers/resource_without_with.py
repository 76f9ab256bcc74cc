"""## What it does
Finds closeables other than `open()` that are not managed by a with-block: `sqlite3.connect`,
`socket.socket`, `socket.create_connection`, `tempfile.NamedTemporaryFile` / `TemporaryFile` /
`SpooledTemporaryFile` / `TemporaryDirectory`, `zipfile.ZipFile`, `tarfile.open`, `gzip.open`,
`bz2.open`, `lzma.open`, `io.open`, `codecs.open`, `urllib.request.urlopen`, `subprocess.Popen`
and `pathlib.Path(...).open()`. Calls are recognised by what their name resolves to through the
module's imports (`from sqlite3 import connect as db`, `import tempfile as tf`), never by
spelling: a function of your own called `connect` is not flagged. Also reports
`with sqlite3.connect(...) as conn:`, whose with-block commits or rolls back but does not close
the connection.

## Why is this bad?
Each of these holds a file descriptor (a database file, a socket, a temporary file, a pipe) that
is released only by an explicit `close()` that an exception skips, or by the garbage collector,
whenever it runs. A long-running service leaks one descriptor per failure until the process hits
`OSError: [Errno 24] Too many open files`. A `subprocess.Popen` that is never waited for also
leaves a zombie process.

## Example
```python
import sqlite3

def count(path):
    conn = sqlite3.connect(path)
    n = conn.execute("select count(*) from t").fetchone()[0]
    conn.close()
    return n
```

## Use instead
```python
import contextlib
import sqlite3

def count(path):
    with contextlib.closing(sqlite3.connect(path)) as conn:
        n = conn.execute("select count(*) from t").fetchone()[0]
    return n
```

## Fix safety
The analysis is MF301's (every use of the handle in the same block, after the call; no escape),
with two additions, because these objects hand out values that stay tied to the open resource:
- a result that depends on the resource staying open (`conn.cursor()`, `conn.execute(q)`,
  `tmp.name` of a temporary file, `proc.stdout`, `zf.open(n)`, `sock.makefile()`) is followed like
  the handle: every use of it must fall inside the with-block, which is extended to cover it
  (refused if the code uses it after its own `close()`), and it must not be returned or stored;
  passing it to a function memfix cannot see makes the fix unsafe. Results that are plain data
  (`fetchall()`, `read()`, `recv()`, `namelist()`, `communicate()`) end the tracking when they
  are called; kept uncalled, a method is a callback, followed as MF301 follows one;
- `sqlite3.Connection`'s own `__exit__` commits or rolls back but does not close, so the with-item
  is wrapped in `contextlib.closing(...)` (adding `import contextlib`, or reusing an existing
  `closing`/`contextlib` import). Closing does not commit: it does exactly what the dropped
  `conn.close()` did, or what the garbage collector would have done later. An existing
  `with sqlite3.connect(p) as conn:` becomes `with contextlib.closing(sqlite3.connect(p)) as conn,
  conn:` — the connection's own block still commits or rolls back first, then it is closed —
  safe when every use of `conn`, and of the cursors it hands out, is inside the block.

Per kind of object:
- `subprocess.Popen.__exit__` closes the pipes and then **waits for the process**. A `Popen` that
  the code never `wait()`s or `communicate()`s with runs in the background today; a with-block
  would block until it exits, so there is no fix. When the first statement after the call is
  `p.wait()` / `p.communicate(...)` without a timeout, the process has exited before anything
  else can fail, the with-block's own wait returns at once, and the fix is safe. Otherwise it is
  unsafe: an exception before the wait (or a `TimeoutExpired` from `communicate(timeout=...)`)
  now waits for the process, where the original code left it running.
- `tempfile.TemporaryDirectory`: `with TemporaryDirectory() as x` binds the folder's *path*, not
  the object, so the uses of the handle (`tmp.name`, `tmp.cleanup()`) cannot move into the block
  unchanged, and the with-block deletes the folder at its end even where the original relied on
  the garbage collector. Reported, no fix.
- `NamedTemporaryFile` deletes its file on close: `f.name` is a dependent value, so a path used
  after the with-block (or handed to another function) blocks the fix or makes it unsafe.
- Everything else (files, sockets, archives, responses): closing at the end of the block is what
  the explicit `close()` or the collector did, only no later than needed.
- As for MF301, a module that mocks and names the opener in a patch target
  (`mock.patch("subprocess.Popen")`) gets no safe fix for it: a mock's `__enter__()` does not
  return the mock.

## Fix availability
No fix when the handle escapes (stored on `self`, in a container or under another name, captured
by a nested function, re-bound, used outside its block), when a dependent value escapes, for
`TemporaryDirectory`, for a `Popen` that is never waited for, and for a `with sqlite3.connect(...)`
whose connection or cursors are used after the block. A handle passed to a function this module
defines escapes as for MF301 when that function keeps it (`asyncore.dispatcher.__init__` passes
its socket to `self.set_socket`, which stores it), and so does a dependent value (a cursor,
`proc.stdout`) kept the same way. Not reported at
all: factories (the handle is returned or yielded), handles released in `finally:` (`close()`,
`cleanup()`, or `wait()`/`communicate()`/`kill()`/`terminate()` for a process), handles closed by
the expression that opens them (`sqlite3.connect(db).close()`), and handles given to `with`,
`contextlib.closing` or `ExitStack.enter_context`.

## References
- [sqlite3: How to use the connection context manager](https://docs.python.org/3/library/sqlite3.html#sqlite3-connection-context-manager)
- [subprocess.Popen as a context manager](https://docs.python.org/3/library/subprocess.html#popen-constructor)
- [tempfile.TemporaryDirectory](https://docs.python.org/3/library/tempfile.html#tempfile.TemporaryDirectory)
- pylint R1732 consider-using-with, ruff SIM115 (detection only)
"""

from __future__ import annotations

import ast
from typing import Dict, FrozenSet, List, Optional, Set, Union

import libcst as cst

from memfix.astindex import AstIndex
from memfix.fixer import Fixer, Invalid, Rule, Valid
from memfix.fixers._with_plans import FILE_RESULTS, PATH_FILE_RESULTS, OpenerSpec
from memfix.fixers._resource_filter import QualifiedNames, ancestors, managed_or_returned, with_callees
from memfix.fixers._with_rewrite import CONSUMERS, MANAGING_METHODS, WithRewriteDetector, _Verdict
from memfix.fixers._with_transform import WithRewriteTransformer
from memfix.model import Safety
from memfix.nodes import calls_method_on
from memfix.prefilter import FilterResult, enclosing_functions

RULE = Rule(
    code="MF302",
    name="resource-without-with",
    summary="closeable resource (connection, socket, temp file, archive, process) not managed by a with-block",
    fix_title="Wrap the uses of the resource in a with-block",
)

EXAMPLES = (
    Invalid(
        "import sqlite3\n\ndef count(path):\n    conn = sqlite3.connect(path)\n"
        "    n = conn.execute('select count(*) from t').fetchone()[0]\n    conn.close()\n    return n\n",
        fixed="import sqlite3\nimport contextlib\n\ndef count(path):\n"
        "    with contextlib.closing(sqlite3.connect(path)) as conn:\n"
        "        n = conn.execute('select count(*) from t').fetchone()[0]\n    return n\n",
        safety=Safety.SAFE,
    ),
    Invalid(
        "from urllib.request import urlopen\n\ndef fetch(url):\n    return urlopen(url).read()\n",
        fixed="from urllib.request import urlopen\n\ndef fetch(url):\n"
        "    with urlopen(url) as resp:\n        return resp.read()\n",
        safety=Safety.SAFE,
    ),
    Invalid("import subprocess\n\ndef start(cmd):\n    proc = subprocess.Popen(cmd)\n    print(proc.pid)\n"),
    Valid("import sqlite3\n\ndef connect(path):\n    return sqlite3.connect(path)\n"),
    Valid("def connect(path):\n    return path\n\ndef use():\n    db = connect('x')\n    print(db)\n"),
)

_SQLITE = frozenset(
    {
        "commit", "rollback", "close", "fetchall", "fetchone", "fetchmany", "lastrowid", "rowcount",
        "total_changes", "in_transaction", "isolation_level", "create_function", "create_aggregate",
        "create_collation", "set_trace_callback", "interrupt",
    }
)  # fmt: skip
_SOCKET = FILE_RESULTS | frozenset(
    {
        "send", "sendall", "sendto", "recv", "recvfrom", "recv_into", "recvfrom_into", "connect",
        "connect_ex", "bind", "listen", "accept", "setsockopt", "getsockopt", "settimeout",
        "gettimeout", "setblocking", "getblocking", "getsockname", "getpeername", "shutdown",
        "family", "type", "proto", "close",
    }
)  # fmt: skip
_ZIP = FILE_RESULTS | frozenset(
    {
        "read", "namelist", "infolist", "getinfo", "extract", "extractall", "write", "writestr",
        "testzip", "printdir", "setpassword", "comment", "filename", "mkdir", "close",
    }
)  # fmt: skip
_TAR = FILE_RESULTS | frozenset(
    {"getmembers", "getnames", "getmember", "extract", "extractall", "add", "addfile", "list", "next", "name", "close"}
)
_RESPONSE = FILE_RESULTS | {"status", "getcode", "geturl", "url", "info", "headers", "getheader", "getheaders", "reason", "code", "msg"}
_PROCESS = FILE_RESULTS | frozenset({"wait", "communicate", "poll", "returncode", "pid", "args", "kill", "terminate", "send_signal"})
_WAITS = frozenset({"wait", "communicate"})

_TEMPDIR_NO_FIX = (
    "`with TemporaryDirectory() as x` binds the folder's path, not the object, and deletes the folder at the "
    "end of the block: rewrite the uses by hand"
)


def _spec(label: str, detached: FrozenSet[str], names: tuple = (), **kwargs: object) -> OpenerSpec:
    return OpenerSpec(label=label, detached=detached, names=names, **kwargs)  # type: ignore[arg-type]


SPECS: Dict[str, OpenerSpec] = {
    "sqlite3.connect": _spec(
        "sqlite3.connect()",
        _SQLITE,
        ("conn", "db"),
        exit_closes=False,
        exit_note="a connection's with-block only commits or rolls back",
    ),
    "socket.socket": _spec("socket.socket()", _SOCKET, ("sock",)),
    "socket.create_connection": _spec("socket.create_connection()", _SOCKET, ("sock",)),
    "tempfile.NamedTemporaryFile": _spec("tempfile.NamedTemporaryFile()", FILE_RESULTS, ("tmp",)),
    "tempfile.TemporaryFile": _spec("tempfile.TemporaryFile()", FILE_RESULTS, ("tmp",)),
    "tempfile.SpooledTemporaryFile": _spec("tempfile.SpooledTemporaryFile()", FILE_RESULTS | {"rollover"}, ("tmp",)),
    "tempfile.TemporaryDirectory": _spec(
        "tempfile.TemporaryDirectory()", frozenset(), ("tmp",), close_methods=frozenset({"cleanup"}), no_fix=_TEMPDIR_NO_FIX
    ),
    "zipfile.ZipFile": _spec("zipfile.ZipFile()", _ZIP, ("zf", "archive")),
    "tarfile.open": _spec("tarfile.open()", _TAR, ("tar", "archive")),
    "gzip.open": _spec("gzip.open()", PATH_FILE_RESULTS),
    "bz2.open": _spec("bz2.open()", PATH_FILE_RESULTS),
    "lzma.open": _spec("lzma.open()", PATH_FILE_RESULTS),
    "io.open": _spec("io.open()", PATH_FILE_RESULTS),
    "codecs.open": _spec("codecs.open()", PATH_FILE_RESULTS),
    "urllib.request.urlopen": _spec("urllib.request.urlopen()", _RESPONSE, ("resp", "response")),
    "subprocess.Popen": _spec(
        "subprocess.Popen()",
        _PROCESS,
        ("proc", "process"),
        close_methods=frozenset(),
        release_methods=frozenset({"wait", "communicate", "kill", "terminate"}),
    ),
    "pathlib.Path.open": _spec("Path.open()", PATH_FILE_RESULTS),
}
_PATH_CLASSES = frozenset({"pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath"})


class Detector(WithRewriteDetector):
    OPENERS = frozenset(SPECS)

    def opener_of(self, call: cst.Call) -> Optional[str]:
        found = super().opener_of(call)
        if found is not None:
            return found
        func = call.func  # Path(p).open(): a method of a freshly built path
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "open"
            and isinstance(func.value, cst.Call)
            and self.qualified(func.value.func) & _PATH_CLASSES
        ):
            return "pathlib.Path.open"
        return None

    def opener_spec(self, call: cst.Call, qualified: str) -> OpenerSpec:
        return SPECS[qualified]

    # -- Popen: its with-block waits for the process --------------------------------------------

    def refine_assigned(
        self, spec: OpenerSpec, call: cst.Call, name: str, block: cst.CSTNode, start: int, end: int, verdict: _Verdict
    ) -> None:
        if spec is not SPECS["subprocess.Popen"]:
            return
        body = list(block.body)  # type: ignore[attr-defined]
        waits = [c for statement in body[start + 1 : end + 1] for c in _calls_on(statement, name, _WAITS)]
        if not waits:
            verdict.refuse(
                f"the with-block of `Popen` waits for the process to exit, and `{name}` is never waited for: "
                "wrapping would block where the process runs in the background today"
            )
            return
        first = body[start + 1] if start + 1 < len(body) else None
        if first is not None and _is_immediate_wait(first, name):
            return
        if first is not None and _is_immediate_wait(first, name, timeout_ok=True):
            verdict.doubt(
                f"`{name}.{_method(waits[0])}()` at line {self.line_of(waits[0])} can time out, and Popen's with-block "
                "would then wait for the process without a timeout, where the original code leaves it running"
            )
            return
        verdict.doubt(
            f"an exception before `{name}.{_method(waits[0])}()` at line {self.line_of(waits[0])} would now wait for "
            "the process to exit (Popen's with-block waits), where the original code leaves it running"
        )

    def refine_inline(self, spec: OpenerSpec, call: cst.Call, statement: cst.CSTNode, verdict: _Verdict) -> None:
        if spec is not SPECS["subprocess.Popen"]:
            return
        parent = self.parent(call)
        outer = self.parent(parent) if parent is not None else None
        if (
            isinstance(parent, cst.Attribute)
            and parent.value is call
            and parent.attr.value in _WAITS
            and isinstance(outer, cst.Call)
            and _plain_wait(outer)
        ):
            return
        verdict.refuse(
            "the with-block of `Popen` waits for the process to exit, and this call never waits for it: "
            "wrapping would block where the process runs in the background today"
        )


def _method(call: cst.Call) -> str:
    assert isinstance(call.func, cst.Attribute)
    return call.func.attr.value


def _calls_on(statement: cst.CSTNode, name: str, methods: FrozenSet[str]) -> List[cst.Call]:
    """Calls ``name.<method>(...)`` in ``statement``, outside nested functions and lambdas."""
    found: List[cst.Call] = []

    class _Visitor(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if calls_method_on(node, name, methods):
                found.append(node)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

    statement.visit(_Visitor())
    return found


def _plain_wait(call: cst.Call, timeout_ok: bool = False) -> bool:
    """``wait()`` / ``communicate(data)`` that cannot time out (unless ``timeout_ok``) and runs
    no other call first."""

    class _HasCall(cst.CSTVisitor):
        seen = False

        def visit_Call(self, node: cst.Call) -> None:
            self.seen = True

    if not timeout_ok:
        if any(arg.keyword is not None and arg.keyword.value == "timeout" for arg in call.args):
            return False
        if _method(call) == "wait" and call.args:
            return False  # wait(timeout) positionally
        if _method(call) == "communicate" and len([a for a in call.args if a.keyword is None]) > 1:
            return False  # communicate(input, timeout)
    probe = _HasCall()
    for arg in call.args:
        arg.value.visit(probe)
    return not probe.seen


def _is_immediate_wait(statement: cst.CSTNode, name: str, timeout_ok: bool = False) -> bool:
    """``name.wait()`` / ``out, err = name.communicate(...)`` as the whole statement."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return False
    small = statement.body[0]
    value = small.value if isinstance(small, (cst.Expr, cst.Assign)) else None
    while isinstance(value, cst.Subscript):
        value = value.value
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and isinstance(value.func.value, cst.Name)
        and value.func.value.value == name
        and value.func.attr.value in _WAITS
        and _plain_wait(value, timeout_ok)
    )


class Transformer(WithRewriteTransformer):
    pass


_MODULES = frozenset(
    {"sqlite3", "socket", "tempfile", "zipfile", "tarfile", "gzip", "bz2", "lzma", "io", "codecs", "urllib", "subprocess", "pathlib"}
)
_ATTRS = frozenset(
    {
        "connect", "socket", "create_connection", "NamedTemporaryFile", "TemporaryFile",
        "SpooledTemporaryFile", "TemporaryDirectory", "ZipFile", "open", "urlopen", "Popen",
    }
)  # fmt: skip


def _ast_filter(tree: Union[ast.Module, AstIndex]) -> FilterResult:
    """Some call names an opener through an import of its module: `alias.attr(...)` on an imported
    module, a name imported from one (`db(...)`), or `.open()` on a path built by such a call.
    A handle's analysis stays in the function that opens it, as for MF301.

    Then the calls the detector certainly does not report are dropped (see
    ``_resource_filter``): those whose every possible qualified name is no opener, and those
    managed by a with-item, ``closing()`` or ``enter_context()``, or returned to the caller."""
    index = AstIndex.of(tree)
    modules: Set[str] = set()
    names: Set[str] = set()
    for node in index.nodes(ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] in _MODULES:
                modules.add(alias.asname or alias.name.split(".")[0])
    for node in index.nodes(ast.ImportFrom):
        if node.module and node.module.split(".")[0] in _MODULES:
            names.update(alias.asname or alias.name for alias in node.names)
    # a module bound by assignment (`gzip = import_module("gzip")`) has the same qualified name
    modules.update(
        target.id
        for node in index.nodes(ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id in _MODULES
    )
    if not modules and not names:
        return False
    calls: List[ast.Call] = []  # with-items too: `with sqlite3.connect(p) as c:` never closes c
    for node in index.nodes(ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in names:
            calls.append(node)
        elif isinstance(func, ast.Attribute) and func.attr in _ATTRS:
            root = func.value
            if isinstance(root, ast.Call) and func.attr == "open":
                root = root.func  # Path(p).open()
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and (root.id in modules or root.id in names):
                calls.append(node)
    return with_callees(index, enclosing_functions(index.tree, _reportable(index, calls)))


#: first components of the qualified names the filter compares against: a class named like one
#: of them would give its body's names that prefix
_ROOTS = frozenset(name.split(".")[0] for name in (*SPECS, *_PATH_CLASSES, *CONSUMERS)) | {"builtins"}
_UNCLOSED_BY_WITH = frozenset(name for name, spec in SPECS.items() if not spec.exit_closes)


def _reportable(index: AstIndex, calls: List[ast.Call]) -> List[ast.Call]:
    """``calls`` without those ``Detector.visit_Call`` certainly does not report."""
    if not calls:
        return calls
    qualified = QualifiedNames(index, _ROOTS)
    if not qualified.complete:
        return calls

    def opener_names(call: ast.Call) -> Set[str]:
        func = call.func
        root: ast.AST = func
        while isinstance(root, ast.Attribute):
            root = root.value
        found = qualified.of(func) & Detector.OPENERS if isinstance(root, ast.Name) else set()
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "open"
            and isinstance(func.value, ast.Call)
            and qualified.of(func.value.func) & _PATH_CLASSES
        ):
            found.add("pathlib.Path.open")
        return found

    def maybe_consumer(call: ast.Call) -> bool:
        return bool(qualified.of(call.func) & CONSUMERS)

    openers = [(call, opener_names(call)) for call in calls]
    openers = [(call, found) for call, found in openers if found]
    if not openers:
        return []
    places = ancestors(index, [call for call, _ in openers])
    kept: List[ast.Call] = []
    for call, found in openers:
        place = places.get(id(call))
        if place is None:
            kept.append(call)  # not found where expected: keep it
            continue
        stmt, chain = place
        if not managed_or_returned(call, stmt, chain, MANAGING_METHODS, maybe_consumer, bool(found & _UNCLOSED_BY_WITH)):
            kept.append(call)
    return kept


FIXER = Fixer(
    rule=RULE,
    doc=__doc__ or "",
    examples=EXAMPLES,
    detector=Detector,
    transformer=Transformer,
    needles=(
        b"sqlite3",
        b"socket",
        b"tempfile",
        b"zipfile",
        b"tarfile",
        b"gzip",
        b"bz2",
        b"lzma",
        b"io.open",
        b"from io import",
        b"codecs",
        b"urlopen",
        b"Popen",
        b"pathlib",
    ),
    ast_filter=_ast_filter,
)
