"""The tagged-value codec (grader/runner/codec.py): a candidate's answer keeps its Python types
through JSON, nothing is evaluated on the way back, and a call's input lines become arguments."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from grader.runner.codec import MESSAGE_LIMIT, call_arguments, tagged, untagged


def round_trip(value: Any) -> Any:
    return untagged(json.loads(json.dumps(tagged(value), allow_nan=True)))


class TestTagged:
    @pytest.mark.parametrize("value", [None, True, 0, -7, 10**400, "", "x", 1.5, [1, "a", None, 2.5]])
    def test_json_values_stay_as_they_are(self, value: Any) -> None:
        assert tagged(value) == value
        assert type(tagged(value)) is type(value)

    @pytest.mark.parametrize(
        "value",
        [
            (1, 2),
            (),
            {1, 2},
            frozenset({"a"}),
            {(1, 2): [3], "k": {4}},
            {},
            [(1,), [{2}]],
            1 + 2j,
            b"\x00\xff",
            bytearray(b"ab"),
            [True, 1, 1.0],
        ],
    )
    def test_round_trip_keeps_types(self, value: Any) -> None:
        back = round_trip(value)
        assert back == value
        assert type(back) is (bytes if isinstance(value, bytearray) else type(value))

    def test_a_tuple_and_a_list_differ(self) -> None:
        assert tagged((1, 2)) == {"$t": "tuple", "v": [1, 2]}
        assert tagged([1, 2]) == [1, 2]

    def test_a_dict_is_always_tagged(self) -> None:
        assert tagged({"a": 1}) == {"$t": "dict", "v": [["a", 1]]}

    @pytest.mark.parametrize(("value", "text"), [(math.inf, "inf"), (-math.inf, "-inf"), (math.nan, "nan")])
    def test_special_floats(self, value: float, text: str) -> None:
        assert tagged(value) == {"$t": "float", "v": text}
        back = round_trip([value])[0]
        assert math.isnan(back) if math.isnan(value) else back == value

    def test_a_set_subclass_is_a_set(self) -> None:
        class Tags(set[int]):
            pass

        assert tagged(Tags({1})) == {"$t": "set", "v": [1]}

    def test_an_object_keeps_its_type_name_and_a_capped_repr(self) -> None:
        class Node:
            def __repr__(self) -> str:
                return "N" * (MESSAGE_LIMIT + 50)

        assert tagged(Node()) == {"$t": "object", "type": "Node", "v": "N" * MESSAGE_LIMIT}

    def test_an_int_subclass_stays_an_int(self) -> None:
        assert tagged(True) is True
        assert tagged([False]) == [False]


class TestUntagged:
    def test_an_object_needs_an_opaque_builder(self) -> None:
        value = {"$t": "object", "type": "Node", "v": "Node()"}
        with pytest.raises(ValueError, match="'object'"):
            untagged(value)
        assert untagged(value, lambda kind, text: (kind, text)) == ("Node", "Node()")

    @pytest.mark.parametrize("value", [{"$t": "eval", "v": "1+1"}, {"a": 1}, {"v": [1]}])
    def test_an_unknown_tag_is_refused_never_evaluated(self, value: Any) -> None:
        with pytest.raises(ValueError):
            untagged(value)

    def test_plain_values_and_lists_pass(self) -> None:
        assert untagged([1, "a", None, [2.5]]) == [1, "a", None, [2.5]]


class TestCallArguments:
    def test_one_json_value_per_line(self) -> None:
        assert call_arguments('[1, 2]\n"s"\n\n  \n{"a": 1}\n') == ([[1, 2], "s", {"a": 1}], {})

    def test_no_lines_no_arguments(self) -> None:
        assert call_arguments("") == ([], {})
        assert call_arguments("\n \n") == ([], {})

    def test_keyword_arguments(self) -> None:
        text = '#kwargs\n{"n": 7,\n "queries": [[1, 2]]}\n'
        assert call_arguments(text) == ([], {"n": 7, "queries": [[1, 2]]})

    def test_keyword_arguments_must_be_an_object(self) -> None:
        with pytest.raises(TypeError):
            call_arguments("#kwargs\n[1]")

    def test_typed_lines(self) -> None:
        text = '#typed\n{"$t": "tuple", "v": [1, 2]}\n{"$t": "set", "v": [3]}\n4\n'
        assert call_arguments(text) == ([(1, 2), {3}, 4], {})

    def test_typed_lines_evaluate_no_object(self) -> None:
        with pytest.raises(ValueError):
            call_arguments('#typed\n{"$t": "object", "type": "os", "v": "x"}')

    def test_a_marker_only_counts_first(self) -> None:
        with pytest.raises(json.JSONDecodeError):
            call_arguments("1\n#kwargs")
