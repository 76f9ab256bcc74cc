"""--merge-results: N = 3 shard runs merged equal one unsharded run, JSON and patch, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memfix.merge import MergeError, classify, exit_code, merge_patches, merge_reports, split_patch

FIXABLE = "def load(path):\n    f = open(path)\n    data = f.read()\n    f.close()\n    return data\n"
NO_FIX = "class Log:\n    def __init__(self, path):\n        self.out = open(path, 'a')\n"
UNSAFE = "def load(path):\n    data = consume(open(path))\n    return data\n"


def _tree(root: Path) -> None:
    (root / "pyproject.toml").write_text("[tool.memfix]\n")
    for i in range(9):
        pkg = root / f"pkg{i % 3}"
        pkg.mkdir(exist_ok=True)
        body = [FIXABLE, NO_FIX, UNSAFE, "x = 1\n"][i % 4] + "\n" * i
        (pkg / f"mod{i}.py").write_text(body)
    (root / "pkg0" / "crlf.py").write_bytes(FIXABLE.replace("\n", "\r\n").encode())
    (root / "pkg1" / "broken.py").write_text("def broken(:\n")
    (root / "pkg2" / "big.py").write_text(FIXABLE + "\n".join(f"v{i} = {i}" for i in range(300)) + "\n")


def test_three_shards_merge_into_the_unsharded_report(tmp_path, memfix_cli):
    _tree(tmp_path)
    common = ["--no-cache", "--unsafe-fixes", "-j", "1", ".", "missing.py"]
    whole = memfix_cli(tmp_path, *common, "--format", "json", "-o", "all.json", "--patch", "all.patch")
    assert whole.returncode == 2  # broken.py and missing.py
    scanned = []
    for k in (1, 2, 3):
        part = memfix_cli(tmp_path, *common, "--shard", f"{k}/3", "--format", "json", "-o", f"s{k}.json", "--patch", f"s{k}.patch")
        assert part.returncode in (0, 1, 2)
        doc = json.loads((tmp_path / f"s{k}.json").read_text())
        assert doc["shard"] == {"index": k, "count": 3}
        scanned.append(doc["summary"]["files_scanned"])
    assert all(n > 0 for n in scanned)  # the parts really split the work
    merged = memfix_cli(
        tmp_path, "--merge-results", "s1.json", "s2.json", "s3.json", "s3.patch", "s1.patch", "s2.patch",
        "--format", "json", "-o", "merged.json", "--patch", "merged.patch",
    )
    assert merged.returncode == whole.returncode, merged.stderr
    assert (tmp_path / "merged.json").read_bytes() == (tmp_path / "all.json").read_bytes()
    assert (tmp_path / "merged.patch").read_bytes() == (tmp_path / "all.patch").read_bytes()
    all_doc = json.loads((tmp_path / "all.json").read_text())
    assert all_doc["summary"]["fixable"] >= 3 and all_doc["summary"]["findings"] >= 6
    # the merged patch alone, as --format diff
    diff = memfix_cli(tmp_path, "--merge-results", "s2.patch", "s1.patch", "s3.patch", "--format", "diff")
    assert diff.stdout == (tmp_path / "all.patch").read_bytes()


def test_split_patch_counts_hunk_lines():
    # a removed line reading "-- x" shows as "--- x": it is content, not a header
    one = (
        b"--- a/p.py\n+++ b/p.py\n@@ -1,3 +1,2 @@\n keep\n--- x\n-y\r\n+z\n@@ -9 +8 @@\n-w\n\\ No newline at end of file\n+v\n"
    )
    two = b'--- "a/sp ace.py"\n+++ "b/sp ace.py"\n@@ -1 +1 @@\n-a\n+b\n'
    chunks = split_patch(one + two)
    assert [c[0] for c in chunks] == ["p.py", "sp ace.py"]
    assert chunks[0][1] == one and chunks[1][1] == two
    assert merge_patches([two, one]) == one + two
    with pytest.raises(MergeError):
        split_patch(b"--- a/p.py\n+++ b/p.py\n@@ -1,3 +1,2 @@\n keep\n")


def _doc(findings, errors=(), mode="dry-run", shard=None, **summary):
    doc = {
        "tool": "memfix", "version": "1", "mode": mode, "findings": list(findings), "errors": list(errors),
        "summary": {"files_scanned": summary.get("files_scanned", 1), "files_changed": 0, "findings": len(findings),
                    "fixable": 0, "fixed": 0, "remaining": len(findings), "errors": len(errors)},
        "verify": None,
    }
    if shard:
        doc["shard"] = {"index": shard[0], "count": shard[1]}
    return doc


def test_merge_rejects_inconsistent_inputs():
    with pytest.raises(MergeError):
        merge_reports([_doc([]), _doc([], mode="apply")])
    with pytest.raises(MergeError):
        merge_reports([_doc([], shard=(1, 2)), _doc([], shard=(1, 2))])
    with pytest.raises(MergeError):
        merge_reports([_doc([], shard=(1, 2)), _doc([], shard=(2, 3))])
    assert isinstance(classify("x", b"hello"), MergeError)
    assert isinstance(classify("x", b'{"tool": "other"}'), MergeError)
    assert classify("x", b"")[0] == "patch"


def test_merge_orders_by_path_and_keeps_run_level_errors_once():
    missing = {"path": "nope.py", "kind": "read", "message": "no such file or directory"}
    a = _doc([{"path": "b.py", "n": 1}, {"path": "b.py", "n": 2}], [missing, {"path": "b.py", "kind": "parse", "message": "x"}])
    b = _doc([{"path": "a.py", "n": 3}, {"path": "c.py", "n": 4}], [missing])
    merged = merge_reports([a, b])
    assert [f["n"] for f in merged["findings"]] == [3, 1, 2, 4]
    assert merged["errors"] == [missing, {"path": "b.py", "kind": "parse", "message": "x"}]
    assert merged["summary"]["files_scanned"] == 2 and merged["summary"]["errors"] == 2
    assert exit_code(merged, 0) == 2
    clean = merge_reports([_doc([{"path": "a.py", "confidence": "low", "fix": None}]), _doc([])])
    assert exit_code(clean, 0) == 1 and exit_code(clean, 1) == 0
