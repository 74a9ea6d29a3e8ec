"""Fixtures of the runtime tests: a real S3 (moto server on loopback), services built around the
test functions in ``fixtures/``, and a real uvicorn server on a free port."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))  # makes ``fixtures`` importable as a package

from mlcc_runtime.app import create_app  # noqa: E402
from mlcc_runtime.config import FileBox, ServeSettings  # noqa: E402
from mlcc_runtime.service import Service  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    # starlette.testclient nags about httpx -> httpx2; the client works and it is not ours to fix.
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1, with the AWS env vars the runtime reads pointing at it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {k: os.environ.get(k) for k in
             ("AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")}
    os.environ.update({"AWS_ENDPOINT_URL_S3": endpoint, "AWS_ACCESS_KEY_ID": "test",
                       "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"})
    try:
        yield endpoint
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture
def s3(s3_endpoint: str) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"box-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def make_service(function: Callable[..., Any], **overrides: Any) -> Service:
    settings = ServeSettings(function=f"{function.__module__}.{function.__name__}", **overrides)
    return Service(settings, function)


@pytest.fixture
def client_for() -> Iterator[Callable[..., Any]]:
    """``client_for(fn, **settings)`` -> a started starlette TestClient around a new service."""
    from starlette.testclient import TestClient

    clients: list[Any] = []

    def build(function: Callable[..., Any], **overrides: Any) -> Any:
        client = TestClient(create_app(make_service(function, **overrides)),
                            raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for c in clients:
        c.__exit__(None, None, None)


@contextmanager
def running_server(service: Service) -> Iterator[str]:
    """Serve ``service`` with real uvicorn (httptools) in a thread; yields ``host:port``."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_config=None,
                            access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def wait_http(url: str, timeout: float = 20.0, proc: Any = None) -> None:
    """Poll ``url`` until it answers 200 (or fail, showing the process output)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"server exited with {proc.returncode}:\n{out}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} did not become ready in {timeout} s")


@contextmanager
def serve_process(env: dict[str, str], python: str = sys.executable,
                  extra_path: str | None = None) -> Iterator[tuple[Any, str]]:
    """Run ``python -m mlcc_runtime serve`` configured by env only (as Kubernetes does);
    yields (process, base URL). The process is stopped with SIGTERM at the end."""
    import subprocess

    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MLCC_")}
    full_env.update({"MLCC_HOST": "127.0.0.1", "MLCC_PORT": str(port), "MLCC_LOG_FORMAT": "json",
                     "MLCC_DRAIN_SECONDS": "0"})
    full_env.update(env)
    if extra_path is not None:
        full_env["PYTHONPATH"] = extra_path
    proc = subprocess.Popen([python, "-m", "mlcc_runtime", "serve"], env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/v2/health/ready", proc=proc)
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout:
            proc.stdout.close()


def post_json(url: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
