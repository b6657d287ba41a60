"""Model answers of every kind to LiveBench code_generation / code_completion questions made from
BigCodeBench rows: what `bench/livebench_unittest_parity.py` scores with LiveBench's harness and grader.

Each answer has a kind (why it should pass or fail) and the raw model text, code in a ```python block.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from bench.forgeries import answer as forgery_answer
from bench.livebench_harness import completion_prefix, fenced

# Forgeries tried on every question: the ones LiveBench's harness scores 1 and two it scores 0.
PARITY_FORGERIES = (
    "patch_every_assert", "noop_add_failure_error", "skiptest_in_function", "loader_no_names",
    "build_class_empties", "lookalike_output", "os_exit_in_function",
)  # fmt: skip


@dataclass(frozen=True)
class Answer:
    kind: str
    raw: str


class _Mutate(ast.NodeTransformer):
    """The first comparison flipped, else the first integer constant off by one."""

    def __init__(self) -> None:
        self.done = False

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if not self.done:
            flip: dict[type[ast.cmpop], ast.cmpop] = {
                ast.Lt: ast.GtE(), ast.LtE: ast.Gt(), ast.Gt: ast.LtE(), ast.GtE: ast.Lt(),
                ast.Eq: ast.NotEq(), ast.NotEq: ast.Eq(), ast.In: ast.NotIn(), ast.NotIn: ast.In(),
            }  # fmt: skip
            op = flip.get(type(node.ops[0]))
            if op is not None:
                node.ops[0] = op
                self.done = True
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if not self.done and type(node.value) is int:
            self.done = True
            return ast.copy_location(ast.Constant(node.value + 1), node)
        return node


def mutated(code: str) -> str:
    """A wrong variant of `code`: one comparison or integer constant changed (first in source order
    of the function bodies); `code` with its function returning None when nothing can change."""
    tree = ast.parse(code)
    mutate = _Mutate()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            mutate.visit(node)
        if mutate.done:
            return ast.unparse(tree)
    return code + "\n    return None\n"


def generation_answers(row: dict[str, Any]) -> list[Answer]:
    reference = row["code_prompt"] + row["canonical_solution"]
    return [
        Answer("reference", fenced(reference)),
        Answer("body_only", fenced(row["canonical_solution"])),
        Answer("wrong_mutant", fenced(mutated(reference))),
        Answer("crash_in_function", fenced(row["code_prompt"] + "    raise RuntimeError('boom')\n")),
        Answer("crash_at_import", fenced("import no_such_module_here\n" + reference)),
        Answer("syntax_error", fenced(reference.replace("def ", "def (", 1))),
        Answer("no_code", "I cannot solve this task."),
    ]


def completion_answers(row: dict[str, Any]) -> list[Answer]:
    reference = row["code_prompt"] + row["canonical_solution"]
    remainder = reference[len(completion_prefix(row)) :]
    return [
        Answer("reference_with_partial", fenced(reference)),
        Answer("remainder_only", fenced(remainder)),
        Answer("wrong_mutant", fenced(mutated(reference))),
        Answer("remainder_crash", fenced("    raise RuntimeError('boom')\n" + remainder)),
    ]


def timeout_answers(row: dict[str, Any]) -> list[Answer]:
    return [Answer("timeout_loop", fenced(row["code_prompt"] + "    while True:\n        pass\n"))]


def forged_answers(entry_point: str) -> list[Answer]:
    return [Answer(f"forgery:{name}", fenced(forgery_answer(name, entry_point))) for name in PARITY_FORGERIES]
