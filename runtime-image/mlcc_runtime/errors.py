"""The one error type the request path raises; it carries the HTTP status the client sees."""

from __future__ import annotations


class ApiError(Exception):
    """A failure whose message is safe to show to the caller (never a traceback)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers  # e.g. Retry-After, or Connection: close after an unread body


def invalid(message: str) -> ApiError:
    return ApiError(400, message)
