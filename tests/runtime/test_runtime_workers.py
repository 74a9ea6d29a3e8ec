"""Several worker processes on one port (MLCC_WORKERS): each loads the model once, readiness is
the pod's (a worker whose warm-up failed is never hidden by a ready one), /metrics sums every
worker, a worker that cannot start stops the pod, a crashed worker is started again, SIGTERM
drains them all."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from rt_support import HERE, free_port, post_json, serve_process
from mlcc_runtime.workers import cpu_limit, default_workers

PID_FN = {"MLCC_PYTHON_PATH": str(HERE), "MLCC_FUNCTION": "fixtures.batch_fn.pid",
          "MLCC_INFERENCE_THREADS": "1"}


def _status(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}


def _call(base: str, spin: float = 0.0) -> dict:
    status, body = post_json(base + "/predict", {
        "inputs": [{"name": "x", "datatype": "FP64", "shape": [1], "data": [1.0]}],
        "parameters": {"spin": spin}})
    assert status == 200, body
    return {o["name"]: o["data"][0] for o in body["outputs"]}


def _spread(base: str, n: int = 12) -> list[dict]:
    """``n`` concurrent calls that each hold their worker's GIL for a while, so the other
    worker's event loop is the one that accepts the next connection."""
    answers: list[dict] = []
    lock = threading.Lock()

    def one() -> None:
        a = _call(base, spin=0.15)
        with lock:
            answers.append(a)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
        time.sleep(0.01)
    for t in threads:
        t.join(30)
    return answers


def _from_both(base: str, workers: int = 2) -> list[dict]:
    """Answers of concurrent calls until every worker answered some (at most 4 rounds: which
    process accepts a connection is the kernel's choice)."""
    answers: list[dict] = []
    for _ in range(4):
        answers += _spread(base)
        if len({a["pid"] for a in answers}) == workers:
            break
    return answers


def _metric(text: str, name: str, labels: str = "") -> float:
    pattern = re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else "") + r" (\S+)"
    match = re.search(r"^" + pattern + r"$", text, re.M)
    assert match, f"{name}{{{labels}}} not in /metrics:\n{text}"
    return float(match.group(1))


def test_two_workers_share_the_port_each_loading_the_model_once_and_metrics_sum() -> None:
    with serve_process({**PID_FN, "MLCC_WORKERS": "2"}) as (proc, base):
        answers = _from_both(base)
        pids = {a["pid"] for a in answers}
        assert len(pids) == 2, answers  # both workers answered
        assert proc.pid not in pids  # the supervisor serves nothing itself
        assert {a["loads"] for a in answers} == {1}  # each worker loaded its model once
        # /metrics of whichever worker answers counts the requests of both.
        for _ in range(4):
            text = urllib.request.urlopen(base + "/metrics").read().decode()
            assert _metric(text, "mlcc_requests_total", 'code="200",endpoint="predict"') \
                == len(answers)
            assert _metric(text, "mlcc_model_loaded") == 1.0
            assert _metric(text, "mlcc_requests_in_flight") == 0.0


def test_a_worker_whose_warm_up_failed_keeps_the_pod_not_ready(tmp_path: Path) -> None:
    examples = tmp_path / "examples.json"
    examples.write_text(json.dumps([{"name": "one", "request": {"inputs": [
        {"name": "x", "datatype": "FP64", "shape": [1], "data": [1.0]}]}}]))
    env = {**PID_FN, "MLCC_WORKERS": "2", "MLCC_EXAMPLES_FILE": str(examples),
           "FAIL_WORKER": "1"}
    with serve_process(env, wait_for="/v2/health/live") as (proc, base):
        deadline = time.monotonic() + 20
        reasons = set()
        while time.monotonic() < deadline and not any("failed" in r for r in reasons):
            status, headers = _status(base + "/v2/health/ready")
            assert status == 400
            reasons.add(headers.get("mlcc-not-ready", ""))
            time.sleep(0.05)
        assert any("failed" in r for r in reasons), reasons
        # Whichever worker answers, and for as long as we ask: not ready, never 200.
        for _ in range(30):
            status, headers = _status(base + "/v2/health/ready")
            assert status == 400, headers
            assert _status(base + "/v2/models/model/ready")[0] == 400
        assert _status(base + "/v2/health/live")[0] == 200
        assert proc.poll() is None


def test_with_examples_every_worker_warms_up_before_the_pod_is_ready(tmp_path: Path) -> None:
    examples = tmp_path / "examples.json"
    examples.write_text(json.dumps([{"name": "one", "request": {"inputs": [
        {"name": "x", "datatype": "FP64", "shape": [1], "data": [1.0]}]}}]))
    env = {**PID_FN, "MLCC_WORKERS": "2", "MLCC_EXAMPLES_FILE": str(examples)}
    with serve_process(env) as (proc, base):
        answers = _from_both(base)
        assert len({a["pid"] for a in answers}) == 2
        assert {a["loads"] for a in answers} == {1}  # the warm-up loaded it; no second load
        logs = _drain(proc)
    warmed = [e for e in logs if "warm-up with example 'one' passed" in e.get("message", "")]
    assert len(warmed) == 2


def _drain(proc: subprocess.Popen) -> list[dict]:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    return [json.loads(line) for line in proc.stdout.read().splitlines() if line.startswith("{")]


def test_an_entry_point_that_cannot_start_stops_the_supervisor_with_status_2() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLCC_")}
    env.update({"MLCC_PYTHON_PATH": str(HERE), "MLCC_FUNCTION": "fixtures.batch_fn.missing",
                "MLCC_WORKERS": "3", "MLCC_PORT": str(port), "MLCC_HOST": "127.0.0.1"})
    proc = subprocess.run([sys.executable, "-m", "mlcc_runtime", "serve"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("cannot start: entry point 'fixtures.batch_fn.missing'") == 1
    assert "before it started serving" in proc.stderr


def test_a_crashed_worker_is_started_again() -> None:
    with serve_process({**PID_FN, "MLCC_WORKERS": "2"}) as (proc, base):
        before = {a["pid"] for a in _from_both(base)}
        try:
            post_json(base + "/predict", {"inputs": [{"name": "x", "datatype": "FP64",
                                                      "shape": [1], "data": [1.0]}],
                                          "parameters": {"exit": True}})
        except OSError:
            pass  # the connection dies with the worker
        deadline = time.monotonic() + 30
        after: set = set()
        while time.monotonic() < deadline and not (len(after) == 2 and after != before):
            if _status(base + "/v2/health/ready")[0] == 200:
                after = {a["pid"] for a in _from_both(base)}
            time.sleep(0.1)
        assert len(after) == 2 and len(after & before) == 1, (before, after)
        assert proc.poll() is None


def test_sigterm_drains_every_worker_and_exits_0() -> None:
    env = {**PID_FN, "MLCC_WORKERS": "2", "MLCC_DRAIN_SECONDS": "1"}
    with serve_process(env) as (proc, base):
        _call(base)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        for _ in range(6):
            assert _status(base + "/v2/health/ready")[0] == 400  # every worker drains
        assert proc.wait(20) == 0
        logs = [json.loads(line) for line in proc.stdout.read().splitlines()
                if line.startswith("{")]
    assert sum("received SIGTERM" in e["message"] for e in logs) == 3  # supervisor + 2 workers


@pytest.mark.parametrize("files, expected", [
    ({"cpu.max": "200000 100000\n"}, 2.0),
    ({"cpu.max": "150000 100000\n"}, 1.5),
    ({"cpu.max": "max 100000\n"}, None),
    ({"cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 0.5),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({}, None),
])
def test_cpu_limit_from_the_cgroup(tmp_path: Path, files: dict, expected: float | None) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert cpu_limit(str(tmp_path), str(tmp_path / "no-such-file")) == expected


def test_default_workers_follow_the_cpu_limit() -> None:
    usable = len(os.sched_getaffinity(0))
    assert default_workers(0.5) == 1
    assert default_workers(1.0) == 1
    assert default_workers(1.5) == 1
    assert default_workers(2.0) == min(2, usable)
    assert default_workers(64.0) == usable
    assert default_workers(-1) == 1


def test_each_worker_counts_with_its_share_of_the_memory_limit(monkeypatch) -> None:
    from mlcc_runtime.cli import build_parser, serve_settings
    from mlcc_runtime.memory import max_body_for

    monkeypatch.delenv("MLCC_MAX_BODY_BYTES", raising=False)
    args = build_parser().parse_args(["serve", "--function", "m.f", "--workers", "4",
                                      "--memory-limit", "2Gi", "--threads", "2"])
    settings = serve_settings(args)
    assert settings.workers == 4 and settings.threads == 2
    assert settings.memory_limit == 512 * 2**20
    assert settings.max_body_bytes == max_body_for(512 * 2**20)
