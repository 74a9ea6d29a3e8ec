"""SIGTERM: readiness turns false (400, as the Open Inference Protocol answers "no"), in-flight
requests finish, then the process exits 0."""

from __future__ import annotations

import json
import signal
import threading
import time
import urllib.error
import urllib.request

from rt_support import HERE, post_json, serve_process


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return -1


def test_sigterm_drains_then_exits_cleanly() -> None:
    env = {"MLCC_PYTHON_PATH": str(HERE), "MLCC_FUNCTION": "fixtures.echo_fn.slow",
           "MLCC_DRAIN_SECONDS": "1.0"}
    with serve_process(env) as (proc, base):
        assert post_json(base + "/predict", {"inputs": []})[0] == 200  # model loaded
        result: dict = {}

        def long_request() -> None:
            result["answer"] = post_json(base + "/predict", {
                "parameters": [{"name": "seconds", "value": 2.0}], "inputs": []})

        worker = threading.Thread(target=long_request)
        worker.start()
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        assert _status(base + "/v2/health/ready") == 400  # draining: out of the Service
        assert _status(base + "/v2/health/live") == 200
        worker.join(10)
        assert result["answer"][0] == 200  # the in-flight request finished
        assert proc.wait(10) == 0
        logs = [json.loads(line) for line in proc.stdout.read().splitlines()
                if line.startswith("{")]
    messages = [entry["message"] for entry in logs]
    assert any("received SIGTERM" in m for m in messages)
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in logs)


def _slow_request(base: str, seconds: float, result: dict) -> threading.Thread:
    def call() -> None:
        try:
            result["answer"] = post_json(base + "/predict", {
                "parameters": [{"name": "seconds", "value": seconds}], "inputs": []})
        except OSError as exc:  # the server went away under the request
            result["answer"] = (None, repr(exc))

    worker = threading.Thread(target=call)
    worker.start()
    return worker


def test_new_requests_are_still_served_while_draining() -> None:
    """Only readiness says no during the drain: the endpoints controller may still route
    requests here until it has seen it, and those must not fail."""
    env = {"MLCC_PYTHON_PATH": str(HERE), "MLCC_FUNCTION": "fixtures.echo_fn.slow",
           "MLCC_DRAIN_SECONDS": "3"}
    with serve_process(env) as (proc, base):
        assert post_json(base + "/predict", {"inputs": []})[0] == 200
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        assert _status(base + "/v2/health/ready") == 400
        assert _status(base + "/v2/models/model/ready") == 400
        status, answer = post_json(base + "/predict", {"inputs": []})
        assert status == 200, answer
        status, answer = post_json(base + "/v2/models/model/infer", {"inputs": [
            {"name": "x", "datatype": "FP32", "shape": [1], "data": [1.0]}]})
        assert status == 200, answer
        assert proc.wait(15) == 0


def test_a_second_sigterm_stops_at_once() -> None:
    env = {"MLCC_PYTHON_PATH": str(HERE), "MLCC_FUNCTION": "fixtures.echo_fn.slow",
           "MLCC_DRAIN_SECONDS": "5", "MLCC_INFERENCE_TIMEOUT": "60"}
    with serve_process(env) as (proc, base):
        assert post_json(base + "/predict", {"inputs": []})[0] == 200
        result: dict = {}
        worker = _slow_request(base, 30.0, result)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(10)
        assert time.monotonic() - started < 3  # neither the drain nor the 30 s request waited for
        assert code == 128 + signal.SIGTERM  # a forced stop is not a clean exit
        worker.join(10)
        assert result["answer"][0] is None  # the in-flight request was cut, as asked
        output = proc.stdout.read()
    assert "second SIGTERM" in output


def test_no_inference_timeout_means_shutdown_waits_for_in_flight_requests() -> None:
    """MLCC_INFERENCE_TIMEOUT=0 (no limit): the graceful shutdown must not cut a long request
    either (it used to give up after max(timeout, 1) + 5 s)."""
    env = {"MLCC_PYTHON_PATH": str(HERE), "MLCC_FUNCTION": "fixtures.echo_fn.slow",
           "MLCC_INFERENCE_TIMEOUT": "0"}
    with serve_process(env) as (proc, base):
        assert post_json(base + "/predict", {"inputs": []})[0] == 200
        result: dict = {}
        worker = _slow_request(base, 7.5, result)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        worker.join(20)
        assert result["answer"][0] == 200, result
        assert proc.wait(10) == 0
