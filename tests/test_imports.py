"""memfix.imports runs libcst's AddImportsVisitor on the module's head only: its output must be
the whole-module visitor's, byte for byte, whatever the head looks like."""

from __future__ import annotations

from typing import List, Optional, Tuple

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from memfix.imports import add_scheduled_imports, has_scheduled_imports

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
]


def _context(wanted: Tuple[Wanted, ...]) -> CodemodContext:
    context = CodemodContext()
    for module, obj, asname in wanted:
        AddImportsVisitor.add_needed_import(context, module, obj, asname)
    return context


# every head with two of the bodies, every body with eight heads, the wanted imports rotating:
# each case builds four libcst matcher visitors, at ~30 ms each
CASES = [
    (head, BODIES[(n + shift) % len(BODIES)], WANTS[(2 * n + shift) % len(WANTS)])
    for n, head in enumerate(HEADS)
    for shift in (0, 1)
]


@pytest.mark.parametrize("head, body, wanted", CASES)
def test_head_only_visitor_equals_whole_module_visitor(head: str, body: str, wanted: Tuple[Wanted, ...]) -> None:
    module = cst.parse_module(head + body)
    expected = AddImportsVisitor(_context(wanted)).transform_module(module).code
    assert add_scheduled_imports(module, _context(wanted)).code == expected


def test_the_rest_of_the_body_is_the_same_nodes() -> None:
    """What lies past the head is put back as it was, not copied: the copy is what costs."""
    module = cst.parse_module("import os\n\nclass A:\n    pass\n\ndef f():\n    pass\n")
    result = add_scheduled_imports(module, _context((("collections", "deque", None),)))
    assert result.code.startswith("import os\nfrom collections import deque\n")
    assert result.body[-1] is module.body[-1]


def test_nothing_scheduled_is_reported_as_such() -> None:
    assert not has_scheduled_imports(CodemodContext())
    assert has_scheduled_imports(_context((("os", None, None),)))
