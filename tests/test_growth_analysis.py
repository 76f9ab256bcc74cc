"""The shared growth analysis: ownership, resolution through other names, N, confidence, safety,
and the cheap pre-filter."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from textwrap import dedent
from typing import Dict, List, Set

import pytest

from memfix.api import fix_source, scan_source
from memfix.config import Settings
from memfix.engine import detect
from memfix.fixers import FIXERS
from memfix.model import Confidence, Finding, Safety

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GROWTH_DIRS = ("unbounded_list", "unbounded_list_trim", "unbounded_deque", "unbounded_defaultdict", "slice_rebind_trim")
GROWTH = tuple(fx for fx in FIXERS if fx.rule.code.startswith("MF1"))


def scan(code: str, **settings: object) -> List[Finding]:
    return list(scan_source(dedent(code), Settings(cache=False, **settings), fixers=GROWTH))  # type: ignore[arg-type]


def only(code: str) -> Finding:
    findings = scan(code)
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


def test_one_rule_per_container_across_every_growth_fixture() -> None:
    for folder in GROWTH_DIRS:
        for path in sorted((FIXTURES / folder).glob("*.py")):
            codes: Dict[str, Set[str]] = defaultdict(set)
            for finding in scan(path.read_text()):
                codes[finding.symbol].add(finding.code)
            assert all(len(c) == 1 for c in codes.values()), (path.name, dict(codes))


def test_seed_000_engine_messages_state_bound_origin_and_evidence() -> None:
    path = FIXTURES / "unbounded_defaultdict" / "seed_error_intelligence.py"
    text = path.read_text()
    by_symbol = {f.symbol: f for f in scan(text)}
    assert "ErrorIntelligenceEngine.error_history" not in by_symbol
    times = by_symbol["ErrorIntelligenceEngine.recovery_times"]
    read_line = next(i for i, line in enumerate(text.splitlines(), 1) if "self.recovery_times[component][-100:]" in line)
    assert f"bound 100 from the read `self.recovery_times[component][-100:]` at line {read_line}" in times.message
    # every reader here reads the last 100 items; the seed's attributes are public, so readers in
    # other modules may exist and the fix is unsafe all the same
    assert times.fix is not None and times.fix.safety is Safety.UNSAFE
    assert "(unsafe fix: `recovery_times` is a public attribute: code in other modules" in times.message
    assert "key set is unbounded" in times.message
    errors = by_symbol["ErrorIntelligenceEngine.component_errors"]
    len_line = next(i for i, line in enumerate(text.splitlines(), 1) if "len(self.component_errors[component])" in line)
    assert errors.fix is not None and errors.fix.safety is Safety.UNSAFE
    assert f"`len(self.component_errors[component])` at line {len_line} sees the whole history" in errors.message
    assert "bound `self.history_window`" in errors.message


def test_bound_from_a_symbolic_tail_read_is_referenced_by_name() -> None:
    source = dedent(
        """
        class PriceMonitor:
            def __init__(self, window):
                self.window = window
                self._prices = []

            def tick(self, price):
                self._prices.append(price)

            def recent(self):
                return self._prices[-self.window:]
        """
    )
    result = fix_source(source, Settings(cache=False, select=("MF101",)))
    assert "self._prices = deque(maxlen=window)" in result.text
    assert "return list(self._prices)" in result.text
    assert [f.fix.safety for f in result.findings if f.fix] == [Safety.SAFE]


def test_low_confidence_never_carries_a_safe_fix() -> None:
    finding = only(
        """
        class Parser:
            def __init__(self):
                self.tokens = []

            def feed(self, token):
                self.tokens.append(token)

            def last(self):
                return self.tokens[-1]
        """
    )
    assert finding.confidence is Confidence.LOW
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    assert "low confidence" in finding.message


OWNER_TEMPLATE = """
import threading

class {name}:
    def __init__(self):
        self.items = []

    def add(self, x):
        self.items.append(x)

    def last(self):
        return self.items[-1]
{extra}
"""


@pytest.mark.parametrize(
    "name,extra,expected",
    [
        ("Holder", "\nholder = Holder()\n", Confidence.HIGH),
        ("Holder", "\n    def run(self):\n        while True:\n            self.add(1)\n", Confidence.HIGH),
        ("Holder", "\n    def run(self):\n        while True:\n            break\n", Confidence.LOW),
        ("Holder", "\n    def start(self):\n        threading.Thread(target=self.add).start()\n", Confidence.HIGH),
        ("HealthMonitor", "", Confidence.HIGH),
        ("EventHandler", "", Confidence.MEDIUM),
        ("Holder", "", Confidence.LOW),
    ],
)
def test_owner_lifetime_evidence(name: str, extra: str, expected: Confidence) -> None:
    finding = only(OWNER_TEMPLATE.format(name=name, extra=extra))
    assert finding.confidence is expected, finding.message


def test_uses_through_other_names_count() -> None:
    findings = scan(
        """
        class Tracker:
            def __init__(self):
                self.items = []

        class App:
            def __init__(self):
                self.tracker = Tracker()

            def on(self, x):
                self.tracker.items.append(x)

        def report(t: Tracker):
            return len(t.items)

        tracker = Tracker()
        """
    )
    assert len(findings) == 1
    finding = findings[0]
    assert finding.symbol == "Tracker.items"
    assert "`self.tracker.items.append(x)`" in finding.message
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    assert "`len(t.items)`" in finding.message


def test_access_through_an_unknown_receiver_makes_the_fix_unsafe() -> None:
    finding = only(
        """
        class HistoryService:
            def __init__(self):
                self.items = []

            def add(self, x):
                self.items.append(x)

            def last(self):
                return self.items[-1]

        def peek(obj):
            return obj.items[-1]
        """
    )
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    assert "may be this attribute" in finding.message


def test_appending_while_iterating_keeps_a_list() -> None:
    finding = only(
        """
        class QueueManager:
            def __init__(self):
                self.tasks = []

            def add(self, t):
                self.tasks.append(t)

            def expand(self):
                for t in self.tasks:
                    if t > 0:
                        self.tasks.append(t - 1)
        """
    )
    assert finding.code == "MF102"
    assert "appended to while it is iterated" in finding.message


def test_an_alias_memfix_cannot_follow_is_not_judged() -> None:
    assert scan(
        """
        _handlers = []

        def add(h):
            _handlers.append(h)

        def remove(h):
            lock, handlers = None, _handlers
            handlers.remove(h)
        """
    ) == []


def test_pop_taken_as_a_bound_method_bounds_the_list() -> None:
    assert scan(
        """
        class WorkerPool:
            def __init__(self):
                self.pending = []

            def add(self, x):
                self.pending.append(x)

            def drain(self):
                pop = self.pending.pop
                while self.pending:
                    pop()
        """
    ) == []


def test_write_only_list_is_read_out_of_sight() -> None:
    finding = only(
        """
        class LoaderService:
            def __init__(self):
                self.errors = []

            def load(self, name):
                self.errors.append(name)
        """
    )
    assert finding.fix is not None and finding.fix.safety is Safety.UNSAFE
    assert "nothing in this module reads it" in finding.message


def test_import_time_helpers_build_constants() -> None:
    assert scan(
        """
        hasname = []

        def name_op(name, op):
            hasname.append(op)

        name_op("LOAD_NAME", 101)
        """
    ) == []


def test_deque_name_taken_means_no_fix() -> None:
    finding = only(
        """
        def deque(*args):
            return list(args)

        HISTORY = []

        def add(x):
            HISTORY.append(x)

        def last():
            return HISTORY[-1]
        """
    )
    assert finding.code == "MF101" and finding.fix is None
    assert "the name `deque` means something else" in finding.message


@pytest.mark.parametrize(
    "source",
    [
        "def collect(items):\n    out = []\n    for i in items:\n        out.append(i)\n    return out\n",
        "import os\n\ndef main():\n    return os.getcwd()\n",
        "def f(xs):\n    xs = xs[-3:]\n    return xs\n",
    ],
)
def test_files_without_a_candidate_never_reach_libcst(source: str) -> None:
    detection = detect(source, "<x>", Settings(cache=False), GROWTH)
    assert not isinstance(detection, Exception)
    assert detection.parsed is False  # type: ignore[union-attr]


def test_fixed_output_carries_no_growth_finding_of_the_fixed_containers() -> None:
    source = (FIXTURES / "unbounded_defaultdict" / "seed_error_intelligence.py").read_text()
    result = fix_source(source, Settings(cache=False, unsafe_fixes=True))
    assert result.changed and result.verify is not None and result.verify.ok
    assert [f for f in scan_source(result.text, Settings(cache=False), fixers=GROWTH)] == []
