"""The result cache: a hit is exactly the report a run would produce; any change to the file, the
configuration, the rule set or memfix's version is a miss; broken entries are misses; --apply
never skips a write."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import memfix
from memfix import runner
from memfix.cache import ResultCache, report_from_json, report_to_json
from memfix.config import Settings
from memfix.model import (
    Confidence,
    FileError,
    FileReport,
    Finding,
    FixInfo,
    Mode,
    Safety,
    Span,
    VerifyOutcome,
)

FIXABLE = "def load(path):\n    f = open(path)\n    data = f.read()\n    f.close()\n    return data\n"
FIXED = "def load(path):\n    with open(path) as f:\n        data = f.read()\n    return data\n"
NO_FIX = "class Log:\n    def __init__(self, path):\n        self.out = open(path, 'a')\n"


def _finding(**kw) -> Finding:
    base = dict(
        code="MF301",
        name="open-without-with",
        path="pkg/a.py",
        span=Span(3, 5, 3, 17),
        message="m (safe fix: r)",
        symbol="load.f",
        fix=FixInfo(Safety.SAFE, "wrap", applied=False),
        confidence=Confidence.MEDIUM,
    )
    base.update(kw)
    return Finding(**base)


def test_report_json_round_trip_is_lossless():
    report = FileReport(
        path="pkg/a.py",
        findings=(_finding(), _finding(fix=None, symbol="x", confidence=Confidence.LOW)),
        errors=(FileError("pkg/a.py", "verify", "fix rolled back: ...", detail="trace\n"),),
        diff=b"--- a/pkg/a.py\n+++ b/pkg/a.py\n@@ -1 +1 @@\n-caf\xe9\r\n+x\r\n",
        encoding="latin-1",
        verify=VerifyOutcome(ok=False, remaining=(_finding(),), new=(_finding(code="MF101"),), reason="why"),
        written=False,
        fixable=2,
        parsed=True,
    )
    again = report_from_json(json.loads(json.dumps(report_to_json(report))))
    assert again == report
    assert again.errors[0].detail == "trace\n"


def _cache(tmp_path, settings=None, codes=("MF301",), version="1.0", fingerprint="code") -> ResultCache:
    settings = settings or Settings(cache_dir=str(tmp_path / "cache"))
    return ResultCache.open(settings, list(codes), version=version, fingerprint=fingerprint)


def test_hit_and_every_kind_of_miss(tmp_path):
    report = FileReport(path="a.py", findings=(_finding(path="a.py"),))
    cache = _cache(tmp_path)
    assert cache.load("a.py", "h1") is None
    assert cache.store("a.py", "h1", report)
    assert cache.load("a.py", "h1") == report
    assert cache.load("a.py", "h2") is None  # content changed
    assert cache.load("b.py", "h1") is None  # same content under another path: paths are in findings
    settings = Settings(cache_dir=str(tmp_path / "cache"))
    assert _cache(tmp_path, replace(settings, max_len=50)).load("a.py", "h1") is None  # configuration
    assert _cache(tmp_path, replace(settings, unsafe_fixes=True)).load("a.py", "h1") is None
    assert _cache(tmp_path, version="1.1").load("a.py", "h1") is None  # memfix version
    assert _cache(tmp_path, fingerprint="edited").load("a.py", "h1") is None  # memfix's code
    assert _cache(tmp_path, codes=("MF301", "MF101")).load("a.py", "h1") is None  # rule set
    # what does not change a result does not change the key
    assert _cache(tmp_path, replace(settings, jobs=7)).load("a.py", "h1") == report


def test_corrupt_and_foreign_entries_are_misses(tmp_path):
    cache = _cache(tmp_path)
    report = FileReport(path="a.py")
    cache.store("a.py", "h", report)
    entry = cache._entry_path(cache.key("a.py", "h"))
    for garbage in (b"", b"{", b"\x00\xff", b"[]", b'{"format": 1}', json.dumps({"format": 1, "key": "other", "report": {}}).encode()):
        entry.write_bytes(garbage)
        assert cache.load("a.py", "h") is None
    good = json.loads(json.dumps({"format": 1, "key": cache.key("a.py", "h"), "report": report_to_json(report)}))
    good["report"]["findings"] = [{"code": "MF301"}]  # truncated finding
    entry.write_text(json.dumps(good))
    assert cache.load("a.py", "h") is None
    assert cache.store("a.py", "h", report) and cache.load("a.py", "h") == report


def test_concurrent_writers_never_expose_a_partial_entry(tmp_path):
    cache = _cache(tmp_path)
    big = FileReport(path="a.py", findings=tuple(_finding(path="a.py", symbol=f"s{i}") for i in range(100)))
    cache.store("a.py", "h", big)
    problems = []

    def write():
        for _ in range(20):
            cache.store("a.py", "h", big)

    def read():
        for _ in range(200):
            got = cache.load("a.py", "h")
            if got != big:
                problems.append(got)

    threads = [threading.Thread(target=write) for _ in range(3)] + [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []
    leftovers = [p for p in Path(cache.root).rglob(".tmp-*")]
    assert leftovers == []


def test_unwritable_cache_folder_does_not_fail_the_run(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    (tmp_path / "a.py").write_text(NO_FIX)
    settings = Settings(cache_dir=str(blocker / "cache"), respect_gitignore=False)
    report = runner.run([str(tmp_path / "a.py")], settings)
    assert [f.code for f in report.findings] == ["MF301"] and not report.all_errors


def _no_processing(*args, **kwargs):
    raise AssertionError("processed although the cache holds this file")


def test_run_reuses_results_and_invalidates_them(tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.py").write_text(FIXABLE)
    (src / "b.py").write_text(NO_FIX)
    settings = Settings(cache_dir=str(tmp_path / "cache"), respect_gitignore=False, jobs=1)
    cold = runner.run([str(src)], settings)
    assert [f.symbol for f in cold.findings] and any(r.diff for r in cold.files)

    real_process = runner.process_file
    monkeypatch.setattr(runner, "process_file", _no_processing)
    warm = runner.run([str(src)], settings)
    assert warm == cold

    # the file changes: only that file is processed again
    seen = []

    def counting(source, *args):
        seen.append(Path(source.real).name)
        return real_process(source, *args)

    monkeypatch.setattr(runner, "process_file", counting)
    (src / "b.py").write_text(NO_FIX + "\n\ndef g(p):\n    return open(p).read()\n")
    changed = runner.run([str(src)], settings)
    assert seen == ["b.py"] and len(changed.findings) == len(cold.findings) + 1

    # the configuration changes: everything is processed again
    seen.clear()
    runner.run([str(src)], replace(settings, max_len=10))
    assert sorted(seen) == ["a.py", "b.py"]

    # memfix's version changes: everything is processed again
    seen.clear()
    monkeypatch.setattr(memfix, "__version__", "99.0.0")
    runner.run([str(src)], settings)
    assert sorted(seen) == ["a.py", "b.py"]

    # --no-cache: processed, and nothing read
    seen.clear()
    runner.run([str(src)], replace(settings, cache=False))
    assert sorted(seen) == ["a.py", "b.py"]


def test_apply_never_skips_a_write_and_reuses_clean_files(tmp_path, monkeypatch):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.py").write_text(FIXABLE)
    (src / "clean.py").write_text("x = 1\n")
    settings = Settings(cache_dir=str(tmp_path / "cache"), respect_gitignore=False, jobs=1)
    runner.run([str(src)], settings, Mode.DRY_RUN)  # caches a report with a diff for a.py
    seen = []
    real_process = runner.process_file

    def counting(source, *args):
        seen.append(Path(source.real).name)
        return real_process(source, *args)

    monkeypatch.setattr(runner, "process_file", counting)
    applied = runner.run([str(src)], settings, Mode.APPLY)
    assert seen == ["a.py"]  # clean.py had nothing to write: its dry-run result stands
    assert (src / "a.py").read_text() == FIXED
    assert applied.summary().fixed == 1


def test_cli_cache_dir_and_no_cache(tmp_path, memfix_cli):
    (tmp_path / "a.py").write_text(NO_FIX)
    (tmp_path / "pyproject.toml").write_text("[tool.memfix]\n")
    first = memfix_cli(tmp_path, "a.py", "--cache-dir", "c")
    assert first.returncode == 1
    entries = list((tmp_path / "c").rglob("*.json"))
    assert len(entries) == 1 and (tmp_path / "c" / ".gitignore").is_file()
    second = memfix_cli(tmp_path, "a.py", "--cache-dir", "c")
    assert second.stdout == first.stdout and second.returncode == 1
    third = memfix_cli(tmp_path, "a.py", "--no-cache")
    assert third.stdout == first.stdout
    assert not (tmp_path / ".memfix_cache").exists()
    fourth = memfix_cli(tmp_path, "a.py")
    assert fourth.stdout == first.stdout
    assert list((tmp_path / ".memfix_cache").rglob("*.json"))  # default: next to pyproject.toml
