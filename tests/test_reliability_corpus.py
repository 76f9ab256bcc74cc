"""A fixed, named part of this interpreter's standard library through `memfix --apply --unsafe-fixes`.

See tests/corpus/stdlib_corpus.py for the promises checked (no crash, rewritten files compile,
everything else byte-identical, a second run changes nothing) and bench/corpus_run.py for the whole
stdlib. Measured on Python 3.11, 2 cores shared with other jobs (load ~8): 149 files, two runs,
88 s CPU, 2 min 18 s wall; MF301 alone rewrites mailbox.py and optparse.py.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "stdlib_corpus", Path(__file__).resolve().parent / "corpus" / "stdlib_corpus.py"
)
corpus = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("stdlib_corpus", corpus)
_spec.loader.exec_module(corpus)


@pytest.mark.slow
def test_stdlib_subset_apply_is_lossless_and_idempotent(tmp_path):
    root = tmp_path / "stdlib"
    missing = corpus.copy_stdlib(root, corpus.CI_PACKAGES)
    assert missing == [], f"not in this Python's stdlib: {missing}"
    assert (root / "webbrowser.py").read_bytes().count(b"except OSError :") >= 1 or sys.version_info >= (3, 13)
    outcome = corpus.check_corpus(root, extra=["-j", "2"])
    summary = corpus.format_outcome(outcome)
    print(summary)  # shown with -s / on failure: the per-rule counts
    assert outcome.ok, summary
    assert outcome.files_scanned == outcome.files_total, summary
    assert outcome.first is not None and outcome.first.report.get("mode") == "apply"


def test_corpus_checker_catches_a_lossy_run(tmp_path, monkeypatch):
    """The checker itself: a run that touches a file it does not report is caught."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "a.py").write_text("x = 1\n")
    real_run = corpus.run_memfix

    def lossy(where, extra=(), python=sys.executable):
        result = real_run(where, extra, python)
        (where / "a.py").write_text("x = 1 \n")
        return result

    monkeypatch.setattr(corpus, "run_memfix", lossy)
    outcome = corpus.check_corpus(root)
    assert any("bytes changed but no applied fix was reported" in p for p in outcome.problems)
