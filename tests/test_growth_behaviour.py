"""Proof that the growth fixes bound memory and keep behaviour, one case per rule.

Each case imports a fixture before and after its fix (the ``.expected.py`` the fixture test
checks memfix produces), drives both with the same 20,000 appends, and asserts that:

(a) the code's own readers return identical results;
(b) the container holds at most N items after the fix;
(c) tracemalloc's traced growth over a second 20,000-append loop grows with the appends before
    the fix and stays flat after it (compared as ratios with generous thresholds, never timed).

MF105's "before" is already bounded (by a copy per append), so only (a), (b) and a flat "after"
apply to it.
"""

from __future__ import annotations

import importlib.util
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Dict, List, Sequence

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
APPENDS = 20_000
COMPONENTS = ("db", "cache", "queue")


def _load(path: Path) -> ModuleType:
    name = "memfix_fixture_" + path.name.replace(".", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Case:
    """``make`` builds the object, ``drive(obj, i)`` is one growth event, ``read(obj)`` returns
    everything the code's own readers say, ``sizes(obj)`` the lengths of the bounded containers."""

    fixture: str
    make: Callable[[ModuleType], Any]
    drive: Callable[[Any, int], None]
    read: Callable[[Any], Any]
    sizes: Callable[[Any], Sequence[int]]
    bound: int
    grows_before: bool = True


def _engine_drive(engine: Any, i: int) -> None:
    engine.record_recovery(COMPONENTS[i % 3], i % 7 != 0, float(i), i % 5)


CASES: Dict[str, Case] = {
    "MF101": Case(
        "unbounded_list/latency_monitor",
        make=lambda m: m.LatencyMonitor(),
        drive=lambda o, i: o.record(float(i)),
        read=lambda o: (o.recent(), o.last(), o.recent_mean()),
        sizes=lambda o: [len(o._samples)],
        bound=100,
    ),
    "MF102": Case(
        "unbounded_list_trim/concatenation_growth",
        make=lambda m: m.SignalMonitor(),
        drive=lambda o, i: o.record(float(i)),
        read=lambda o: o.recent(),
        sizes=lambda o: [len(o._readings)],
        bound=20,
    ),
    "MF103": Case(
        "unbounded_deque/event_tracker",
        make=lambda m: m.EventTracker(),
        drive=lambda o, i: o.on_event(float(i)),
        read=lambda o: (o.last(), o.last_seen()),
        sizes=lambda o: [len(o._events), len(o._seen)],
        bound=500,
    ),
    "MF104": Case(
        "unbounded_defaultdict/seed_error_intelligence",
        make=lambda m: m.ErrorIntelligenceEngine(),
        drive=_engine_drive,
        read=lambda o: [
            (o.success_rate(c), o.mean_recovery_time(c), o.mean_attempts(c), o.error_count(c)) for c in COMPONENTS
        ],
        sizes=lambda o: [
            len(d[c]) for d in (o.recovery_success, o.recovery_times, o.recovery_attempts) for c in COMPONENTS
        ],
        bound=100,
    ),
    "MF105": Case(
        "slice_rebind_trim/seed_metrics_history",
        make=lambda m: m.PerformanceMonitoringSystem(),
        drive=lambda o, i: o.collect_metrics([float(i)]),
        read=lambda o: (o.count(), o.latest()),
        sizes=lambda o: [len(o.metrics_history)],
        bound=1000,
        grows_before=False,
    ),
}


def _growth_over(obj: Any, drive: Callable[[Any, int], None], start: int) -> int:
    """Bytes traced memory grew by over APPENDS growth events (the objects stay alive)."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for i in range(start, start + APPENDS):
            drive(obj, i)
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return after - before


@pytest.mark.parametrize("code", sorted(CASES))
def test_fix_bounds_memory_and_keeps_readers(code: str) -> None:
    case = CASES[code]
    before_module = _load(FIXTURES / f"{case.fixture}.py")
    after_module = _load(FIXTURES / f"{case.fixture}.expected.py")
    before, after = case.make(before_module), case.make(after_module)

    results: List[Any] = []
    for obj in (before, after):
        for i in range(APPENDS):
            case.drive(obj, i)
        results.append(case.read(obj))
    assert results[0] == results[1], "a reader sees something different after the fix"
    assert all(n <= case.bound for n in case.sizes(after))
    assert all(n == case.bound for n in case.sizes(after)), "the fix kept less than N"

    grew_before = _growth_over(before, case.drive, APPENDS)
    grew_after = _growth_over(after, case.drive, APPENDS)
    assert case.read(before) == case.read(after)
    # after the fix: flat, whatever the number of appends (a few KiB of allocator noise at most)
    assert grew_after < 16 * 1024, f"{code}: traced memory grew by {grew_after} bytes after the fix"
    if case.grows_before:
        # before the fix: linear, at least a pointer and a small object per append
        assert grew_before > APPENDS * 24, f"{code}: expected linear growth before the fix, got {grew_before}"
        assert grew_before > 20 * max(grew_after, 1)
    else:
        assert grew_before < 16 * 1024


def test_every_growth_rule_has_a_behaviour_case() -> None:
    from memfix.fixers import FIXERS

    growth_codes = {fx.rule.code for fx in FIXERS if fx.rule.code.startswith("MF1")}
    assert growth_codes == set(CASES)
    for case in CASES.values():
        assert (FIXTURES / f"{case.fixture}.expected.py").is_file()

