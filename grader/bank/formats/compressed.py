"""LiveCodeBench's compressed private tests: base64(zlib(pickle(ONE str of JSON))).

Bank files are untrusted input and loading a pickle can run arbitrary code, so the
pickle is read by an unpickler that refuses every global: a plain str needs none.
"""

from __future__ import annotations

import base64
import binascii
import io
import pickle
import zlib

from grader.bank.formats.limits import MAX_QUESTION_CHARS

# A cap on the inflated size: a few bytes of zlib can expand to gigabytes. The pickle of a str
# of N characters takes at least N bytes, so tests past the question's limit are stopped here.
MAX_DECOMPRESSED_BYTES = MAX_QUESTION_CHARS + 1024


# What a malformed pickle can make the unpickler raise; none may escape as a crash.
_PICKLE_ERRORS = (
    pickle.UnpicklingError,
    EOFError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    KeyError,
    OverflowError,
    RecursionError,
    MemoryError,
)


class CompressedDataError(ValueError):
    """Data that is not a safe base64/zlib/pickle encoding of one string."""


class CompressedTooLargeError(CompressedDataError):
    """Data that inflates past the limit."""


class _NoGlobalsUnpickler(pickle.Unpickler):
    """Builds only pickle's primitive values; any class or function is refused."""

    def find_class(self, module: str, name: str, /) -> object:
        raise pickle.UnpicklingError("pickled data refers to a global, refused")


def decode_compressed_tests(blob: str) -> str:
    """The JSON text in a compressed test blob; raises :class:`CompressedDataError`."""
    try:
        raw = base64.b64decode("".join(blob.split()), validate=True)
    except (binascii.Error, ValueError):
        raise CompressedDataError("not base64") from None
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(raw, MAX_DECOMPRESSED_BYTES)
    except zlib.error:
        raise CompressedDataError("not zlib data") from None
    if inflater.unconsumed_tail:
        raise CompressedTooLargeError(f"inflates past {MAX_DECOMPRESSED_BYTES} bytes")
    if not inflater.eof:
        raise CompressedDataError("truncated zlib data")
    try:
        value = _NoGlobalsUnpickler(io.BytesIO(data)).load()
    except _PICKLE_ERRORS:
        raise CompressedDataError("not a safe pickle of a string") from None
    if not isinstance(value, str):
        raise CompressedDataError("pickle does not hold a string")
    return value
