"""memfix.imports restates libcst's AddImportsVisitor on the module's head only: its output must be
the whole-module visitor's, byte for byte, whatever the head looks like, and a fix that adds an
import must not pay for importing libcst.codemod (libcst.matchers)."""

from __future__ import annotations

import subprocess
import sys
from typing import List, Optional, Tuple

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from memfix.imports import ImportRequest, add_scheduled_imports

Wanted = Tuple[str, Optional[str], Optional[str]]  # module, object, alias

HEADS = [
    "",
    '"""Docstring."""\n',
    '"""Docstring."""\n\n# a comment\n',
    "__strict__ = True\n",
    "# licence header\n\n",
    "x = 1\n",
    "from __future__ import annotations\n",
    '"""Doc."""\nfrom __future__ import annotations\nimport os\n',
    "import os\nimport sys\n",
    "import os\n# a comment about collections\nfrom collections import OrderedDict\n",
    "from collections import *\n",
    "from collections import deque as dq\n",
    "import contextlib\n",
    "import os; import sys\n",
    "from . import sibling\nfrom .pkg import thing\n",
    "try:\n    import json\nexcept ImportError:\n    json = None\n",
    "from collections import deque\n",
    "from collections import (\n    OrderedDict,  # kept\n    defaultdict,\n)\n",
    "from collections import OrderedDict as OD, deque as dq\n",
    "import collections.abc\nimport functools as ft\n",
    '"""Doc.""" "more"\nimport os\n',
    "from __future__ import annotations  # py3.7\n\nimport os\n",
    "import os\nfrom collections import namedtuple\nfrom collections import deque\n",
    "from .collections import deque\n",
    "\n\n# comment only\n",
]
BODIES = [
    "",
    "\n\nclass Service:\n    history = []\n",
    "# leading comment\ndef g():\n    pass\n",
    "x = [1]\nimport late\nif True:\n    import inside\n",
]
WANTS: List[Tuple[Wanted, ...]] = [
    (("collections", "deque", None),),
    (("contextlib", None, None),),
    (("functools", "lru_cache", None), ("collections", "OrderedDict", None)),
    (("collections", "deque", "dq"),),
    (("__future__", "annotations", None), ("os", None, None)),
    (("collections", "OrderedDict", None), ("collections", "deque", None), ("contextlib", "closing", None)),
    (("functools", None, "ft"), ("collections", "OrderedDict", "OD")),
]


def _context(wanted: Tuple[Wanted, ...]) -> CodemodContext:
    context = CodemodContext()
    for module, obj, asname in wanted:
        AddImportsVisitor.add_needed_import(context, module, obj, asname)
    return context


def _requests(wanted: Tuple[Wanted, ...]) -> List[ImportRequest]:
    return [ImportRequest(module, obj, asname) for module, obj, asname in wanted]


# every head with two of the bodies, every body with eight heads, the wanted imports rotating:
# each case builds four libcst matcher visitors, at ~30 ms each
CASES = [
    (head, BODIES[(n + shift) % len(BODIES)], WANTS[(2 * n + shift) % len(WANTS)])
    for n, head in enumerate(HEADS)
    for shift in (0, 1, 2)
]


@pytest.mark.parametrize("head, body, wanted", CASES)
def test_equals_libcsts_whole_module_visitor(head: str, body: str, wanted: Tuple[Wanted, ...]) -> None:
    module = cst.parse_module(head + body)
    expected = AddImportsVisitor(_context(wanted)).transform_module(module).code
    assert add_scheduled_imports(module, _requests(wanted)).code == expected


def test_the_rest_of_the_body_is_the_same_nodes() -> None:
    """What lies past the head is put back as it was, not copied: the copy is what costs."""
    module = cst.parse_module("import os\n\nclass A:\n    pass\n\ndef f():\n    pass\n")
    result = add_scheduled_imports(module, _requests((("collections", "deque", None),)))
    assert result.code.startswith("import os\nfrom collections import deque\n")
    assert result.body[-1] is module.body[-1]


def test_nothing_scheduled_leaves_the_module_as_it_is() -> None:
    module = cst.parse_module("import os\n")
    assert add_scheduled_imports(module, []) is module


def test_a_fix_that_adds_an_import_does_not_import_libcst_codemod(tmp_path) -> None:
    """Importing libcst.codemod imports libcst.matchers: ~0.3 s per worker process."""
    program = (
        "import sys\n"
        "from memfix.api import fix_source\n"
        "from memfix.config import Settings\n"
        "code = 'class S:\\n    def __init__(self):\\n        self._h = []\\n    def add(self, v):\\n        self._h.append(v)\\n        self._h = self._h[-5:]\\n    def last(self):\\n        return self._h[-1]\\n'\n"
        "result = fix_source(code, Settings(cache=False))\n"
        "assert 'from collections import deque' in result.text, result.text\n"
        "print(sorted(m for m in sys.modules if m.startswith(('libcst.codemod', 'libcst.matchers'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
