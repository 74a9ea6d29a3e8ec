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
    return LocalS3(port, server)


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
