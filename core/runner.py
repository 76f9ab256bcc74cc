"""PATHS -> RunReport: discovery, the shard's share, then every file through the cache or
process_file.

With few files (pre-commit passes a handful) everything runs in-process: a worker pool costs more
to start than it saves. Otherwise files go to the pool largest first, so no worker is left with a
big file at the end, and the results are put back in path order: output and diffs are
byte-identical whatever the worker count. A worker returns a FileReport (positions and strings),
so it holds no tree once a file is done.
"""

from __future__ import annotations

import gc
import hashlib
import os
import signal
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Dict, Iterable, Iterator, List, Optional, Sequence

from memfix.cache import ResultCache, cacheable, reusable
from memfix.config import Settings
from memfix.discover import SourceFile, discover
from memfix.fixer import Fixer
from memfix.model import FileReport, Mode, RunReport
from memfix.process import process_file
from memfix.shard import Shard, file_sizes, select_shard

#: below this many files a pool is not worth its start-up time
POOL_THRESHOLD = 16


def effective_jobs(settings: Settings, file_count: int) -> int:
    jobs = settings.jobs or os.cpu_count() or 1
    if file_count < POOL_THRESHOLD:
        return 1
    return max(1, min(jobs, file_count))


def _content_hash(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


@dataclass(frozen=True)
class _Job:
    """What a worker needs besides the file: picklable, rebuilt rule selection on the far side."""

    settings: Settings
    mode: Mode
    cache: Optional[ResultCache]
    #: free each parsed file's trees before the next (pool workers; see _worker_init)
    collect: bool = False


def process_one(source: SourceFile, job: _Job, fixers: Sequence[Fixer]) -> FileReport:
    """One file through the cache: a hit is returned as stored; a miss is processed and, when its
    report depends on nothing but the key and the file still has the bytes hashed, stored."""
    cache = job.cache
    digest = _content_hash(source.real) if cache is not None else None
    if cache is not None and digest is not None:
        hit = cache.load(source.display, digest)
        if hit is not None and reusable(hit, job.mode):
            return hit
    report = process_file(source, job.settings, job.mode, fixers)
    if job.collect and (report.parsed or gc.get_count()[0] > _COLLECT_AFTER):
        # scope metadata (and the ast pass's shared index) hold reference cycles: free this file's
        # trees before the next one. What survives is the worker's own state (caches, lazily
        # imported modules): frozen, the next file's collection does not traverse it again
        gc.collect()
        gc.freeze()
    if cache is not None and digest is not None and cacheable(report, job.mode):
        if _content_hash(source.real) == digest:  # not edited while we were reading it
            cache.store(source.display, digest, report)
    return report


#: a worker collects between files (process_one), not during one: parsing and analysing a file
#: allocate millions of objects that stay alive until the file is done, so a collection in the
#: middle only re-scans live trees and promotes them, to be scanned again by the older generations
#: (even at one young collection per million allocations, 15% of a worker's time). The automatic
#: threshold stays as a backstop for a pathological file.
_WORKER_GC_THRESHOLDS = (20_000_000, 50, 100)
#: objects allocated (net) since the last collection above which a file the pre-filter alone
#: handled is followed by a collection too (its ast index holds cycles)
_COLLECT_AFTER = 200_000


@contextmanager
def _collector_tuned() -> Iterator[None]:
    """The workers' collector settings (_worker_init) for an in-process run in a process memfix
    owns (the command line's), put back afterwards. With the interpreter's defaults a young
    collection runs every 700 allocations and every tenth of those scans the whole heap, libcst
    and every imported module included: a 12% cost on a pre-commit-sized run of 8 files
    (1.30 s -> 1.16 s, median of 5 alternated runs)."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*_WORKER_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _worker_init() -> None:
    """Everything imported so far lives as long as the worker: freezing it keeps the per-file
    collection down to that file's own garbage. A pool worker only ever runs memfix, so its
    collector is tuned for it (never the caller's process: -j 1 runs in it).

    Ctrl-C reaches the whole process group; a worker ignores it and the parent stops the pool
    (process_files): a worker interrupted inside the pool's queues can leave a half-sent result
    the parent then waits on for ever (CI saw a run hang so once), and one interrupted inside a
    file has nothing better to do than finish that file."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()
    gc.set_threshold(*_WORKER_GC_THRESHOLDS)


def _worker(source: SourceFile, job: _Job) -> FileReport:
    from memfix.fixers import select_fixers

    return process_one(source, job, select_fixers(job.settings.select, job.settings.ignore))


def process_files(
    files: Sequence[SourceFile],
    settings: Settings,
    mode: Mode,
    fixers: Sequence[Fixer],
    cache: Optional[ResultCache] = None,
    sizes: Optional[Dict[str, int]] = None,
    own_process: bool = False,
) -> List[FileReport]:
    """``own_process``: the caller's process runs nothing but memfix (the command line), so an
    in-process run may tune its garbage collector as a pool worker does; an API caller's
    collector is left as it is."""
    jobs = effective_jobs(settings, len(files))
    if jobs <= 1:
        job = _Job(settings, mode, cache, collect=own_process)
        with _collector_tuned() if own_process else nullcontext():
            return [process_one(f, job, fixers) for f in files]
    from concurrent.futures import ProcessPoolExecutor  # multiprocessing: 30 ms an in-process run skips

    job = _Job(settings, mode, cache, collect=True)
    sizes = sizes if sizes is not None else file_sizes(files)
    # largest first (longest-processing-time scheduling); results go back to path order below
    order = sorted(range(len(files)), key=lambda i: (-sizes.get(files[i].real, 0), i))
    chunksize = max(1, len(files) // (jobs * 32))
    results: List[Optional[FileReport]] = [None] * len(files)
    # on Ctrl-C (only this process sees it: _worker_init) the results' iterator cancels every
    # file not yet started, and leaving the block waits for the files being written (atomically)
    with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init) as pool:
        for index, report in zip(order, pool.map(partial(_worker, job=job), [files[i] for i in order], chunksize=chunksize)):
            results[index] = report
    return [r for r in results if r is not None]


def open_cache(settings: Settings, fixers: Sequence[Fixer]) -> Optional[ResultCache]:
    if not settings.cache:
        return None
    return ResultCache.open(settings, [f.code for f in fixers])


def run(
    paths: Iterable[str],
    settings: Settings,
    mode: Mode = Mode.DRY_RUN,
    shard: Optional[Shard] = None,
    own_process: bool = False,
) -> RunReport:
    """``own_process``: see :func:`process_files` (the command line passes True)."""
    from memfix.fixers import select_fixers

    fixers = select_fixers(settings.select, settings.ignore)
    files, errors = discover(paths, settings)
    sizes: Optional[Dict[str, int]] = None
    extra: Dict[str, object] = {}
    if shard is not None:
        sizes = file_sizes(files)
        files = select_shard(files, shard, sizes)
        extra["shard"] = {"index": shard.index, "count": shard.count}
    reports = process_files(files, settings, mode, fixers, open_cache(settings, fixers), sizes, own_process)
    return RunReport(
        mode=mode,
        files=tuple(reports),
        errors=tuple(errors),
        min_confidence=settings.min_confidence,
        extra=extra,
    )


__all__ = ["run", "process_files", "process_one", "effective_jobs", "open_cache", "POOL_THRESHOLD"]
