"""The runner's line protocol (grader/runner/protocol.py) and the shapes the supervisor reports
(grader/runner/reports.py): what a line becomes, and which of a worker's lines are taken."""

from __future__ import annotations

import json

import pytest

from grader.runner import protocol
from grader.runner.reports import blank_item, blank_result, flat, parse_reports

NONCE = "ab" * 16


def line(**fields: object) -> bytes:
    return json.dumps(fields).encode()


class TestLines:
    def test_encode_is_one_compact_line(self) -> None:
        assert protocol.encode({"type": "loaded", "items": [1, 2]}) == b'{"type":"loaded","items":[1,2]}\n'

    def test_encode_keeps_text_past_ascii_escaped_on_one_line(self) -> None:
        encoded = protocol.encode({"stderr_tail": "é\nü"})
        assert encoded.count(b"\n") == 1 and encoded.endswith(b"\n")
        assert protocol.decode(encoded) == {"stderr_tail": "é\nü"}

    def test_decode_round_trips(self) -> None:
        message = {"type": "batch", "index": 3, "inputs": ["[1]", "[2]"]}
        assert protocol.decode(protocol.encode(message)) == message

    @pytest.mark.parametrize("text", [b"[1, 2]", b'"x"', b"3", b"null", b"", b"{", b"\xff"])
    def test_decode_takes_json_objects_only(self, text: bytes) -> None:
        with pytest.raises(ValueError):
            protocol.decode(text)

    def test_decode_of_a_line_nested_past_the_recursion_limit_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="nested too deeply"):
            protocol.decode(b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}")


class TestWorkerLines:
    def test_only_lines_with_the_nonce_are_taken_in_order_nonce_removed(self) -> None:
        data = b"\n".join(
            [
                line(value="1", nonce=NONCE),
                line(value="forged", nonce="cd" * 16),
                line(value="no nonce"),
                b"not json",
                b"[1]",
                line(exception="ValueError", message="m", nonce=NONCE),
                b"",
            ]
        )
        assert parse_reports(data, NONCE) == [{"value": "1"}, {"exception": "ValueError", "message": "m"}]

    def test_a_nested_field_is_never_forwarded(self) -> None:
        data = line(value={"deep": [1]}, nonce=NONCE)
        assert parse_reports(data, NONCE) == [{"malformed": "a field that is not a scalar"}]

    @pytest.mark.parametrize("value", [None, "s", 1, 1.5, True])
    def test_scalars_pass_as_they_are(self, value: object) -> None:
        assert flat({"value": value, "i": 0}) == {"value": value, "i": 0}

    @pytest.mark.parametrize("value", [[1], {"a": 1}, []])
    def test_anything_else_is_malformed(self, value: object) -> None:
        assert flat({"value": value}) == {"malformed": "a field that is not a scalar"}


class TestBlanks:
    def test_an_item_of_nothing_run(self) -> None:
        item = blank_item()
        assert item == {
            "exit_code": None, "signal": None, "cpu_ms": 0.0, "wall_ms": 0.0, "peak_memory_kb": 0,
            "timed_out": False, "oom_killed": False, "output_exceeded": False, "report": None,
        }  # fmt: skip
        assert set(item) == set(protocol.Measured.__annotations__) | set(protocol.BatchItem.__annotations__)

    def test_fields_override(self) -> None:
        assert blank_item(timed_out=True)["timed_out"] is True
        assert blank_item(oom_killed=True, cpu_ms=5.0)["cpu_ms"] == 5.0
        assert blank_item() is not blank_item()

    def test_a_result_of_nothing_run(self) -> None:
        result = blank_result()
        assert (result["compile_error"], result["stdout"], result["stderr_tail"], result["reports"]) == (
            None, "", "", []
        )  # fmt: skip
        assert result["exit_code"] is None and not result["timed_out"]
