"""The demo bank's files are what scripts/make_demo_bank.py builds from scripts/demo_problems/."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from grader.bank.formats import read_bank_file

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "grader" / "bank" / "demo"


def builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_demo_bank", ROOT / "scripts" / "make_demo_bank.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_files_are_what_the_builder_writes() -> None:
    make = builder()
    questions, samples = make.build(make.PROBLEMS_DIR)
    assert make.jsonl(questions) == (DEMO / "questions.jsonl").read_text(encoding="utf-8")
    assert make.jsonl(samples) == (DEMO / "samples.jsonl").read_text(encoding="utf-8")


def test_building_leaves_the_interpreter_as_it_was() -> None:
    before = sys.get_int_max_str_digits(), list(sys.path), sys.dont_write_bytecode
    make = builder()
    make.build(make.PROBLEMS_DIR)
    assert (sys.get_int_max_str_digits(), list(sys.path), sys.dont_write_bytecode) == before


def test_the_bank_reads_every_demo_question() -> None:
    ids = [q.info.id for q in read_bank_file(DEMO / "questions.jsonl")]
    assert len(ids) == 20
    assert all(i.startswith("demo/") for i in ids)
