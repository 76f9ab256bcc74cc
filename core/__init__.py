"""memfix: find memory-leak patterns in Python source and fix them with verified diffs.

The public API is small: ``run`` scans paths, ``scan_source``/``fix_source`` work on one text,
``Settings`` carries the configuration and the model classes describe the results.
"""

from __future__ import annotations

import os as _os
import sys as _sys

# `python -m memfix` puts the working folder first on sys.path, before memfix imports libcst, typer
# and half the stdlib: a scanned project's `libcst.py` or `tokenize.py` would run. memfix never
# executes the code it scans, so that entry goes (only when memfix itself is the -m target).
def _run_as_module() -> bool:
    if _sys.argv[:1] != ["-m"] or not _sys.path:
        return False
    try:
        cwd = _os.getcwd()
    except OSError:  # the working folder was removed: nothing to shadow anything from
        return False
    if _sys.path[0] not in ("", cwd):
        return False
    orig = getattr(_sys, "orig_argv", None)  # 3.10+; on 3.9 "-m" while importing memfix is enough
    return orig is None or orig[-len(_sys.argv)].replace("-m", "", 1) in ("memfix", "memfix.__main__")


if _run_as_module():
    del _sys.path[0]

#: the one place the version is written: pyproject.toml reads it (``[tool.setuptools.dynamic]``);
#: asking importlib.metadata instead cost every run ~80 ms of start-up (a pre-commit hook's budget)
__version__ = "0.1.0"

from memfix.config import Settings, load_settings
from memfix.model import (
    Confidence,
    FileError,
    FileReport,
    Finding,
    FixInfo,
    Mode,
    RunReport,
    Safety,
    Span,
)
from memfix.api import fix_source, scan_source
from memfix.runner import run

__all__ = [
    "__version__",
    "Settings",
    "load_settings",
    "Confidence",
    "FileError",
    "FileReport",
    "Finding",
    "FixInfo",
    "Mode",
    "RunReport",
    "Safety",
    "Span",
    "fix_source",
    "scan_source",
    "run",
]
