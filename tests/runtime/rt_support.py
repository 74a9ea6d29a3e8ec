"""Helpers shared by the runtime tests (a module with a unique name: several conftest.py files
live in this repository, so tests never ``import conftest``)."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # makes the test functions importable as ``fixtures``

from mlcc_runtime.app import create_app  # noqa: E402
from mlcc_runtime.config import ServeSettings  # noqa: E402
from mlcc_runtime.service import Service  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_service(function: Callable[..., Any], examples: Any = (), **overrides: Any) -> Service:
    settings = ServeSettings(function=f"{function.__module__}.{function.__name__}", **overrides)
    return Service(settings, function, examples)


@contextmanager
def running_server(service: Service) -> Iterator[str]:
    """Serve ``service`` with real uvicorn (httptools) in a thread; yields ``host:port``."""
    with running_app(create_app(service)) as address:
        yield address


@contextmanager
def running_app(app: Any) -> Iterator[str]:
    """Serve an ASGI app with real uvicorn in a thread; yields ``host:port``."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
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
                  extra_path: str | None = None,
                  wait_for: str = "/v2/health/ready") -> Iterator[tuple[Any, str]]:
    """Run ``python -m mlcc_runtime serve`` configured by env only (as Kubernetes does);
    yields (process, base URL) once ``wait_for`` answers 200. The process is stopped with
    SIGTERM at the end."""
    import subprocess

    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MLCC_")}
    full_env.update({"MLCC_HOST": "127.0.0.1", "MLCC_PORT": str(port), "MLCC_LOG_FORMAT": "json",
                     "MLCC_DRAIN_SECONDS": "0", "MLCC_WORKERS": "1"})  # not sized by the cgroup
    full_env.update(env)
    if extra_path is not None:
        full_env["PYTHONPATH"] = extra_path
    proc = subprocess.Popen([python, "-m", "mlcc_runtime", "serve"], env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + wait_for, proc=proc)
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
