"""The platform /predict endpoint and the service semantics behind every endpoint."""

from __future__ import annotations

import threading
import time

import pytest

from fixtures import echo_fn


def test_predict_roundtrip_is_lenient_about_shape_and_parameters(client_for) -> None:
    c = client_for(echo_fn.echo, model_key="/models/m.joblib")
    body = {
        "parameters": {"echo_params": True, "threshold": 0.5},  # a dict, not a list
        "inputs": [
            {"name": "a", "datatype": "FP32", "data": [1.5, 2.5], "shape": 0},
            {"name": "b", "datatype": "INT32", "data": [[1, 2], [3, 4]]},  # no shape, nested
            {"name": "c", "datatype": "str", "data": ["x"], "shape": [1]},
            {"name": "d", "datatype": "dict", "data": [{"k": 1}]},
        ],
        "output_fields": [{"name": "a"}],
        "model_key": "default",
    }
    r = c.post("/predict", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    outputs = {o["name"]: o for o in r.json()["outputs"]}
    assert outputs["a"] == {"name": "a", "datatype": "FP32", "data": [1.5, 2.5], "shape": [2],
                            "content_type": None}
    assert outputs["b"]["data"] == [1, 2, 3, 4] and outputs["b"]["shape"] == [2, 2]
    assert outputs["c"]["data"] == ["x"]
    assert outputs["d"]["data"] == [{"k": 1}]
    assert outputs["params"]["data"] == [{"echo_params": True, "threshold": 0.5}]


def test_model_key_comes_from_configuration_and_model_is_reused(client_for) -> None:
    c = client_for(echo_fn.echo, model_key="/models/m.joblib")
    body = {"parameters": [{"name": "echo_model", "value": 1}], "inputs": [],
            "model_key": "default"}
    first = c.post("/predict", json=body).json()["outputs"][0]["data"][0]
    second = c.post("/predict", json=body).json()["outputs"][0]["data"][0]
    assert first == {"key": "/models/m.joblib", "calls": 1}
    assert second == {"key": "/models/m.joblib", "calls": 2}  # same object, not reloaded


def test_concurrent_first_requests_load_the_model_once(client_for) -> None:
    c = client_for(echo_fn.slow, threads=8)
    before = echo_fn.SLOW_LOADS["count"]
    results: list[int] = []

    def call() -> None:
        results.append(c.post("/predict", json={"inputs": []}).status_code)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8
    assert echo_fn.SLOW_LOADS["count"] - before == 1


def test_health_stays_responsive_while_the_function_is_busy(client_for) -> None:
    c = client_for(echo_fn.slow, threads=1)
    c.post("/predict", json={"inputs": []})  # load the model first
    busy = threading.Thread(target=c.post, args=("/predict",),
                            kwargs={"json": {"parameters": [{"name": "seconds", "value": 1.0}],
                                             "inputs": []}})
    busy.start()
    time.sleep(0.1)
    started = time.perf_counter()
    assert c.get("/v2/health/ready").status_code == 200
    assert c.get("/metrics").status_code == 200
    assert time.perf_counter() - started < 0.5
    busy.join()


@pytest.mark.parametrize("body, message", [
    (b"{not json", "malformed JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b"", "empty"),
    (b'{"inputs": {"a": 1}}', "'inputs' must be a list"),
    (b'{"inputs": [{"name": "a", "datatype": "FP32", "data": [1, 2], "shape": [3]}]}',
     "shape [3] needs 3 values, got 2"),
    (b'{"inputs": [{"name": "a", "datatype": "COMPLEX", "data": [1]}]}', "unknown datatype"),
    (b'{"inputs": [], "parameters": 3}', "parameters must be"),
])
def test_invalid_requests_answer_400_json(client_for, body: bytes, message: str) -> None:
    c = client_for(echo_fn.echo)
    r = c.post("/predict", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json"
    assert message in r.json()["error"]


def test_contract_violations_are_400(client_for) -> None:
    c = client_for(echo_fn.scale)
    r = c.post("/predict", json={"inputs": [{"name": "z", "datatype": "FP32", "data": [1]}]})
    assert r.status_code == 400 and "unknown input 'z'" in r.json()["error"]
    r = c.post("/predict", json={"inputs": [{"name": "x", "datatype": "str", "data": ["1"]}]})
    assert r.status_code == 400 and "expected FP32 or FP64" in r.json()["error"]
    r = c.post("/predict", json={"inputs": [{"name": "x", "datatype": "FP32", "data": [1, 2]},
                                            {"name": "factor", "datatype": "FP32", "data": [3]}]})
    assert r.status_code == 200 and r.json()["outputs"][0]["data"] == [3, 6]


def test_function_failure_is_500_without_traceback(client_for, caplog) -> None:
    c = client_for(echo_fn.raising)
    with caplog.at_level("ERROR"):
        r = c.post("/predict", json={"inputs": []})
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    assert "hunter2" not in r.text and "Traceback" not in r.text
    assert r.json() == {"error": "inference function failed; see the service log"}
    assert any("hunter2" in (rec.exc_text or "") or rec.exc_info for rec in caplog.records)


def test_value_error_is_the_functions_way_to_say_400(client_for) -> None:
    c = client_for(echo_fn.raising)
    r = c.post("/predict", json={"parameters": [{"name": "kind", "value": "value"}],
                                 "inputs": []})
    assert r.status_code == 400
    assert r.json() == {"error": "invalid input: x must be positive"}


def test_malformed_function_result_is_500(client_for) -> None:
    c = client_for(echo_fn.bad_return)
    r = c.post("/predict", json={"inputs": []})
    assert r.status_code == 500 and "(outputs, model)" in r.json()["error"]


def test_timeout_answers_504(client_for) -> None:
    c = client_for(echo_fn.slow, timeout=0.5)
    c.post("/predict", json={"inputs": []})  # load
    r = c.post("/predict", json={"parameters": [{"name": "seconds", "value": 1.5}],
                                 "inputs": []})
    assert r.status_code == 504 and "0.5 s" in r.json()["error"]


def test_body_cap_answers_413(client_for) -> None:
    c = client_for(echo_fn.echo, max_body_bytes=1000)
    big = {"inputs": [{"name": "a", "datatype": "FP64", "data": [1.0] * 500}]}
    r = c.post("/predict", json=big)
    assert r.status_code == 413 and "1000 bytes" in r.json()["error"]

    def chunks():  # no Content-Length: the cap must hold while streaming
        for _ in range(20):
            yield b" " * 100

    r = c.post("/predict", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_unknown_route_and_method_are_json(client_for) -> None:
    c = client_for(echo_fn.echo)
    r = c.get("/nope")
    assert r.status_code == 404 and r.json() == {"error": "Not Found"}
    r = c.get("/predict")
    assert r.status_code == 405 and r.headers["content-type"] == "application/json"


def test_metrics_count_requests_errors_and_latency(client_for) -> None:
    c = client_for(echo_fn.echo)
    c.post("/predict", json={"inputs": []})
    c.post("/predict", content=b"{", headers={"content-type": "application/json"})
    text = c.get("/metrics").text
    assert 'mlcc_requests_total{code="200",endpoint="predict"} 1.0' in text
    assert 'mlcc_requests_total{code="400",endpoint="predict"} 1.0' in text
    assert 'mlcc_errors_total{endpoint="predict",kind="invalid_input"} 1.0' in text
    assert 'mlcc_request_duration_seconds_count{endpoint="predict"} 2.0' in text
    assert "mlcc_requests_in_flight 0.0" in text
    assert "mlcc_model_loaded 1.0" in text


def test_openapi_is_generated_from_the_docstring(client_for) -> None:
    doc = client_for(echo_fn.scale).get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    request = doc["components"]["schemas"]["PredictRequest"]
    variants = request["properties"]["inputs"]["items"]["oneOf"]
    x = next(v for v in variants if v["properties"]["name"]["enum"] == ["x"])
    assert x["properties"]["datatype"]["enum"] == ["FP32", "FP64"]
    assert x["description"] == "the numbers, shape [N]"
    assert request["properties"]["output_fields"]["items"]["properties"]["name"]["enum"] == [
        "y", "label"]
    assert doc["paths"]["/predict"]["post"]["summary"] == "Multiply a vector by a factor."
    assert "/v2/models/{model_name}/versions/{version}/infer" in doc["paths"]


@pytest.mark.parametrize("name", [["x"], {"a": 1}, 3, None, ""])
def test_v2_input_name_that_is_not_a_string_is_400(client_for, name) -> None:
    c = client_for(echo_fn.scale)  # a contract: the name is looked up in it
    r = c.post("/v2/models/model/infer",
               json={"inputs": [{"name": name, "datatype": "BYTES", "shape": [1], "data": ["a"]}]})
    assert r.status_code == 400, r.text
    assert r.json() == {"error": "inputs[0]: 'name' must be a non-empty string"}


@pytest.mark.parametrize("path", ["/predict", "/v2/models/model/infer"])
@pytest.mark.parametrize("shape, message", [
    ([10] * 5000, "at most 32 dimensions, got 5000"),
    ([2**63 - 1] * 32, "shape needs more than 2**63-1 values, got 1"),
    ([2**62, 2**62], "shape needs more than 2**63-1 values, got 1"),
    ([2**63], "dimensions must be integers from 0 to 2**63-1"),
    ([-1], "dimensions must be integers from 0 to 2**63-1"),
    ([3, 2], "shape [3, 2] needs 6 values, got 1"),
])
def test_crafted_shapes_are_400_at_once(client_for, path, shape, message) -> None:
    c = client_for(echo_fn.echo)
    started = time.perf_counter()
    r = c.post(path, json={"inputs": [{"name": "x", "datatype": "FP32", "shape": shape,
                                       "data": [1.0]}]})
    assert r.status_code == 400, r.text
    assert message in r.json()["error"]
    assert len(r.text) < 300  # no huge numbers or echoed shapes in the message
    assert time.perf_counter() - started < 1.0


def test_a_zero_dimension_still_means_no_values(client_for) -> None:
    c = client_for(echo_fn.echo)
    r = c.post("/predict", json={"inputs": [{"name": "x", "datatype": "FP32",
                                             "shape": [2**63 - 1, 0], "data": []}]})
    assert r.status_code == 200 and r.json()["outputs"][0]["shape"] == [2**63 - 1, 0]


@pytest.mark.parametrize("timeout", [60.0, 0.0])
def test_a_timeout_error_raised_by_the_function_is_500_not_504(client_for, caplog,
                                                               timeout) -> None:
    c = client_for(echo_fn.upstream_timeout, timeout=timeout)
    with caplog.at_level("ERROR"):
        r = c.post("/predict", json={"inputs": []})
    assert r.status_code == 500, r.text
    assert r.json() == {"error": "inference function failed; see the service log"}
    assert any(rec.exc_info and "feature store timed out" in str(rec.exc_info[1])
               for rec in caplog.records)
