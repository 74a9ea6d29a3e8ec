"""SIGTERM: readiness turns 503, in-flight requests finish, then the process exits 0."""

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
        assert _status(base + "/v2/health/ready") == 503  # draining: out of the Service
        assert _status(base + "/v2/health/live") == 200
        worker.join(10)
        assert result["answer"][0] == 200  # the in-flight request finished
        assert proc.wait(10) == 0
        logs = [json.loads(line) for line in proc.stdout.read().splitlines()
                if line.startswith("{")]
    messages = [entry["message"] for entry in logs]
    assert any("received SIGTERM" in m for m in messages)
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in logs)
