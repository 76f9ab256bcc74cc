"""QA: output formats checked against what their consumers require.

SARIF 2.1.0 requires every ``fix`` object to hold ``artifactChanges`` (one or more, each with an
``artifactLocation`` and ``replacements``); memfix wrote ``fixes: [{"description": ...}]`` only,
which schema validators (and SARIF uploaders that validate) reject.
"""

from __future__ import annotations

import json
from pathlib import Path

LEAK = """\
def read_config(path):
    f = open(path)
    data = f.read()
    f.close()
    return data
"""


def test_sarif_fix_objects_are_schema_valid(tmp_path: Path, memfix_cli):
    (tmp_path / "a.py").write_text(LEAK)
    result = memfix_cli(tmp_path, "--no-cache", "--format", "sarif", "a.py")
    assert result.returncode == 1, result.stderr
    (run,) = json.loads(result.stdout)["runs"]
    (finding,) = run["results"]
    for fix in finding.get("fixes", []):
        changes = fix.get("artifactChanges")
        assert changes, "SARIF 2.1.0: fix.artifactChanges is required (minItems 1)"
        for change in changes:
            assert "artifactLocation" in change and change.get("replacements")
    # the fix is still described for readers of the report
    assert finding["properties"]["fix"]["safety"] == "safe"
    assert "with open(path) as f" in finding["properties"]["fix"]["description"]
