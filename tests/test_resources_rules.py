"""MF302 and MF401 behaviour that fixtures show poorly: safety classes and reasons, name
resolution, the cheap pre-filters, and MF301/MF302 working on one file."""

from __future__ import annotations

import ast
import textwrap

import libcst as cst
import pytest

from memfix.api import fix_source, scan_source
from memfix.config import Settings
from memfix.fixers import resource_without_with, unbounded_queue
from memfix.model import Confidence, Safety


def _scan(code: str, *codes: str):
    return scan_source(textwrap.dedent(code), Settings(select=codes or ("MF302",), cache=False))


def _fix(code: str, *codes: str, unsafe: bool = False):
    settings = Settings(select=codes or ("MF302",), cache=False, unsafe_fixes=unsafe)
    return fix_source(textwrap.dedent(code), settings)


# -- MF302 ------------------------------------------------------------------------------------


def test_popen_that_waits_first_is_safe_and_keeps_the_wait():
    result = _fix(
        """
        import subprocess

        def run(cmd):
            proc = subprocess.Popen(cmd)
            code = proc.wait()
            print(code)
        """
    )
    (finding,) = result.findings
    assert finding.fix is not None and finding.fix.safety is Safety.SAFE
    assert "with subprocess.Popen(cmd) as proc:\n        code = proc.wait()\n" in result.text


def test_popen_never_waited_is_reported_without_fix():
    (finding,) = _scan(
        """
        import subprocess

        def spawn(cmd):
            proc = subprocess.Popen(cmd)
            proc.poll()
        """
    )
    assert finding.fix is None
    assert "never waited for" in finding.message


def test_popen_wait_after_other_work_is_unsafe_and_says_why():
    (finding,) = _scan(
        """
        import subprocess

        def run(cmd, data):
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
            proc.stdin.write(data)
            proc.stdin.close()
            return proc.wait()
        """
    )
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    assert "would now wait for the process" in finding.message


def test_temporary_directory_is_never_rewritten():
    result = _fix(
        """
        import tempfile

        def build():
            tmp = tempfile.TemporaryDirectory()
            print(tmp.name)
            tmp.cleanup()
        """,
        unsafe=True,
    )
    (finding,) = result.findings
    assert finding.fix is None and "binds the folder's path" in finding.message
    assert not result.changed


def test_sqlite_uses_an_existing_contextlib_import():
    result = _fix(
        """
        import contextlib
        import sqlite3

        def rows(path):
            conn = sqlite3.connect(path)
            data = conn.execute("select 1").fetchall()
            conn.close()
            return data
        """
    )
    assert result.text.count("import contextlib") == 1
    assert "with contextlib.closing(sqlite3.connect(path)) as conn:" in result.text


def test_sqlite_with_contextlib_taken_by_another_module_gets_no_fix():
    result = _fix(
        """
        import sqlite3
        from mylib import helpers as contextlib

        def rows(path):
            conn = sqlite3.connect(path)
            data = conn.execute("select 1").fetchall()
            conn.close()
            return data
        """,
        unsafe=True,
    )
    (finding,) = result.findings
    assert finding.fix is None and "`contextlib` names something else" in finding.message
    assert not result.changed


def test_cursor_extends_the_block_to_its_last_use():
    result = _fix(
        """
        import sqlite3

        def names(path):
            conn = sqlite3.connect(path)
            cur = conn.cursor()
            print("querying")
            cur.execute("select name from t")
            return [r[0] for r in cur]
        """
    )
    assert result.changed
    body = result.text.split("as conn:\n", 1)[1]
    assert "        return [r[0] for r in cur]" in body  # the cursor's last use is inside the block


def test_open_stays_mf301_and_io_open_is_mf302():
    findings = _scan(
        """
        import io

        def both(path):
            a = open(path).read()
            b = io.open(path).read()
            return a + b
        """,
        "MF301",
        "MF302",
    )
    assert sorted((f.code, f.span.line) for f in findings) == [("MF301", 5), ("MF302", 6)]


def test_mf301_and_mf302_fixes_together_verify():
    result = _fix(
        """
        import json
        import sqlite3

        def load(path, db):
            f = open(path)
            cfg = json.load(f)
            f.close()
            conn = sqlite3.connect(db)
            conn.execute("insert into cfg values (?)", (cfg["name"],))
            conn.commit()
            conn.close()
        """,
        "MF301",
        "MF302",
    )
    assert result.error is None
    assert result.verify is not None and result.verify.ok, result.verify
    assert "with open(path) as f:" in result.text
    assert "with contextlib.closing(sqlite3.connect(db)) as conn:" in result.text
    compile(result.text, "<fixed>", "exec")


@pytest.mark.parametrize(
    "code, expected",
    [
        ("import sqlite3\nc = sqlite3.connect('x')\n", True),
        ("from sqlite3 import connect as db\nc = db('x')\n", True),
        ("from pathlib import Path\nt = Path('x').open().read()\n", True),
        ("import tempfile as tf\nt = tf.mkdtemp()\n", False),
        ("def connect(p):\n    return p\nc = connect('x')\n", False),
        ("import json\nx = json.loads('1')\n", False),
    ],
)
def test_mf302_ast_filter(code, expected):
    # True or Regions (truthy) keep the rule; False drops it
    assert bool(resource_without_with.FIXER.ast_filter(ast.parse(code))) is expected


def test_mf302_needles_skip_unrelated_files():
    needles = resource_without_with.FIXER.needles
    assert not any(n in b"def connect(p):\n    return open(p)\n" for n in needles)
    assert any(n in b"from urllib.request import urlopen\n" for n in needles)


# -- MF401 ------------------------------------------------------------------------------------


def test_queue_message_says_what_a_bound_changes():
    (thread_q,) = _scan("import queue\nQ = queue.Queue()\ndef f(x):\n    Q.put(x)\n", "MF401")
    assert "`put()` block" in thread_q.message and "queue.Full" in thread_q.message
    (async_q,) = _scan("import asyncio\nQ = asyncio.Queue(0)\nasync def f(x):\n    await Q.put(x)\n", "MF401")
    assert "asyncio.QueueFull" in async_q.message and "wait for a free slot" in async_q.message
    assert thread_q.fix is None and async_q.fix is None


def test_queue_confidence_follows_owner_lifetime():
    findings = _scan(
        """
        import queue
        import threading

        class Pump:
            def __init__(self):
                self.q = queue.Queue()
                threading.Thread(target=self.run).start()

            def run(self):
                self.q.put(1)

        class Plain:
            def __init__(self):
                self.q = queue.Queue()

            def add(self, x):
                self.q.put(x)
        """,
        "MF401",
    )
    by_symbol = {f.symbol: f.confidence for f in findings}
    assert by_symbol == {"Pump.q": Confidence.HIGH, "Plain.q": Confidence.MEDIUM}


def test_queue_without_put_or_with_a_bound_is_not_reported():
    assert not _scan("import queue\nQ = queue.Queue()\ndef f():\n    return Q.get()\n", "MF401")
    assert not _scan("import queue\nQ = queue.Queue(8)\ndef f(x):\n    Q.put(x)\n", "MF401")


@pytest.mark.parametrize(
    "code, expected",
    [
        ("import queue\nQ = queue.Queue()\nQ.put(1)\n", True),
        ("from asyncio import Queue as AQ\nQ = AQ()\nQ.put_nowait(1)\n", True),
        ("import queue\nQ = queue.Queue()\nQ.get()\n", False),
        ("class Queue:\n    pass\nQ = Queue()\nQ.put(1)\n", False),
    ],
)
def test_mf401_ast_filter(code, expected):
    assert bool(unbounded_queue.FIXER.ast_filter(ast.parse(code))) is expected


@pytest.mark.parametrize(
    "head, call",
    [
        ("from sqlite3 import connect as opendb", "opendb(path)"),
        ("import sqlite3 as db", "db.connect(path)"),
        ("from socket import socket as Sock", "Sock()"),
        ("from sqlite3 import connect", "connect(path)"),
    ],
)
def test_openers_are_found_under_any_import_name(head, call):
    result = _scan(f"{head}\n\ndef load(path):\n    conn = {call}\n    conn.execute('x')\n")
    assert [f.code for f in result] == ["MF302"]


def test_calls_that_cannot_be_openers_are_not_looked_up(monkeypatch):
    # a scope lookup per call of the file was most of MF301/MF302's time: only a call whose last
    # name is an opener's, or a name an import renamed, is resolved
    from memfix.fixers import _with_rewrite

    asked = []
    original = _with_rewrite.WithRewriteDetector.qualified

    def qualified(self, node):
        asked.append(node.attr.value if isinstance(node, cst.Attribute) else getattr(node, "value", None))
        return original(self, node)

    monkeypatch.setattr(_with_rewrite.WithRewriteDetector, "qualified", qualified)
    calls = "\n".join(f"    helper{i}(x).method{i}()" for i in range(50))
    result = _scan(f"import sqlite3\nfrom os import path as p\n\ndef load(x):\n{calls}\n    conn = sqlite3.connect(x)\n    p(x)\n", "MF302")
    assert [f.code for f in result] == ["MF302"]
    assert "connect" in asked and "p" in asked
    assert not any(name.startswith(("helper", "method")) for name in asked if name)
