"""A loopback S3 server for the module's boxes, seeded from `<module>/data/<box>/`."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY = "mlcc-local"
SECRET_KEY = "mlcc-local-secret"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalS3:
    port: int
    server: object

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self):
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY, region_name=REGION,
        )

    def stop(self) -> None:
        self.server.stop()  # type: ignore[attr-defined]


def start() -> LocalS3:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("`mlcc run` needs the local S3 server: pip install 'mlcc[run]'") from exc
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per S3 call drowns the progress output
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    wsgi = getattr(server, "_server", None)  # the running werkzeug server; it reads `.app` per request
    if wsgi is not None and hasattr(wsgi, "app"):
        wsgi.app = _opaque_put_bodies(wsgi.app)
    return LocalS3(port, server)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _opaque_put_bodies(app):
    """S3 stores a PUT's body as the object, whatever its Content-Type. moto's server (a Flask app)
    parses a form-typed body as a form first and stores an **empty** object, answering 200: what
    `curl -X PUT --data-binary @f URL` and Python's `urllib.request.Request(url, data, method="PUT")`
    send to a pre-signed URL (both default to `application/x-www-form-urlencoded`). Such a PUT is
    handed on as `application/octet-stream`, so its bytes are stored as S3 stores them (the object's
    recorded Content-Type is then that one)."""

    def wrapped(environ, start_response):
        if environ.get("REQUEST_METHOD") == "PUT":
            content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
            if content_type in FORM_TYPES:
                environ["CONTENT_TYPE"] = "application/octet-stream"
        return app(environ, start_response)

    return wrapped


def seed(s3: LocalS3, bucket: str, folder: Path) -> int:
    """Create `bucket` and upload every file under `folder` keyed by its relative path."""
    client = s3.client()
    client.create_bucket(Bucket=bucket)
    count = 0
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            client.upload_file(str(path), bucket, path.relative_to(folder).as_posix())
            count += 1
    return count
