"""QA round 2: MF202 called ``lru_cache(maxsize=None)``/``cache`` -> ``lru_cache(maxsize=N)`` safe
for functions whose recomputation after an eviction is observable. A bound re-runs the body for an
evicted key, so it is safe only when the body is a pure function of its arguments. Found:
- a body with a side effect (``CALLS.append(n)``, ``print``, ``global``): it ran again;
- a per-key factory returning an instance of a class of the module (``return Conn(name)``):
  ``get_conn("db") is get_conn("db")`` turned False after an eviction;
- a body reading mutable module state (``STATE["scale"]``, or ``SCALE`` re-bound through
  ``global`` in another function, which the pre-filter's slice used to drop): the recomputed value
  differed.
Each program runs before and after the fix at max-len 3.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from memfix.api import fix_source
from memfix.config import Settings
from memfix.model import Safety
from memfix.testing import assert_same_behaviour

SIDE_EFFECT = """\
import functools

CALLS = []


@functools.lru_cache(maxsize=None)
def square(n):
    CALLS.append(n)
    return n * n


for i in range(6):
    square(i)
for i in range(6):
    square(i)
print(CALLS)
"""

PRINTS = """\
from functools import cache


@cache
def load(n):
    print("loading", n)
    return n + 1


for i in list(range(5)) * 2:
    load(i)
"""

FACTORY = """\
from functools import lru_cache


class Conn:
    def __init__(self, name):
        self.name = name


@lru_cache(maxsize=None)
def get_conn(name):
    return Conn(name)


a = get_conn("db")
for n in "wxyzq":
    get_conn(n)
print(a is get_conn("db"))
"""

MUTABLE_STATE = """\
from functools import cache

STATE = {"scale": 1}


@cache
def scaled(n):
    return n * STATE["scale"]


print(scaled(2))
STATE["scale"] = 10
for i in range(5, 10):
    scaled(i)
print(scaled(2))
"""

REBOUND_GLOBAL = """\
from functools import cache

SCALE = 1


@cache
def scaled(n):
    return n * SCALE


def unrelated():
    return 42


def configure(s):
    global SCALE
    SCALE = s


print(scaled(2))
configure(10)
for i in range(5, 10):
    scaled(i)
print(scaled(2), unrelated())
"""

# negative case: a pure memo reading a constant keeps its safe fix
PURE = """\
from functools import cache

FACTOR = 3


@cache
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@cache
def times(n):
    return n * FACTOR


print(fib(30), [times(i) for i in range(10)])
"""

CASES = {
    "side-effect": SIDE_EFFECT,
    "prints": PRINTS,
    "factory": FACTORY,
    "mutable-state": MUTABLE_STATE,
    "rebound-global": REBOUND_GLOBAL,
}


def _result(code: str):
    result = fix_source(code, Settings(select=("MF202",), cache=False, max_len=3))
    assert result.error is None
    return result


@pytest.mark.parametrize("code", [*CASES.values(), PURE], ids=[*CASES, "pure"])
def test_safe_fix_keeps_behaviour(tmp_path: Path, code: str):
    assert_same_behaviour(tmp_path, code, _result(code).text)


@pytest.mark.parametrize("code", list(CASES.values()), ids=list(CASES))
def test_observable_recomputation_makes_the_fix_unsafe(code: str):
    findings = _result(code).findings
    assert findings, "still reported"
    assert all(f.fix is not None and f.fix.safety is Safety.UNSAFE for f in findings)


def test_pure_memos_stay_safe():
    result = _result(PURE)
    assert len(result.findings) == 2
    assert all(f.fix is not None and f.fix.safety is Safety.SAFE for f in result.findings)
    assert result.text.count("lru_cache(maxsize=3)") == 2
