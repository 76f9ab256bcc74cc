"""The ast pre-filters of MF301, MF302, MF201 and MF202 drop what their detectors certainly do not report.

Each case is checked twice: what the filter keeps (dropped: falsy, or no region around the call),
and what the detector says on the whole file without any pre-filter, so a case cannot pass by
pinning a filter that loses findings. Near misses (one detail away from a dropped case) must stay.
"""

from __future__ import annotations

import ast
import textwrap
from typing import List

import pytest

from memfix import engine
from memfix.astindex import AstIndex
from memfix.config import Settings
from memfix.fixers import FIXERS, open_without_with, resource_without_with, unbounded_dict_cache, unbounded_lru_cache
from memfix.prefilter import Regions

SETTINGS = Settings(cache=False, unsafe_fixes=True)


def _findings(code: str, rule: str) -> List[int]:
    fixers = [f for f in FIXERS if f.rule.code == rule]
    detection = engine.detect(code, "case.py", SETTINGS, fixers, prefilter=False)
    return sorted(f.span.line for f in detection.findings if f.code == rule)


def _kept_functions(result: object) -> List[str]:
    assert isinstance(result, Regions), result
    return sorted(getattr(n, "name", type(n).__name__) for n in result.nodes)


# -- MF302 --------------------------------------------------------------------------------------

DROPPED_302 = {
    "not an opener, imported from an opener's module": """
        from tempfile import mkdtemp
        def f():
            d = mkdtemp()
            print(d)
        """,
    "not an opener, an attribute of an opener's module": """
        import tarfile
        def f(p):
            t = tarfile.TarFile.open(p)
            print(t)
        """,
    "a with-item": """
        import tempfile
        def f():
            with tempfile.TemporaryDirectory() as d:
                print(d)
        """,
    "inside closing()": """
        import contextlib, sqlite3
        def f(p):
            with contextlib.closing(sqlite3.connect(p)) as c:
                c.execute("select 1")
        """,
    "given to enter_context()": """
        import socket
        def f(stack):
            s = stack.enter_context(socket.socket())
            s.connect(("h", 1))
        """,
    "a lambda's body": """
        import sqlite3
        def f(p):
            g = lambda: sqlite3.connect(p)
            return g
        """,
    "returned": """
        from urllib.request import urlopen
        def f(u):
            return urlopen(u)
        """,
    "returned through a call that is no consumer": """
        import gzip
        def f(p):
            return wrap(gzip.open(p))
        """,
    "yielded": """
        import gzip
        def f(p):
            yield gzip.open(p)
        """,
}

KEPT_302 = {
    "a method of the returned handle": """
        from urllib.request import urlopen
        def f(u):
            return urlopen(u).read()
        """,
    "returned through a consumer": """
        import gzip, json
        def f(p):
            return json.load(gzip.open(p))
        """,
    "with sqlite3.connect(): its with-block does not close": """
        import sqlite3
        def f(p):
            with sqlite3.connect(p) as c:
                c.execute("select 1")
        """,
    "a module bound by assignment": """
        import importlib
        gzip = importlib.import_module("gzip")
        def f(p):
            data = gzip.open(p).read()
            print(data)
        """,
    "an aliased import": """
        import tempfile as tf
        def f():
            t = tf.NamedTemporaryFile()
            t.write(b"x")
        """,
    "a path opened": """
        from pathlib import Path
        def f(p):
            print(Path(p).open().read())
        """,
}


@pytest.mark.parametrize("code", KEPT_302.values(), ids=list(KEPT_302))
def test_mf302_keeps_near_misses(code):
    code = textwrap.dedent(code)
    assert _findings(code, "MF302")
    assert _kept_functions(resource_without_with.FIXER.ast_filter(AstIndex(ast.parse(code)))) == ["f"]


def test_mf302_regions_hold_only_functions_with_a_reportable_call():
    code = textwrap.dedent(
        """
        import gzip
        from io import StringIO

        def managed(p):
            with gzip.open(p) as f:
                return f.read()

        def buffer():
            return StringIO().getvalue()

        def leaky(p):
            f = gzip.open(p)
            data = f.read()
            f.close()
            return data
        """
    )
    assert _findings(code, "MF302") == [13]
    assert _kept_functions(resource_without_with.FIXER.ast_filter(AstIndex(ast.parse(code)))) == ["leaky"]


def test_mf302_keeps_everything_when_a_class_is_named_like_a_module():
    # a class body's names qualify behind the class name: `class gzip: open = ...` could make
    # a bare `open()` in that body `gzip.open`
    code = "import tempfile\nclass tempfile:\n    pass\ndef f():\n    return tempfile.TemporaryFile()\n"
    assert resource_without_with.FIXER.ast_filter(AstIndex(ast.parse(code)))


# -- MF201 --------------------------------------------------------------------------------------

_MEMO = """
    _cache = {}

    def get(key):
        if key not in _cache:
            _cache[key] = compute(key)
        return _cache[key]
    """

DROPPED_201 = {
    "filled at import time only": """
        _TABLE = {}
        for code in range(100):
            _TABLE[code] = str(code)

        def text(code):
            return _TABLE.get(code)
        """,
    "a module dict cleared in a function": _MEMO + "\n    def reset():\n        _cache.clear()\n",
    "a module dict with a key deleted": _MEMO + "\n    def forget(key):\n        del _cache[key]\n",
    "an instance dict cleared in its own method": """
        class Resolver:
            def __init__(self):
                self.cache = {}

            def resolve(self, host):
                if host not in self.cache:
                    self.cache[host] = lookup(host)
                return self.cache[host]

            def flush(self):
                self.cache.clear()
        """,
    "an instance dict re-bound in its own method": """
        class Resolver:
            def __init__(self):
                self.cache = {}

            def resolve(self, host):
                if host not in self.cache:
                    self.cache[host] = lookup(host)
                return self.cache[host]

            def reset(self):
                self.cache = {}
        """,
    "an instance dict evicted from outside": """
        class Resolver:
            def __init__(self):
                self.cache = {}

            def resolve(self, host):
                if host not in self.cache:
                    self.cache[host] = lookup(host)
                return self.cache[host]

        def flush(resolver):
            resolver.cache.pop("localhost", None)
        """,
    "a class dict cleared through the class": """
        class Registry:
            memo = {}

            def get(self, key):
                if key not in self.memo:
                    self.memo[key] = compute(key)
                return self.memo[key]

        def reset():
            Registry.memo.clear()
        """,
    "an instance dict written only through a local alias": """
        class Profile:
            def __init__(self):
                self.timings = {}

            def trace(self, fn):
                timings = self.timings
                if fn in timings:
                    return timings[fn]
                timings[fn] = compute(fn)
                return timings[fn]
        """,
    "an instance dict named like a local that is written": """
        class Decoder:
            def __init__(self):
                self.memo = {}

            def decode(self, s):
                return self.memo.get(s)

        def scan(s, memo):
            memo_get = memo.setdefault
            memo[s] = memo_get(s, s)
        """,
    "a module dict named like an attribute that is written": """
        cache = {}

        def get(self, key):
            if key in cache:
                return cache[key]
            self.cache[key] = compute(key)
        """,
    "a closure's dict written only by its own function": """
        def make(items):
            seen = {}
            for item in items:
                seen[item] = True
            def has(item):
                return item in seen
            return has
        """,
}

KEPT_201 = {
    "a memo": _MEMO,
    "cleared through a parameter of the same name": _MEMO + "\n    def reset(_cache):\n        _cache.clear()\n",
    "cleared in a function that binds the name": _MEMO + "\n    def reset():\n        _cache = {}\n        _cache.clear()\n",
    "a slice deleted": _MEMO + "\n    def forget(key):\n        del _cache[key:]\n",
    "an attribute of the same name cleared on another class's self": """
        class Resolver:
            def __init__(self):
                self.cache = {}

            def resolve(self, host):
                if host not in self.cache:
                    self.cache[host] = lookup(host)
                return self.cache[host]

        class Other:
            def flush(self):
                self.cache.clear()
        """,
    "an instance dict's name cleared on cls in a classmethod": """
        class Resolver:
            def __init__(self):
                self.cache = {}

            def resolve(self, host):
                if host not in self.cache:
                    self.cache[host] = lookup(host)
                return self.cache[host]

            @classmethod
            def flush(cls):
                cls.cache.clear()
        """,
    "a class dict written through the class": """
        class Registry:
            memo = {}

            def get(self, key):
                if key not in Registry.memo:
                    Registry.memo[key] = compute(key)
                return Registry.memo[key]
        """,
    "an instance dict written through self": """
        class Resolver:
            def __init__(self):
                self.cache = {}

            def resolve(self, host):
                if host not in self.cache:
                    self.cache[host] = lookup(host)
                return self.cache[host]
        """,
    "a closure's dict written by a nested function": """
        def make():
            memo = {}
            def get(key):
                if key not in memo:
                    memo[key] = compute(key)
                return memo[key]
            return get
        """,
}


# -- MF202 --------------------------------------------------------------------------------------

DROPPED_202 = {
    "lru_cache() called bare": """
        import functools
        def _select(parts):
            return parts
        _select = functools.lru_cache()(_select)
        """,
    "a bounded decorator": """
        from functools import lru_cache
        @lru_cache(maxsize=256)
        def parse(text):
            return text.split()
        """,
    "a bounded positional size": """
        import functools
        @functools.lru_cache(64, typed=True)
        def parse(text):
            return text.split()
        """,
    "a size held by a name": """
        import functools
        SIZE = None
        @functools.lru_cache(maxsize=SIZE)
        def parse(text):
            return text.split()
        """,
    "bare lru_cache": """
        from functools import lru_cache
        @lru_cache
        def parse(text):
            return text.split()
        """,
    "lru_cache under another name": """
        from functools import lru_cache as memo
        @memo
        def parse(text):
            return text.split()
        """,
    "only a starred size": """
        import functools
        def make(args):
            return functools.lru_cache(*args)
        """,
}

KEPT_202 = {
    "cache": """
        import functools
        @functools.cache
        def parse(text):
            return text.split()
        """,
    "maxsize=None": """
        from functools import lru_cache
        @lru_cache(maxsize=None)
        def parse(text):
            return text.split()
        """,
    "None given first": """
        import functools
        @functools.lru_cache(None, typed=True)
        def parse(text):
            return text.split()
        """,
    "maxsize=None after a starred argument": """
        import functools
        @functools.lru_cache(*(), maxsize=None)
        def parse(text):
            return text.split()
        """,
    "called on a function": """
        import functools
        def parse(text):
            return text.split()
        parse = functools.lru_cache(maxsize=None)(parse)
        """,
    "cache imported as lru_cache": """
        from functools import cache as lru_cache
        @lru_cache
        def parse(text):
            return text.split()
        """,
    "cache called on a function": """
        from functools import cache
        def parse(text):
            return text.split()
        parse = cache(parse)
        """,
}


# -- MF301 --------------------------------------------------------------------------------------

DROPPED_301 = {
    "returned": """
        def create(path):
            return open(path, "wb")
        """,
    "returned in a tuple": """
        def script(fd):
            return "text", open(fd, encoding="utf-8")
        """,
    "a lambda's body": """
        def opener(path):
            return lambda: open(path)
        """,
    "inside closing()": """
        import contextlib
        def read(path):
            with contextlib.closing(open(path)) as f:
                return f.read()
        """,
    "given to enter_context()": """
        def read(stack, path):
            f = stack.enter_context(open(path))
            return f.read()
        """,
}

KEPT_301 = {
    "returned after a read": """
        def read(path):
            return open(path).read()
        """,
    "returned through a consumer": """
        import json
        def config(path):
            return json.load(open(path))
        """,
    "a named handle returned later": """
        def first(path):
            f = open(path)
            line = f.readline()
            f.close()
            return line
        """,
}


DROPPED = [
    *((open_without_with.FIXER, name, code) for name, code in DROPPED_301.items()),
    *((resource_without_with.FIXER, name, code) for name, code in DROPPED_302.items()),
    *((unbounded_dict_cache.FIXER, name, code) for name, code in DROPPED_201.items()),
    *((unbounded_lru_cache.FIXER, name, code) for name, code in DROPPED_202.items()),
]


@pytest.mark.parametrize("fixer, name, code", DROPPED, ids=[f"{f.code}-{n}" for f, n, _ in DROPPED])
def test_filters_drop_what_the_detector_cannot_report(fixer, name, code):
    code = textwrap.dedent(code)
    assert _findings(code, fixer.code) == []
    assert not fixer.ast_filter(AstIndex(ast.parse(code)))


KEPT = [
    *((open_without_with.FIXER, name, code) for name, code in KEPT_301.items()),
    *((unbounded_dict_cache.FIXER, name, code) for name, code in KEPT_201.items()),
    *((unbounded_lru_cache.FIXER, name, code) for name, code in KEPT_202.items()),
]


@pytest.mark.parametrize("fixer, name, code", KEPT, ids=[f"{f.code}-{n}" for f, n, _ in KEPT])
def test_filters_keep_near_misses(fixer, name, code):
    """MF302's near misses are checked more closely (which functions stay), above."""
    code = textwrap.dedent(code)
    assert _findings(code, fixer.code)
    assert fixer.ast_filter(AstIndex(ast.parse(code)))
