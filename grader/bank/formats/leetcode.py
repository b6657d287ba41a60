"""LeetCodeDataset rows (newfacade/LeetCodeDataset): call-based questions from ``input_output``.

A row holds ``task_id``, ``entry_point`` (``Solution().methodName``), ``input_output`` (tests as
``{"input": "n = 7, queries = [[0,5]]", "output": "[2, 2]"}``), ``prompt`` (a header of imports and
helpers such as ``ListNode``/``tree_node``), ``starter_code``, ``estimated_date``, and the
reference ``completion`` and ``test`` (neither is used: the tests come from ``input_output``).
Clients grade ``prompt + completion``, as for HumanEval.

Test data is parsed, never evaluated: an input must parse as keyword arguments
(``ast.parse("f(" + text + ")")``) whose values are literals (``ast.literal_eval``; LeetCode's
``null``/``true``/``false`` are accepted too), stored in the runner's keyword form
(``#kwargs`` and one JSON object). An output is a literal too, except for a method annotated
``-> str``: the dataset wrote those answers unquoted (``str(value)``), so the text itself is the
expected string. Anything that has no JSON form (sets, bytes, non-string keys, a non-literal) is
an error naming the test, and the build fails.

Two kinds of ``input_output`` entries are skipped and counted (:class:`SkippedTests`), because
they hold no expected answer the problem defines:

* **the reference failed** when the dataset was made: the output is ``Error: <message>`` or
  ``Execution timed out`` (e.g. a reference that calls ``pow(a, b, mod)`` under the header's
  ``from math import *``, which shadows the built-in);
* **a non-finite expected value** (``inf``/``-inf``): the reference's "no answer" sentinel on
  inputs outside the problem's constraints, for methods returning ``int``.

A question left with no test is an error (never a free pass). The first remaining test is
public, the rest private. Methods returning ``float`` are judged with LeetCode's tolerance (1e-5,
absolute or relative), others by JSON equality.

**Tree and linked-list arguments.** A parameter annotated ``TreeNode``/``ListNode`` (optionally
``Optional[...]`` or a ``List`` of them) arrives from the dataset as a list, and the nodes can only
be built inside the sandbox. Such a question's prompt gets a small adapter appended, a top-level
function ``grader_call_<method>`` that builds the nodes with the header's own ``tree_node`` /
``list_node`` and calls ``Solution().<method>``; it is the question's entry point. A method that
returns a node, or takes one in any other shape, is refused: its answers could not be compared.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grader.bank import model
from grader.bank.formats.common import Row, RowError, normalise_date, opt_str, req_str

SIGNATURE = frozenset({"task_id", "entry_point", "input_output"})
"""Keys that identify a LeetCode row (HumanEval rows have the first two, never ``input_output``)."""

KWARGS_MARKER = "#kwargs"
"""First line of a call input holding keyword arguments (the runner's, grader/runner/child.py)."""

FLOAT_TOLERANCE = 1e-5
"""LeetCode accepts real answers within 10^-5 of the expected one."""

_ENTRY_POINT = re.compile(r"Solution\(\)\.([A-Za-z_]\w*)")
_RECORDED_FAILURE = re.compile(r"Error: .*|Execution timed out", re.DOTALL)
_NODE_HELPERS = {"TreeNode": "tree_node", "ListNode": "list_node"}
_LISTS = ("List", "list")
# LeetCode's spellings of JSON constants, and Python's infinities (rejected later as non-finite).
_NAMES: dict[str, Any] = {
    "null": None,
    "true": True,
    "false": False,
    "inf": math.inf,
    "nan": math.nan,
}


class NonFiniteError(ValueError):
    """An expected value with no JSON form (inf, -inf, nan): the test is skipped."""


@dataclass(frozen=True, slots=True)
class SkippedTests:
    """``input_output`` entries left out of a question, by reason."""

    reference_failed: int = 0
    """The dataset recorded an error or a timeout as the output."""
    non_finite: int = 0
    """The expected value is inf, -inf or nan."""

    @property
    def total(self) -> int:
        return self.reference_failed + self.non_finite


@dataclass(frozen=True, slots=True)
class LeetCodeImport:
    """A row's question and what was skipped to make it."""

    question: model.Question
    skipped: SkippedTests


@dataclass(frozen=True, slots=True)
class _Signature:
    params: tuple[str, ...]
    returns: str
    """The return annotation as source text ("" when missing)."""
    conversions: Mapping[str, tuple[str, str]]
    """Parameter -> (helper, expression building its nodes), for tree/list-node parameters."""


# ---------------------------------------------------------------------------------------------
# Values


def _literal(text: str, what: str) -> Any:
    """The literal value of an expression's source text; raises RowError (never evaluates)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise RowError(f"{what}: not a literal value") from None
    return _literal_node(tree.body, what)


class _ConstantNames(ast.NodeTransformer):
    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in _NAMES:
            return ast.copy_location(ast.Constant(_NAMES[node.id]), node)
        return node


def _literal_node(node: ast.expr, what: str) -> Any:
    try:
        try:
            return ast.literal_eval(node)
        except ValueError:
            if not any(isinstance(n, ast.Name) and n.id in _NAMES for n in ast.walk(node)):
                raise
            return ast.literal_eval(_ConstantNames().visit(node))
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        # literal_eval's messages quote the offending node, which is test data: not repeated here.
        raise RowError(f"{what}: not a literal value") from None


def _json_ready(value: Any, what: str) -> Any:
    """``value`` with tuples as lists, if it has a JSON form; raises RowError or NonFiniteError."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NonFiniteError(what)
        return value
    if isinstance(value, list | tuple):
        return [_json_ready(v, what) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise RowError(f"{what}: a dict with non-string keys has no JSON form")
        return {k: _json_ready(v, what) for k, v in value.items()}
    raise RowError(f"{what}: a {type(value).__name__} has no JSON form")


def _dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value, allow_nan=False)
    except (ValueError, RecursionError):  # e.g. an int past the digit limit
        raise RowError(f"{what}: cannot be written as JSON") from None


def parse_kwargs(text: str, what: str = "input") -> dict[str, Any]:
    """``"n = 7, queries = [[0,5]]"`` -> ``{"n": 7, "queries": [[0, 5]]}``, without evaluating.

    Raises :class:`RowError` unless the text is keyword arguments with literal, JSON-able
    values (``null``/``true``/``false`` allowed).
    """
    try:
        tree = ast.parse(f"f({text}\n)", mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise RowError(f"{what}: not keyword arguments") from None
    call = tree.body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "f"):
        raise RowError(f"{what}: not keyword arguments")
    if call.args:
        raise RowError(f"{what}: only keyword arguments are allowed")
    kwargs: dict[str, Any] = {}
    for kw in call.keywords:
        if kw.arg is None:  # **mapping
            raise RowError(f"{what}: only keyword arguments are allowed")
        where = f"{what}: argument {kw.arg!r}"
        try:
            kwargs[kw.arg] = _json_ready(_literal_node(kw.value, where), where)
        except NonFiniteError:
            raise RowError(f"{where}: a non-finite number has no JSON form") from None
    return kwargs


def kwargs_input(kwargs: Mapping[str, Any], what: str = "input") -> str:
    """The runner's keyword-argument input: the marker line, then one JSON object."""
    return f"{KWARGS_MARKER}\n{_dumps(kwargs, what)}"


def parse_output(text: str, *, returns_text: bool, what: str = "output") -> str:
    """An expected output as JSON. ``returns_text``: the method returns ``str``, whose answers
    the dataset wrote unquoted, so the text is the value. Raises :class:`RowError`, or
    :class:`NonFiniteError` for inf or nan (the caller skips that test)."""
    if returns_text:
        return _dumps(text, what)
    return _dumps(_json_ready(_literal(text, what), what), what)


def is_recorded_failure(output: str) -> bool:
    """The dataset's record of its reference failing on a test, not an answer."""
    return _RECORDED_FAILURE.fullmatch(output) is not None


# ---------------------------------------------------------------------------------------------
# The method's signature


def _method_name(entry_point: str) -> str:
    match = _ENTRY_POINT.fullmatch(entry_point.strip())
    if match is None:
        raise RowError("field 'entry_point': expected 'Solution().<method>'")
    return match.group(1)


def _find_method(source: str, name: str) -> ast.FunctionDef | None:
    """The method ``name`` of ``class Solution`` in ``source`` (starter code may lack a body)."""
    for candidate in (source, source.rstrip() + "\n        pass\n", source + "pass\n"):
        try:
            tree = ast.parse(candidate)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == "Solution":
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == name:
                        return item
        return None
    return None


def _node_types(annotation: ast.expr | None) -> set[str]:
    if annotation is None:
        return set()
    return {n.id for n in ast.walk(annotation) if isinstance(n, ast.Name) and n.id in _NODE_HELPERS}


def _unwrap_optional(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "Optional":
        return node.slice
    return node


def _node_conversion(param: str, annotation: ast.expr) -> tuple[str, str]:
    """The helper and the expression that build ``param``'s nodes from the dataset's list."""
    inner = _unwrap_optional(annotation)
    if isinstance(inner, ast.Name) and inner.id in _NODE_HELPERS:
        helper = _NODE_HELPERS[inner.id]
        return helper, f"{helper}({param})"
    if isinstance(inner, ast.Subscript) and isinstance(inner.value, ast.Name) and inner.value.id in _LISTS:
        element = _unwrap_optional(inner.slice)
        if isinstance(element, ast.Name) and element.id in _NODE_HELPERS:
            helper = _NODE_HELPERS[element.id]
            return helper, f"[{helper}(v) for v in {param}]"
    raise RowError(f"starter_code: argument {param!r}: this tree/list-node annotation is not supported")


def _signature(row: Row, method: str) -> _Signature:
    """The method's parameters and return annotation, from the starter code (else the reference)."""
    found = _find_method(opt_str(row, "starter_code"), method) or _find_method(
        opt_str(row, "completion"), method
    )
    if found is None:
        raise RowError(f"starter_code: no method {method!r} in class Solution")
    args = found.args
    if args.vararg or args.kwarg or args.posonlyargs or not args.args or args.args[0].arg != "self":
        raise RowError(f"starter_code: method {method!r}: expected (self, <named parameters>)")
    if _node_types(found.returns):
        raise RowError(f"starter_code: method {method!r} returns a tree/list node: not supported")
    params = [*args.args[1:], *args.kwonlyargs]
    conversions = {
        a.arg: _node_conversion(a.arg, a.annotation)
        for a in params
        if a.annotation is not None and _node_types(a.annotation)
    }
    returns = ast.unparse(found.returns) if found.returns is not None else ""
    return _Signature(tuple(a.arg for a in params), returns, conversions)


def _adapter(method: str, signature: _Signature, prompt: str) -> tuple[str, str]:
    """The entry point and source of a function that builds the node arguments, then calls."""
    missing = sorted({h for h, _ in signature.conversions.values() if f"def {h}(" not in prompt})
    if missing:
        raise RowError(f"field 'prompt': does not define {', '.join(missing)}, needed for node arguments")
    name = f"grader_call_{method}"
    call_args = ", ".join(
        f"{p}={signature.conversions[p][1]}" if p in signature.conversions else f"{p}={p}"
        for p in signature.params
    )
    source = (
        "\n\n# grader: the tests give trees and linked lists as lists; this builds the nodes.\n"
        f"def {name}({', '.join(signature.params)}):\n"
        f"    return Solution().{method}({call_args})\n"
    )
    return name, source


# ---------------------------------------------------------------------------------------------
# Tests and the question


def leetcode_tests(value: object, *, returns_text: bool) -> tuple[tuple[model.TestCase, ...], SkippedTests]:
    """The usable tests of ``input_output`` (first public, rest private) and what was skipped."""
    if not isinstance(value, list):
        raise RowError("field 'input_output': expected a list of tests")
    tests: list[model.TestCase] = []
    failed = non_finite = 0
    for n, item in enumerate(value, 1):
        what = f"input_output: test {n}"
        if not isinstance(item, dict):
            raise RowError(f"{what}: not a JSON object")
        for key in ("input", "output"):
            if not isinstance(item.get(key), str):
                raise RowError(f"{what}: field {key!r} missing or not a string")
        if is_recorded_failure(item["output"]):
            failed += 1
            continue
        test_input = kwargs_input(parse_kwargs(item["input"], f"{what}: input"), f"{what}: input")
        try:
            output = parse_output(item["output"], returns_text=returns_text, what=f"{what}: output")
        except NonFiniteError:
            non_finite += 1
            continue
        tests.append(model.TestCase(input=test_input, output=output, public=not tests))
    return tuple(tests), SkippedTests(reference_failed=failed, non_finite=non_finite)


def _checker(returns: str) -> model.CheckerSpec:
    if re.search(r"\bfloat\b", returns):
        return model.CheckerSpec(model.CheckerName.FLOAT, abs_tol=FLOAT_TOLERANCE, rel_tol=FLOAT_TOLERANCE)
    return model.CheckerSpec(model.CheckerName.JSON)


def read_leetcode_row(row: Row) -> LeetCodeImport:
    """A CALL question from a LeetCodeDataset row, and the tests it skipped (see the module)."""
    task_id = req_str(row, "task_id")
    method = _method_name(req_str(row, "entry_point"))
    prompt = req_str(row, "prompt")
    signature = _signature(row, method)
    entry_point = method
    if signature.conversions:
        entry_point, adapter = _adapter(method, signature, prompt)
        prompt += adapter
    tests, skipped = leetcode_tests(row.get("input_output"), returns_text=signature.returns == "str")
    if not tests:
        raise RowError(
            f"input_output: no usable test ({skipped.reference_failed} recorded failures of the "
            f"reference, {skipped.non_finite} non-finite answers)"
        )
    info = model.QuestionInfo(
        id=task_id,
        title=task_id,
        kind=model.QuestionKind.CALL,
        prompt=prompt,
        starter_code=opt_str(row, "starter_code"),
        entry_point=entry_point,
        release_date=normalise_date(row.get("estimated_date"), "estimated_date"),
        source="leetcode",
        checker=_checker(signature.returns),
        prelude=model.Prelude.NONE,
        num_public_tests=sum(t.public for t in tests),
        num_private_tests=sum(not t.public for t in tests),
    )
    return LeetCodeImport(model.Question(info=info, tests=tests), skipped)


def parse_leetcode(row: Row) -> model.Question:
    """A CALL question from a LeetCodeDataset row (see the module for what is skipped)."""
    return read_leetcode_row(row).question


def is_leetcode_row(row: Row) -> bool:
    """Whether a row has LeetCodeDataset's shape (``task_id``, ``entry_point``, ``input_output``)."""
    return row.keys() >= SIGNATURE
