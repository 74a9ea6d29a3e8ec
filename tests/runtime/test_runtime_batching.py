"""Adaptive batching: concurrent requests served by one call of the function, each client getting
exactly its own rows; requests that differ in anything but their rows are never merged."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from fixtures import batch_fn
from rt_support import make_service, post_json, running_server
from mlcc_runtime.batching import batch_key, merge, split
from mlcc_runtime.cli import build_parser, serve_settings
from mlcc_runtime.request import InferenceRequest


def _x(rows: list[list[float]], datatype: str = "FP64", **extra: Any) -> dict:
    return {"name": "x", "datatype": datatype, "shape": [len(rows), len(rows[0])],
            "data": rows, **extra}


def _concurrently(base: str, bodies: list[tuple[str, dict]]) -> list[tuple[int, Any]]:
    """POST every (path, body) at once (released together by a barrier); answers in order."""
    answers: list[Any] = [None] * len(bodies)
    barrier = threading.Barrier(len(bodies))

    def call(i: int, path: str, body: dict) -> None:
        barrier.wait()
        answers[i] = post_json(base + path, body)

    threads = [threading.Thread(target=call, args=(i, p, b)) for i, (p, b) in enumerate(bodies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return answers


def _outputs(answer: tuple[int, Any]) -> dict[str, dict]:
    status, body = answer
    assert status == 200, body
    return {o["name"]: o for o in body["outputs"]}


@pytest.fixture
def batched():
    """A real server around ``batch_fn.rows`` with batching on; yields (base URL, service)."""
    servers = []

    def start(**settings: Any):
        settings.setdefault("max_batch_size", 64)
        settings.setdefault("max_batch_latency_ms", 300.0)
        service = make_service(batch_fn.rows, **settings)
        server = running_server(service)
        address = server.__enter__()
        servers.append(server)
        batch_fn.CALLS.clear()
        return f"http://{address}", service

    yield start
    for s in servers:
        s.__exit__(None, None, None)


def test_concurrent_requests_share_one_call_and_each_client_gets_its_rows(batched) -> None:
    base, service = batched()
    # 12 clients with 1, 2 or 3 rows of 3 numbers each, every value telling whose row it is.
    bodies = []
    for client in range(12):
        n = client % 3 + 1
        rows = [[client * 100 + r * 10 + k for k in range(3)] for r in range(n)]
        bodies.append(("/predict" if client % 2 else "/v2/models/model/infer",
                       {"inputs": [_x([[float(v) for v in row] for row in rows])]}))
    answers = _concurrently(base, bodies)
    for (_, body), answer in zip(bodies, answers):
        rows = body["inputs"][0]["data"]
        out = _outputs(answer)
        assert out["sum"]["shape"] == [len(rows)]
        assert out["sum"]["data"] == [sum(row) for row in rows]  # exactly its own rows
        assert out["doubled"]["shape"] == [len(rows), 3]
        assert out["doubled"]["data"] == [2 * v for row in rows for v in row]
    calls = batch_fn.CALLS
    assert sum(c["rows"] for c in calls) == sum(len(b["inputs"][0]["data"]) for _, b in bodies)
    assert len(calls) < len(bodies)  # served in batches
    assert max(c["rows"] for c in calls) > 3  # a call held several clients' rows
    metrics = urllib.request.urlopen(base + "/metrics").read().decode()
    assert f"mlcc_batch_rows_count {float(len(calls))}" in metrics


def test_a_batch_holds_at_most_max_batch_size_rows_and_a_larger_request_runs_alone(batched) \
        -> None:
    base, _ = batched(max_batch_size=4)
    bodies = [("/predict", {"inputs": [_x([[float(i), 1.0]])]}) for i in range(10)]
    bodies.append(("/predict", {"inputs": [_x([[9.0, 9.0]] * 6)]}))  # 6 rows > 4: alone
    answers = _concurrently(base, bodies)
    for (_, body), answer in zip(bodies, answers):
        rows = body["inputs"][0]["data"]
        assert _outputs(answer)["sum"]["data"] == [sum(r) for r in rows]
    sizes = [c["rows"] for c in batch_fn.CALLS]
    assert 6 in sizes
    assert all(s <= 4 for s in sizes if s != 6)
    assert sum(sizes) == 16
    assert len(sizes) <= 1 + 4  # ten one-row requests need at least three calls; not ten


def test_requests_that_differ_are_never_merged(batched) -> None:
    base, _ = batched()
    groups = {
        "plain": {"inputs": [_x([[1.0, 2.0]])]},
        "other parameters": {"inputs": [_x([[1.0, 2.0]])], "parameters": {"factor": 3}},
        "other width": {"inputs": [_x([[1.0, 2.0, 3.0]])]},
        "other datatype": {"inputs": [_x([[1, 2]], "INT64")]},
        "other outputs": {"inputs": [_x([[1.0, 2.0]])], "output_fields": [{"name": "sum"}]},
        "other inputs": {"inputs": [_x([[1.0, 2.0]]),
                                    {"name": "tag", "datatype": "str", "shape": [1],
                                     "data": ["a"]}]},
    }
    bodies = [("/predict", body) for body in groups.values() for _ in range(3)]
    answers = _concurrently(base, bodies)
    for (_, body), answer in zip(bodies, answers):
        out = _outputs(answer)
        rows = body["inputs"][0]["data"]
        assert out["sum"]["data"] == [float(sum(r)) for r in rows]
        if "doubled" in out:
            factor = body.get("parameters", {}).get("factor", 2)
            assert out["doubled"]["data"] == [factor * v for r in rows for v in r]
    calls = batch_fn.CALLS
    # Every call is uniform: one kind of request only, three of each kind at most.
    kinds = {(json.dumps(c["params"], sort_keys=True), tuple(c["shape"][1:]), c["datatype"],
              tuple(c["fields"])) for c in calls}
    assert len(kinds) == len(groups) - 1  # "other inputs" differs only by its extra tensor
    assert sum(c["rows"] for c in calls) == len(bodies)
    assert len(calls) < len(bodies)
    for c in calls:
        assert c["rows"] <= 3


def test_an_error_fails_only_its_batch(batched) -> None:
    base, _ = batched()
    bad = [("/predict", {"inputs": [_x([[float(i), -1.0 if i == 1 else 1.0]])],
                         "parameters": {"group": "a"}}) for i in range(3)]
    good = [("/predict", {"inputs": [_x([[float(i), 1.0]])], "parameters": {"group": "b"}})
            for i in range(3)]
    answers = _concurrently(base, bad + good)
    assert [status for status, _ in answers[:3]] == [400, 400, 400]  # the batch with the bad row
    assert "negative numbers are not allowed" in answers[0][1]["error"]
    for (_, body), answer in zip(good, answers[3:]):
        assert _outputs(answer)["sum"]["data"] == [sum(body["inputs"][0]["data"][0])]


def test_a_function_that_does_not_keep_rows_fails_its_batch_clearly(batched) -> None:
    base, _ = batched()
    bodies = [("/predict", {"inputs": [_x([[1.0]])], "parameters": {"wrong_rows": True}})] * 3
    answers = _concurrently(base, bodies)
    assert {status for status, _ in answers} == {500}
    assert "one row per input row" in answers[0][1]["error"]


def test_a_lone_request_waits_at_most_the_latency(batched) -> None:
    base, _ = batched(max_batch_latency_ms=150.0)
    started = time.perf_counter()
    answer = post_json(base + "/predict", {"inputs": [_x([[1.0, 2.0]])]})
    elapsed = time.perf_counter() - started
    assert _outputs(answer)["sum"]["data"] == [3.0]
    assert 0.14 <= elapsed < 1.5


def test_batching_is_off_by_default() -> None:
    service = make_service(batch_fn.rows)
    assert service.batcher is None
    batch_fn.CALLS.clear()
    with running_server(service) as address:
        bodies = [("/predict", {"inputs": [_x([[float(i), 1.0]])]}) for i in range(6)]
        answers = _concurrently(f"http://{address}", bodies)
    assert all(status == 200 for status, _ in answers)
    assert [c["rows"] for c in batch_fn.CALLS] == [1] * 6


def test_a_client_that_goes_away_does_not_fail_the_others(batched) -> None:
    base, _ = batched(max_batch_latency_ms=400.0)
    body = json.dumps({"inputs": [_x([[5.0, 5.0]])]}).encode()

    def impatient() -> None:
        request = urllib.request.Request(base + "/predict", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=0.1)
        except OSError:
            pass  # gave up before the batch ran

    gone = threading.Thread(target=impatient)
    gone.start()
    answer = post_json(base + "/predict", {"inputs": [_x([[1.0, 2.0]])]})
    gone.join()
    assert _outputs(answer)["sum"]["data"] == [3.0]


# -- the pieces ----------------------------------------------------------------------------

def _request(*inputs: dict, parameters: Any = (), fields: Any = ()) -> InferenceRequest:
    return InferenceRequest(list(parameters), list(inputs), list(fields))


def _t(name: str, shape: list[int], datatype: str = "FP32") -> dict:
    n = 1
    for d in shape:
        n *= d
    return {"name": name, "datatype": datatype, "shape": shape, "data": [1.0] * n}


def test_batch_key_says_which_requests_may_share_a_call() -> None:
    a, rows = batch_key(_request(_t("x", [2, 4]), _t("y", [2])))
    assert rows == 2
    assert batch_key(_request(_t("x", [5, 4]), _t("y", [5])))[0] == a  # other rows: same key
    assert batch_key(_request(_t("x", [2, 3]), _t("y", [2])))[0] != a  # other width
    assert batch_key(_request(_t("y", [2]), _t("x", [2, 4])))[0] != a  # other order
    assert batch_key(_request(_t("x", [2, 4], "FP64"), _t("y", [2])))[0] != a
    assert batch_key(_request(_t("x", [2, 4]), _t("y", [2]),
                              parameters=[{"name": "k", "value": 1}]))[0] != a
    assert batch_key(_request(_t("x", [2, 4]), _t("y", [2]), fields=[{"name": "z"}]))[0] != a
    # Called alone: no inputs, a scalar, rows that disagree, no rows, a FILE.
    assert batch_key(_request()) is None
    assert batch_key(_request(_t("x", []))) is None
    assert batch_key(_request(_t("x", [2, 4]), _t("y", [3]))) is None
    assert batch_key(_request(_t("x", [0, 4]))) is None
    assert batch_key(_request(_t("x", [1], "FILE"))) is None


def test_merge_and_split_are_inverse() -> None:
    r1 = _request({"name": "x", "datatype": "INT64", "shape": [1, 2], "data": [1, 2]})
    r2 = _request({"name": "x", "datatype": "INT64", "shape": [2, 2], "data": [3, 4, 5, 6]})
    merged = merge([r1, r2], 3)
    assert merged.inputs == [{"name": "x", "datatype": "INT64", "shape": [3, 2],
                              "data": [1, 2, 3, 4, 5, 6]}]
    back = split([dict(merged.inputs[0])], [1, 2], 3)
    assert [p[0]["data"] for p in back] == [[1, 2], [3, 4, 5, 6]]
    assert [p[0]["shape"] for p in back] == [[1, 2], [2, 2]]


def test_flags_and_environment(monkeypatch) -> None:
    monkeypatch.setenv("MLCC_MAX_BATCH_SIZE", "32")
    monkeypatch.setenv("MLCC_MAX_BATCH_LATENCY_MS", "2.5")
    args = build_parser().parse_args(["serve", "--function", "m.f", "--workers", "1"])
    settings = serve_settings(args)
    assert (settings.max_batch_size, settings.max_batch_latency_ms) == (32, 2.5)
    args = build_parser().parse_args(["serve", "--function", "m.f", "--workers", "1",
                                      "--max-batch-size", "8", "--max-batch-latency-ms", "0"])
    settings = serve_settings(args)
    assert (settings.max_batch_size, settings.max_batch_latency_ms) == (8, 0.0)
    monkeypatch.delenv("MLCC_MAX_BATCH_SIZE")
    monkeypatch.delenv("MLCC_MAX_BATCH_LATENCY_MS")
    settings = serve_settings(build_parser().parse_args(["serve", "--function", "m.f"]))
    assert settings.max_batch_size == 1  # off
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--max-batch-size", "0"])
