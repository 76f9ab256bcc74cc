"""Record, or compare against a recording, everything the ``ast`` pre-filter decides for a tree of
files: the candidate rules and the slice ``engine._prefilter`` gives, each needle-matching rule's
own ``ast_filter`` verdict (False / True / the statements of its Regions), and ``too_deep``.

    python bench/prefilter_snapshot.py record  --root /tmp/std --out /tmp/snap.json
    python bench/prefilter_snapshot.py compare --root /tmp/std --out /tmp/snap.json

Speed work on the pre-filter (memfix.astindex, memfix.prefilter, the rules' filters) must leave
every one of these byte-identical; this is the check run before and after such a change. It prints
each file that differs and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import sys
from pathlib import Path
from typing import Dict, List, Optional

from memfix import engine
from memfix.astindex import AstIndex
from memfix.fixers import FIXERS
from memfix.limits import too_deep
from memfix.model import FileError
from memfix.prefilter import Regions
from memfix.source import decode_source


def _verdict(result: object) -> object:
    if isinstance(result, Regions):
        return [[type(n).__name__, n.lineno, n.col_offset, n.end_lineno, n.end_col_offset] for n in result.nodes]
    return bool(result) if isinstance(result, bool) else repr(result)


def snapshot(path: Path) -> Optional[Dict[str, object]]:
    decoded = decode_source(str(path), path.read_bytes())
    if isinstance(decoded, FileError):
        return None
    text = decoded.text
    tree = engine._ast_parse(text)[0]
    chosen, sliced = engine._prefilter(text, tree, FIXERS)
    verdicts: Dict[str, object] = {}
    if tree is not None:
        index = AstIndex(tree)
        for fixer in FIXERS:
            if fixer.ast_filter is not None and any(n.decode("ascii") in text for n in fixer.needles):
                verdicts[fixer.code] = _verdict(fixer.ast_filter(index))
    return {
        "codes": [f.code for f in chosen],
        "slice": None if sliced is None else hashlib.sha256(sliced.encode("utf-8", "surrogatepass")).hexdigest(),
        "verdicts": verdicts,
        "too_deep": too_deep(text, tree),
        "too_deep_unparsed": too_deep(text),
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("record", "compare"))
    parser.add_argument("--root", default="/tmp/std")
    parser.add_argument("--out", default="/tmp/prefilter_snapshot.json")
    args = parser.parse_args(argv)
    files = sorted(Path(args.root).rglob("*.py"))
    current = {str(p.relative_to(args.root)): snapshot(p) for p in files}
    if args.mode == "record":
        Path(args.out).write_text(json.dumps(current, sort_keys=True))
        sys.stdout.write(f"recorded {len(current)} files\n")
        return 0
    recorded = json.loads(Path(args.out).read_text())
    differ = sorted(k for k in set(recorded) | set(current) if recorded.get(k) != json.loads(json.dumps(current.get(k))))
    for name in differ:
        sys.stdout.write(f"{name}: differs\n  was {recorded.get(name)}\n  now {current.get(name)}\n")
    sys.stdout.write(f"compared {len(current)} files, {len(differ)} differ\n")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
