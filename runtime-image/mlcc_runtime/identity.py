"""Who is calling: the user name the gateway passed through, or nobody.

The gateway authenticates; the runtime only reads the result. Behind basic auth
the gateway has verified the password, so the name in `Authorization: Basic`
is trusted. `none` (or an empty name) switches identity off: then no header a
client could forge is ever read. With identity on, a request that touches the
file box must name its user (`required_caller`): a missing header is an
unauthenticated request, not "no user", which would open the whole box.
"""

from __future__ import annotations

import base64
import binascii

from mlcc_runtime import paths

OFF = ("", "none")


class Unauthenticated(Exception):
    """Identity is on, but the request carries no user name."""


def enabled(header: str) -> bool:
    return header.strip().lower() not in OFF


def single(header: str, values: list[str]) -> str | None:
    """The one value of identity header ``header`` among a request's ``values`` of it; None when
    it is absent or identity is off. ValueError when the request carries the header more than
    once: a proxy in front may have checked one copy and passed on the other."""
    if not enabled(header):
        return None
    if len(values) > 1:
        raise ValueError(f"given {len(values)} times; a request names one caller")
    return values[0] if values else None


def caller(header: str, value: str | None) -> str | None:
    """The clean user name carried by `value` of header `header`; ValueError when malformed."""
    if not enabled(header) or not value:
        return None
    if header.lower() == "authorization":
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "basic":
            raise ValueError("Authorization is not Basic; no user name in it")
        try:
            value = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            raise ValueError("Authorization: Basic credentials do not decode") from None
    return paths.clean_user(value)


def required_caller(header: str, value: str | None) -> str | None:
    """The user a file-box request acts for: None only when identity is off (box keys, outputs
    owned by anonymous). Unauthenticated when identity is on and the header is missing or
    empty; ValueError when it is malformed."""
    if not enabled(header):
        return None
    if not value or not value.strip():
        raise Unauthenticated(f"header {header} is missing or empty")
    return caller(header, value)
