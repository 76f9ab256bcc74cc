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
from typing import Optional

#: deepest ``ast`` tree handed to libcst
MAX_AST_DEPTH = 200
#: deepest bracket nesting handed to libcst when ``ast`` cannot parse the file at all
MAX_BRACKET_DEPTH = 100


def ast_depth_exceeds(tree: ast.AST, limit: int = MAX_AST_DEPTH) -> Optional[int]:
    """The depth found beyond ``limit``, or None; iterative, so deep trees cannot overflow it."""
    stack = [(tree, 1)]
    pop, push = stack.pop, stack.append
    AST = ast.AST
    while stack:  # ast.iter_child_nodes' generators cost more than the walk itself
        node, depth = pop()
        if depth > limit:
            return depth
        depth += 1
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        push((item, depth))
            elif isinstance(value, AST):
                push((value, depth))
    return None


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


def too_deep(text: str, tree: Optional[ast.AST] = None) -> Optional[str]:
    """Why libcst must not be given ``text``, or None. ``tree``: its ast, if already parsed."""
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
