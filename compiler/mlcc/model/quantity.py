"""Kubernetes resource quantities ("500m", "256Mi", "1G") as pydantic types."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

_SUFFIXES = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}
_PATTERN = re.compile(r"^(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?P<suffix>[a-zA-Z]*|[eE][+-]?[0-9]+)$")
_EXPONENT = re.compile(r"^[eE][+-]?[0-9]+$")
JSON_PATTERN = r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)([mkMGTPE]|[KMGTPE]i|[eE][+-]?[0-9]+)?$"


def parse_quantity(text: str) -> Decimal:
    """The value of a quantity; ValueError names what is wrong."""
    match = _PATTERN.match(text.strip()) if text.strip() == text else None
    if not match:
        raise ValueError(f"'{text}' is not a Kubernetes quantity (e.g. 500m, 256Mi, 1G)")
    number, suffix = Decimal(match["number"]), match["suffix"]
    if suffix in _SUFFIXES:  # before exponents: "1E" is one exa, "1Ei" one exbi
        return number * _SUFFIXES[suffix]
    if _EXPONENT.match(suffix):
        exponent = int(suffix[1:])
        if abs(exponent) > 100:
            raise ValueError(f"'{text}' has an exponent out of range")
        try:
            return number * Decimal(10) ** exponent
        except (InvalidOperation, OverflowError) as exc:
            raise ValueError(f"'{text}' has an invalid exponent") from exc
    raise ValueError(
        f"'{text}' has an unknown suffix '{suffix}' (known: m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei)"
    )


def _as_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PydanticCustomError("quantity", "expected a Kubernetes quantity such as 500m or 256Mi")
    if isinstance(value, int):
        return str(value)  # exact: format(123456789, "g") would round it to 1.23457e+08
    if isinstance(value, str):
        return value
    return repr(value)  # the shortest text that reads back as the same float


def _cpu(value: Any) -> str:
    text = _as_text(value)
    try:
        amount = parse_quantity(text)
    except ValueError as exc:
        raise PydanticCustomError("quantity", str(exc)) from None
    if amount <= 0:
        raise PydanticCustomError("quantity", "must be greater than zero")
    return text


_UNIT_SLIP = re.compile(
    r"^(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(?P<letter>[kKmMgGtTpPeE])(?P<binary>[iI]?)(?P<byte>[bB]?)$"
)


def byte_units_hint(text: str) -> str | None:
    """The quantities a memory-style slip meant (`256mb`, `256MB`, `2GiB`, `1gi` → `256M` or `256Mi`,
    `2Gi`, `1Gi`), as a `help:` line; None when `text` looks like no such slip."""
    match = _UNIT_SLIP.match(text.strip())
    if match is None:
        return None
    number, letter = match["number"], match["letter"].upper()
    power = _POWERS[letter]
    binary = f"{number}{letter}i ({number} × 2^{power * 10} bytes)"
    decimal = f"{number}{'k' if letter == 'K' else letter} ({number} × 10^{power * 3} bytes)"
    why = []
    if match["letter"] not in (letter, "k") or match["binary"] == "I":
        why.append("suffixes are case-sensitive (`m` is milli)" if match["letter"] == "m" else "suffixes are case-sensitive")
    if match["byte"]:
        why.append("a quantity takes no `B`")
    return f"write {binary if match['binary'] else decimal + ' or ' + binary}" + (f"; {' and '.join(why)}" if why else "")


_POWERS = {"K": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}


def _bytes(value: Any) -> str:
    text = _as_text(value)
    try:
        parse_quantity(text)
    except ValueError as exc:
        hint = byte_units_hint(text)
        raise PydanticCustomError("quantity", str(exc), {"hint": hint} if hint else None) from None
    text = _cpu(value)
    if text.endswith("m"):
        # "256m" of memory is 0.256 bytes: a classic slip for "256Mi".
        raise PydanticCustomError(
            "quantity", f"'{text}' means milli-bytes; write {text[:-1]}Mi or {text[:-1]}M", {"hint": byte_units_hint(text)}
        )
    if parse_quantity(text) < 1:
        raise PydanticCustomError("quantity", f"'{text}' is less than one byte")
    return text


_SCHEMA = WithJsonSchema(
    {"anyOf": [{"type": "string", "pattern": JSON_PATTERN}, {"type": "number", "exclusiveMinimum": 0}]}
)
CpuQuantity = Annotated[str, BeforeValidator(_cpu), _SCHEMA]
ByteQuantity = Annotated[str, BeforeValidator(_bytes), _SCHEMA]


_UNITS = (("Ti", 2**40), ("T", 10**12), ("Gi", 2**30), ("G", 10**9), ("Mi", 2**20), ("M", 10**6), ("Ki", 2**10), ("k", 10**3))


def format_bytes(amount: int) -> str:
    """A byte count as a quantity in the largest unit that writes it exactly (8000000000 → 8G)."""
    for suffix, factor in _UNITS:
        if amount >= factor and amount % factor == 0:
            return f"{amount // factor}{suffix}"
    return str(amount)
