"""LiveCodeBench ``code_generation_lite`` rows, and the LCB rules LiveBench shares."""

from __future__ import annotations

from dataclasses import dataclass

from grader.bank import model
from grader.bank.formats.common import (
    Row,
    RowError,
    json_object,
    normalise_date,
    opt_str,
    parse_lcb_tests,
    req_str,
)


@dataclass(frozen=True, slots=True)
class LcbShape:
    """What LiveCodeBench's ``metadata`` decides: kind, checker and entry point."""

    kind: model.QuestionKind
    checker: model.CheckerSpec
    entry_point: str


def lcb_shape(metadata: object, what: str) -> LcbShape:
    """A ``func_name`` in the metadata makes a call-based question, else stdin."""
    meta = json_object(metadata if metadata is not None else "", what)
    func_name = meta.get("func_name")
    if func_name is None:
        return LcbShape(model.QuestionKind.STDIN, model.CheckerSpec(model.CheckerName.LCB), "")
    if not isinstance(func_name, str) or not func_name.strip():
        raise RowError(f"{what}: func_name must be a non-empty string")
    return LcbShape(model.QuestionKind.CALL, model.CheckerSpec(model.CheckerName.JSON), func_name)


def check_test_kinds(kinds: set[model.QuestionKind], kind: model.QuestionKind, what: str) -> None:
    """Tests typed for another kind would be run the wrong way, so they are refused."""
    if kinds - {kind}:
        raise RowError(f"{what}: testtype does not match the question kind {kind.value!r}")


def lcb_tests(row: Row, kind: model.QuestionKind) -> tuple[model.TestCase, ...]:
    """Public tests, then private ones (JSON or compressed), each in file order."""
    public, public_kinds = parse_lcb_tests(row.get("public_test_cases"), "public_test_cases", public=True)
    private, private_kinds = parse_lcb_tests(
        row.get("private_test_cases"),
        "private_test_cases",
        public=False,
        allow_compressed=True,
    )
    check_test_kinds(public_kinds, kind, "public_test_cases")
    check_test_kinds(private_kinds, kind, "private_test_cases")
    return public + private


def parse_livecodebench(row: Row) -> model.Question:
    """A question from a LiveCodeBench ``code_generation_lite`` row."""
    shape = lcb_shape(row.get("metadata"), "metadata")
    tests = lcb_tests(row, shape.kind)
    info = model.QuestionInfo(
        id=req_str(row, "question_id"),
        title=req_str(row, "question_title"),
        kind=shape.kind,
        prompt=req_str(row, "question_content"),
        starter_code=opt_str(row, "starter_code"),
        entry_point=shape.entry_point,
        release_date=normalise_date(row.get("contest_date"), "contest_date"),
        source="livecodebench",
        checker=shape.checker,
        prelude=model.Prelude.LCB,
        num_public_tests=sum(t.public for t in tests),
        num_private_tests=sum(not t.public for t in tests),
    )
    return model.Question(info=info, tests=tests)
