"""MF201 and MF202 ask one question of the module state a memo reads (``ModuleState`` in
memfix.fixers._cache_analysis): may it hold something else when an evicted entry is recomputed?
Each rule used to answer it its own way, and each twin missed what the other caught:

- MF202 counted bindings of the name, so a name bound only inside a function (``global SCALE``
  then ``SCALE = s``: one binding) read as constant, and the bound ``@cache`` was called safe;
- MF201 looked only for ``global`` declarations, so a memo reading a module dict that another
  function fills, or a name bound twice at import, was called a safe memo;
- the pre-filters kept different code: MF201's dropped the ``global`` declarations when its only
  candidates were closures, MF202's kept only the statements spelling names bound by top-level
  assignments (a binding under ``try`` let it stub the function declaring ``global``), so with the
  pre-filter on, both reported a safe fix that the whole file showed unsafe.

Every program below prints what the unbounded memo returns; applied with max-len 3 (the
``--unsafe-fixes`` way) the bounded memo prints something else, which is why the fix must not be
called safe. The near misses (a local or an attribute spelled like the changing name, a constant)
keep their safe fix, and it keeps behaviour.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from memfix import engine
from memfix.api import fix_source
from memfix.config import Settings
from memfix.fixers import FIXERS
from memfix.model import Safety
from memfix.testing import assert_same_behaviour, run_program

#: calls from a function, so the memo runs after import (MF201 ignores import-time-only writers)
_DRIVE = """

def main():
    configure(1)
    out = [scaled(2)]
    configure(10)
    out += [scaled(i) for i in range(5, 10)]
    out.append(scaled(2))
    print(out)


main()
"""

_REBIND = "\n\ndef configure(s):\n    global SCALE\n    SCALE = s\n"

_DICT_MEMO = "\n\n_cache = {}\n\n\ndef scaled(n):\n    if n not in _cache:\n        _cache[n] = EXPR\n    return _cache[n]\n"
_LRU_MEMO = "\n\n@cache\ndef scaled(n):\n    return EXPR\n"


def _dict(prelude: str, expr: str = "n * SCALE", drive: str = _DRIVE) -> str:
    return prelude + _DICT_MEMO.replace("EXPR", expr) + drive


def _lru(prelude: str, expr: str = "n * SCALE", drive: str = _DRIVE) -> str:
    return "from functools import cache\n" + prelude + _LRU_MEMO.replace("EXPR", expr) + drive


_CLOSURE = (
    _REBIND
    + "\n\ndef make():\n    memo = {}\n\n    def scaled(n):\n        if n not in memo:\n            memo[n] = n * SCALE\n"
    "        return memo[n]\n\n    return scaled\n\n\nscaled = make()\n" + _DRIVE
)

#: one binding at module level, under a ``try``, and one in a function that spells nothing else
#: the memo reads
_UNDER_TRY = "\ntry:\n    SCALE = int('1')\nexcept ValueError:\n    pass\n" + _REBIND
_CONTAINER = '\nSETTINGS = {"scale": 1}\n\n\ndef configure(s):\n    SETTINGS["scale"] = s\n'
#: bound twice at import, with a call in between: the unbounded memo keeps the first answer
_TWICE_DRIVE = (
    "\n\nFIRST = scaled(2)\nSCALE = 10\n\n\ndef main():\n    print(FIRST, [scaled(i) for i in range(5, 10)], scaled(2))\n\n\nmain()\n"
)

#: (rule, program, what the reason names)
CHANGING: Dict[str, Tuple[str, str, str]] = {
    # MF202 said safe: one binding, made by a function
    "MF202 bound only by a function": ("MF202", _lru(_REBIND), "`global SCALE` at line"),
    # MF202 said safe with the pre-filter, unsafe without
    "MF202 re-bound, module binding under try": ("MF202", _lru(_UNDER_TRY), "`global SCALE` at line"),
    "MF202 module dict filled by a function": ("MF202", _lru(_CONTAINER, 'n * SETTINGS["scale"]'), "mutable module-level container"),
    "MF202 bound twice at import": ("MF202", _lru("\nSCALE = 1", drive=_TWICE_DRIVE), "bound more than once"),
    "MF201 bound only by a function": ("MF201", _dict(_REBIND), "`global SCALE` at line"),
    "MF201 re-bound, module binding under try": ("MF201", _dict(_UNDER_TRY), "`global SCALE` at line"),
    # MF201 said safe: it looked for `global` only
    "MF201 module dict filled by a function": ("MF201", _dict(_CONTAINER, 'n * SETTINGS["scale"]'), "mutable module-level container"),
    "MF201 bound twice at import": ("MF201", _dict("\nSCALE = 1", drive=_TWICE_DRIVE), "bound more than once"),
    # MF201 said safe with the pre-filter (a closure's memo kept no `global`), unsafe without
    "MF201 closure memo, re-bound": ("MF201", _CLOSURE, "`global SCALE` at line"),
}

_SHADOW = _REBIND + "\n\ndef scaled(n):\n    if n not in _cache:\n        SCALE = n + 1\n        _cache[n] = n * SCALE\n    return _cache[n]\n"
#: (rule, program): the same spelling, but not the module's changing state
STEADY: Dict[str, Tuple[str, str]] = {
    "MF201 local spelled like a re-bound global": ("MF201", "\n_cache = {}\n" + _SHADOW + _DRIVE),
    "MF201 attribute spelled like a re-bound global": ("MF201", _dict(_REBIND, "n.bit_length() * float(n.real)")
                                                       .replace("global SCALE\n    SCALE = s", "global real\n    real = s")),
    "MF202 parameter spelled like a re-bound global": ("MF202", _lru(_REBIND, "n * 2").replace("def scaled(n):\n    return n * 2", "def scaled(SCALE):\n    return SCALE * 2")),
    "MF202 keyword spelled like a module dict": ("MF202", _lru(_CONTAINER.replace("SETTINGS", "base"), "int(str(n), base=10)")),
    "MF202 constant bound once": ("MF202", _lru("\nSCALE = 3\n\n\ndef configure(s):\n    return s")),
    "MF201 constant bound once": ("MF201", _dict("\nSCALE = 3\n\n\ndef configure(s):\n    return s")),
}


def _settings(rule: str, unsafe: bool = False) -> Settings:
    return Settings(select=(rule,), cache=False, max_len=3, unsafe_fixes=unsafe)


def _messages(rule: str, code: str, prefilter: bool) -> List[str]:
    rules = [f for f in FIXERS if f.code == rule]
    detected = engine.detect(code, "prog.py", _settings(rule), rules, prefilter=prefilter)
    return [f.message for f in detected.findings]


@pytest.mark.parametrize("rule, code, why", list(CHANGING.values()), ids=list(CHANGING))
def test_changing_module_state_makes_the_fix_unsafe(tmp_path: Path, rule: str, code: str, why: str):
    result = fix_source(code, _settings(rule))
    (finding,) = result.findings
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    assert why in finding.message
    assert result.text == code  # an unsafe fix is not applied by default
    # the hazard is real: the bounded memo recomputes an evicted entry with the new state
    applied = fix_source(code, _settings(rule, unsafe=True))
    assert applied.text != code
    before, after = run_program(tmp_path, code), run_program(tmp_path, applied.text)
    assert before.returncode == 0 and after.returncode == 0, before.stderr + after.stderr
    assert before.stdout != after.stdout


@pytest.mark.parametrize("rule, code", [(r, c) for r, c, _ in CHANGING.values()] + list(STEADY.values()), ids=[*CHANGING, *STEADY])
def test_the_pre_filter_keeps_what_the_check_reads(rule: str, code: str):
    messages = _messages(rule, code, prefilter=True)
    assert messages and messages == _messages(rule, code, prefilter=False)


@pytest.mark.parametrize("rule, code", list(STEADY.values()), ids=list(STEADY))
def test_a_name_that_is_not_the_changing_state_keeps_the_safe_fix(tmp_path: Path, rule: str, code: str):
    result = fix_source(code, _settings(rule))
    (finding,) = result.findings
    assert finding.fix is not None and finding.fix.safety is Safety.SAFE, finding.message
    assert result.text != code
    assert_same_behaviour(tmp_path, code, result.text)
