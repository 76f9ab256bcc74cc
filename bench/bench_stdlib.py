"""Benchmark memfix against its references over this interpreter's standard library.

    python bench/bench_stdlib.py                 # everything; writes docs/performance.md
    python bench/bench_stdlib.py --sample 8      # an eighth of the corpus (by size), for a quick look
    python bench/bench_stdlib.py --skip-reference

Every measurement is taken in this run, on this machine, so the ratios compare like with like:

* reference: ``libcst.parse_module`` of every file, one process (the issue's yardstick), measured
  before and again after memfix's corpus runs: on a shared machine the speed drifts by tens of
  percent within minutes, so the ratios use the mean of the two, and the table shows both;
* memfix cold: ``memfix --dry-run -j 2`` with an empty result cache (goal: <= 0.5x the reference);
* memfix warm: the same command again, nothing changed (goal: <= 0.1x the cold run);
* peak memory of the cold run (goal: <= 400 MB): the largest process (``getrusage`` of the
  children) and the sum over the process tree (sampled from /proc; shared pages counted in every
  process, so an overestimate);
* scaling: 1/4, 1/2 and all of the corpus (``--shard 1/4`` and ``--shard 1/2`` are size-balanced
  quarters and halves), without the cache;
* pylint restricted to consider-using-with and method-cache-max-size-none, and Fixit with its
  default rules, each on the same files with 2 processes, installed into a separate virtualenv
  (goal: memfix >= 10x faster). If they cannot be installed the table says so. On a share of the
  corpus, pylint and memfix alternate (``--pylint-rounds``, default 3) and the round with the
  median ratio is reported, each pylint run against the memfix runs just before and after it.

This is a script, not a test: it takes minutes and its numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "performance.md"
DEFAULT_REF_VENV = Path.home() / ".cache" / "memfix-bench" / f"reference-py{sys.version_info[0]}{sys.version_info[1]}"
GOALS = {"cold": 0.5, "warm": 0.1, "rss_mb": 400.0, "reference": 10.0}


@dataclass
class Measured:
    wall: float
    max_rss_mb: float  # largest single process (getrusage of the children)
    tree_rss_mb: float  # peak of the sum over the process tree (sampled)
    returncode: int
    cpu: float = 0.0  # user + system seconds of the command and the workers it waited for
    stdout: bytes = b""
    stderr: bytes = b""
    note: str = ""


@dataclass
class Corpus:
    root: Path
    entries: List[str]  # what memfix is given: the stdlib's top-level folders and modules
    files: List[str]  # what memfix scans (its own discovery), the same list for every tool
    lines: int
    size: int


def _tree_rss(pid: int) -> int:
    """Sum of VmRSS over ``pid`` and its descendants, in bytes."""
    parents: Dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
    family = {pid}
    changed = True
    while changed:
        changed = False
        for child, parent in parents.items():
            if parent in family and child not in family:
                family.add(child)
                changed = True
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for member in family:
        try:
            with open(f"/proc/{member}/statm", "rb") as handle:
                total += int(handle.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


def measure(command: Sequence[str], cwd: Optional[Path] = None, timeout: float = 7200) -> Measured:
    """Run ``command`` in a fresh measuring process, so getrusage(RUSAGE_CHILDREN) covers this
    command (and the workers it waited for) alone."""
    probe = [sys.executable, str(Path(__file__).resolve()), "--measure-child", "--", *command]
    try:
        done = subprocess.run(probe, cwd=cwd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Measured(timeout, 0, 0, -1, note=f"timed out after {timeout:.0f} s")
    try:
        report = json.loads(done.stderr.rsplit(b"\n@@measure@@", 1)[1])
    except (IndexError, ValueError):
        return Measured(0, 0, 0, -1, stderr=done.stderr, note="measurement failed")
    stderr = done.stderr.rsplit(b"\n@@measure@@", 1)[0]
    return Measured(report["wall"], report["max_rss"] / 1024, report["tree_rss"] / 2**20, report["rc"], report["cpu"], done.stdout, stderr)


def _measure_child(command: List[str]) -> int:
    peak = [0]
    start = time.perf_counter()
    process = subprocess.Popen(command)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], _tree_rss(process.pid))
            except OSError:
                pass
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rc = process.wait()
    wall = time.perf_counter() - start
    stop.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stderr.flush()
    cpu = usage.ru_utime + usage.ru_stime
    os.write(2, b"\n@@measure@@" + json.dumps({"wall": wall, "max_rss": usage.ru_maxrss, "tree_rss": peak[0], "rc": rc, "cpu": cpu}).encode())
    return 0


# -- the corpus ----------------------------------------------------------------------------------


def build_corpus(workdir: Path, sample: int) -> Corpus:
    """The stdlib's .py files (site-packages excluded), copied under ``workdir``: Fixit, like
    memfix by default, skips what a .gitignore above the interpreter excludes (pyenv keeps its
    interpreters in a git checkout that ignores them), and a copy makes every tool see every file."""
    from memfix.config import Settings
    from memfix.discover import discover
    from memfix.shard import partition

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    copy = workdir / "stdlib"
    for folder, dirnames, filenames in os.walk(stdlib):
        here = Path(folder)
        dirnames[:] = sorted(d for d in dirnames if not (here == stdlib and d in ("site-packages", "dist-packages")) and d != "__pycache__")
        for name in filenames:
            if name.endswith(".py"):
                target = copy / here.relative_to(stdlib) / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(here / name, target)
    entries = sorted(str(p) for p in copy.iterdir())
    settings = Settings(respect_gitignore=False, project_root=str(workdir))
    files, _ = discover(entries, settings)
    if sample > 1:
        files = partition(files, sample)[0]
    paths = [f.real for f in files]
    lines = size = 0
    for path in paths:
        data = Path(path).read_bytes()
        size += len(data)
        lines += data.count(b"\n")
    return Corpus(stdlib, entries, paths, lines, size)


PARSE_ALL = r"""
import sys, time, libcst
paths = open(sys.argv[1]).read().split("\0")
failed = 0
start = time.perf_counter()
for path in paths:
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        libcst.parse_module(data)
    except Exception:
        failed += 1
print(time.perf_counter() - start, failed)
"""


def libcst_reference(corpus: Corpus, listing: Path) -> Tuple[float, int, Measured]:
    measured = measure([sys.executable, "-c", PARSE_ALL, str(listing)])
    seconds, failed = measured.stdout.split()
    return float(seconds), int(failed), measured


# -- reference tools in their own virtualenv ------------------------------------------------------


def reference_venv(path: Path) -> Tuple[Optional[Path], str]:
    python = path / "bin" / "python"
    if not python.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, capture_output=True, timeout=600)
        except (subprocess.SubprocessError, OSError) as exc:
            return None, f"cannot create a virtualenv: {exc}"
    try:
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "pylint", "fixit"],
            check=True,
            capture_output=True,
            timeout=1800,
        )
    except subprocess.CalledProcessError as exc:
        tail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-1:]
        return None, f"pip install pylint fixit failed: {' '.join(tail)}"
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"pip install pylint fixit failed: {exc}"
    return python, ""


def tool_version(python: Path, package: str) -> str:
    done = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"], capture_output=True, text=True
    )
    return done.stdout.strip() or "?"


# -- the run -------------------------------------------------------------------------------------


@dataclass
class Results:
    corpus: Corpus
    libcst_seconds: float = 0.0  # the mean of the measurements below
    libcst_each: List[float] = field(default_factory=list)
    libcst_failed: int = 0
    runs: Dict[str, Measured] = field(default_factory=dict)
    scanned: Dict[str, int] = field(default_factory=dict)
    versions: Dict[str, str] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    load: List[Tuple[float, float, float]] = field(default_factory=list)
    reference_files: int = 0


def compile_memfix() -> str:
    """Byte-compile memfix's own modules, as pip does when it installs a wheel, and say so.

    An editable install leaves them as source; where PYTHONDONTWRITEBYTECODE is set (this
    sandbox sets it) every memfix start would compile all of them again, about 0.2 s, while the
    references' modules were compiled when pip installed them."""
    import compileall

    import memfix
    import memfix.cli
    import memfix.fixers

    folders = sorted({Path(module.__file__).parent for module in (memfix, memfix.cli, memfix.fixers)})
    ok = all(compileall.compile_dir(str(folder), quiet=1, maxlevels=0) for folder in folders)
    return "memfix's modules were byte-compiled before the runs, as pip does for an installed wheel" + (
        "" if ok else " (some failed to compile)"
    )


def run_memfix(workdir: Path, args: Sequence[str], out: Path) -> Tuple[Measured, int]:
    command = [sys.executable, "-m", "memfix", "--dry-run", "--config", str(workdir / "pyproject.toml"), "--format", "json", "-o", str(out), *args]
    measured = measure(command, cwd=workdir)
    try:
        scanned = json.loads(out.read_text())["summary"]["files_scanned"]
    except (OSError, ValueError, KeyError):
        scanned = -1
    return measured, scanned


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=1, help="use 1/N of the corpus (by size)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip-reference", action="store_true", help="do not install or run pylint and Fixit")
    parser.add_argument("--reference-venv", type=Path, default=DEFAULT_REF_VENV)
    parser.add_argument(
        "--reference-share",
        type=int,
        default=1,
        help="run pylint and Fixit on 1/N of the files (by size), and memfix again on the same files "
        "for their ratios (Fixit needs about an hour for the whole standard library)",
    )
    parser.add_argument(
        "--pylint-rounds",
        type=int,
        default=3,
        help="with --reference-share: alternate memfix and pylint this many times and report the round "
        "with the median ratio (a single pylint run moved by 40%% between runs on a shared machine)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown report (default docs/performance.md)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="memfix-bench-") as temp:
        workdir = Path(temp)
        # the stdlib lives under a folder git ignores in some installs (pyenv): scan it anyway
        (workdir / "pyproject.toml").write_text("[tool.memfix]\nrespect-gitignore = false\n")
        corpus = build_corpus(workdir, args.sample)
        results = Results(corpus)
        results.notes.append(compile_memfix())
        results.load.append(os.getloadavg())
        listing = workdir / "files.txt"
        listing.write_text("\0".join(corpus.files))
        print(f"corpus: {corpus.root} ({len(corpus.files)} files, {corpus.lines} lines, {corpus.size / 2**20:.1f} MiB)", flush=True)
        targets = corpus.entries if args.sample == 1 else corpus.files
        jobs = ["-j", str(args.jobs)]

        seconds, failed, parse_run = libcst_reference(corpus, listing)
        results.libcst_seconds, results.libcst_failed = seconds, failed
        results.libcst_each.append(seconds)
        results.runs["libcst"] = parse_run
        print(f"libcst.parse_module, every file, one process: {seconds:.1f} s ({failed} files libcst cannot parse; process CPU {parse_run.cpu:.1f} s)", flush=True)

        cache = workdir / "cache"
        cold, scanned = run_memfix(workdir, [*jobs, "--cache-dir", str(cache), *targets], workdir / "cold.json")
        results.runs["cold"], results.scanned["cold"] = cold, scanned
        print(f"memfix cold: {cold.wall:.1f} s, ratio {cold.wall / seconds:.3f}; CPU {cold.cpu:.1f} s; largest process {cold.max_rss_mb:.0f} MB, process tree {cold.tree_rss_mb:.0f} MB; {scanned} files", flush=True)
        warm, scanned = run_memfix(workdir, [*jobs, "--cache-dir", str(cache), *targets], workdir / "warm.json")
        results.runs["warm"], results.scanned["warm"] = warm, scanned
        same = (workdir / "cold.json").read_bytes() == (workdir / "warm.json").read_bytes()
        if not same:
            results.notes.append("the warm run's report differs from the cold run's")
        print(f"memfix warm: {warm.wall:.2f} s, {warm.wall / cold.wall:.3f}x the cold run; same report: {same}", flush=True)
        for part in (4, 2):
            base = ["--shard", f"1/{part}"]
            if args.sample > 1:
                # the sample is already a part: take the fraction of its files by size
                from memfix.discover import SourceFile
                from memfix.shard import partition

                chosen = partition([SourceFile(f, f) for f in corpus.files], part)[0]
                measured, scanned = run_memfix(workdir, [*jobs, "--no-cache", *[f.real for f in chosen]], workdir / f"part{part}.json")
            else:
                measured, scanned = run_memfix(workdir, [*jobs, "--no-cache", *base, *targets], workdir / f"part{part}.json")
            results.runs[f"1/{part}"], results.scanned[f"1/{part}"] = measured, scanned
            print(f"memfix 1/{part} of the corpus: {measured.wall:.1f} s ({scanned} files)", flush=True)
        full, scanned = run_memfix(workdir, [*jobs, "--no-cache", *targets], workdir / "full.json")
        results.runs["1/1"], results.scanned["1/1"] = full, scanned
        print(f"memfix all of the corpus, no cache: {full.wall:.1f} s ({scanned} files)", flush=True)
        again, _, again_run = libcst_reference(corpus, listing)
        results.libcst_each.append(again)
        results.runs["libcst-again"] = again_run
        results.libcst_seconds = sum(results.libcst_each) / len(results.libcst_each)
        print(
            f"libcst.parse_module again: {again:.1f} s; reference = mean {results.libcst_seconds:.1f} s; "
            f"cold ratio {cold.wall / results.libcst_seconds:.3f}, second cold run {full.wall / results.libcst_seconds:.3f}",
            flush=True,
        )
        try:
            summary = json.loads((workdir / "cold.json").read_text())
            results.notes.append(
                f"memfix found {summary['summary']['findings']} findings ({summary['summary']['fixable']} with a fix in the dry-run diff) and reported {summary['summary']['errors']} errors (files libcst or the decoder cannot read)."
            )
        except (OSError, ValueError, KeyError):
            pass

        if not args.skip_reference:
            python, problem = reference_venv(args.reference_venv)
            if python is None:
                results.notes.append(f"pylint and Fixit not measured: {problem}")
                print(f"reference tools: {problem}", flush=True)
            else:
                results.versions["pylint"] = tool_version(python, "pylint")
                results.versions["fixit"] = tool_version(python, "fixit")
                files = corpus.files
                mine = cold
                if args.reference_share > 1:
                    from memfix.discover import SourceFile
                    from memfix.shard import partition

                    files = [f.real for f in partition([SourceFile(f, f) for f in corpus.files], args.reference_share)[0]]
                    mine, _ = run_memfix(workdir, [*jobs, "--no-cache", *files], workdir / "reference-share.json")
                    print(f"memfix on the reference share ({len(files)} files), no cache: {mine.wall:.1f} s", flush=True)
                results.runs["reference-memfix"] = mine
                results.reference_files = len(files)
                pylint_command = [
                    str(python), "-m", "pylint", "--disable=all", "--enable=consider-using-with,method-cache-max-size-none",
                    f"--jobs={args.jobs}", "--score=n", "--rcfile=/dev/null", *files,
                ]
                if args.reference_share > 1:
                    # the same drift correction as the reference's: memfix before and after each
                    # pylint run; the round with the median ratio is the one reported
                    rounds = []
                    for number in range(max(1, args.pylint_rounds)):
                        pylint = measure(pylint_command, cwd=workdir)
                        again, _ = run_memfix(workdir, [*jobs, "--no-cache", *files], workdir / "reference-share.json")
                        bracket = _mean_of(mine, again)
                        rounds.append((pylint.wall / bracket.wall, pylint, bracket))
                        print(f"round {number + 1}: pylint {pylint.wall:.1f} s, memfix {bracket.note}: {rounds[-1][0]:.1f}x", flush=True)
                        mine = again
                    ranked = sorted(rounds, key=lambda r: r[0])
                    _, pylint, mine = ranked[len(ranked) // 2]
                    if len(rounds) > 1:
                        results.notes.append(
                            "pylint's ratio is the median of "
                            + ", ".join(f"{ratio:.1f}x" for ratio, _, _ in rounds)
                            + " (pylint and memfix alternated; each pylint run compared with the memfix runs just before and after it)"
                        )
                    results.runs["reference-memfix"] = mine
                else:
                    pylint = measure(pylint_command, cwd=workdir)
                results.runs["pylint"] = pylint
                print(f"pylint (2 checks): {pylint.wall:.1f} s, memfix {pylint.wall / mine.wall:.1f}x faster (rc {pylint.returncode})", flush=True)
                fixit_bin = python.parent / "fixit"
                fixit = measure([str(fixit_bin), "lint", *files], cwd=workdir)
                results.runs["fixit"] = fixit
                print(f"Fixit (default rules): {fixit.wall:.1f} s, memfix {fixit.wall / mine.wall:.1f}x faster (rc {fixit.returncode})", flush=True)
                last = (fixit.stderr or fixit.stdout).decode(errors="replace").strip().splitlines()[-1:]
                if last:
                    results.notes.append(f"Fixit's summary (exit status {fixit.returncode}): {last[0].strip()}")

        results.load.append(os.getloadavg())
        import libcst
        import memfix

        results.versions.update(python=platform.python_version(), memfix=memfix.__version__, libcst=libcst.__version__ if hasattr(libcst, "__version__") else tool_version(Path(sys.executable), "libcst"), typer=tool_version(Path(sys.executable), "typer"))
        text = render(results, args)
        print()
        print(text)
        if not args.no_write:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(text)
            print(f"written to {args.out}")
    return 0


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except (OSError, ValueError):
        pass
    return "?"


def _cpu_of(r: "Results", *keys: str) -> str:
    runs = [r.runs[key] for key in keys if key in r.runs]
    return f"{sum(run.cpu for run in runs) / len(runs):.1f} s" if runs else ""


def _mean_of(first: Measured, second: Measured) -> Measured:
    """Two runs of the same command, taken around another tool's: wall and CPU averaged."""
    return Measured(
        wall=(first.wall + second.wall) / 2,
        max_rss_mb=max(first.max_rss_mb, second.max_rss_mb),
        tree_rss_mb=max(first.tree_rss_mb, second.tree_rss_mb),
        returncode=second.returncode,
        cpu=(first.cpu + second.cpu) / 2,
        note=f"the mean of {first.wall:.1f} s and {second.wall:.1f} s, measured before and after pylint",
    )


def _verdict(value: Optional[float], goal: float, lower_is_better: bool = True) -> str:
    if value is None:
        return "n/a"
    ok = value <= goal if lower_is_better else value >= goal
    return "met" if ok else "**not met**"


def render(r: Results, args: argparse.Namespace) -> str:
    c = r.corpus
    cold = r.runs["cold"]
    warm = r.runs["warm"]
    ref = r.libcst_seconds
    lines = [
        "# memfix performance",
        "",
        "Written by `bench/bench_stdlib.py`; every number below comes from one run of it, on the",
        "machine described, so the ratios compare like with like. Re-run it to see where memfix",
        "stands on yours.",
        "",
        "## Setup",
        "",
        "| | |",
        "| --- | --- |",
        f"| machine | {platform.system()} {platform.machine()}, {_cpu()}, {os.cpu_count()} CPUs, {_memory()} RAM |",
        f"| load average (1, 5, 15 min) at start / end | {' '.join(f'{x:.1f}' for x in r.load[0])} / {' '.join(f'{x:.1f}' for x in r.load[-1])} |",
        f"| versions | " + ", ".join(f"{k} {v}" for k, v in r.versions.items()) + " |",
        f"| corpus | the `.py` files of `{c.root}` without site-packages, copied to a temporary folder{' (1/%d by size)' % args.sample if args.sample > 1 else ''}: {len(c.files)} files, {c.lines:,} lines, {c.size / 2**20:.1f} MiB |",
        f"| memfix command | `memfix --dry-run -j {args.jobs} --format json` (rules: every rule registered in this build) |",
        "",
        "## Results",
        "",
        "| measurement | wall time | CPU time | ratio (wall) | goal | |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| `libcst.parse_module` of every file, one process (reference: the mean of {' and '.join(f'{x:.1f} s' for x in r.libcst_each)}, measured before and after memfix's corpus runs) | {ref:.1f} s | {_cpu_of(r, 'libcst', 'libcst-again')} | 1 | | |",
        f"| memfix cold (empty cache), -j {args.jobs} | {cold.wall:.1f} s | {cold.cpu:.1f} s | {cold.wall / ref:.3f} of the reference | <= {GOALS['cold']} | {_verdict(cold.wall / ref, GOALS['cold'])} |",
        f"| memfix, all of the corpus, no cache, -j {args.jobs} (second cold run) | {r.runs['1/1'].wall:.1f} s | {r.runs['1/1'].cpu:.1f} s | {r.runs['1/1'].wall / ref:.3f} of the reference | <= {GOALS['cold']} | {_verdict(r.runs['1/1'].wall / ref, GOALS['cold'])} |",
        f"| memfix warm (nothing changed) | {warm.wall:.2f} s | {warm.cpu:.1f} s | {warm.wall / cold.wall:.3f} of the cold run | <= {GOALS['warm']} | {_verdict(warm.wall / cold.wall, GOALS['warm'])} |",
        f"| peak memory of the cold run, largest process | {cold.max_rss_mb:.0f} MB | | | <= {GOALS['rss_mb']:.0f} MB | {_verdict(cold.max_rss_mb, GOALS['rss_mb'])} |",
        f"| peak memory of the cold run, whole process tree (sum of RSS) | {cold.tree_rss_mb:.0f} MB | | | <= {GOALS['rss_mb']:.0f} MB | {_verdict(cold.tree_rss_mb, GOALS['rss_mb'])} |",
    ]
    mine = r.runs.get("reference-memfix", cold)
    share = f", on 1/{args.reference_share} of the files ({r.reference_files})" if args.reference_share > 1 else ""
    if args.reference_share > 1 and "reference-memfix" in r.runs:
        lines.append(f"| memfix, no cache, -j {args.jobs}{share}{' (' + mine.note + ')' if mine.note else ''} | {mine.wall:.1f} s | {mine.cpu:.1f} s | (the runs below compare with this) | | |")
    for name, label, tool in (("pylint", f"pylint, consider-using-with + method-cache-max-size-none, -j {args.jobs}{share}", "pylint"), ("fixit", f"Fixit `fixit lint`, default rules{share}", "fixit")):
        run = r.runs.get(name)
        if run is None or run.returncode == -1:
            why = run.note if run is not None else "not measured"
            lines.append(f"| {label} | n/a | | n/a ({why}) | memfix >= {GOALS['reference']:.0f}x faster | n/a |")
        else:
            speedup = run.wall / mine.wall
            lines.append(f"| {label} | {run.wall:.1f} s | {run.cpu:.1f} s | memfix {speedup:.1f}x faster | >= {GOALS['reference']:.0f}x | {_verdict(speedup, GOALS['reference'], False)} |")
    lines += ["", "## Scaling (no cache)", "", "| share of the corpus | files | wall time | CPU time | wall time per file |", "| --- | --- | --- | --- | --- |"]
    for key in ("1/4", "1/2", "1/1"):
        run = r.runs[key]
        files = r.scanned.get(key, 0)
        per = f"{1000 * run.wall / files:.1f} ms" if files > 0 else "n/a"
        lines.append(f"| {key} (by size) | {files} | {run.wall:.1f} s | {run.cpu:.1f} s | {per} |")
    lines += [
        "",
        "## Notes",
        "",
        f"- {r.libcst_failed} files of the corpus do not parse with libcst (Python 2 test data, deliberately broken files); the reference times the attempt, memfix reports them as errors when a rule could match them.",
        "- memfix's times are wall-clock from process start (interpreter start-up and imports included); the reference times only its parse loop. CPU time is user + system time of the command and the workers it waited for: on a machine shared with other work (see the load average) it shows the work done, where wall time also shows the waiting.",
        "- The shares for the scaling table are `--shard 1/4` and `--shard 1/2`: size-balanced, so a quarter of the bytes rather than of the files.",
        "- Memory: the largest process is `getrusage(RUSAGE_CHILDREN).ru_maxrss` of a process that ran only this command; the process-tree figure samples /proc every 0.1 s and counts pages shared by forked workers once per process, so it overstates the true total.",
    ]
    lines += [f"- {note}" for note in r.notes]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--measure-child":
        sys.exit(_measure_child(sys.argv[3:]))
    sys.exit(main())
