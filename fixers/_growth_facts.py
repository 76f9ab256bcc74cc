"""Module facts for the growth analysis: one plain walk (no metadata, no decisions) that records
classes, constants, instances and the definitions that may be containers, and the small
expression helpers it shares with the analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple, Union

import libcst as cst

from memfix.fixers._growth_model import Owner
from memfix.nodes import dotted_name, walk


def int_value(node: Optional[cst.BaseExpression]) -> Optional[int]:
    if isinstance(node, cst.Integer):
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            return None
    return None


def is_pure(expr: cst.BaseExpression) -> bool:
    """Cheap to evaluate twice and free of side effects: names, attribute chains, literals."""
    if isinstance(expr, cst.Name):
        return True
    if isinstance(expr, cst.Attribute):
        return is_pure(expr.value)
    if isinstance(expr, (cst.Integer, cst.SimpleString, cst.Float)):
        return True
    if isinstance(expr, cst.Tuple):
        return all(is_pure(el.value) for el in expr.elements)
    return False


# ---------------------------------------------------------------------------------------------
# module facts: classes, constants, instances, candidate definitions


@dataclass


class ClassInfo:
    node: cst.ClassDef
    name: str
    bases: Tuple[str, ...]
    is_dataclass: bool = False
    docstring: str = ""
    #: NAME = <int> in the class body -> (value, the defining statement)
    constants: Dict[str, Tuple[Optional[int], cst.CSTNode]] = field(default_factory=dict)
    init: Optional[cst.FunctionDef] = None
    init_self: str = ""
    #: self.X = <expr> in __init__ (first assignment), with its line
    init_attrs: Dict[str, Tuple[cst.BaseExpression, int]] = field(default_factory=dict)
    #: __init__ parameters -> their integer default (None when absent or not an int)
    init_params: Dict[str, Optional[int]] = field(default_factory=dict)
    long_lived: str = ""  # evidence, for the message
    maybe_long_lived: str = ""


@dataclass


class Definition:
    owner: Owner
    name: str
    statement: Union[cst.Assign, cst.AnnAssign]
    target: cst.BaseExpression
    value: cst.BaseExpression
    annotation: Optional[cst.Annotation]
    class_name: str = ""
    function: Optional[cst.FunctionDef] = None
    receiver: str = ""
    dataclass_field: bool = False


class FactCollector(cst.CSTVisitor):
    """One plain walk that records the module's shape; no metadata, no decisions."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: List[cst.CSTNode] = []
        self.classes: Dict[str, ClassInfo] = {}
        self.constants: Dict[str, Tuple[Optional[int], cst.CSTNode]] = {}  # module level
        self.definitions: List[Definition] = []
        self.attributes: List[cst.Attribute] = []
        self.module_calls: List[cst.Call] = []  # calls evaluated at import time
        self.calls: List[Tuple[cst.Call, Optional[str]]] = []  # every call, with its class
        self.while_true: Set[str] = set()  # classes with a `while True:` loop
        self.exported: Set[str] = set()  # names in __all__

    # -- frames -------------------------------------------------------------------------------

    def _class(self) -> Optional[cst.ClassDef]:
        for node in reversed(self.stack):
            if isinstance(node, cst.ClassDef):
                return node
        return None

    def _frame(self) -> Optional[cst.CSTNode]:
        return self.stack[-1] if self.stack else None

    def _method_class(self, func: cst.FunctionDef) -> Optional[cst.ClassDef]:
        index = self.stack.index(func)
        if index > 0 and isinstance(self.stack[index - 1], cst.ClassDef):
            return self.stack[index - 1]  # type: ignore[return-value]
        return None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = tuple(
            dotted_name(arg.value) for arg in node.bases if arg.keyword is None and dotted_name(arg.value)
        )
        decorators = {dotted_name(d.decorator if not isinstance(d.decorator, cst.Call) else d.decorator.func) for d in node.decorators}
        info = ClassInfo(
            node=node,
            name=node.name.value,
            bases=bases,
            is_dataclass=bool(decorators & {"dataclass", "dataclasses.dataclass"}),
            docstring=node.get_docstring() or "",
        )
        self.classes.setdefault(node.name.value, info)
        self.stack.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.stack.append(node)
        owner = self._method_class(node)
        if owner is not None and node.name.value in ("__init__", "__post_init__"):
            info = self.classes[owner.name.value]
            params = node.params.posonly_params + node.params.params
            if info.init is None and params:
                info.init = node
                info.init_self = params[0].name.value
                for param in (*params[1:], *node.params.kwonly_params):
                    info.init_params[param.name.value] = int_value(param.default) if param.default else None

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.stack.append(node)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.stack.pop()

    # -- records ------------------------------------------------------------------------------

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.attributes.append(node)

    def visit_Call(self, node: cst.Call) -> None:
        cls = self._class()
        self.calls.append((node, cls.name.value if cls is not None else None))
        if not any(isinstance(f, (cst.FunctionDef, cst.Lambda)) for f in self.stack):
            self.module_calls.append(node)

    def visit_While(self, node: cst.While) -> None:
        cls = self._class()
        if cls is not None and isinstance(node.test, (cst.Name, cst.Integer)) and _code_of(node.test) in ("True", "1"):
            # `while True: ... break` is a parsing loop, `while True: yield x` a generator
            if not _leaves_loop(node.body) and not any(isinstance(n, cst.Yield) for n in walk(node.body)):
                self.while_true.add(cls.name.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assignment(node, target.target, node.value, None)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assignment(node, node.target, node.value, node.annotation)

    def _assignment(
        self,
        statement: Union[cst.Assign, cst.AnnAssign],
        target: cst.BaseExpression,
        value: cst.BaseExpression,
        annotation: Optional[cst.Annotation],
    ) -> None:
        frame = self._frame()
        if frame is None:  # module level
            if isinstance(target, cst.Name):
                if target.value == "__all__":
                    self.exported |= _string_elements(value)
                elif isinstance(value, cst.Integer):
                    self.constants.setdefault(target.value, (int_value(value), statement))
                self.definitions.append(Definition(Owner.GLOBAL, target.value, statement, target, value, annotation))
            return
        if isinstance(frame, cst.ClassDef):
            if isinstance(target, cst.Name):
                info = self.classes[frame.name.value]
                if isinstance(value, cst.Integer):
                    info.constants.setdefault(target.value, (int_value(value), statement))
                owner = Owner.INSTANCE if info.is_dataclass else Owner.CLASS
                self.definitions.append(
                    Definition(
                        owner,
                        target.value,
                        statement,
                        target,
                        value,
                        annotation,
                        class_name=info.name,
                        dataclass_field=info.is_dataclass,
                    )
                )
            return
        if not isinstance(frame, cst.FunctionDef):
            return
        owner_class = self._method_class(frame) if frame in self.stack else None
        if (
            owner_class is not None
            and frame.name.value in ("__init__", "__post_init__")
            and isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
        ):
            info = self.classes[owner_class.name.value]
            if info.init is frame and target.value.value == info.init_self:
                info.init_attrs.setdefault(target.attr.value, (value, 0))
                self.definitions.append(
                    Definition(
                        Owner.INSTANCE,
                        target.attr.value,
                        statement,
                        target,
                        value,
                        annotation,
                        class_name=info.name,
                        function=frame,
                        receiver=info.init_self,
                    )
                )
            return
        if isinstance(target, cst.Name):
            self.definitions.append(Definition(Owner.CLOSURE, target.value, statement, target, value, annotation, function=frame))


def _code_of(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _leaves_loop(body: cst.CSTNode) -> bool:
    """A ``break`` or ``return`` of this loop (not of a nested loop or function)."""
    for child in body.children:
        if isinstance(child, (cst.Break, cst.Return)):
            return True
        if isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(child, (cst.For, cst.While)):
            if any(_leaves_loop(c) for c in child.children if isinstance(c, cst.Return)):
                return True
            if _returns(child.body):
                return True
            continue
        if _leaves_loop(child):
            return True
    return False


def _returns(body: cst.CSTNode) -> bool:
    for child in body.children:
        if isinstance(child, cst.Return):
            return True
        if isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if _returns(child):
            return True
    return False


def _string_elements(value: cst.BaseExpression) -> Set[str]:
    names: Set[str] = set()
    if isinstance(value, (cst.List, cst.Tuple)):
        for el in value.elements:
            if isinstance(el.value, cst.SimpleString):
                names.add(el.value.evaluated_value if isinstance(el.value.evaluated_value, str) else "")
    return names
