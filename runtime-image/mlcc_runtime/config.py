"""Settings of the ``serve`` command. Every option has an ``MLCC_*`` environment variable so the
compiler can configure the container without touching its command line (see README)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

DEFAULT_PORT = 8002
DEFAULT_MAX_BODY = 64 * 1024 * 1024
DEFAULT_USER_HEADER = "X-Forwarded-User"
# A FILE input is a few bytes in the request and a whole object on disk: both are capped.
DEFAULT_MAX_INPUT_FILES = 100
DEFAULT_MAX_INPUT_BYTES = 1024 * 1024 * 1024
# --security / MLCC_SECURITY: the auth the published route applies, as /openapi.json declares it.
SECURITY_CHOICES = ("auto", "basic", "oidc", "none")
_SEGMENT = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@%-]+")


@dataclass(frozen=True)
class FileBox:
    """Where FILE inputs come from and FILE outputs go (the MLComponent's copyS3Box)."""

    bucket: str
    prefix: str = ""  # key prefix of the box inside the bucket ("" or ends with "/")
    local_path: str = "/tmp/mlcc-files"  # inferenceFilesPath: the runtime owns this folder
    output_group: str = "outputs"  # file group that receives FILE outputs
    max_files: int = DEFAULT_MAX_INPUT_FILES  # FILE values one request may name
    max_bytes: int = DEFAULT_MAX_INPUT_BYTES  # bytes one request may download

    @staticmethod
    def normalized_prefix(prefix: str) -> str:
        prefix = prefix.strip("/")
        return prefix + "/" if prefix else ""


@dataclass(frozen=True)
class ConnectionLimits:
    """How long a client may take to send a request, and how many connections may be open
    (``connections.py`` enforces them). A timeout of 0 turns that check off."""

    header_timeout: float = 10.0  # from a connection's first byte to the end of its headers
    body_timeout: float = 20.0  # longest pause while a body arrives
    body_min_rate: int = 16 * 1024  # bytes/s a body must average after its first body_timeout s
    max_connections: int = 1000  # open connections; one more is closed at once


@dataclass(frozen=True)
class ServeSettings:
    function: str
    python_path: list[str] = field(default_factory=list)
    model_key: str = ""
    model_name: str = "model"
    host: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    files: FileBox | None = None
    user_header: str = DEFAULT_USER_HEADER
    max_body_bytes: int = DEFAULT_MAX_BODY
    # The container's memory limit in bytes (None: none): sizes the memory all requests' data
    # may take together (memory.request_budget) and the default max_body_bytes.
    memory_limit: int | None = None
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)
    threads: int = 4  # threads running the function in each worker process
    workers: int = 1  # worker processes (workers.py); memory_limit is then each one's share
    # Adaptive batching (batching.py): off at 1; rows one call may hold, and how long the first
    # request of a batch waits for more.
    max_batch_size: int = 1
    max_batch_latency_ms: float = 5.0
    timeout: float = 60.0  # seconds; 0 disables
    log_format: str = "json"
    log_level: str = "INFO"
    access_log: bool = False
    drain_seconds: float = 2.0  # after SIGTERM: readiness says no (400) this long, then stop
    examples_file: str | None = None  # JSON list of example requests; the first warms up
    # What /openapi.json says about the published route: its auth scheme (auto, basic, oidc,
    # none; auto: basic when user_header is Authorization) and its path prefix (/ns/path).
    security: str = "auto"
    public_prefix: str = ""


def normalized_prefix(text: str) -> str:
    """``--public-prefix`` / ``MLCC_PUBLIC_PREFIX``: ``ns/path/`` → ``/ns/path``; ``""`` or ``/``
    → ``""`` (none). ValueError for anything but a path of URL-safe segments."""
    segments = text.strip().strip("/").split("/") if text.strip("/ ") else []
    for segment in segments:
        if not _SEGMENT.fullmatch(segment) or segment in (".", ".."):
            raise ValueError(f"{text!r} is not a URL path like /namespace/path "
                             f"(segment {segment!r})")
    return "".join("/" + s for s in segments)


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def split_path(value: str | None) -> list[str]:
    """``--python-path`` / ``MLCC_PYTHON_PATH``: an ``os.pathsep``-separated list."""
    return [p for p in (value or "").split(os.pathsep) if p]
