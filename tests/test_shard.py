"""--shard K/N: disjoint, complete, deterministic, balanced by size."""

from __future__ import annotations

import random

import pytest

from memfix.discover import SourceFile
from memfix.shard import Shard, parse_shard, partition, select_shard


def _files(sizes):
    files = [SourceFile(f"pkg/m{i:03d}.py", f"/r/pkg/m{i:03d}.py") for i in range(len(sizes))]
    return files, {f.real: s for f, s in zip(files, sizes)}


def test_parse_shard():
    assert parse_shard("2/3") == Shard(2, 3)
    assert parse_shard(" 1 / 1 ") == Shard(1, 1)
    for bad in ("0/3", "4/3", "1/0", "a/b", "3", "-1/2", ""):
        assert isinstance(parse_shard(bad), str), bad


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_partition_is_disjoint_complete_ordered_and_balanced(count):
    rng = random.Random(count)
    sizes = [rng.choice([10, 200, 3000, 50_000]) + rng.randrange(100) for _ in range(101)]
    files, by_real = _files(sizes)
    parts = partition(files, count, by_real)
    flat = [f for part in parts for f in part]
    assert sorted(flat, key=lambda f: f.display) == files  # every file exactly once
    assert len(set(flat)) == len(files)
    for part in parts:
        assert part == sorted(part, key=lambda f: f.display)
    loads = [sum(by_real[f.real] for f in part) for part in parts]
    assert max(loads) - min(loads) <= max(sizes)


def test_partition_is_deterministic_whatever_the_input_order():
    files, by_real = _files([5, 5, 5, 9, 1, 1, 300, 7, 7, 7])
    shuffled = list(files)
    random.Random(1).shuffle(shuffled)
    assert partition(files, 3, by_real) == partition(shuffled, 3, by_real)
    assert select_shard(files, Shard(2, 3), by_real) == partition(files, 3, by_real)[1]


def test_size_balance_beats_round_robin():
    # one big file and many small ones: the big one gets a part to itself
    files, by_real = _files([100_000] + [1_000] * 100)
    parts = partition(files, 2, by_real)
    assert sorted(len(p) for p in parts) == [1, 100]


def test_cli_rejects_a_bad_shard(tmp_path, memfix_cli):
    (tmp_path / "a.py").write_text("x = 1\n")
    result = memfix_cli(tmp_path, "--no-cache", "--shard", "4/3", "a.py")
    assert result.returncode == 2 and b"--shard" in result.stderr
