"""Test modules share code through tests/support only: no module under tests/ imports a test module
(`tests.<dir>.test_*`) or a conftest.py, which keep their fixtures and hooks to themselves."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def imported(tree: ast.AST) -> Iterator[str]:
    """Every module an import names, lazy ones inside functions included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def is_test_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "tests" and (parts[-1].startswith("test_") or parts[-1] == "conftest")


def test_no_test_module_imports_another() -> None:
    crossings = [
        (path.relative_to(TESTS).as_posix(), name)
        for path in sorted(TESTS.rglob("*.py"))
        for name in imported(ast.parse(path.read_text(), str(path)))
        if is_test_module(name)
    ]
    assert crossings == []
