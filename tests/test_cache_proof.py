"""Behavioural proof of the cache fixes: the code before and after memfix's rewrite is imported and
driven with more distinct keys than N. Every call must return the same value, the cache must hold
at most N entries afterwards, and (LRU) a recently used key must survive while the least recently
used one is evicted.

"After" is always memfix's own output for the fixture (not the .expected.py file), so these tests
exercise the rewrite itself.
"""

from __future__ import annotations

import gc
import importlib.util
import itertools
import weakref
from collections import OrderedDict
from pathlib import Path
from types import ModuleType
from typing import Tuple

import pytest

from memfix.api import fix_source
from memfix.config import Settings
from memfix.testing import FixtureCase, case_settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"
_counter = itertools.count()


def _load(text: str, tmp_path: Path, stem: str) -> ModuleType:
    path = tmp_path / f"{stem}_{next(_counter)}.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def before_after(rule_dir: str, case: str, code: str, tmp_path: Path, settings: Settings = None) -> Tuple[ModuleType, ModuleType]:
    source = FIXTURES / rule_dir / f"{case}.py"
    fixture = FixtureCase(rule_dir, case, source, None)
    settings = settings or case_settings(fixture, code)
    text = source.read_text(encoding="utf-8")
    result = fix_source(text, settings, path=str(source))
    assert result.error is None and result.changed, result.error
    return _load(text, tmp_path, f"before_{case}"), _load(result.text, tmp_path, f"after_{case}")


def _same_returns(before_fn, after_fn, keys) -> None:  # type: ignore[no-untyped-def]
    for key in keys:
        args = key if isinstance(key, tuple) else (key,)
        assert before_fn(*args) == after_fn(*args), key


# ---------------------------------------------------------------------------------------------
# MF201: memo function -> functools.lru_cache


def test_memo_function_becomes_lru_cache(tmp_path):
    before, after = before_after("unbounded_dict_cache", "memo_function", "MF201", tmp_path)
    n = after.MAX_CACHE_SIZE
    texts = [f"text-{i}" for i in range(3 * n)] + ["text-0", "text-5", "text-0"]
    _same_returns(before.digest, after.digest, texts)
    sides = [(w, h) for w in range(n) for h in range(3)] + [(0, 0), (1, 2)]
    _same_returns(before.area, after.area, sides)

    assert len(before._digests) == 3 * n  # the leak: every key stays
    assert not hasattr(after, "_digests") and not hasattr(after, "_areas")
    assert after.digest.cache_info().maxsize == n
    assert after.digest.cache_info().currsize <= n
    assert after.area.cache_info().currsize <= n

    after.digest.cache_clear()
    for text in ["a", "b", "c", "d"][:n]:
        after.digest(text)
    after.digest("a")  # "a" is now the most recently used; "b" the least
    after.digest("new")
    hits = after.digest.cache_info().hits
    after.digest("a")
    assert after.digest.cache_info().hits == hits + 1, "recently used key was evicted"
    misses = after.digest.cache_info().misses
    after.digest("b")
    assert after.digest.cache_info().misses == misses + 1, "least recently used key survived"


# ---------------------------------------------------------------------------------------------
# MF201: shared caches -> OrderedDict LRU in place


def _assert_lru(cache: "OrderedDict", fill, touch, insert, n: int) -> None:  # type: ignore[no-untyped-def]
    """Fill with n keys, touch the first, insert one more: the first survives, the second goes."""
    assert isinstance(cache, OrderedDict)
    keys = list(fill)
    assert len(keys) == n
    for key in keys:
        insert(key)
    touch(keys[0])
    insert("fresh-key")
    assert keys[0] in cache, "recently used key was evicted"
    assert keys[1] not in cache, "least recently used key survived"
    assert len(cache) <= n


def test_shared_instance_cache_is_bounded_lru(tmp_path):
    before, after = before_after("unbounded_dict_cache", "shared_instance_cache", "MF201", tmp_path)
    old, new = before.GeoService(), after.GeoService()
    n = new.max_cache_size
    ips = [f"10.0.{i}.{i * 7 % 255}" for i in range(4 * n)]
    calls = list(itertools.chain.from_iterable((ip, ips[0], ip) for ip in ips))
    for ip in calls:
        assert old.country(ip) == new.country(ip)
        assert old.city(ip) == new.city(ip)
    assert len(old._cache) == len(ips)
    assert len(new._cache) <= n

    geo = after.GeoService()
    _assert_lru(geo._cache, [f"192.168.0.{i}" for i in range(n)], geo.city, lambda ip: geo.country(ip if ip != "fresh-key" else "172.16.0.1"), n)


def test_shared_module_cache_is_bounded_lru(tmp_path):
    before, after = before_after("unbounded_dict_cache", "shared_module_cache", "MF201", tmp_path)
    n = after.MAX_PATTERNS
    patterns = [f"a{i}+b" for i in range(3 * n)]
    for text in patterns + patterns[:2] + patterns[::-1]:
        assert before.compile_pattern(text).pattern == after.compile_pattern(text).pattern
        assert before.matches(text, "a1b") == after.matches(text, "a1b")
    assert len(before._patterns) == len(patterns)
    assert len(after._patterns) <= n

    after._patterns.clear()
    _assert_lru(
        after._patterns,
        [f"x{i}" for i in range(n)],
        lambda text: after.matches(text, "x"),
        lambda text: after.compile_pattern(text if text != "fresh-key" else "y"),
        n,
    )


def _closure_cache(func) -> "OrderedDict":  # type: ignore[no-untyped-def]
    cells = [c.cell_contents for c in func.__closure__ or ()]
    found = [c for c in cells if isinstance(c, dict)]
    assert len(found) == 1
    return found[0]


def test_closure_cache_is_bounded_lru(tmp_path):
    before, after = before_after("unbounded_dict_cache", "closure_memoize", "MF201", tmp_path)
    values = list(range(12)) + [0, 3, 0, 11]
    _same_returns(before.slow_square, after.slow_square, values)
    assert len(_closure_cache(before.slow_square)) == 12
    cache = _closure_cache(after.slow_square)
    assert len(cache) <= 3  # memoize(func, maxsize=3)

    fresh = after.memoize(lambda k: (k, "computed"))
    cache = _closure_cache(fresh)
    _assert_lru(cache, ["p", "q", "r"], fresh, fresh, 3)


def test_registry_fix_drops_data_which_is_why_it_is_unsafe(tmp_path):
    before, after = before_after("unbounded_dict_cache", "registry_sessions", "MF201", tmp_path)
    old, new = before.BrowserSession(), after.BrowserSession()
    cookies = [{"name": f"c{i}", "value": i} for i in range(1200)]
    old.save_cookies(cookies)
    new.save_cookies(cookies)
    assert len(new.cookie_cache) == 1000
    assert old.cookie("c0") == 0
    assert new.cookie("c0") is None  # the data loss the message warns about


@pytest.mark.parametrize("declared", [True, False])
def test_cachetools_backend_only_when_declared(tmp_path, declared):
    project = tmp_path / "project"
    project.mkdir()
    deps = '"cachetools>=5"' if declared else '"requests"'
    (project / "pyproject.toml").write_text(f'[project]\nname = "x"\ndependencies = [{deps}]\n', encoding="utf-8")
    source = FIXTURES / "unbounded_dict_cache" / "cachetools_not_declared.py"
    settings = Settings(select=("MF201",), cache=False, lru_backend="cachetools", project_root=str(project))
    result = fix_source(source.read_text(encoding="utf-8"), settings)
    assert result.changed and result.error is None
    [finding] = result.findings
    if not declared:
        assert "OrderedDict()" in result.text and "LRUCache" not in result.text
        assert "cachetools is not a declared dependency" in finding.message
        return
    assert "from cachetools import LRUCache" in result.text
    assert "self._templates = LRUCache(maxsize=self.MAX_CACHE_SIZE)" in result.text
    assert "move_to_end" not in result.text and "popitem" not in result.text
    pytest.importorskip("cachetools")
    before = _load(source.read_text(encoding="utf-8"), tmp_path, "before_ct")
    after = _load(result.text, tmp_path, "after_ct")
    old, new = before.Renderer(), after.Renderer()
    for name in ["a", "b", "c", "a", "d", "e", "a", "b"]:
        assert old.render(name) == new.render(name)
    assert len(new._templates) <= new.MAX_CACHE_SIZE
    new.render("x")
    new.render("y")
    new.render("x")  # x recent, y least recent
    new.render("z")
    assert "x" in new._templates and "y" not in new._templates


# ---------------------------------------------------------------------------------------------
# MF202: unbounded functools caches -> lru_cache(maxsize=N)


def test_unbounded_lru_cache_gets_a_bound(tmp_path):
    before, after = before_after("unbounded_lru_cache", "aliases", "MF202", tmp_path)
    n = after.MAX_CACHE_SIZE
    texts = [f"w{i} x{i}" for i in range(4 * n)]
    for name in ("parse", "words", "upper", "lower", "double", "cached_title"):
        old, new = getattr(before, name), getattr(after, name)
        assert old.cache_info().maxsize is None
        _same_returns(old, new, texts + texts[:3])
        assert new.cache_info().maxsize == n
        assert new.cache_info().currsize <= n
        assert old.cache_info().currsize == len(texts)

    upper = after.upper
    upper.cache_clear()
    for text in ["a", "b", "c"]:
        upper(text)
    upper("a")
    upper("d")
    hits = upper.cache_info().hits
    upper("a")
    assert upper.cache_info().hits == hits + 1
    misses = upper.cache_info().misses
    upper("b")
    assert upper.cache_info().misses == misses + 1


# ---------------------------------------------------------------------------------------------
# MF203: cache on a method -> per-instance cache


def test_per_instance_cache_frees_instances(tmp_path):
    before, after = before_after("lru_cache_on_method", "per_instance", "MF203", tmp_path)
    rows = [{"a": i, "b": 2 * i} for i in range(5)]
    for module in (before, after):
        report = module.Report(rows)
        assert report.total("a") == 10 and report.label("b") == "b (5 rows)"
    for column in ["a", "b", "a", "b"]:
        assert before.Report(rows).total(column) == after.Report(rows).total(column)

    def survives(module: ModuleType) -> bool:
        report = module.Report(list(rows))
        report.total("a")
        ref = weakref.ref(report)
        del report
        gc.collect()
        return ref() is not None

    assert survives(before), "the class-level cache kept the instance alive before the fix"
    assert not survives(after), "the per-instance cache must die with its instance"

    scorer = after.Scorer(3)
    for value in range(20):
        assert scorer.score(value) == before.Scorer(3).score(value)
    assert scorer.score.cache_info().maxsize == after.Scorer.MAX_CACHE_SIZE
    assert scorer.score.cache_info().currsize <= after.Scorer.MAX_CACHE_SIZE
