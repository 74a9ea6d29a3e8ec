"""Command line: ``mlcc-runtime serve | sync | files``.

Each option of ``serve`` and ``files`` falls back to an ``MLCC_*`` environment variable (named in
``--help``), so Kubernetes manifests can configure the runtime with env alone.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from mlcc_runtime import __version__
from mlcc_runtime.config import (
    DEFAULT_MAX_INPUT_BYTES,
    DEFAULT_MAX_INPUT_FILES,
    DEFAULT_PORT,
    DEFAULT_USER_HEADER,
    SECURITY_CHOICES,
    ConnectionLimits,
    FileBox,
    ServeSettings,
    env,
    env_bool,
    normalized_prefix,
    split_path,
)

log = logging.getLogger("mlcc_runtime")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
          "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def _bytes(text: str) -> int:
    """Bytes, as a number or a Kubernetes quantity (``256Mi``, ``1G``)."""
    text = text.strip()
    for suffix, factor in _UNITS.items():
        if text.endswith(suffix):
            return _positive_int(text[:-len(suffix)]) * factor
    return _positive_int(text)


def _security(text: str) -> str:
    value = text.strip().lower()
    if value not in SECURITY_CHOICES:
        raise argparse.ArgumentTypeError(f"must be one of {', '.join(SECURITY_CHOICES)}")
    return value


def _public_prefix(text: str) -> str:
    try:
        return normalized_prefix(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port: {value}")
    return value


def _opt(parser: argparse.ArgumentParser, flag: str, var: str, default: object = None,
         help: str = "", **kwargs: object) -> None:
    """Add ``flag`` whose default comes from env ``var`` (converted by ``type`` if given)."""
    raw = env(var)
    convert = kwargs.get("type")
    if raw is not None:
        try:
            value = convert(raw) if callable(convert) else raw
        except (ValueError, argparse.ArgumentTypeError) as exc:
            parser.error(f"{var}={raw!r}: {exc}")
    else:
        value = default
    shown = f" (default: {default})" if default not in (None, "") else ""
    parser.add_argument(flag, default=value, help=f"{help} [env {var}]{shown}", **kwargs)


def _add_connection_limits(p: argparse.ArgumentParser) -> None:
    d = ConnectionLimits()
    _opt(p, "--header-timeout", "MLCC_HEADER_TIMEOUT", d.header_timeout,
         "seconds from a connection's first byte to the end of the request's headers; past "
         "them the connection is closed (0: no limit)", type=_non_negative_float)
    _opt(p, "--body-timeout", "MLCC_BODY_TIMEOUT", d.body_timeout,
         "longest pause in a request body, in seconds; 408 past it (0: no limit)",
         type=_non_negative_float)
    _opt(p, "--body-min-rate", "MLCC_BODY_MIN_RATE", d.body_min_rate,
         "bytes per second a body must average after its first --body-timeout seconds; 408 "
         "below it (0: no minimum)", type=_non_negative_int)
    _opt(p, "--max-connections", "MLCC_MAX_CONNECTIONS", d.max_connections,
         "open connections; one more is closed as it opens (0: no limit)",
         type=_non_negative_int)


def _connection_limits(args: argparse.Namespace) -> ConnectionLimits:
    return ConnectionLimits(header_timeout=args.header_timeout, body_timeout=args.body_timeout,
                            body_min_rate=args.body_min_rate,
                            max_connections=args.max_connections)


def _add_logging(p: argparse.ArgumentParser) -> None:
    _opt(p, "--log-format", "MLCC_LOG_FORMAT", "json", "log line format",
         choices=["json", "text"])
    _opt(p, "--log-level", "MLCC_LOG_LEVEL", "INFO", "log level")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlcc-runtime", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"mlcc-runtime {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve an inference function over HTTP")
    _opt(serve, "--python-path", "MLCC_PYTHON_PATH", "",
         f"folders added to sys.path, separated by {os.pathsep!r} (pythonPath)")
    _opt(serve, "--function", "MLCC_FUNCTION", None,
         "dotted path of the inference function, e.g. iris.predict.inference (pythonFunction)")
    _opt(serve, "--model-key", "MLCC_MODEL_KEY", "", "passed to the function as model_key "
         "(modelPath)")
    _opt(serve, "--model-name", "MLCC_MODEL_NAME", "model", "model name on the V2 API")
    _opt(serve, "--host", "MLCC_HOST", "0.0.0.0", "listen address")
    _opt(serve, "--port", "MLCC_PORT", DEFAULT_PORT, "listen port", type=_port)
    _opt(serve, "--files-path", "MLCC_FILES_PATH", "/tmp/mlcc-files",
         "local folder for exchanged files (inferenceFilesPath)")
    _opt(serve, "--files-bucket", "MLCC_FILES_BUCKET", None,
         "S3 bucket of the file box; FILE exchange is off without it")
    _opt(serve, "--files-prefix", "MLCC_FILES_PREFIX", "", "key prefix of the file box")
    _opt(serve, "--output-group", "MLCC_OUTPUT_GROUP", "outputs",
         "file group receiving FILE outputs")
    _opt(serve, "--max-input-files", "MLCC_MAX_INPUT_FILES", DEFAULT_MAX_INPUT_FILES,
         "FILE values one request may name", type=_positive_int)
    _opt(serve, "--max-input-bytes", "MLCC_MAX_INPUT_BYTES", DEFAULT_MAX_INPUT_BYTES,
         "bytes the FILE inputs of one request may download", type=_positive_int)
    _opt(serve, "--user-header", "MLCC_USER_HEADER", DEFAULT_USER_HEADER,
         "request header naming the authenticated caller (identity pass-through)")
    _opt(serve, "--memory-limit", "MLCC_MEMORY_LIMIT", None,
         "the container's memory limit in bytes (or 256Mi, 1Gi): sizes the memory for request "
         "data and the default --max-body-bytes [default: read from the cgroup]", type=_bytes)
    _opt(serve, "--max-body-bytes", "MLCC_MAX_BODY_BYTES", None,
         "largest accepted request body [default: from the memory limit, 64 MiB without one]",
         type=_bytes)
    _add_connection_limits(serve)
    _opt(serve, "--workers", "MLCC_WORKERS", None,
         "worker processes serving the port, each loading the model once [default: one per "
         "core of the cgroup's CPU limit (cpu.max), 1 without a limit]", type=_positive_int)
    _opt(serve, "--threads", "MLCC_INFERENCE_THREADS", 4,
         "threads running the inference function, in each worker process", type=_positive_int)
    _opt(serve, "--max-batch-size", "MLCC_MAX_BATCH_SIZE", 1,
         "adaptive batching: rows one call of the function may hold, concurrent requests "
         "concatenated along the first dimension (1: off)", type=_positive_int)
    _opt(serve, "--max-batch-latency-ms", "MLCC_MAX_BATCH_LATENCY_MS", 5.0,
         "adaptive batching: milliseconds the first request of a batch waits for more",
         type=_non_negative_float)
    _opt(serve, "--timeout", "MLCC_INFERENCE_TIMEOUT", 60.0,
         "seconds before a request answers 504 (0: no limit)", type=_non_negative_float)
    _opt(serve, "--drain-seconds", "MLCC_DRAIN_SECONDS", 2.0,
         "after SIGTERM, seconds to keep serving with readiness false (400)",
         type=_non_negative_float)
    _opt(serve, "--examples", "MLCC_EXAMPLES_FILE", None,
         "JSON file of example requests; the first runs before readiness turns true")
    _opt(serve, "--security", "MLCC_SECURITY", "auto",
         "the auth the published route applies, declared in /openapi.json (auto: basic when "
         "--user-header is Authorization, else none)", type=_security,
         choices=list(SECURITY_CHOICES))
    _opt(serve, "--public-prefix", "MLCC_PUBLIC_PREFIX", "",
         "path the published route serves this under (/namespace/path), the servers URL of "
         "/openapi.json", type=_public_prefix)
    _opt(serve, "--access-log", "MLCC_ACCESS_LOG", False, "log every request",
         type=lambda v: str(v).lower() in ("1", "true", "yes", "on"))
    _add_logging(serve)

    sync = sub.add_parser("sync", help="copy s3://BUCKET/PREFIX into DIR (init container)")
    sync.add_argument("source", help="s3://BUCKET/PREFIX")
    sync.add_argument("target", help="local folder")
    _add_logging(sync)

    files = sub.add_parser("files", help="serve the DataBox file API (pre-signed URLs)")
    files.add_argument("--box", action="append", default=None, metavar="NAME=s3://BUCKET/PREFIX",
                       help="a published box; repeatable [env MLCC_FILES_BOXES, comma-separated]")
    _opt(files, "--host", "MLCC_HOST", "0.0.0.0", "listen address")
    _opt(files, "--port", "MLCC_PORT", DEFAULT_PORT, "listen port", type=_port)
    _opt(files, "--user-header", "MLCC_USER_HEADER", DEFAULT_USER_HEADER,
         "request header naming the authenticated caller")
    _opt(files, "--expires", "MLCC_URL_EXPIRES", 900, "lifetime of pre-signed URLs in seconds",
         type=_positive_int)
    _opt(files, "--public-endpoint", "MLCC_S3_PUBLIC_ENDPOINT", None,
         "S3 endpoint to sign URLs for, when clients reach S3 by another address")
    _add_connection_limits(files)
    _add_logging(files)
    return parser


def serve_settings(args: argparse.Namespace) -> ServeSettings:
    from mlcc_runtime import memory

    from mlcc_runtime.workers import default_workers, worker_slot

    slot = worker_slot()
    workers = slot.count if slot is not None else \
        args.workers if args.workers is not None else default_workers()
    limit = args.memory_limit if args.memory_limit is not None else memory.container_limit()
    if limit is not None and workers > 1:
        limit //= workers  # the container's memory is shared: each worker counts with its part
    max_body = args.max_body_bytes if args.max_body_bytes is not None \
        else memory.max_body_for(limit)
    files = None
    if args.files_bucket:
        files = FileBox(bucket=args.files_bucket, prefix=args.files_prefix,
                        local_path=args.files_path, output_group=args.output_group,
                        max_files=args.max_input_files, max_bytes=args.max_input_bytes)
    return ServeSettings(
        function=args.function,
        python_path=split_path(args.python_path),
        model_key=args.model_key,
        model_name=args.model_name,
        host=args.host,
        port=args.port,
        files=files,
        user_header=args.user_header,
        max_body_bytes=max_body,
        memory_limit=limit,
        connections=_connection_limits(args),
        threads=args.threads,
        workers=workers,
        max_batch_size=args.max_batch_size,
        max_batch_latency_ms=args.max_batch_latency_ms,
        timeout=args.timeout,
        log_format=args.log_format,
        log_level=args.log_level,
        access_log=args.access_log,
        drain_seconds=args.drain_seconds,
        examples_file=args.examples,
        security=args.security,
        public_prefix=args.public_prefix,
    )


def _serve(args: argparse.Namespace, parser: argparse.ArgumentParser,
           argv: list[str]) -> int:
    if not args.function:
        parser.error("serve needs --function (or MLCC_FUNCTION)")
    settings = serve_settings(args)
    from mlcc_runtime.workers import supervise, worker_slot

    slot = worker_slot()
    if slot is None and settings.workers > 1:
        # The supervisor imports no user code: every worker checks and serves the entry point.
        return supervise(argv, settings.workers, settings.host, settings.port)
    from mlcc_runtime.examples import load_examples
    from mlcc_runtime.loader import LoadError, import_function
    from mlcc_runtime.service import Service

    try:
        examples = load_examples(settings.examples_file) if settings.examples_file else []
        function = import_function(settings.function, settings.python_path)
        service = Service(settings, function, examples,
                          slot.state() if slot is not None else None)
    except (LoadError, ValueError) as exc:
        # Fail fast: a pod that cannot serve its code fails its rollout with this one line
        # (the traceback of a failed import only at debug level).
        log.error("cannot start: %s", exc)
        log.debug("cause of the failed start", exc_info=exc.__cause__ or exc)
        return 2
    from mlcc_runtime.server import run

    run(service, slot.listener() if slot is not None else None)
    return 0


def _files(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from mlcc_runtime import fileapi

    specs = args.box if args.box else [b for b in (env("MLCC_FILES_BOXES") or "").split(",") if b]
    try:
        boxes = fileapi.parse_boxes(specs)
    except ValueError as exc:
        parser.error(str(exc))
    if not boxes:
        parser.error("files needs at least one --box NAME=s3://BUCKET/PREFIX (or MLCC_FILES_BOXES)")
    fileapi.run(boxes, host=args.host, port=args.port, user_header=args.user_header,
                expires=args.expires, public_endpoint=args.public_endpoint,
                limits=_connection_limits(args))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    from mlcc_runtime import logs

    index = os.environ.get("MLCC_WORKER_INDEX") if args.command == "serve" else None
    logs.configure(args.log_format, args.log_level, int(index) if index else None)
    if args.command == "serve":
        return _serve(args, parser, argv[argv.index("serve") + 1:])
    if args.command == "sync":
        from mlcc_runtime.sync import sync_command

        return sync_command(args.source, args.target)
    return _files(args, parser)


if __name__ == "__main__":
    sys.exit(main())
