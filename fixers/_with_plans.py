"""The plans MF301 and MF302 hand from the shared with-block analysis (``_with_rewrite``) to its
transformer (``_with_transform``), and ``OpenerSpec``, how one kind of closeable behaves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet, Optional, Tuple

import libcst as cst

from memfix.fixer import FixPlan

#: methods that put their argument somewhere that outlives the statement
STORING_METHODS: FrozenSet[str] = frozenset(
    {"append", "appendleft", "extend", "add", "insert", "put", "put_nowait", "register", "setdefault", "update", "push"}
)

#: file-object methods and attributes whose results are plain data. The resource specs include
#: them too, for the file objects their resources hand out (`sock.makefile()`, `zf.open(n)`,
#: `proc.stdout`): the stream itself stays tracked, what it reads is data. Not here, so followed
#: like the handle: `fileno()` (a descriptor the with-block closes), `buffer`, `raw`, `detach()`
FILE_RESULTS: FrozenSet[str] = frozenset(
    {
        "read", "read1", "readline", "readlines", "readinto", "readinto1", "write", "writelines",
        "seek", "tell", "flush", "truncate", "readable", "writable", "seekable", "isatty", "closed",
        "mode", "encoding", "errors", "newlines", "peek", "close",
    }
)  # fmt: skip
#: a file opened by path: `name` is that path, which outlives the handle
PATH_FILE_RESULTS: FrozenSet[str] = FILE_RESULTS | {"name"}


@dataclass(frozen=True)
class OpenerSpec:
    """How one kind of closeable behaves; the defaults describe a file from ``open()`` (MF301).

    ``close_methods``: an explicit ``h.<method>()`` statement the with-block replaces.
    ``release_methods``: calls that already release the handle when made in a ``finally:``
    (default: ``close_methods``). ``exit_closes``: False when the object's own ``__exit__`` does
    not close it (``sqlite3.Connection`` commits or rolls back): the with-item is then wrapped in
    ``contextlib.closing``, and a bare ``with`` on it is reported. ``detached``: the names of the
    handle's methods and attributes whose results do not depend on the resource staying open
    (a file's ``read()`` returns data); any other result (``f.fileno()``, ``conn.cursor()``,
    ``tmp.name``, ``proc.stdout``), and a method of the handle that is kept rather than called
    (``read = f.readline``), is followed like the handle itself: every use of it must fall inside
    the with-block too. ``no_fix``: reported, never rewritten.
    """

    label: str
    close_methods: FrozenSet[str] = frozenset({"close"})
    release_methods: Optional[FrozenSet[str]] = None
    exit_closes: bool = True
    detached: FrozenSet[str] = PATH_FILE_RESULTS
    no_fix: str = ""
    #: names tried first for the with-target of an inline call ("conn", "sock")
    names: Tuple[str, ...] = ()
    #: what the object's own with-block does instead of closing (when ``exit_closes`` is False)
    exit_note: str = ""

    @property
    def released_by(self) -> FrozenSet[str]:
        return self.close_methods if self.release_methods is None else self.release_methods


@dataclass(frozen=True)
class NestClosingPlan(FixPlan):
    """``with opener() as name:`` -> ``with closing(opener()) as name, name:``: the object's own
    with-block still runs (a sqlite3 commit), then ``closing`` closes it."""

    item: Optional[cst.WithItem] = None
    name: str = ""
    wrapper: str = ""
    wrapper_import: Optional[Tuple[str, Optional[str]]] = None


@dataclass(frozen=True)
class WithPlan(FixPlan):
    """Wrap ``block.body[start..end]`` in ``with <call> as <name>:``.

    ``assigned``: the first statement is ``name = call`` and is replaced by the with header;
    otherwise the statement at ``start`` contains ``call`` inline and ``call`` becomes ``name``.
    ``discarded``: that statement is the call alone (``open(p)`` for its error): the with-item
    takes no name and the statement becomes ``pass``.
    """

    block: Optional[cst.CSTNode] = None  # IndentedBlock or Module
    start: int = 0
    end: int = 0
    call: Optional[cst.Call] = None
    name: str = ""
    assigned: bool = False
    discarded: bool = False
    close_index: Optional[int] = None
    #: dotted name the with-item is wrapped in ("contextlib.closing"), and the import it needs
    wrapper: str = ""
    wrapper_import: Optional[Tuple[str, Optional[str]]] = None
