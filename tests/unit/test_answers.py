"""Taking the program out of a raw model answer: reasoning removed, then the last fenced block."""

from __future__ import annotations

import pytest

from grader.answers import extract_code, strip_reasoning


class TestFencedBlocks:
    """The code is the text between the last pair of fences, whatever the language tag."""

    def test_one_block_with_prose_around(self) -> None:
        answer = "Here is my solution:\n```python\nprint(1)\n```\nIt prints 1."
        assert extract_code(answer) == "print(1)"

    def test_last_of_several_blocks(self) -> None:
        answer = "First try:\n```python\nprint(0)\n```\nBetter:\n```python\nx = 1\nprint(x)\n```\nDone."
        assert extract_code(answer) == "x = 1\nprint(x)"

    @pytest.mark.parametrize("tag", ["", "python", "py", "Python3", " python", "python3 {.numberLines}"])
    def test_language_tags(self, tag: str) -> None:
        assert extract_code(f"```{tag}\nprint(2)\n```") == "print(2)"

    def test_block_of_another_language_still_counts_when_last(self) -> None:
        """As LiveBench: the last block, whatever its tag (an explanation block after the code loses)."""
        answer = "```python\nprint(1)\n```\nRun it with:\n```bash\npython3 a.py\n```"
        assert extract_code(answer) == "python3 a.py"

    def test_indentation_inside_the_block_is_kept(self) -> None:
        """A completion answer is a function body: its indentation is the program."""
        answer = "```\n        if x:\n            return 1\n        return 0\n```"
        assert extract_code(answer) == "        if x:\n            return 1\n        return 0"

    def test_indented_fences(self) -> None:
        answer = "1. The code:\n   ```python\n   print(3)\n   ```\n"
        assert extract_code(answer) == "   print(3)"

    def test_inline_backticks_are_not_fences(self) -> None:
        answer = "Use ```print``` here:\n```python\nprint('```')\n```"
        assert extract_code(answer) == "print('```')"

    def test_empty_block(self) -> None:
        assert extract_code("```python\n```") == ""

    def test_four_backtick_fences(self) -> None:
        assert extract_code("````python\nprint(4)\n````") == "print(4)"


class TestUnclosedFences:
    """A truncated answer's last block runs to the end; a stray closing fence is ignored."""

    def test_no_closing_fence(self) -> None:
        assert extract_code("Solution:\n```python\nprint(1)\nprint(2)\n") == "print(1)\nprint(2)"

    def test_no_closing_fence_after_complete_blocks(self) -> None:
        answer = "```python\nprint(1)\n```\nNow faster:\n```python\nprint(2)"
        assert extract_code(answer) == "print(2)"

    def test_stray_fence_at_the_end_is_ignored(self) -> None:
        answer = "```python\nprint(1)\n```\nThat is all.\n```"
        assert extract_code(answer) == "print(1)"

    def test_only_a_stray_fence_gives_the_text(self) -> None:
        """One fence with nothing after it opens no block: the whole text is the answer."""
        assert extract_code("`return x`\n```") == "`return x`\n```"


class TestNoFence:
    """Without a fenced block the whole answer is the code, blank lines around it removed."""

    def test_plain_program(self) -> None:
        assert extract_code("\n\nprint(1)\nprint(2)\n\n  \n") == "print(1)\nprint(2)"

    def test_first_line_keeps_its_indentation(self) -> None:
        """A completion body given bare (LiveBench scores such answers) must still indent."""
        answer = "\n            if ok:\n                return 1\n        return 0\n"
        assert extract_code(answer) == "            if ok:\n                return 1\n        return 0"

    @pytest.mark.parametrize("answer", ["", "   ", "\n\n", "<think>only thoughts</think>\n"])
    def test_nothing(self, answer: str) -> None:
        assert extract_code(answer) == ""


class TestThink:
    """Reasoning sections go before anything else, with the fences they contain."""

    def test_think_block_with_fences_is_ignored(self) -> None:
        answer = (
            "<think>Maybe:\n```python\nprint('draft')\n```\nno, better:\n```python\nprint('draft 2')\n"
            "```\n</think>\nFinal answer:\n```python\nprint('final')\n```"
        )
        assert extract_code(answer) == "print('final')"

    def test_think_block_after_the_code_is_ignored(self) -> None:
        answer = "```python\nprint(1)\n```\n<think>\n```python\nprint(2)\n```\n</think>"
        assert extract_code(answer) == "print(1)"

    def test_several_think_blocks(self) -> None:
        answer = "<think>a ``` b</think>```python\nprint(1)\n```<think>```python\nprint(9)\n```</think>"
        assert extract_code(answer) == "print(1)"

    def test_think_with_an_unclosed_fence_inside(self) -> None:
        """A fence opened in the reasoning must not pair with the answer's fences."""
        answer = "<think>let me write ```python\n```python\nx</think>\n```python\nprint(5)\n```"
        assert extract_code(answer) == "print(5)"

    def test_opening_tag_in_the_prompt(self) -> None:
        """Only `</think>`: the reasoning began before the answer's text, and ends there."""
        answer = "I think\n```python\nprint('draft')\n```\n</think>\n\n```python\nprint('final')\n```"
        assert extract_code(answer) == "print('final')"

    def test_reasoning_never_closed(self) -> None:
        """An answer cut off while reasoning has no code (its drafts are not the answer)."""
        assert extract_code("<think>\n```python\nprint('draft')\n```\nhmm") == ""

    def test_code_before_an_unclosed_think(self) -> None:
        assert extract_code("```python\nprint(1)\n```\n<think>more") == "print(1)"

    def test_strip_reasoning_keeps_the_rest(self) -> None:
        assert strip_reasoning("a<think>x</think>b<think>y</think>c") == "abc"


class TestLineEndings:
    """CRLF (and lone CR) answers give LF code."""

    def test_crlf(self) -> None:
        answer = "Code:\r\n```python\r\nx = 1\r\nprint(x)\r\n```\r\n"
        assert extract_code(answer) == "x = 1\nprint(x)"

    def test_crlf_with_think(self) -> None:
        answer = "<think>\r\n```python\r\nprint(0)\r\n```\r\n</think>\r\n```py\r\nprint(1)\r\n```"
        assert extract_code(answer) == "print(1)"

    def test_lone_cr(self) -> None:
        assert extract_code("```python\rprint(1)\r```") == "print(1)"

    def test_crlf_without_fences(self) -> None:
        assert extract_code("print(1)\r\nprint(2)\r\n") == "print(1)\nprint(2)"
