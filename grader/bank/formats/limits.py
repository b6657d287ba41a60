"""How much a bank source file may make the build hold: files come from the internet, and a few
compressed bytes can inflate to gigabytes, so every read and every inflation stops at a limit.

A row past a limit (a line, a test, a question, its compressed tests) is a fault of that row,
reported with file, line and reason; a file past its limit stops the build.
"""

from __future__ import annotations

MAX_LINE_BYTES = 256 << 20
"""One line of a JSON Lines file (one row), after gzip."""
MAX_FILE_BYTES = 8 << 30
"""One file, after gzip; also caps a file that is one JSON array, which is read whole."""
MAX_ARRAY_BYTES = 1 << 30
"""A file that is one JSON array, which is read and parsed whole."""
MAX_TEST_CHARS = 64 << 20
"""One test's input and expected output together."""
MAX_QUESTION_CHARS = 256 << 20
"""All of one question's tests together; also caps what its compressed private tests inflate to."""
