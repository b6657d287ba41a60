"""The candidate's side's pure parts (grader/runner/child.py): how an answer is reported, which
callable is the entry point, how a SystemExit becomes an exit status, and the fork servers' loop."""

from __future__ import annotations

import json
import os
import socket
from typing import Any

import pytest

from grader.runner import child


class TestAnswerFields:
    def test_a_value_in_both_encodings(self) -> None:
        assert child.value_fields((1, [2])) == {
            "value": "[1, [2]]",
            "typed": '{"$t": "tuple", "v": [1, [2]]}',
        }

    def test_special_floats_are_written(self) -> None:
        fields = child.value_fields(float("nan"))
        assert fields["value"] == "NaN"
        assert json.loads(fields["typed"]) == {"$t": "float", "v": "nan"}

    def test_a_value_without_plain_json_still_has_its_tagged_form(self) -> None:
        fields = child.value_fields({1, 2})
        assert fields["not_serializable"] == "set"
        assert "value" not in fields
        assert json.loads(fields["typed"]) == {"$t": "set", "v": [1, 2]}

    def test_a_value_with_neither(self) -> None:
        loop: list[Any] = []
        loop.append(loop)
        assert child.value_fields(loop) == {"not_serializable": "list", "typed": None}
        assert child.typed_fields(loop) == {"not_serializable": "list"}

    def test_a_batch_sends_the_tagged_form_only(self) -> None:
        assert child.typed_fields([1, (2,)]) == {"typed": '[1, {"$t": "tuple", "v": [2]}]'}


class TestEntryPoint:
    def test_a_method_of_solution_first(self) -> None:
        class Solution:
            def f(self) -> str:
                return "method"

        def f() -> str:
            return "function"

        assert child.resolve_entry_point({"Solution": Solution, "f": f}, "f")() == "method"

    def test_a_function_when_solution_lacks_it(self) -> None:
        class Solution:
            pass

        def f() -> str:
            return "function"

        assert child.resolve_entry_point({"Solution": Solution, "f": f}, "f")() == "function"
        assert child.resolve_entry_point({"Solution": "not a class", "f": f}, "f")() == "function"

    @pytest.mark.parametrize("namespace", [{}, {"f": 3}, {"Solution": object}])
    def test_missing_is_a_name_error(self, namespace: dict[str, object]) -> None:
        with pytest.raises(NameError, match=r"no Solution\.f and no function f"):
            child.resolve_entry_point(namespace, "f")


class TestExitStatus:
    @pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (3, 3), (256, 0), (257, 1), (-1, 255)])
    def test_an_int_is_taken_modulo_256(self, code: int | None, status: int) -> None:
        assert child.exit_status(SystemExit(code)) == status

    def test_anything_else_is_printed_and_1(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert child.exit_status(SystemExit("bye")) == 1
        assert capsys.readouterr().err == "bye\n"


class TestPrelude:
    def test_lcb_names_are_there(self) -> None:
        namespace: dict[str, Any] = {}
        exec(child.LCB_PRELUDE, namespace)  # noqa: S102 - the prelude is ours
        assert {"List", "Counter", "heappush", "bisect_left", "reduce", "math", "json"} <= set(namespace)


class TestForks:
    """The loop both zygotes serve with: a child per request, its pid and fds to the parent."""

    def serve(self, requests: list[tuple[dict[str, Any], list[int]]], **limits: int) -> list[tuple[int, int]]:
        """Sends `requests`, closes, and runs the loop: (pid, exit status) of each child forked."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        for request, fds in requests:
            socket.send_fds(ours, [json.dumps(request).encode()], fds)
        ours.close()

        def run(request: dict[str, Any], fds: list[int]) -> None:
            if fds:
                os.write(fds[0], json.dumps(request).encode())
            if request.get("raise"):
                raise RuntimeError("the child's own failure")

        children = []
        for pid, fds in child.forks(theirs, run, **limits):
            for fd in fds:
                os.close(fd)
            children.append((pid, os.waitpid(pid, 0)[1]))
        theirs.close()
        return children

    def test_each_request_gets_a_child_that_exits_with_the_code(self) -> None:
        read, write = os.pipe()
        children = self.serve([({"n": 1}, [write]), ({"n": 2, "raise": True}, [write])], max_fds=1, min_fds=1,
                              exit_code=70)  # fmt: skip
        os.close(write)
        assert [os.waitstatus_to_exitcode(status) for _, status in children] == [70, 70]
        assert os.read(read, 100) == b'{"n": 1}{"n": 2, "raise": true}'
        os.close(read)

    def test_a_request_without_its_descriptor_ends_the_loop(self) -> None:
        read, write = os.pipe()
        requests = [({"n": 1}, [write]), ({"n": 2}, []), ({"n": 3}, [write])]
        children = self.serve(requests, max_fds=1, min_fds=1, exit_code=0)
        os.close(write)
        os.close(read)
        assert len(children) == 1

    def test_without_a_minimum_a_request_may_come_alone(self) -> None:
        children = self.serve([({"n": 1}, []), ({"n": 2}, [])], max_fds=8, min_fds=0, exit_code=0)
        assert [os.waitstatus_to_exitcode(status) for _, status in children] == [0, 0]
