"""The program in a raw model answer, as LiveBench takes it: reasoning removed, then the last
fenced code block.

* Line endings are normalised to ``\\n`` first (``\\r\\n`` and lone ``\\r``).
* ``<think>…</think>`` blocks are removed, wherever they are. A ``</think>`` left without its
  opening tag (chat templates that put ``<think>`` in the prompt) ends a reasoning section that
  started at the beginning of the text: everything up to it goes. A ``<think>`` never closed (an
  answer cut off while reasoning) runs to the end of the text: it goes too.
* A fence is a line whose first non-blank characters are three backticks; an opening fence may
  carry a language tag (```` ```python ````, ```` ```py ````, ```` ``` Python3 ````). Fences pair up
  in order, and the code is the text between the last pair. A last opening fence that is never
  closed (a truncated answer) still opens the last block, which then runs to the end of the text,
  unless nothing but blank lines follows it.
* With no fenced block, the code is the whole remaining text with blank lines and trailing
  whitespace removed around it; the first line keeps its indentation, which a completion
  answer (the body that follows a partial solution) needs.

An answer with no code at all gives ``""``.
"""

from __future__ import annotations

import re

__all__ = ["extract_code", "strip_reasoning"]

_THINK_OPEN = "<think>"
_THINK_CLOSE = "</think>"
_FENCE = re.compile(r"^[ \t]*```")


def _remove_think_blocks(text: str) -> str:
    """Each ``<think>`` up to the first ``</think>`` after it removed, left to right, in one pass:
    a lazy regex would rescan to the end from every unclosed ``<think>`` (quadratic)."""
    kept: list[str] = []
    pos = 0
    while (start := text.find(_THINK_OPEN, pos)) >= 0:
        end = text.find(_THINK_CLOSE, start + len(_THINK_OPEN))
        if end < 0:
            break
        kept.append(text[pos:start])
        pos = end + len(_THINK_CLOSE)
    kept.append(text[pos:])
    return "".join(kept)


def strip_reasoning(text: str) -> str:
    """The answer with its line endings normalised and its ``<think>`` sections removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _remove_think_blocks(text)
    if _THINK_CLOSE in text:  # the opening tag was in the prompt: reasoning from the start
        text = text[text.rindex(_THINK_CLOSE) + len(_THINK_CLOSE) :]
    if _THINK_OPEN in text:  # never closed: reasoning to the end
        text = text[: text.index(_THINK_OPEN)]
    return text


def _strip_blank_lines(text: str) -> str:
    """Trailing whitespace and leading blank lines removed; the first line keeps its indent."""
    text = text.rstrip()
    if not text:
        return ""
    # The first line with something on it starts where the last newline before it ends.
    first_char = len(text) - len(text.lstrip())
    return text[text.rfind("\n", 0, first_char) + 1 :]


def extract_code(answer: str) -> str:
    """The code of a raw model answer (see the module docstring); ``""`` when there is none."""
    text = strip_reasoning(answer)
    lines = text.split("\n")
    fences = [i for i, line in enumerate(lines) if _FENCE.match(line)]
    if len(fences) % 2 == 1:
        start = fences[-1]
        tail = lines[start + 1 :]
        if any(line.strip() for line in tail):
            return "\n".join(tail).rstrip()
        fences.pop()
    if fences:
        start, end = fences[-2], fences[-1]
        return "\n".join(lines[start + 1 : end])
    return _strip_blank_lines(text)
