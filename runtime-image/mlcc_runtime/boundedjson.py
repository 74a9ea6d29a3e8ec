"""JSON request bodies decoded piece by piece, the memory they take charged as it is taken.

``orjson.loads`` decodes a whole document in one call and needs, for that call, its own parse
tree next to the Python objects: about 16 times a body of short numbers, 30 times one of empty
arrays or one-character strings, with no way to stop half-way. This decoder walks the structure
itself and hands runs of values (numbers, strings, ``true``/``false``/``null``) to the JSON library
a slice of at most ``CHUNK`` bytes at a time. After each slice it charges what it keeps to
``charge(nbytes)``, which raises (``memory.Reservation``) when the request's memory does not fit;
so the decode stops within one slice of its allowance.

The result is what ``jsonio.loads`` gives, except that the array under ``inputs[*].data`` comes
back flattened (row-major) as ``Flattened(values, shape)``: the function gets a flat list anyway,
and rows never exist as lists of lists. Bodies up to ``SMALL`` bytes are decoded in one call and
charged ``SMALL_RATIO`` times their size (the measured worst case of that call, with margin).
"""

from __future__ import annotations

import re
import sys
from typing import Any, Callable, NamedTuple

from mlcc_runtime import jsonio
from mlcc_runtime.errors import ApiError, invalid

Charge = Callable[[int], None]

SMALL = 16 * 1024
SMALL_RATIO = 48
CHUNK = 128 * 1024
MAX_DEPTH = 256
_FLUSH = 256 * 1024  # charges are passed on in batches of about this many bytes
_SLOT = 16  # a list slot appended: its pointer, over-allocation, the copy when the list grows
_ENTRY = 100  # a dict entry: hash, key and value slots, index, growth
_NUMBER = 28  # a float (24) or an int below 2**30; a larger int has 10 digits or more
_BIG_INT = 8  # what an int up to 2**64 adds to _NUMBER
_ALLOCATION = 16  # what the allocator adds to an object's size (rounding, block header)

_WS = re.compile(rb"[ \t\n\r]*")
_STRING = re.compile(rb'"[^"\\]*+(?:\\[\s\S][^"\\]*+)*+"')
_SCALAR = re.compile(rb'"[^"\\]*+(?:\\[\s\S][^"\\]*+)*+"|-?[0-9][-+0-9.eE]*|true|false|null')
_STRING_RUN = re.compile(rb'(?:"[^"\\]*+(?:\\[\s\S][^"\\]*+)*+"[ \t\n\r]*,[ \t\n\r]*){1,256}+')
# A run ends at the first byte that cannot be part of it.
_NUMBERS_END = re.compile(rb"[^-+0-9.eE, \t\n\r]")
_LITERALS_END = re.compile(rb"[^truefalsn, \t\n\r]")
_NESTED_NUMBERS_END = re.compile(rb"[^-+0-9.eE, \t\n\r\[\]]")
_BRACKET = re.compile(rb"[\[\]]")
# In nested numbers: a bracket where a value cannot be, an empty array, a trailing comma.
_IRREGULAR = re.compile(rb",[ \t\n\r]*\]|\[[ \t\n\r]*[,\]]|\][ \t\n\r]*[^ \t\n\r,\]]"
                        rb"|[^ \t\n\r,\[][ \t\n\r]*\[")
_UNBRACKET = bytes.maketrans(b"[]\t\n\r", b"     ")
_FLOATISH = re.compile(rb"[.eE]")
_DIGIT_OR_MINUS = frozenset(b"-0123456789")
_LITERAL_START = frozenset(b"tfn")

# Where a value sits, for the one array that is flattened: inputs[*].data.
_ROOT, _INPUTS, _INPUT, _DATA, _OTHER = range(5)


class Flattened(NamedTuple):
    values: list
    shape: list[int]  # implied by the nesting: the lengths along the first elements


def loads_request(body: bytes | bytearray, charge: Charge | None = None) -> dict:
    """Decode a request body that must be a JSON object (400 otherwise)."""
    if not body:
        raise invalid("request body is empty; expected a JSON object")
    if len(body) <= SMALL:
        if charge is not None:
            charge(len(body) * SMALL_RATIO)
        return jsonio.loads_object(body)
    decoder = _Decoder(body, charge or _free)
    pos = decoder.skip(0)
    if pos >= len(body) or body[pos] != 0x7B:  # "{"
        raise invalid("request body must be a JSON object")
    value, pos = decoder.object(pos + 1, 1, _ROOT)
    if decoder.skip(pos) != len(body):
        raise decoder.malformed(decoder.skip(pos), "data after the JSON object")
    decoder.flush()
    return value


def loads_value(text: bytes | bytearray | str, charge: Charge | None = None) -> Any:
    """Decode any JSON value (a ``dict`` element sent as a string), charged like a request."""
    data = text.encode() if isinstance(text, str) else text
    if len(data) <= SMALL:
        if charge is not None:
            charge(len(data) * SMALL_RATIO)
        return jsonio.loads(data)
    decoder = _Decoder(data, charge or _free)
    value, pos = decoder.value(0, 0, _OTHER)
    if decoder.skip(pos) != len(data):
        raise decoder.malformed(decoder.skip(pos), "data after the JSON value")
    decoder.flush()
    return value


def _free(n: int) -> None:
    """The charge of a body decoded without a memory budget."""


class _Decoder:
    def __init__(self, buf: bytes | bytearray, charge: Charge) -> None:
        self.buf = buf
        self.end = len(buf)
        self._charge = charge
        self.pending = 0

    # -- bookkeeping -------------------------------------------------------------------------

    def charge(self, n: int) -> None:
        self.pending += n
        if self.pending >= _FLUSH:
            self.flush()

    def flush(self, extra: int = 0) -> None:
        n, self.pending = self.pending + extra, 0
        if n:
            self._charge(n)

    def malformed(self, pos: int, what: str = "") -> ApiError:
        if pos >= self.end:
            return invalid("malformed JSON: unexpected end of the body")
        shown = bytes(self.buf[pos:pos + 20]).decode("utf-8", "replace")
        return invalid(f"malformed JSON at byte {pos}: {what or 'unexpected'} {shown!r}")

    def skip(self, pos: int) -> int:
        return _WS.match(self.buf, pos).end()  # type: ignore[union-attr]

    def loads(self, start: int, end: int) -> Any:
        try:
            return jsonio.loads(self.buf[start:end])
        except ValueError:
            raise self.malformed(start) from None

    # -- values ------------------------------------------------------------------------------

    def value(self, pos: int, depth: int, role: int) -> tuple[Any, int]:
        pos = self.skip(pos)
        if pos >= self.end:
            raise self.malformed(pos)
        c = self.buf[pos]
        if c == 0x7B:  # {
            return self.object(pos + 1, depth + 1, role)
        if c == 0x5B:  # [
            if depth + 1 > MAX_DEPTH:
                raise invalid(f"malformed JSON: nested deeper than {MAX_DEPTH} levels")
            if role == _DATA:
                return self.flattened(pos + 1, depth + 1)
            out: list = []
            pos = self.array(pos + 1, depth + 1, out, _INPUT if role == _INPUTS else _OTHER)
            self.charge(sys.getsizeof(out))
            return out, pos
        match = _SCALAR.match(self.buf, pos)
        if match is None:
            raise self.malformed(pos)
        end = match.end()
        if end - pos > CHUNK:
            self.flush(2 * (end - pos))  # the copy the JSON library is handed, and its result
        value = self.loads(pos, end)
        self.charge(sys.getsizeof(value) + _ALLOCATION)
        return value, end

    def object(self, pos: int, depth: int, role: int) -> tuple[dict, int]:
        if depth > MAX_DEPTH:
            raise invalid(f"malformed JSON: nested deeper than {MAX_DEPTH} levels")
        buf = self.buf
        out: dict = {}
        self.charge(sys.getsizeof(out))
        pos = self.skip(pos)
        if pos < self.end and buf[pos] == 0x7D:  # }
            return out, pos + 1
        while True:
            match = _STRING.match(buf, pos)
            if match is None:
                raise self.malformed(pos, "expected a string key")
            key = sys.intern(self.loads(pos, match.end()))
            self.charge(_ENTRY + sys.getsizeof(key))
            pos = self.skip(match.end())
            if pos >= self.end or buf[pos] != 0x3A:  # :
                raise self.malformed(pos, "expected ':'")
            if role == _ROOT:
                child = _INPUTS if key == "inputs" else _OTHER
            elif role == _INPUT:
                child = _DATA if key == "data" else _OTHER
            else:
                child = _OTHER
            out[key], pos = self.value(pos + 1, depth, child)
            pos = self.skip(pos)
            if pos >= self.end:
                raise self.malformed(pos)
            if buf[pos] == 0x2C:  # ,
                pos = self.skip(pos + 1)
                continue
            if buf[pos] == 0x7D:
                return out, pos + 1
            raise self.malformed(pos, "expected ',' or '}'")

    def array(self, pos: int, depth: int, out: list, role: int,
              shape: list | None = None, level: int = 0) -> int:
        """Parse the elements after '[' into ``out``; return the position after ']'.

        With ``shape`` (a flattened tensor), nested arrays add their elements to ``out`` too, and
        an array on the first-element chain records its length as ``shape[level]``.
        """
        buf = self.buf
        flat = shape is not None
        if flat and level >= 0:
            shape.append(0)  # type: ignore[union-attr]
        count = 0
        pos = self.skip(pos)
        if pos < self.end and buf[pos] == 0x5D:  # ]
            return pos + 1
        while True:
            if pos >= self.end:
                raise self.malformed(pos)
            c = buf[pos]
            run = None
            if c in _DIGIT_OR_MINUS:
                run = self.run(pos, _NUMBERS_END, out, self.number_cost)
            elif c == 0x22:  # "
                run = self.string_run(pos, out)
            elif c in _LITERAL_START:
                run = self.run(pos, _LITERALS_END, out, None)
            if run is not None:
                n, pos, closed = run
                count += n
                if closed:
                    break
                pos = self.skip(pos)  # the run took its trailing comma
                if pos < self.end and buf[pos] == 0x5D:
                    raise self.malformed(pos, "trailing comma before")
                continue
            if c == 0x5B and flat:
                if depth + 1 > MAX_DEPTH:
                    raise invalid(f"malformed JSON: nested deeper than {MAX_DEPTH} levels")
                on_chain = level >= 0 and count == 0
                pos = self.array(pos + 1, depth + 1, out, _OTHER, shape,
                                 level + 1 if on_chain else -1)
            else:
                value, pos = self.value(pos, depth, role)
                out.append(value)
                self.charge(_SLOT)
            count += 1
            pos = self.skip(pos)
            if pos >= self.end:
                raise self.malformed(pos)
            if buf[pos] == 0x2C:
                pos = self.skip(pos + 1)
                if pos < self.end and buf[pos] == 0x5D:
                    raise self.malformed(pos, "trailing comma before")
                continue
            if buf[pos] == 0x5D:
                pos += 1
                break
            raise self.malformed(pos, "expected ',' or ']'")
        if flat and level >= 0:
            shape[level] = count  # type: ignore[index]
        return pos

    # -- runs of scalars ---------------------------------------------------------------------

    def run(self, pos: int, ends: re.Pattern, out: list,
            cost: Callable[[bytes, list], int] | None) -> tuple[int, int, bool] | None:
        """A run of numbers or literals from ``pos``: (count, next position, array closed), or
        None when only one value is there (the caller parses it)."""
        buf = self.buf
        match = ends.search(buf, pos)
        stop = match.start() if match else self.end
        if stop < self.end and buf[stop] == 0x5D:  # the run ends the array
            if buf.rfind(b",", pos, stop) < 0 and stop - pos < 32:
                return None  # one short value: cheaper the ordinary way
            return self.slices(pos, stop, out, cost), stop + 1, True
        comma = buf.rfind(b",", pos, stop)
        if comma < 0 or _WS.match(buf, comma + 1).end() != stop:
            return None  # one value, or a value running into something else: let it fail
        return self.slices(pos, comma, out, cost), comma + 1, False

    def slices(self, start: int, stop: int, out: list,
               cost: Callable[[bytes, list], int] | None) -> int:
        """Decode the comma-separated values in [start, stop) a CHUNK at a time into ``out``."""
        buf = self.buf
        tail = stop - 1
        while tail > start and buf[tail] in b" \t\n\r":
            tail -= 1
        if buf[tail] == 0x2C:  # a trailing comma a cut could hide
            raise self.malformed(tail, "trailing comma before")
        n = 0
        while start < stop:
            cut = stop
            if stop - start > CHUNK:
                cut = buf.rfind(b",", start, start + CHUNK)
                if cut <= start:
                    cut = buf.find(b",", start + CHUNK, stop)
                    cut = stop if cut < 0 else cut
            text = bytes(buf[start:cut]).translate(_UNBRACKET)
            if not text.strip():  # nothing between two commas: a cut must not hide it
                raise self.malformed(start, "empty value before")
            try:
                values = jsonio.loads(b"[" + text + b"]")
            except ValueError:
                raise self.malformed(start) from None
            before = sys.getsizeof(out)
            out.extend(values)
            # A list that grows may be copied: old and new pointer arrays, for a moment.
            self.charge(2 * (sys.getsizeof(out) - before) + (cost(text, values) if cost else 0))
            n += len(values)
            start = cut + 1
        return n

    @staticmethod
    def number_cost(text: bytes, values: list) -> int:
        """An upper bound of the memory of the number objects decoded from ``text``.

        Small ints (-5..256) are shared objects and cost nothing; any other number costs at most
        _NUMBER bytes and needs a literal of two characters or more, so there are at most
        ``chars - 2n + 1`` of them among n values (``chars``: the text without spaces, commas
        included). An int past 2**30 costs up to _BIG_INT more and takes ten digits.
        """
        n = len(values)
        chars = len(text) - text.count(b" ")
        costly = min(n, max(0, chars - 2 * n + 1))
        if costly and _FLOATISH.search(text) is None and min(values) >= -5 \
                and max(values) <= 256:
            return 0  # all small ints
        return _NUMBER * costly + _BIG_INT * (chars // 10)

    def string_run(self, pos: int, out: list) -> tuple[int, int, bool] | None:
        match = _STRING_RUN.match(self.buf, pos)
        if match is None:
            return None
        comma = self.buf.rfind(b",", pos, match.end())
        try:
            values = jsonio.loads(b"[" + bytes(self.buf[pos:comma]) + b"]")
        except ValueError:
            raise self.malformed(pos) from None
        before = sys.getsizeof(out)
        out.extend(values)
        self.charge(2 * (sys.getsizeof(out) - before) + sum(map(sys.getsizeof, values))
                    + _ALLOCATION * len(values))
        return len(values), match.end(), False

    # -- inputs[*].data ----------------------------------------------------------------------

    def flattened(self, pos: int, depth: int) -> tuple[Flattened | list, int]:
        first = self.skip(pos)
        if first >= self.end or self.buf[first] != 0x5B:
            # Flat already (or mixed, which tensors.flatten leaves as it is): a plain list.
            out: list = []
            pos = self.array(pos, depth, out, _OTHER)
            self.charge(sys.getsizeof(out))
            return out, pos
        fast = self.nested_numbers(pos, depth)
        if fast is not None:
            return fast
        values: list = []
        shape: list[int] = []
        pos = self.array(pos, depth, values, _OTHER, shape, 0)
        return Flattened(values, shape), pos

    def nested_numbers(self, pos: int, depth: int) -> tuple[Flattened, int] | None:
        """The common tensor, numbers nested in regular rows, without a step per row: find the
        closing bracket, check the nesting is plain, drop the brackets, decode the numbers."""
        buf = self.buf
        match = _NESTED_NUMBERS_END.search(buf, pos)
        stop = match.start() if match else self.end
        first = self.skip(pos)
        chain = 0  # arrays on the first-element chain below this one (at least one)
        while first < stop and buf[first] == 0x5B:
            chain += 1
            first = self.skip(first + 1)
        if first >= stop or buf[first] not in _DIGIT_OR_MINUS or depth + chain > MAX_DEPTH:
            return None
        counts = [1] * (chain + 1)
        open_ = [True] * (chain + 1)
        level, segment, close = 0, pos, -1
        for bracket in _BRACKET.finditer(buf, pos, stop):
            at = bracket.start()
            if level <= chain and open_[level]:
                counts[level] += buf.count(b",", segment, at)
            segment = at + 1
            if buf[at] == 0x5B:
                level += 1
                if depth + level > MAX_DEPTH:
                    return None
            else:
                if level <= chain:
                    open_[level] = False
                level -= 1
                if level < 0:
                    close = at
                    break
        if close < 0 or _IRREGULAR.search(buf, pos - 1, close + 1) is not None:
            return None
        values: list = []
        self.slices(pos, close, values, self.number_cost)
        return Flattened(values, counts), close + 1
