"""Imports point down: every import in grader/ (lazy ones inside functions and TYPE_CHECKING ones
included) stays within what its layer may use.

    layer (longest prefix wins)   may import (besides its own prefix)
    ----------------------------  -------------------------------------------------------------------
    grader.cli                    anything                           (the composition root)
    grader.demo                   anything but grader.cli            (runs a server, builds a bank)
    grader.api.server             api, grading, bank, sandbox, ...   (the server's composition root)
    grader.api                    service, background, grading, bank, judge, admission, config, logs,
                                  metrics, offload, v1
    grader.service                grading, bank, judge, metrics      (the transport-free core)
    grader.evaluate               client, answers, jsonl, judge.passk, v1
    grader.client                 api.limits, v1                     (the wire's size limits)
    grader.report                 jsonl, judge.passk
    grader.grading                programs, bank, sandbox, judge, admission, offload, metrics, logs
    grader.programs               bank, sandbox                      (bank types onto sandbox types)
    grader.metrics                judge.verdict, sandbox.interface   (label sets)
    grader.judge                  bank.model, sandbox.interface, runner.codec
    grader.bank                   runner.codec
    grader.sandbox                runner.protocol, runner.codec, offload, background
    grader.runner                 the standard library only          (copied into the image)
    offload, jsonl, logs, config, nothing of grader
    admission, answers, background
    grader.v1                     nothing of grader but itself       (generated)

Every module has a layer of its own: a new top-level module needs its row before it may import
anything of grader. The judge reads the sandbox's report type (sandbox.interface.TestRun) as
data: it imports that module only, never one that runs anything. The bank builder is handed a
way to run reference programs (bank.reference.ReferenceRunner, made from a sandbox by
grader.programs) and never imports the sandbox.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

GRADER = Path(__file__).resolve().parents[2] / "grader"

_API_BELOW = ("grader.service", "grader.background", "grader.grading", "grader.bank", "grader.judge",
              "grader.admission", "grader.config",
              "grader.logs", "grader.metrics", "grader.offload", "grader.v1")  # fmt: skip
_GRADING_BELOW = ("grader.bank", "grader.sandbox", "grader.judge", "grader.admission", "grader.offload",
                  "grader.metrics", "grader.logs")  # fmt: skip
_LEAF: tuple[str, ...] = ()

RULES: dict[str, tuple[str, ...]] = {
    "grader.cli": ("grader",),
    "grader.demo": ("grader.api", "grader.bank", "grader.evaluate", *_API_BELOW),
    "grader.api.server": ("grader.api", "grader.sandbox", *_API_BELOW),
    "grader.api": ("grader.api", *_API_BELOW),
    "grader.evaluate": ("grader.client", "grader.answers", "grader.jsonl", "grader.judge.passk", "grader.v1"),
    "grader.client": ("grader.api.limits", "grader.v1"),
    "grader.report": ("grader.jsonl", "grader.judge.passk"),
    "grader.service": ("grader.grading", "grader.bank", "grader.judge", "grader.metrics"),
    "grader.grading": ("grader.programs", *_GRADING_BELOW),
    "grader.programs": ("grader.bank", "grader.sandbox"),
    "grader.metrics": ("grader.judge.verdict", "grader.sandbox.interface"),
    "grader.judge": ("grader.bank.model", "grader.sandbox.interface", "grader.runner.codec"),
    "grader.bank": ("grader.runner.codec",),
    "grader.sandbox": (
        "grader.runner.protocol",
        "grader.runner.codec",
        "grader.offload",
        "grader.background",
    ),
    "grader.runner": _LEAF,
    "grader.offload": _LEAF,
    "grader.jsonl": _LEAF,
    "grader.logs": _LEAF,
    "grader.config": _LEAF,
    "grader.admission": _LEAF,
    "grader.answers": _LEAF,
    "grader.background": _LEAF,
    "grader.v1": _LEAF,
    "grader": _LEAF,
}


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer_of(module: str) -> str:
    return max((p for p in RULES if _within(module, p)), key=len)


def _module_name(path: Path) -> str:
    parts = path.relative_to(GRADER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    path = GRADER.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(source: str, package: str) -> Iterator[str]:
    """Every module `source` (a module of `package`) imports, anywhere in it, lazily or not;
    `from package import module` names the module."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield full if _is_module(full) else base


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(GRADER.rglob("*.py")):
        yield _module_name(path), path


def _runs_in_the_image(name: str) -> bool:
    """The standard library, or a sibling in the image's runner directory (run as a script)."""
    top = name.split(".")[0]
    return top in sys.stdlib_module_names or (GRADER / "runner" / f"{top}.py").is_file()


def crossings() -> list[tuple[str, str]]:
    """(importer, imported) pairs that break RULES."""
    found = []
    for module, path in _modules():
        layer = layer_of(module)
        # The catch-all "grader" row covers only the package itself; its own prefix grants nothing.
        allowed = RULES[layer] if layer == "grader" else (layer, *RULES[layer])
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for target in imports(path.read_text(encoding="utf-8"), package):
            if _within(target, "grader"):
                if not any(_within(target, a) for a in allowed):
                    found.append((module, target))
            elif layer == "grader.runner" and not _runs_in_the_image(target):
                found.append((module, target))
    return sorted(set(found))


def test_every_import_points_down() -> None:
    wrong = crossings()
    listed = "\n".join(f"  {a} -> {b}" for a, b in wrong)
    assert not wrong, f"imports that cross a layer the wrong way:\n{listed}"


def test_every_module_has_a_layer() -> None:
    unplaced = [module for module, _ in _modules() if module != "grader" and layer_of(module) == "grader"]
    assert not unplaced, f"give these modules a row in RULES: {unplaced}"


def test_the_walk_sees_lazy_relative_and_from_imports() -> None:
    source = (
        "import grader.offload\n"
        "from grader import jsonl\n"
        "from . import model\n"
        "from ..judge.verdict import Verdict\n"
        "def later() -> None:\n"
        "    from grader.sandbox.interface import TestRun\n"
    )
    assert list(imports(source, "grader.bank")) == [
        "grader.offload",
        "grader.jsonl",
        "grader.bank.model",
        "grader.judge.verdict",
        "grader.sandbox.interface",
    ]


def test_layers_take_the_longest_prefix() -> None:
    assert layer_of("grader.api.server") == "grader.api.server"
    assert layer_of("grader.api.servicer") == "grader.api"
    assert layer_of("grader.bank.formats.evalplus") == "grader.bank"
    assert layer_of("grader.judge.passk") == "grader.judge"
