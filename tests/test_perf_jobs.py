"""-j/--jobs: the same bytes out whatever the worker count; few files never start a pool."""

from __future__ import annotations

import os

from memfix import runner
from memfix.config import Settings

FIXABLE = "def load(path):\n    f = open(path)\n    data = f.read()\n    f.close()\n    return data\n"
NO_FIX = "class Log:\n    def __init__(self, path):\n        self.out = open(path, 'a')\n"
UNSAFE = "def load(path):\n    data = consume(open(path))\n    return data\n"


def test_output_and_diffs_identical_for_one_and_two_workers(tmp_path, memfix_cli):
    (tmp_path / "pyproject.toml").write_text("[tool.memfix]\n")
    count = runner.POOL_THRESHOLD + 4  # enough files for a pool
    for i in range(count):
        body = [FIXABLE, NO_FIX, UNSAFE, "x = 1\n"][i % 4]
        folder = tmp_path / "src" / f"d{i % 5}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"m{i:02d}.py").write_text("\n" * (i * 37 % 11) + body)
    (tmp_path / "src" / "d1" / "broken.py").write_text("def (:\n    open(x)\n")
    outputs = {}
    for jobs in ("1", "2"):
        cache = ("--cache-dir", f"cache{jobs}")  # the JSON run renders this run's results again
        text = memfix_cli(tmp_path, *cache, "--unsafe-fixes", "-j", jobs, "src", "--patch", f"p{jobs}.patch")
        data = memfix_cli(tmp_path, *cache, "--unsafe-fixes", "-j", jobs, "src", "--format", "json")
        outputs[jobs] = (text.returncode, text.stdout, text.stderr, data.stdout, (tmp_path / f"p{jobs}.patch").read_bytes())
    assert outputs["1"] == outputs["2"]
    code, stdout, _, _, patch = outputs["1"]
    assert code == 2 and stdout.count(b"MF301") >= count // 2 and patch.count(b"+++ b/") >= count // 4


def test_effective_jobs():
    assert runner.effective_jobs(Settings(jobs=0), 1000) == (os.cpu_count() or 1)
    assert runner.effective_jobs(Settings(jobs=3), 1000) == 3
    assert runner.effective_jobs(Settings(jobs=8), runner.POOL_THRESHOLD - 1) == 1


def test_few_files_run_in_process(tmp_path, monkeypatch):
    class NoPool:
        def __init__(self, *args, **kwargs):
            raise AssertionError("a pool was started for a handful of files")

    import concurrent.futures

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoPool)
    for i in range(3):
        (tmp_path / f"m{i}.py").write_text(FIXABLE)
    report = runner.run([str(tmp_path)], Settings(jobs=8, cache=False, respect_gitignore=False))
    assert len(report.files) == 3 and len(report.findings) == 3


def test_pool_workers_tune_their_own_collector_and_leave_the_callers_alone(tmp_path):
    import gc
    from concurrent.futures import ProcessPoolExecutor

    from memfix.discover import SourceFile
    from memfix.fixers import FIXERS
    from memfix.model import Mode

    with ProcessPoolExecutor(max_workers=1, initializer=runner._worker_init) as pool:
        assert pool.submit(gc.get_threshold).result() == runner._WORKER_GC_THRESHOLDS
    before = gc.get_threshold()
    for n in range(4):
        (tmp_path / f"m{n}.py").write_text("class A:\n    def __init__(self):\n        self.items = []\n", encoding="utf-8")
    files = [SourceFile(str(p), str(p)) for p in sorted(tmp_path.glob("*.py"))]
    reports = runner.process_files(files, Settings(cache=False, jobs=2), Mode.DRY_RUN, FIXERS)
    assert len(reports) == 4
    assert gc.get_threshold() == before


def test_a_worker_freezes_what_survives_each_files_collection(tmp_path):
    """The per-file collection frees the file's cycles, then freezes what is left (the worker's own
    state), so the next file's collection does not traverse it again; a caller's process is never
    touched (collect=False)."""
    import gc
    from concurrent.futures import ProcessPoolExecutor

    from memfix.discover import SourceFile
    from memfix.fixers import FIXERS
    from memfix.model import Mode

    path = tmp_path / "m.py"
    path.write_text("class A:\n    def __init__(self):\n        self.items = []\n\n    def add(self, x):\n        self.items.append(x)\n", encoding="utf-8")
    source = SourceFile(str(path), str(path))
    with ProcessPoolExecutor(max_workers=1, initializer=runner._worker_init) as pool:
        frozen, young, parsed = pool.submit(_freeze_after_one_file, source, FIXERS).result()
    assert parsed
    assert frozen > 0
    assert young < 100  # nothing of the file is left for the next collection to traverse
    before = gc.get_freeze_count()
    runner.process_one(source, runner._Job(Settings(cache=False), Mode.DRY_RUN, None), FIXERS)
    assert gc.get_freeze_count() == before


def _freeze_after_one_file(source, fixers):
    import gc

    from memfix.model import Mode

    gc.unfreeze()
    report = runner.process_one(source, runner._Job(Settings(cache=False), Mode.DRY_RUN, None, collect=True), fixers)
    return gc.get_freeze_count(), len(gc.get_objects()), report.parsed


def _collector_seen_per_file(monkeypatch):
    """Records the collector's thresholds and whether the per-file collection is on, per file."""
    seen = []
    real = runner.process_one

    def spy(source, job, fixers):
        import gc

        seen.append((gc.get_threshold(), job.collect))
        return real(source, job, fixers)

    monkeypatch.setattr(runner, "process_one", spy)
    return seen


def test_the_command_lines_in_process_run_tunes_its_collector_and_puts_it_back(tmp_path, monkeypatch):
    import gc

    for i in range(3):
        (tmp_path / f"m{i}.py").write_text(FIXABLE)
    seen = _collector_seen_per_file(monkeypatch)
    before = (gc.get_threshold(), gc.get_freeze_count())
    report = runner.run([str(tmp_path)], Settings(jobs=1, cache=False, respect_gitignore=False), own_process=True)
    assert len(report.findings) == 3
    assert seen == [(runner._WORKER_GC_THRESHOLDS, True)] * 3
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_an_api_callers_in_process_run_leaves_its_collector_alone(tmp_path, monkeypatch):
    import gc

    for i in range(3):
        (tmp_path / f"m{i}.py").write_text(FIXABLE)
    seen = _collector_seen_per_file(monkeypatch)
    before = gc.get_threshold()
    runner.run([str(tmp_path)], Settings(jobs=1, cache=False, respect_gitignore=False))
    assert seen == [(before, False)] * 3


def test_the_command_line_runs_in_process_with_its_collector_tuned(tmp_path, monkeypatch):
    from memfix.cli.app import main

    for i in range(3):
        (tmp_path / f"m{i}.py").write_text(FIXABLE)
    seen = _collector_seen_per_file(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["memfix", "--no-cache", "--format", "json", "-o", str(tmp_path / "out.json"), "."])
    try:
        main(hard_exit=False)
    except SystemExit as done:
        assert done.code == 1
    assert [collect for _, collect in seen] == [True] * 3
