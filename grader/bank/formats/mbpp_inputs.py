"""MBPP+ inputs as the canonical solutions expect them.

MBPP+ stores its inputs as JSON, which has no tuples, sets or complex numbers; EvalPlus rebuilds
them per task before calling a solution. These rules restate EvalPlus's (evalplus/data/mbpp.py,
`mbpp_deserialize_inputs`) as data: which argument of which task becomes which type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Args = list[Any]


def _tuples(value: Any) -> Any:
    """Every list, at any depth, becomes a tuple."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _each_arg_tuple(args: Args) -> Args:
    return [tuple(a) for a in args]


def _each_arg_inner_tuples(args: Args) -> Args:
    return [[tuple(x) for x in a] for a in args]


def _first_arg_inner_tuples(args: Args) -> Args:
    return [[tuple(x) for x in args[0]], *args[1:]]


def _second_arg_tuple(args: Args) -> Args:
    return [args[0], tuple(args[1]), *args[2:]]


def _first_arg_tuple(args: Args) -> Args:
    return [tuple(args[0]), *args[1:]]


def _each_arg_tuple_of_tuples(args: Args) -> Args:
    return [tuple(tuple(x) for x in a) for a in args]


def _first_arg_sets(args: Args) -> Args:
    # EvalPlus turns an empty member into {} (a dict), not set(); kept as it is, since the
    # canonical outputs were computed that way.
    return [[set(x) if isinstance(x, list) and x else {} for x in args[0]]]


def _float_and_complex(args: Args) -> Args:
    return [float(args[0]), complex(args[1])]


def _complex(args: Args) -> Args:
    return [complex(args[0])]


def _nested_lists_tuple(args: Args) -> Args:
    return [tuple(tuple(x) if isinstance(x, list) else x for x in args[0]), *(tuple(a) for a in args[1:])]


def _dict_values_tuples(args: Args) -> Args:
    return [{k: tuple(v) for k, v in args[0].items()}, *args[1:]]


def _all_tuples(args: Args) -> Args:
    return list(_tuples(args))


_RULES: dict[Callable[[Args], Args], tuple[int, ...]] = {
    _each_arg_tuple: (2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630,
                      726, 740, 744, 809),
    _each_arg_inner_tuples: (63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780),
    _first_arg_inner_tuples: (75, 413, 444, 753),
    _second_arg_tuple: (106, 750),
    _first_arg_sets: (115,),
    _float_and_complex: (124,),
    _first_arg_tuple: (250, 307, 405, 446, 617, 720, 763, 808),
    _each_arg_tuple_of_tuples: (259, 401, 445),
    _nested_lists_tuple: (278,),
    _dict_values_tuples: (722,),
    _complex: (252,),
    _all_tuples: (580, 615, 791),
}  # fmt: skip
RULE_OF_TASK = {number: rule for rule, numbers in _RULES.items() for number in numbers}


def mbpp_arguments(task_id: str, args: Args) -> Args:
    """One input's arguments with the types the task's canonical solution was written for."""
    try:
        number = int(task_id.rsplit("/", 1)[-1])
    except ValueError:
        return args
    rule = RULE_OF_TASK.get(number)
    return rule(args) if rule else args
