"""memfix: find memory-leak patterns in Python source and fix them with verified diffs.

The public API is small: ``run`` scans paths, ``scan_source``/``fix_source`` work on one text,
``Settings`` carries the configuration and the model classes describe the results.
"""

from __future__ import annotations

try:
    from importlib.metadata import PackageNotFoundError, version as _version

    __version__ = _version("memfix")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

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
