"""Validation of object keys and user names that come from callers.

Everything a caller names ends up as an S3 key or a local path, so one strict rule set is applied
everywhere: relative, ``/``-separated, no empty, ``.`` or ``..`` segments, no backslashes or
control characters.
"""

from __future__ import annotations

USERS = "users"
FILE_GROUPS = "file_groups"


def clean_key(key: str, *, allow_trailing_slash: bool = False) -> str:
    """Return ``key`` if it is a safe relative object key, else raise ValueError saying why."""
    if not isinstance(key, str) or not key:
        raise ValueError("empty path")
    if key.startswith("/"):
        raise ValueError(f"path {key!r} must be relative")
    if "\\" in key or any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise ValueError(f"path {key!r} holds a backslash or a control character")
    body = key[:-1] if allow_trailing_slash and key.endswith("/") else key
    for segment in body.split("/"):
        if segment in ("", ".", ".."):
            raise ValueError(f"path {key!r} has an empty, '.' or '..' segment")
    return key


def clean_user(user: str) -> str:
    """A user name is exactly one safe key segment (it becomes ``users/<user>/``)."""
    if not user or "/" in user or user in (".", "..") or len(user) > 256:
        raise ValueError(f"user name {user!r} is not a single path segment")
    clean_key(user)
    return user


def user_root(user: str) -> str:
    """The key prefix of a user's file groups (SPEC §1.1 key layout)."""
    return f"{USERS}/{user}/{FILE_GROUPS}/"
