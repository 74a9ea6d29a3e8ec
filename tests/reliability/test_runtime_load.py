"""Load and lifecycle against a real `python -m mlcc_runtime serve` process: a soak with `hey`
at concurrency 32 (RSS read from /proc before and after), SIGTERM under load, and concurrent
first requests loading the model once."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from typing import Iterator

import pytest
from rel_support import HERE, free_port, record

RSS_GROWTH_BOUND_MB = 40  # after warm-up; the soak fails above it
BODY = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [4],
                               "data": [5.1, 3.5, 1.4, 0.2]}]})


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))


@contextmanager
def _server(function: str, **env: str) -> Iterator[tuple[subprocess.Popen, str]]:
    port = free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("MLCC_")}
    full.update({"MLCC_HOST": "127.0.0.1", "MLCC_PORT": str(port), "MLCC_FUNCTION": function,
                 "PYTHONPATH": str(HERE), "MLCC_LOG_FORMAT": "json", "MLCC_DRAIN_SECONDS": "1",
                 "MLCC_INFERENCE_TIMEOUT": "10"})
    full.update(env)
    command = [sys.executable, "-m", "mlcc_runtime", "serve"]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        command = ["taskset", "-c", "0", *command]
    proc = subprocess.Popen(command, env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(base + "/v2/health/ready", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.stdout else ""
        time.sleep(0.05)
    try:
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _post(url: str, body: str, timeout: float = 30) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body.encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _hey(url: str, n: int, concurrency: int = 32) -> dict[str, int]:
    command = ["hey", "-n", str(n), "-c", str(concurrency), "-m", "POST", "-T", "application/json",
               "-d", BODY, url]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        command = ["taskset", "-c", "1", *command]
    out = subprocess.run(command, capture_output=True, text=True, timeout=3600).stdout
    codes = {m.group(1): int(m.group(2)) for m in re.finditer(r"\[(\d{3})\]\s+(\d+) responses", out)}
    errors = re.search(r"Error distribution:(.*)", out, re.S)
    codes["errors"] = 0 if errors is None else sum(int(x) for x in re.findall(r"\[(\d+)\]", errors.group(1)))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    codes["rps"] = int(float(rps.group(1))) if rps else 0
    return codes


@pytest.mark.skipif(shutil.which("hey") is None, reason="hey is not installed (apt-get install hey)")
def test_soak_no_errors_bounded_memory(long_mode: bool) -> None:
    total = -(-(100_000 if long_mode else 3_000) // 32) * 32  # hey sends n // c per worker
    with _server("rel_functions.small") as (proc, base):
        url = base + "/predict"
        _hey(url, 1_000)  # warm-up: imports, allocator arenas, connection buffers
        before = _rss_kb(proc.pid)
        result = _hey(url, total)
        after = _rss_kb(proc.pid)
        assert result.get("200") == total and result["errors"] == 0, result
        assert set(result) == {"200", "errors", "rps"}, result
        growth_mb = (after - before) / 1024
        record("soak", requests=total, concurrency=32, rss_before_mb=round(before / 1024, 1),
               rss_after_mb=round(after / 1024, 1), rss_growth_mb=round(growth_mb, 1),
               rss_bound_mb=RSS_GROWTH_BOUND_MB, requests_per_s=result["rps"])
        assert growth_mb < RSS_GROWTH_BOUND_MB, (before, after)
        assert urllib.request.urlopen(base + "/v2/health/ready").status == 200


def test_sigterm_under_load_drains() -> None:
    with _server("rel_functions.small", MLCC_DRAIN_SECONDS="1.5") as (proc, base):
        slow = json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "data": [1.0]}],
                           "parameters": {"sleep": 1.0}})
        results: list[int] = []

        def call() -> None:
            results.append(_post(base + "/predict", slow)[0])

        threads = [threading.Thread(target=call) for _ in range(8)]
        for t in threads:
            t.start()
        time.sleep(0.3)  # all eight are in flight
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        seen_not_ready = False  # the protocol's "no": 400 with an empty body
        while time.monotonic() - sent < 1.2:
            try:
                urllib.request.urlopen(base + "/v2/health/ready", timeout=1)
            except urllib.error.HTTPError as e:
                seen_not_ready = seen_not_ready or e.code == 400
            except OSError:
                break
            time.sleep(0.05)
        for t in threads:
            t.join(30)
        code = proc.wait(15)
        elapsed = time.monotonic() - sent
        grace = 1.5 + 10 + 5  # drain + inference timeout + uvicorn's margin (server.py)
        record("sigterm", in_flight=8, completed_ok=results.count(200), exit_code=code,
               exit_seconds=round(elapsed, 2), readiness_not_ready_seen=seen_not_ready)
        assert seen_not_ready, "readiness did not turn false (400) after SIGTERM"
        assert results == [200] * 8, results
        assert code == 0 and elapsed < grace


def test_concurrent_first_requests_load_once() -> None:
    with _server("rel_functions.counted", MLCC_INFERENCE_THREADS="8") as (proc, base):
        answers: list[tuple[int, dict]] = []
        barrier = threading.Barrier(32)

        def call() -> None:
            barrier.wait()
            answers.append(_post(base + "/predict", json.dumps({"inputs": []})))

        threads = [threading.Thread(target=call) for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert [a[0] for a in answers] == [200] * 32
        loads = {a[1]["outputs"][0]["data"][0] for a in answers}
        record("load_once", concurrent_first_requests=32, loads=sorted(loads))
        assert loads == {1}, loads
