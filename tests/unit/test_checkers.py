"""Answer comparison outside the sandbox: LiveCodeBench's rule, exact/tokens/float and JSON values."""

from __future__ import annotations

import json

import pytest

from grader.bank.model import CheckerName, CheckerSpec
from grader.judge.checkers import lcb_equal, text_equal, value_equal

LCB = CheckerSpec(CheckerName.LCB)
EXACT = CheckerSpec(CheckerName.EXACT)
TOKENS = CheckerSpec(CheckerName.TOKENS)
FLOAT = CheckerSpec(CheckerName.FLOAT)
JSON = CheckerSpec(CheckerName.JSON)


class TestLcbRule:
    """LiveCodeBench's rule: strip, same line count, lines equal as strings or as exact Decimal tokens."""

    @pytest.mark.parametrize(
        ("got", "expected"),
        [
            ("3\n", "3\n"),
            ("1.0", "1"),
            ("1", "1.000"),
            ("1e3", "1000"),
            ("-0", "0"),
            ("1  2", "1 2"),  # differs as a string, equal as Decimal tokens
            ("3\n\n\n", "3"),  # trailing blank lines
            ("\n\n3", "3\n"),  # leading blank lines
            ("1 2   \n3 \t\n", "1 2\n3"),  # trailing whitespace on each line
            ("   YES", "YES"),
            ("1\r\n2\r\n", "1\n2\n"),  # CRLF: each line is stripped
            ("", ""),
            ("", "\n  \n"),
            ("abc def\n", "abc def"),
        ],
    )
    def test_equal(self, got: str, expected: str) -> None:
        assert lcb_equal(got, expected)
        assert text_equal(got, expected, LCB)

    @pytest.mark.parametrize(
        ("got", "expected"),
        [
            ("0.1", "0.10000001"),  # exact Decimals: no float tolerance
            ("0.3", "0.30000000000000004"),
            ("YES", "yes"),  # case-sensitive
            ("Yes", "YES"),
            ("3\n4", "3"),  # an extra line
            ("3", "3\n4"),  # a missing line
            ("1\n\n2", "1\n2"),  # an inner blank line is a line
            ("1 2", "1 2 3"),  # token count differs
            ("a  b", "a b"),  # not numbers, and not equal as strings
            ("NaN", "nan"),  # NaN never equals NaN as a Decimal
            ("", "0"),
            ("4", "3"),
            ("1,0", "1"),
        ],
    )
    def test_not_equal(self, got: str, expected: str) -> None:
        assert not lcb_equal(got, expected)
        assert not text_equal(got, expected, LCB)

    def test_is_symmetric_on_the_examples(self) -> None:
        assert lcb_equal("1", "1.0") and lcb_equal("1.0", "1")
        assert not lcb_equal("yes", "YES") and not lcb_equal("YES", "yes")

    def test_huge_integers_compare_exactly(self) -> None:
        big = "7" * 20000
        assert lcb_equal(f"{big}\n", big)
        assert lcb_equal(f"-{big}.000", f"-{big}")
        assert not lcb_equal(big, big[:-1] + "8")


class TestExactChecker:
    """The exact checker compares byte for byte, whitespace included."""

    def test_identical_is_equal(self) -> None:
        assert text_equal("1 2\n", "1 2\n", EXACT)

    @pytest.mark.parametrize(("got", "expected"), [("3\n", "3"), ("1.0", "1"), ("1  2", "1 2"), ("a", "A")])
    def test_any_difference_is_not_equal(self, got: str, expected: str) -> None:
        assert not text_equal(got, expected, EXACT)


class TestTokensChecker:
    """The tokens checker compares whitespace-separated tokens as strings."""

    @pytest.mark.parametrize(("got", "expected"), [("1  2\n", "1 2"), ("a\nb", "a b"), ("  x  ", "x\n\n")])
    def test_whitespace_does_not_matter(self, got: str, expected: str) -> None:
        assert text_equal(got, expected, TOKENS)

    @pytest.mark.parametrize(("got", "expected"), [("1.0", "1"), ("1 2", "1 2 3"), ("Yes", "yes")])
    def test_tokens_must_be_identical_strings(self, got: str, expected: str) -> None:
        assert not text_equal(got, expected, TOKENS)


class TestFloatChecker:
    """The float checker accepts numbers within the absolute or relative tolerance, token by token."""

    def test_default_tolerance(self) -> None:
        assert text_equal("0.30000000000000004", "0.3", FLOAT)
        assert text_equal("1.0 2", "1 2.0\n", FLOAT)
        assert not text_equal("0.3001", "0.3", FLOAT)

    def test_absolute_tolerance(self) -> None:
        spec = CheckerSpec(CheckerName.FLOAT, abs_tol=1e-6, rel_tol=0.0)
        assert text_equal("1.0000005", "1", spec)
        assert text_equal("0.0000009", "0", spec)
        assert not text_equal("1.000002", "1", spec)
        # Without a relative tolerance, big numbers need the absolute one.
        assert not text_equal("1000000.01", "1000000", spec)

    def test_relative_tolerance(self) -> None:
        spec = CheckerSpec(CheckerName.FLOAT, abs_tol=0.0, rel_tol=1e-3)
        assert text_equal("1000.5", "1000", spec)
        assert not text_equal("1002", "1000", spec)
        # Without an absolute tolerance, nothing but zero is close to zero.
        assert not text_equal("1e-300", "0", spec)

    def test_nan_equals_only_nan(self) -> None:
        assert text_equal("nan", "nan", FLOAT)
        assert text_equal("NaN", "nan", FLOAT)
        assert not text_equal("nan", "0", FLOAT)
        assert not text_equal("1", "nan", FLOAT)

    def test_infinities(self) -> None:
        assert text_equal("inf", "inf", FLOAT)
        assert not text_equal("inf", "-inf", FLOAT)
        assert not text_equal("1e308", "inf", FLOAT)

    def test_token_count_must_match(self) -> None:
        assert not text_equal("1 2", "1 2 3", FLOAT)
        assert not text_equal("1 2 3", "1 2", FLOAT)
        assert not text_equal("", "0", FLOAT)

    def test_words_compare_as_strings(self) -> None:
        assert text_equal("Yes 0.5", "Yes 0.5000000001", FLOAT)
        assert not text_equal("yes 0.5", "Yes 0.5", FLOAT)
        assert not text_equal("abc", "1", FLOAT)

    @pytest.mark.parametrize(
        ("got", "expected"),
        [("1e400", "2e400"), ("1" + "0" * 400, "2" + "0" * 400)],
        ids=["exponent", "digits"],
    )
    def test_numbers_beyond_the_float_range_keep_their_difference(self, got: str, expected: str) -> None:
        assert not text_equal(got, expected, FLOAT)


class TestValueEqual:
    """Call-based answers are compared as JSON values; the float checker adds tolerance, also nested."""

    @pytest.mark.parametrize(
        ("got", "expected"),
        [
            ("[1, 2]", "[1,2]"),
            ('[[1, [2, 3]], {"a": [4]}]', '[[1,[2,3]],{"a":[4]}]'),
            ('{"a": 1, "b": 2}', '{"b":2,"a":1}'),
            (json.dumps((1, (2, 3))), "[1, [2, 3]]"),  # a returned tuple is a JSON list
            ('"abc"', '"abc"'),
            ("null", "null"),
            ("1", "1.0"),  # Python's ==, as LiveCodeBench compares
            ("true", "1"),  # bool == int in Python: what LiveCodeBench's == does too
        ],
    )
    def test_json_equal(self, got: str, expected: str) -> None:
        assert value_equal(got, expected, JSON)

    @pytest.mark.parametrize(
        ("got", "expected"),
        [
            ("[1, 2]", "[2, 1]"),
            ("[1, 2]", "[1, 2, 3]"),
            ("[[1]]", "[1]"),
            ('{"a": 1}', '{"a": 1, "b": 2}'),
            ('"1"', "1"),
            ("0.30000000000000004", "0.3"),  # no tolerance with the json checker
            ("true", "2"),
            ("null", "0"),
        ],
    )
    def test_json_not_equal(self, got: str, expected: str) -> None:
        assert not value_equal(got, expected, JSON)

    @pytest.mark.parametrize(("got", "expected"), [("[1, ", "[1]"), ("[1]", "[1"), ("", "1"), ("1", "")])
    def test_invalid_json_is_never_equal(self, got: str, expected: str) -> None:
        assert not value_equal(got, expected, JSON)
        assert not value_equal(got, expected, FLOAT)

    def test_float_checker_tolerance_in_nested_lists(self) -> None:
        assert value_equal("[[0.1, 0.2], [3]]", "[[0.10000000001, 0.2], [3.0]]", FLOAT)
        assert value_equal('{"x": [0.30000000000000004]}', '{"x": [0.3]}', FLOAT)
        assert not value_equal("[[0.1, 0.2]]", "[[0.1001, 0.2]]", FLOAT)
        assert not value_equal("[[0.1, 0.2]]", "[[0.1, 0.2, 0.3]]", FLOAT)
        assert not value_equal('{"x": 1}', '{"y": 1}', FLOAT)
        assert not value_equal('["a"]', '["b"]', FLOAT)

    def test_float_checker_compares_bool_with_int_by_equality(self) -> None:
        assert value_equal("true", "1", FLOAT)
        assert value_equal("[false]", "[0]", FLOAT)
        assert not value_equal("true", "1.0000000001", FLOAT)
        assert not value_equal("true", "2", FLOAT)

    def test_float_checker_nan(self) -> None:
        assert value_equal("[NaN]", "[NaN]", FLOAT)
        assert not value_equal("[NaN]", "[0]", FLOAT)

    @pytest.mark.parametrize("spec", [JSON, FLOAT], ids=["json", "float"])
    def test_integers_over_4300_digits(self, spec: CheckerSpec) -> None:
        big = "9" * 5000
        assert value_equal(big, big, spec)
