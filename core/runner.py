"""PATHS -> RunReport: discovery, then every file through process_file, in order.

With few files (pre-commit passes a handful) everything runs in-process: a worker pool costs more
to start than it saves. Results are collected in path order whatever the worker count, so output
and diffs are byte-identical for -j 1 and -j N.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Iterable, List, Sequence

from memfix.config import Settings
from memfix.discover import SourceFile, discover
from memfix.fixer import Fixer
from memfix.model import FileReport, Mode, RunReport
from memfix.process import process_file

#: below this many files a pool is not worth its start-up time
POOL_THRESHOLD = 16


def effective_jobs(settings: Settings, file_count: int) -> int:
    jobs = settings.jobs or os.cpu_count() or 1
    if file_count < POOL_THRESHOLD:
        return 1
    return max(1, min(jobs, file_count))


def _process_with_selection(source: SourceFile, settings: Settings, mode: Mode) -> FileReport:
    from memfix.fixers import select_fixers

    return process_file(source, settings, mode, select_fixers(settings.select, settings.ignore))


def process_files(files: Sequence[SourceFile], settings: Settings, mode: Mode, fixers: Sequence[Fixer]) -> List[FileReport]:
    jobs = effective_jobs(settings, len(files))
    if jobs <= 1:
        return [process_file(f, settings, mode, fixers) for f in files]
    # workers rebuild the fixer selection themselves: fixers hold classes, cheap to re-import
    worker = partial(_process_with_selection, settings=settings, mode=mode)
    chunksize = max(1, len(files) // (jobs * 8))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(worker, files, chunksize=chunksize))


def run(paths: Iterable[str], settings: Settings, mode: Mode = Mode.DRY_RUN) -> RunReport:
    from memfix.fixers import select_fixers

    fixers = select_fixers(settings.select, settings.ignore)
    files, errors = discover(paths, settings)
    reports = process_files(files, settings, mode, fixers)
    return RunReport(mode=mode, files=tuple(reports), errors=tuple(errors), min_confidence=settings.min_confidence)
