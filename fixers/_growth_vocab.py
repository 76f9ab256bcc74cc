"""The names the growth analysis recognises: methods that grow or bound a container, calls that
read it whole or only iterate it, words that say an owner lives long or a name is a bound."""

from __future__ import annotations

import re
from typing import Optional, Set


# ---------------------------------------------------------------------------------------------
# vocabularies


GROW_METHODS = frozenset({"append", "extend", "insert", "appendleft", "extendleft"})
BOUND_METHODS = frozenset({"clear", "pop", "popleft", "remove"})
#: methods that work on a deque and read the whole container
WHOLE_READ_METHODS = frozenset({"count", "index", "reverse", "rotate"})
#: builtins and stdlib calls that accept any iterable/sequence and keep no reference to it
ITERABLE_CONSUMERS = frozenset(
    {
        "builtins.len",
        "builtins.list",
        "builtins.tuple",
        "builtins.sorted",
        "builtins.sum",
        "builtins.min",
        "builtins.max",
        "builtins.any",
        "builtins.all",
        "builtins.set",
        "builtins.frozenset",
        "builtins.enumerate",
        "builtins.reversed",
        "builtins.zip",
        "builtins.map",
        "builtins.filter",
        "math.fsum",
        "math.prod",
        "random.choice",
        "random.sample",
        "heapq.nlargest",
        "heapq.nsmallest",
        "collections.Counter",
    }
)
ITERABLE_CONSUMER_PREFIXES = ("statistics.", "itertools.")
#: calls whose result depends on the container being a list (repr, serialisation, type checks)
LIST_ONLY_CALLS = frozenset(
    {
        "builtins.str",
        "builtins.repr",
        "builtins.print",
        "builtins.format",
        "builtins.isinstance",
        "builtins.type",
        "json.dumps",
        "json.dump",
        "pickle.dumps",
        "pickle.dump",
        "copy.copy",
        "copy.deepcopy",
    }
)
#: a class whose name or docstring says this lives as long as the process
LONG_LIVED_WORDS = ("service", "monitor", "tracker", "engine", "manager", "cache", "daemon", "worker")
#: weaker hints: often long-lived, not always
MAYBE_LONG_LIVED_WORDS = (
    "handler",
    "controller",
    "system",
    "server",
    "scheduler",
    "collector",
    "registry",
    "pool",
    "bus",
    "agent",
    "coordinator",
    "processor",
    "recorder",
    "listener",
    "watcher",
    "profiler",
    "dispatcher",
    "bot",
)
#: calls that keep a callable running in the background
BACKGROUND_CALLS = frozenset(
    {
        "threading.Thread",
        "threading.Timer",
        "asyncio.create_task",
        "asyncio.ensure_future",
        "signal.signal",
        "atexit.register",
        "sched.scheduler.enter",
    }
)
BOUND_NAME_TOKENS = frozenset({"max", "maxlen", "limit", "window", "capacity", "cap", "size", "keep", "len", "length", "retention"})
#: a name with one of these is a bound on its own (``history_window``, ``maxlen``)
STRONG_BOUND_TOKENS = frozenset({"maxlen", "window", "limit", "capacity", "retention"})
#: ``max_*`` needs a size word or a word of the container's name (``MAX_HISTORY_SIZE``, ``max_events``)
SIZE_WORDS = frozenset({"size", "len", "length", "history", "count", "entries", "items", "records", "events", "samples"})
#: builtins that reach an attribute by name (``getattr(self, "items")``, ``vars(obj)``): the analysis
#: treats them as escapes, and the pre-filter keeps the code spelling them (with ``__dict__``)
REFLECTIVE_BUILTINS = frozenset({"getattr", "setattr", "delattr", "vars"})
REFLECTIVE_NAMES = REFLECTIVE_BUILTINS | {"__dict__"}
NOT_BOUND_TOKENS = frozenset(
    {"workers", "worker", "timeout", "interval", "retries", "retry", "delay", "threads", "age", "seconds", "ttl", "bytes", "mb", "kb", "depth", "width", "height", "font", "batch", "chunk", "page", "port", "level", "version", "name", "id", "code", "value", "width"}
)


def name_tokens(name: str) -> Set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return {t for t in spaced.lower().split("_") if t}


def named_bound_score(name: str, stem: Set[str]) -> Optional[int]:
    """How strongly ``name`` reads as a bound on a container whose name has the tokens ``stem``
    (``max_events`` for ``events``, ``history_window``), or None when it is not one.

    One predicate for the analysis (which ranks named bounds by it) and the growth pre-filter
    (which keeps the code re-storing an attribute only when the analysis may take it as a bound).
    """
    tokens = name_tokens(name)
    if tokens & NOT_BOUND_TOKENS:
        return None
    shared = (tokens - BOUND_NAME_TOKENS) & stem
    strong = tokens & STRONG_BOUND_TOKENS
    max_like = tokens & {"max", "cap", "keep"}
    if not (strong or (max_like and (shared or tokens & SIZE_WORDS)) or (shared and tokens & BOUND_NAME_TOKENS)):
        return None
    return 2 * len(shared) + (1 if strong or max_like else 0)
