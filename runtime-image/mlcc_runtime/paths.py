"""Validation of object keys and user names that come from callers.

Everything a caller names ends up as an S3 key or a local path, so one strict rule set is applied
everywhere: relative, ``/``-separated, no empty, ``.`` or ``..`` segments, no backslashes or
control characters.
"""

from __future__ import annotations

USERS = "users"
FILE_GROUPS = "file_groups"
NAME_MAX = 255  # bytes in one file name on every Linux filesystem a pod gets
KEY_MAX = 1024  # bytes in one S3 object key


class OutsideFolder(ValueError):
    """A full key that names a folder other than the caller's own."""


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
    """The key prefix of a user's file groups: box keys are ``users/<user>/file_groups/...``."""
    return f"{USERS}/{user}/{FILE_GROUPS}/"


def user_key(path: str, user: str) -> str:
    """The box key a caller's (clean) path names. A path starting with ``users/`` is a full key,
    as the runtime answers them for FILE outputs, and must lie inside the caller's own folder
    (OutsideFolder otherwise); any other path is relative to that folder."""
    root = user_root(user)
    if not path.startswith(USERS + "/"):
        return root + path
    if not path.startswith(root):
        raise OutsideFolder(f"{path!r} is outside your folder {root!r}")
    return path


def check_file_name(key: str) -> None:
    """ValueError when the last segment of ``key`` is longer than a file name may be: such a
    file could never become a FILE input (it is downloaded under that name)."""
    if len(key.rsplit("/", 1)[-1].encode()) > NAME_MAX:
        raise ValueError(name_too_long(key))


def name_too_long(key: str) -> str:
    shown = repr(key) if len(key) <= 80 else repr(key[:80]) + "…"
    return f"the file name of {shown} is longer than {NAME_MAX} bytes"
