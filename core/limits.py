"""Input memfix refuses before libcst sees it, because libcst cannot survive it.

Measured with libcst 1.9 (Python 3.11): its native parser backtracks on deep nesting (a list
nested 400 deep takes 4.6 s, 1,000 deep 28 s) and overflows its stack and kills the whole process
further on (a list nested 10,000 deep, a call chain ``f()()...`` 1,000 long); below that, every
depth over a few hundred ends in RecursionError in the metadata or code-generation visitors anyway.
A killed worker would take the run down with it, so the depth of the ``ast`` tree (cheap: CPython's
own parser has hard limits) is checked first. The deepest file in the CPython 3.11 standard
library has an ``ast`` depth of 33; 100 nested ``if`` blocks (CPython's own indentation limit) with
an expression inside stay below the bound.
"""

from __future__ import annotations

import ast
import io
import tokenize
import warnings
from typing import List, Optional

from memfix.astindex import LEAF_FIELDS, child_nodes, shape_of

#: deepest ``ast`` tree handed to libcst
MAX_AST_DEPTH = 200
#: deepest bracket nesting handed to libcst when ``ast`` cannot parse the file at all
MAX_BRACKET_DEPTH = 100


def ast_depth_exceeds(tree: ast.AST, limit: int = MAX_AST_DEPTH) -> Optional[int]:
    """The depth found beyond ``limit`` (always ``limit + 1``), or None.

    Level by level, so deep trees cannot overflow it, and reading each class's fields from
    :func:`memfix.astindex.shape_of`: a context or operator field (``Load``, ``Add``: a third of
    all nodes) is not visited but counts as the one level below its node, so the depth is the
    depth of the whole tree, exactly as strict as visiting every node."""
    level: List[ast.AST] = [tree]
    depth = 1
    while level:
        if depth > limit:
            return depth
        below: List[ast.AST] = []
        leaves = False  # some node of this level has a leaf child
        for node in level:
            if not leaves and shape_of(node.__class__).leaf:  # once a level has one, no more lookups
                leaves = _has_leaf(node)
            below.extend(child_nodes(node))
        if not below and leaves and depth + 1 > limit:
            return depth + 1
        level = below
        depth += 1
    return None


def _has_leaf(node: ast.AST) -> bool:
    for name in LEAF_FIELDS:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST) or (isinstance(value, list) and any(isinstance(v, ast.AST) for v in value)):
            return True
    return False


def bracket_depth_exceeds(text: str, limit: int = MAX_BRACKET_DEPTH) -> Optional[int]:
    """Bracket depth beyond ``limit`` found by the tokenizer (strings and comments ignored)."""
    depth = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.OP:
                if tok.string in "([{":
                    depth += 1
                    if depth > limit:
                        return depth
                elif tok.string in ")]}":
                    depth -= 1
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        pass  # libcst reports the syntax error itself
    return None


def too_deep(text: str, tree: Optional[ast.AST] = None, depth_bound: Optional[int] = None) -> Optional[str]:
    """Why libcst must not be given ``text``, or None. ``tree``: its ast, if already parsed;
    ``depth_bound``: a bound on that tree's depth a walk of it found
    (memfix.astindex.AstIndex.depth_bound), which settles the common case without a walk."""
    if tree is not None and depth_bound is not None and depth_bound <= MAX_AST_DEPTH:
        return None
    if tree is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarnings about the user's code are not ours to print
                tree = ast.parse(text)
        except (RecursionError, MemoryError):
            return "cannot parse: nesting too deep (the Python parser gives up)"
        except SyntaxError as exc:
            if "too many nested" in str(exc) or "too complex" in str(exc):
                return f"cannot parse: nesting too deep ({exc.msg})"
            tree = None
        except ValueError:
            tree = None
    if tree is not None:
        depth = ast_depth_exceeds(tree)
        if depth is not None:
            return f"cannot parse: nesting too deep (syntax tree deeper than {MAX_AST_DEPTH})"
        return None
    depth = bracket_depth_exceeds(text)
    if depth is not None:
        return f"cannot parse: nesting too deep (brackets nested more than {MAX_BRACKET_DEPTH} deep)"
    return None
