"""The Open Inference Protocol, checked with the independent Triton HTTP client against a real
uvicorn server (JSON and binary tensors, health, metadata)."""

from __future__ import annotations

import json
import struct
import urllib.error
import urllib.request

import numpy as np
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from rt_support import make_service, running_server
from fixtures import echo_fn


@pytest.fixture(scope="module")
def scale_server():
    with running_server(make_service(echo_fn.scale, model_name="scaler")) as address:
        yield address


@pytest.fixture(scope="module")
def echo_server():
    with running_server(make_service(echo_fn.echo)) as address:
        yield address


@pytest.fixture
def client(scale_server):
    c = triton.InferenceServerClient(url=scale_server)
    yield c
    c.close()


def test_health_and_metadata(client) -> None:
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready("scaler")
    assert not client.is_model_ready("other")
    server = client.get_server_metadata()
    assert server["name"] == "mlcc-runtime" and "binary_tensor_data" in server["extensions"]
    meta = client.get_model_metadata("scaler")
    assert meta["name"] == "scaler"
    assert {i["name"]: i["datatype"] for i in meta["inputs"]} == {
        "x": "FP32", "factor": "FP32", "label": "BYTES"}
    assert meta["outputs"][0] == {"name": "y", "datatype": "FP64", "shape": [-1]}
    assert client.get_model_metadata("scaler", model_version="1")["name"] == "scaler"
    with pytest.raises(InferenceServerException, match="unknown model"):
        client.get_model_metadata("other")
    with pytest.raises(InferenceServerException, match="unknown version"):
        client.get_model_metadata("scaler", model_version="7")


@pytest.mark.parametrize("binary_in", [False, True])
@pytest.mark.parametrize("binary_out", [False, True])
def test_infer_json_and_binary(client, binary_in: bool, binary_out: bool) -> None:
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    inputs = [triton.InferInput("x", [2, 3], "FP32"), triton.InferInput("factor", [1], "FP32"),
              triton.InferInput("label", [2], "BYTES")]
    inputs[0].set_data_from_numpy(x, binary_data=binary_in)
    inputs[1].set_data_from_numpy(np.array([10], dtype=np.float32), binary_data=binary_in)
    inputs[2].set_data_from_numpy(np.array([b"iris", "fleur".encode()], dtype=object),
                                  binary_data=binary_in)
    outputs = [triton.InferRequestedOutput("y", binary_data=binary_out),
               triton.InferRequestedOutput("label", binary_data=binary_out)]
    result = client.infer("scaler", inputs, outputs=outputs, request_id="req-1")
    np.testing.assert_allclose(result.as_numpy("y"), x * 10)
    assert result.as_numpy("y").shape == (2, 3)
    assert [v.decode() if isinstance(v, bytes) else v for v in result.as_numpy("label")] == [
        "IRIS", "FLEUR"]
    response = result.get_response()
    assert response["id"] == "req-1" and response["model_name"] == "scaler"


def test_infer_default_outputs_come_back_binary(client) -> None:
    x = triton.InferInput("x", [3], "FP64")
    x.set_data_from_numpy(np.array([1.0, 2.0, 3.0]))
    result = client.infer("scaler", [x], model_version="1")  # tritonclient asks for binary output
    assert result.get_output("y")["parameters"]["binary_data_size"] == 24
    np.testing.assert_allclose(result.as_numpy("y"), [2.0, 4.0, 6.0])


def test_infer_errors_through_the_client(client) -> None:
    bad = triton.InferInput("nope", [1], "FP32")
    bad.set_data_from_numpy(np.array([1], dtype=np.float32))
    with pytest.raises(InferenceServerException, match="unknown input 'nope'"):
        client.infer("scaler", [bad])
    x = triton.InferInput("x", [1], "FP32")
    x.set_data_from_numpy(np.array([1], dtype=np.float32))
    with pytest.raises(InferenceServerException, match="unknown model"):
        client.infer("other", [x])


def test_all_numeric_types_roundtrip_binary(echo_server) -> None:
    c = triton.InferenceServerClient(url=echo_server)
    try:
        arrays = {
            "INT8": np.array([-1, 2], np.int8), "UINT8": np.array([1, 255], np.uint8),
            "INT16": np.array([-300, 3], np.int16), "UINT16": np.array([60000, 1], np.uint16),
            "INT32": np.array([-70000, 1], np.int32), "UINT32": np.array([4e9, 1], np.uint32),
            "INT64": np.array([-2**40, 1], np.int64), "UINT64": np.array([2**63, 1], np.uint64),
            "FP16": np.array([0.5, -2], np.float16), "FP32": np.array([0.25, 1e-3], np.float32),
            "FP64": np.array([1e300, -1], np.float64), "BOOL": np.array([True, False]),
        }
        inputs = []
        for dtype, arr in arrays.items():
            i = triton.InferInput(dtype.lower(), list(arr.shape), dtype)
            i.set_data_from_numpy(arr, binary_data=True)
            inputs.append(i)
        result = c.infer("model", inputs)
        for dtype, arr in arrays.items():
            np.testing.assert_array_equal(result.as_numpy(dtype.lower()), arr)
    finally:
        c.close()


def _post(address: str, path: str, body: bytes, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://{address}{path}", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        assert e.headers["content-type"] == "application/json"
        return e.code, json.loads(e.read())


@pytest.mark.parametrize("header, extra, message", [
    ("abc", b"", "must be an integer"),
    ("9999", b"", "outside the body"),
    (None, struct.pack("<f", 1.0), "belong to no input"),
    (None, b"\x00\x00", "not a whole number of FP32"),
])
def test_bad_binary_framing_is_400(echo_server, header, extra, message) -> None:
    doc = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1],
                       "parameters": {"binary_data_size": 4}}]}
    head = json.dumps(doc).encode()
    body = head + struct.pack("<f", 1.0) + extra
    if message == "not a whole number of FP32":
        doc["inputs"][0]["parameters"]["binary_data_size"] = 2
        head = json.dumps(doc).encode()
        body = head + extra
    status, answer = _post(echo_server, "/v2/models/model/infer", body, {
        "Inference-Header-Content-Length": header or str(len(head)),
        "Content-Type": "application/octet-stream"})
    assert status == 400 and message in answer["error"]


def test_v2_str_file_dict_travel_as_bytes_with_content_type(echo_server) -> None:
    body = {"inputs": [
        {"name": "d", "datatype": "BYTES", "shape": [1], "data": ['{"a": 1}'],
         "parameters": {"content_type": "dict"}},
        {"name": "s", "datatype": "BYTES", "shape": [2], "data": ["x", "y"],
         "parameters": {"content_type": "str"}},
    ]}
    status, answer = _post(echo_server, "/v2/models/model/infer", json.dumps(body).encode(),
                           {"Content-Type": "application/json"})
    assert status == 200
    d, s = answer["outputs"]
    assert d == {"name": "d", "datatype": "BYTES", "shape": [1], "data": ['{"a":1}'],
                 "parameters": {"content_type": "dict"}}
    assert s["data"] == ["x", "y"] and s["parameters"] == {"content_type": "str"}
