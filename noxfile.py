"""The test suite on every supported Python, and the cross-version output check.

    nox                       # tests on 3.9 ... 3.13, then compare_versions
    nox -s tests-3.9          # one interpreter
    nox -s tests -- -m "not slow" -x    # arguments after -- go to pytest
    nox -s corpus             # the CI stdlib subset on the newest interpreter
    nox -s fuzz_long          # hypothesis with thousands of examples

Interpreters are found on PATH; the pyenv versions under $PYENV_ROOT (default ~/.pyenv) are put
on PATH first, so a machine with pyenv needs no shims or `pyenv local`.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
OLDEST, NEWEST = PYTHONS[0], PYTHONS[-1]
ROOT = Path(__file__).resolve().parent

nox.options.sessions = ["tests", "compare_versions"]
nox.options.reuse_existing_virtualenvs = True


def _pyenv_on_path() -> None:
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if not versions.is_dir():
        return
    found = []
    for wanted in PYTHONS:
        matches = sorted(
            (p for p in versions.iterdir() if p.name.startswith(wanted + ".") and (p / "bin").is_dir()),
            key=lambda p: [int(x) if x.isdigit() else 0 for x in p.name.split(".")],
        )
        if matches:
            found.append(str(matches[-1] / "bin"))
    os.environ["PATH"] = os.pathsep.join(found + [os.environ.get("PATH", "")])


_pyenv_on_path()


def _venv_python(version: str) -> Path:
    return ROOT / ".nox" / f"tests-{version.replace('.', '-')}" / "bin" / "python"


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", "-q", *session.posargs)


@nox.session(python=NEWEST)
def compare_versions(session: nox.Session) -> None:
    """memfix's JSON and diff output on the fixtures is identical on every interpreter tested."""
    session.install("-e", ".[test]")
    others = [str(_venv_python(v)) for v in PYTHONS if _venv_python(v).exists()]
    if len(others) < 2:
        session.skip("run the tests sessions first (nox -s tests)")
    session.run(
        "python", "-m", "pytest", "-q", "tests/test_reliability_versions.py",
        env={"MEMFIX_OTHER_PYTHONS": os.pathsep.join(others)},
    )


@nox.session(python=NEWEST)
def corpus(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "bench/corpus_run.py", "--ci", *session.posargs)


@nox.session(python=NEWEST)
def fuzz_long(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "bench/fuzz_long.py", *session.posargs)
