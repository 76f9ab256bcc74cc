"""MF301's with-block for a call whose result nobody uses, and for handles opened one inside
another's arguments: run before and after, the rewrite opens the same files, as often, in the same
order, and closes them."""

from __future__ import annotations

import builtins
from typing import Callable, Dict, List

import pytest

from memfix.api import fix_source
from memfix.config import Settings
from memfix.fixers import open_without_with

MF301 = (open_without_with.FIXER,)


def _rewritten(source: str, unsafe: bool = False) -> str:
    result = fix_source(source, Settings(unsafe_fixes=unsafe), fixers=MF301)
    assert result.error is None and result.changed, result.error
    return result.text


def _run(source: str, name: str, *args: object) -> Dict[str, object]:
    """Call ``name`` from ``source`` with ``open`` counting what it opens and what is closed."""
    opened: List[str] = []
    handles: List[object] = []
    real_open: Callable[..., object] = builtins.open

    def counting_open(path, *rest, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(str(path))
        handle = real_open(path, *rest, **kwargs)
        handles.append(handle)
        return handle

    namespace: Dict[str, object] = {"open": counting_open}
    exec(compile(source, "<case>", "exec"), namespace)
    try:
        value: object = namespace[name](*args)  # type: ignore[operator]
        error = None
    except OSError as exc:
        value, error = None, type(exc)
    return {"value": value, "error": error, "opened": opened, "left_open": [h for h in handles if not h.closed]}  # type: ignore[attr-defined]


DISCARDED = "def check_readable(path):\n    open(path, encoding='utf-8')  # for its error\n    return True\n"
NESTED = "def reopen(path):\n    return len(open(open(path).name).read())\n"


def test_a_discarded_call_becomes_a_nameless_with_and_pass() -> None:
    after = _rewritten(DISCARDED)
    assert "    with open(path, encoding='utf-8'):\n        pass  # for its error\n" in after
    assert " as " not in after


@pytest.mark.parametrize("exists", [True, False])
def test_a_discarded_call_behaves_as_before_and_closes(tmp_path, exists: bool) -> None:
    path = tmp_path / "data.txt"
    if exists:
        path.write_text("x", encoding="utf-8")
    before, after = _run(DISCARDED, "check_readable", str(path)), _run(_rewritten(DISCARDED), "check_readable", str(path))
    assert (before["value"], before["error"], before["opened"]) == (after["value"], after["error"], after["opened"])
    assert after["left_open"] == []


def test_nested_handles_open_in_the_order_they_ran_and_once_each(tmp_path) -> None:
    path = tmp_path / "data.txt"
    path.write_text("hello", encoding="utf-8")
    after = _rewritten(NESTED, unsafe=True)
    before_run, after_run = _run(NESTED, "reopen", str(path)), _run(after, "reopen", str(path))
    assert before_run["value"] == after_run["value"] == 5
    assert before_run["opened"] == after_run["opened"] == [str(path), str(path)]
    assert after_run["left_open"] == []


def test_the_rewrites_are_stable() -> None:
    for source, unsafe in ((DISCARDED, False), (NESTED, True)):
        once = _rewritten(source, unsafe)
        again = fix_source(once, Settings(unsafe_fixes=unsafe), fixers=MF301)
        assert not again.changed and again.text == once


def test_a_discarded_calls_parentheses_and_their_comments_stay() -> None:
    source = "def check(path):\n    (open(path)  # for its error\n     )\n    return True\n"
    after = _rewritten(source)
    assert "# for its error" in after
    compile(after, "<case>", "exec")
