"""The growth pre-filter skips a file only when the analysis can report none of its candidates.

Each dropped case is a shape the ``ast`` shows the analysis rejects (never grown where growth
counts, bounded, opaque): the filter must say no, and the analysis, run without the pre-filter,
must indeed report nothing. Each kept case is a near miss that the analysis does report: the filter
must let it through.
"""

from __future__ import annotations

import ast
from textwrap import dedent

import pytest

from memfix import engine
from memfix.astindex import AstIndex
from memfix.config import Settings
from memfix.fixers import FIXERS
from memfix.fixers._growth_filters import growing_list_filter, unbounded_deque_filter

GROWTH = {"MF101", "MF102", "MF103", "MF104", "MF105"}


def _findings(source: str) -> set:
    detection = engine.detect(source, "case.py", Settings(cache=False), FIXERS, prefilter=False)
    return {f.code for f in detection.findings if f.code in GROWTH}  # type: ignore[union-attr]


def _passes(source: str, rule=growing_list_filter) -> bool:
    return bool(rule(AstIndex(ast.parse(source))))


OWNER = """
class Tracker:
    def __init__(self):
        self.history = []

    def add(self, value):
        self.history.append(value)
"""

DROPPED = {
    "class attribute aliased by a local nothing grows (a same-named local grows elsewhere)": """
        class ArrayTest:
            example = [1, 2, 3]

            def test_len(self):
                example = self.example
                return len(example)

            def test_append(self, make):
                example = make()
                example.append(12)
        """,
    "instance grown only in its __init__": """
        class Tracker:
            def __init__(self, items):
                self.history = []
                for item in items:
                    self.history.append(item)
                keep = lambda v: self.history.append(v)  # a lambda is __init__ itself
                keep(0)
        """,
    "global grown only at import": """
        HANDLERS = []
        HANDLERS.append(print)
        HANDLERS.extend([repr, str])
        class Box:
            HANDLERS.append(len)
        """,
    "class attribute grown only at import": """
        class Registry:
            kinds = []
        Registry.kinds.append("a")
        """,
    "closure grown only by a function called inside its owner": """
        def collect(items):
            found = []
            def visit(item):
                found.append(item)
            for item in items:
                visit(item)
            return len(found)
        """,
    "instance cleared through self": OWNER + """
    def reset(self):
        self.history.clear()
""",
    "instance popped through the class's own name": OWNER + """
def drain():
    Tracker.history.pop
""",
    "instance re-bound outside __init__": OWNER + """
    def reset(self):
        self.history = None
""",
    "instance re-bound from a function nested in a method": OWNER + """
    def later(self):
        def reset():
            self.history = []
        return reset
""",
    "instance trimmed with del": OWNER + """
    def trim(self):
        del self.history[:10]
""",
    "instance re-filled by slice assignment": OWNER + """
    def trim(self):
        self.history[:] = []
""",
    "instance stored under an attribute": OWNER + """
    def snapshot(self):
        self.saved = self.history
""",
    "global re-bound by a function declaring it": """
        EVENTS = []
        def record(event):
            EVENTS.append(event)
        def reset():
            global EVENTS
            EVENTS = []
        """,
    "global consumed with remove()": """
        EVENTS = []
        def record(event):
            EVENTS.append(event)
        def forget(event):
            EVENTS.remove(event)
        """,
    "global defined twice": """
        EVENTS = []
        EVENTS = []
        def record(event):
            EVENTS.append(event)
        """,
    "global aliased at module level": """
        EVENTS = []
        ALL = EVENTS
        def record(event):
            EVENTS.append(event)
        """,
    "instance list of a second class of the same name": """
        def test_one():
            class C:
                def __init__(self):
                    self.seen = 0
        def test_two():
            class C:
                def __init__(self, d):
                    self.keys = list(d)
                def add(self, k):
                    self.keys.append(k)
            return C
        """,
    "global grown only by a helper called at import": """
        HASJREL = []
        def jrel_op(name, op):
            HASJREL.append(op)
        jrel_op("A", 1)
        class Table:
            jrel_op("B", 2)
        del jrel_op
        """,
    "global grown by a helper that is never called here but deleted at import": """
        HASJREL = []
        def jrel_op(name, op):
            HASJREL.append(op)
        del jrel_op
        """,
    "class list grown by a helper used as a decorator at import": """
        class Registry:
            rules = []
        def rule(f):
            Registry.rules.append(f)
            return f
        @rule
        def check():
            pass
        """,
    "global's name grown as a function's own local": """
        OPCODES = []
        def optimize(p):
            OPCODES = []
            OPCODES.append(p)
            return OPCODES
        """,
    "class list's name re-bound to a concatenation of other lists in a method": """
        class Case:
            values = [1, 2]

            def check(self):
                values = self.values  # an alias of the class list under the same name
                return values[0]

            def test(self):
                values = list(range(3)) + [4]
                return values
        """,
}


_HELPER = """
HASJREL = []
def jrel_op(name, op):
    HASJREL.append(op)
"""

KEPT = {
    "instance list grown through a local alias in a method": """
        class Tracker:
            def __init__(self):
                self.history = []

            def add(self, value):
                history = self.history
                history.append(value)
        """,
    "instance grown in a method": OWNER,
    "instance list of the second class of a name, the first without __init__": """
        def test_one():
            class C:
                pass
        def test_two():
            class C:
                def __init__(self, d):
                    self.keys = list(d)
                def add(self, k):
                    self.keys.append(k)
            return C
        """,
    "global grown by a helper called in a function": _HELPER + "def setup():\n    jrel_op('A', 1)\n",
    "global grown by a helper called in a default argument": _HELPER + "def setup(x=jrel_op('A', 1)):\n    return x\n",
    "global grown by a helper called in a decorator": _HELPER + "@jrel_op('A', 1)\ndef setup():\n    pass\n",
    "global grown by a helper defined under an if": "HASJREL = []\nif True:\n    def jrel_op(name, op):\n        HASJREL.append(op)\njrel_op('A', 1)\n",
    "global grown by a helper that is also passed on": _HELPER + "jrel_op('A', 1)\nHANDLERS = [jrel_op]\n",
    "global grown by a helper never used here": _HELPER,
    "instance grown by a function nested in __init__": """
        class Tracker:
            def __init__(self, bus):
                self.history = []
                def on_event(event):
                    self.history.append(event)
                bus.subscribe(on_event)
        """,
    "instance aliased in __init__ and grown by a nested function": """
        class Tracker:
            def __init__(self, bus):
                self.history = []
                history = self.history
                def on_event(event):
                    history.append(event)
                bus.subscribe(on_event)
        """,
    "instance re-bound in __init__ only": """
        class Tracker:
            def __init__(self):
                self.history = []
                self.history = []

            def add(self, value):
                self.history.append(value)
        """,
    "same attribute cleared on another class": OWNER + """

class Other:
    def __init__(self):
        self.history = {}

    def reset(self):
        self.history.clear()
""",
    "same attribute cleared through an annotated parameter of another class": OWNER + """

class Other:
    pass

def reset(other: Other):
    other.history.clear()
""",
    "global grown in a function": """
        HANDLERS = []
        HANDLERS.append(print)
        def register(handler):
            HANDLERS.append(handler)
        """,
    "global's name cleared as a local of another function": """
        EVENTS = []
        def record(event):
            EVENTS.append(event)
        def other():
            EVENTS = []
            EVENTS.clear()
        """,
    "global's name cleared as a comprehension variable": """
        EVENTS = []
        def record(event):
            EVENTS.append(event)
        def other(groups):
            return [EVENTS.clear() for EVENTS in groups]
        """,
    "closure grown by a returned function": """
        def make():
            found = []
            def visit(item):
                found.append(item)
            return visit
        """,
    "closure grown by a decorated function": """
        def make(bus):
            found = []
            @bus.on
            def visit(item):
                found.append(item)
        """,
    "closure grown by a function handed out": """
        def make(bus):
            found = []
            def visit(item):
                found.append(item)
            bus.subscribe(visit)
        """,
}


@pytest.mark.parametrize("name", sorted(DROPPED))
def test_dropped_when_the_analysis_cannot_report(name):
    source = dedent(DROPPED[name])
    assert _findings(source) & {"MF101", "MF102"} == set(), "the case must really have no finding"
    assert not _passes(source)


@pytest.mark.parametrize("name", sorted(KEPT))
def test_kept_when_the_analysis_reports(name):
    source = dedent(KEPT[name])
    assert _findings(source) & {"MF101", "MF102"}, "the near miss must really be a finding"
    assert _passes(source)


def test_one_reportable_definition_keeps_the_file_with_every_region():
    # the dismissed `cleared` still gives its regions: its bound must stay in the slice
    source = dedent(
        OWNER
        + """
class Other:
    def __init__(self):
        self.cleared = []

    def add(self, value):
        self.cleared.append(value)

    def reset(self):
        self.cleared.clear()
"""
    )
    regions = growing_list_filter(AstIndex(ast.parse(source)))
    assert regions
    kept = {getattr(node, "name", None) for node in regions.nodes}  # type: ignore[union-attr]
    assert "reset" in kept


def test_deque_consumed_is_dropped_and_unconsumed_kept():
    consumed = dedent(
        """
        from collections import deque
        class Worker:
            def __init__(self):
                self.jobs = deque()
            def put(self, job):
                self.jobs.append(job)
            def take(self):
                return self.jobs.popleft()
        """
    )
    assert "MF103" not in _findings(consumed)
    assert not _passes(consumed, unbounded_deque_filter)
    unconsumed = consumed.replace("return self.jobs.popleft()", "return self.jobs[-1]")
    assert "MF103" in _findings(unconsumed)
    assert _passes(unconsumed, unbounded_deque_filter)


UNKNOWN_TYPE = {
    "dropped: re-bound through a loop variable of unknown type": (
        OWNER
        + """
def reset_all(trackers):
    for tracker in trackers:
        tracker.history = []
""",
        False,
    ),
    "dropped: cleared through an attribute of unknown type": (
        OWNER
        + """
class Owner:
    def __init__(self, tracker):
        self.tracker = tracker

    def reset(self):
        self.tracker.history.clear()
""",
        False,
    ),
    "kept: cleared through a variable of another known class": (
        OWNER
        + """
class Other:
    def __init__(self):
        self.history = {}

def reset():
    other = Other()
    other.history.clear()
""",
        True,
    ),
    "kept: cleared through an attribute __init__ sets to another class": (
        OWNER
        + """
class Other:
    def __init__(self):
        self.history = {}

class Owner:
    def __init__(self):
        self.other = Other()

    def reset(self):
        self.other.history.clear()
""",
        True,
    ),
}


@pytest.mark.parametrize("name", sorted(UNKNOWN_TYPE))
def test_receivers_of_unknown_type_reach_every_container_of_the_name(name):
    source, reported = UNKNOWN_TYPE[name]
    source = dedent(source)
    assert bool(_findings(source) & {"MF101", "MF102"}) is reported
    assert _passes(source) is reported


def test_prose_naming_a_nested_function_is_no_reference_but_a_string_annotation_is():
    called_only = dedent(
        """
        def run(log):
            trace = []
            def step(item):
                trace.append(item)
            log("calling step now")
            step(1)
            return len(trace)
        """
    )
    assert not _findings(called_only) & {"MF101", "MF102"}
    assert not _passes(called_only)
    annotated = called_only.replace("def run(log):", "def run(log, hook: 'step' = None):").replace(
        "step(1)", "step(1)\n    other: 'step' = None"
    )
    assert _findings(annotated) & {"MF101", "MF102"}, "a string annotation is a reference for libcst"
    assert _passes(annotated)


@pytest.mark.parametrize(
    "source",
    [
        # a module list grown only through a local alias (an alias of an alias, too)
        "EVENTS = []\ndef record(event):\n    events = EVENTS\n    events.append(event)\n",
        "EVENTS = []\ndef record(event):\n    a = EVENTS\n    b = a\n    b.append(event)\n",
        # the same local name aliases two attributes in two methods: both may grow
        OWNER.replace("self.history.append(value)", "h = self.history\n        h.append(value)")
        + "\n    def other(self):\n        h = self.other\n        return h\n",
    ],
)
def test_growth_through_a_plain_alias_keeps_the_file(source):
    assert _findings(source) & {"MF101", "MF102"}
    assert _passes(source)


RESTORED_BOUNDS = """
class Tracker:
    def __init__(self, max_history=100):
        self.history = []
        self.max_history = max_history

    def add(self, value):
        self.history.append(value)

    def latest(self):
        return self.history[-1]

    def set_limit(self, n):
        self.max_history = n


class Buffer:
    def __init__(self, size=10):
        self.size = size
        self.mode = "r"

    def grow(self, n):
        self.size = n

    def reopen(self):
        self.mode = "w"
        return self.mode == "w"


class Window:
    def __init__(self, k=5):
        self.k = k

    def widen(self):
        self.k += 1


def tail(w, xs):
    return len(xs) > w.k
"""


def _kept_functions(source: str) -> set:
    regions = growing_list_filter(AstIndex(ast.parse(source)))
    assert regions and regions is not True
    return {getattr(node, "name", None) for node in regions.nodes}  # type: ignore[union-attr]


def test_restored_attributes_kept_only_where_the_analysis_takes_a_bound_from_them():
    """Stores of an ``__init__`` attribute after construction are kept in the slice when the
    analysis may read a bound from it (``Bound.rebound``): named like a bound of a list of its own
    class, or read where a bound is read (``len(x) > w.k``). Other re-stored attributes
    (``size`` of a class without a growing list, ``mode`` read in an equality) cost nothing."""
    source = dedent(RESTORED_BOUNDS)
    kept = _kept_functions(source)
    assert {"set_limit", "widen"} <= kept
    assert not {"grow", "reopen"} & kept
    settings = Settings(cache=False)
    sliced = engine.detect(source, "m.py", settings, FIXERS)
    whole = engine.detect(source, "m.py", settings, FIXERS, prefilter=False)
    assert [f.message for f in sliced.findings] == [f.message for f in whole.findings]
    # the store in set_limit decides the bound: without it, max_history would be spelled
    unset = source.replace("    def set_limit(self, n):\n        self.max_history = n\n", "")
    assert not any("max_history" in f.message for f in whole.findings if f.code in GROWTH)
    assert any("max_history" in f.message for f in engine.detect(unset, "m.py", settings, FIXERS).findings)


# -- the growth shapes, written once (memfix.fixers._growth_sites) and read by three readers ----

#: the statements of each growth shape of ``{x}`` (``{v}``: the value); the analysis reports each
GROWTH_SHAPES = {
    "growth method": "{x}.append({v})",
    "growth method handed out": "add = {x}.extend\nadd([{v}])",
    "augmented by +=": "{x} += [{v}]",
    "re-bound to a concatenation": "{x} = {x} + [{v}]",
    "re-bound to a list display": "{x} = [*{x}, {v}]",
    "aliased": "g = {x}\ng.append({v})",
}
#: near misses: the analysis takes each as no growth (an escape, a bound)
NO_GROWTH_SHAPES = {
    "augmented by another operator": "{x} -= [{v}]",
    "re-bound to another call of itself": "{x} = sorted({x})",
}


def _instance_source(shape: str) -> str:
    body = shape.format(x="self.history", v="value").replace("\n", "\n        ")
    return OWNER.replace("self.history.append(value)", body)


@pytest.mark.parametrize("name", sorted(GROWTH_SHAPES))
def test_every_growth_shape_is_reported_and_kept(name):
    source = _instance_source(GROWTH_SHAPES[name])
    assert _findings(source) & {"MF101", "MF102"}, source
    assert _passes(source), source


@pytest.mark.parametrize("name", sorted(NO_GROWTH_SHAPES))
def test_shapes_the_analysis_takes_as_no_growth_are_dropped(name):
    source = _instance_source(NO_GROWTH_SHAPES[name])
    assert _findings(source) & {"MF101", "MF102"} == set(), source
    assert not _passes(source), source


@pytest.mark.parametrize("name", sorted({**GROWTH_SHAPES, **NO_GROWTH_SHAPES}))
def test_the_three_readers_of_the_growth_shapes_agree(name):
    """The candidates' reading (``shapes.grown``) is the analysis's; the dismissal's growth sites
    and ``names_grown_in`` are at least as wide, so they never miss what the candidates take."""
    from memfix.fixers._growth_dismiss import growth_uses, names_grown_in
    from memfix.fixers._growth_filters import growth_shapes

    statement = {**GROWTH_SHAPES, **NO_GROWTH_SHAPES}[name].format(x="h", v="event")
    source = "EVENTS = []\ndef record(event):\n    h = EVENTS\n    " + statement.replace("\n", "\n    ") + "\n"
    index = AstIndex(ast.parse(source))
    function = index.tree.body[1]
    grown = growth_shapes(index).grown
    sites = growth_uses(index, frozenset({("name", "EVENTS"), ("name", "h")})).grows
    assert (("name", "EVENTS") in grown) is (name in GROWTH_SHAPES)  # through the alias h
    if name in GROWTH_SHAPES:
        assert "h" in names_grown_in(index, function)
        assert sites.get(("name", "EVENTS")), "the alias h = EVENTS is a growth site"
    # wider than the analysis: `h -= [v]` and `h = sorted(h)` still count as growth of h there
    if name == "augmented by another operator":
        assert "h" in names_grown_in(index, function) and sites.get(("name", "h"))
    if name == "re-bound to another call of itself":
        assert "h" not in names_grown_in(index, function) and sites.get(("name", "h"))


def test_growth_sites_exact_and_wide_readings():
    from memfix.fixers._growth_sites import aliased, augmented_target, grown_receiver, rebinds_to_copy, targets_and_value

    def stmt(text: str) -> ast.stmt:
        return ast.parse(text).body[0]

    spelled = lambda node: {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {  # noqa: E731
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }
    assert ast.unparse(grown_receiver(stmt("self.items.appendleft").value)) == "self.items"  # type: ignore[arg-type,attr-defined]
    assert grown_receiver(stmt("self.items.sort").value) is None  # type: ignore[attr-defined]
    assert augmented_target(stmt("x += [1]"), exact=True) is not None
    assert augmented_target(stmt("x -= [1]"), exact=True) is None
    assert augmented_target(stmt("x -= [1]"), exact=False) is not None
    for text, exact, wide in [
        ("x = x + [v]", True, True),
        ("x = [*x, v]", True, True),
        ("self.x = [v] + self.x", True, True),
        ("x = sorted(x)", False, True),
        ("x = y + [v]", False, False),
    ]:
        targets, value = targets_and_value(stmt(text))  # type: ignore[misc]
        assert rebinds_to_copy(targets[0], value, spelled, exact=True) is exact, text
        assert rebinds_to_copy(targets[0], value, spelled, exact=False) is wide, text
    assert targets_and_value(stmt("x: list")) is None
    assert aliased(stmt("h = self.items").value) and not aliased(stmt("h = f()").value)  # type: ignore[attr-defined]
