"""Protocol details clients and probes rely on: 405 names the allowed methods (RFC 9110), the
Open Inference Protocol's health answers (status only, empty body), a V2 tensor without its
required shape is 422 as in MLServer while /predict stays lenient, and the OpenAPI document
states what a V2 request needs (the runtime refuses what the document refuses)."""

from __future__ import annotations

import jsonschema
import pytest

from fixtures import echo_fn

FP = {"name": "x", "datatype": "FP32", "data": [1.0, 2.0]}


def _allowed(response) -> set[str]:
    return {m.strip() for m in response.headers["allow"].split(",")}


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("GET", "/predict", {"POST"}),
    ("PUT", "/v2/models/model/infer", {"POST"}),
    ("POST", "/v2/health/live", {"GET", "HEAD"}),
    ("DELETE", "/v2/models/model/ready", {"GET", "HEAD"}),
    ("POST", "/openapi.json", {"GET", "HEAD"}),
])
def test_405_names_the_allowed_methods(client_for, method, path, allowed) -> None:
    r = client_for(echo_fn.echo).request(method, path)
    assert r.status_code == 405
    assert _allowed(r) == allowed
    assert r.json() == {"error": "Method Not Allowed"}


def test_the_file_api_405_names_the_allowed_methods() -> None:
    from starlette.testclient import TestClient

    from mlcc_runtime.fileapi import create_app, parse_boxes

    with TestClient(create_app(parse_boxes(["box=s3://bucket/p"]))) as c:
        r = c.delete("/files/box/g/a.txt")
        assert r.status_code == 405 and _allowed(r) == {"GET", "HEAD", "PUT"}


@pytest.mark.parametrize("path", ["/v2/health/live", "/v2/health/ready",
                                  "/v2/models/model/ready", "/v2/models/model/versions/1/ready"])
def test_health_answers_are_a_status_with_an_empty_body(client_for, path) -> None:
    c = client_for(echo_fn.echo)
    r = c.get(path)
    assert (r.status_code, r.content) == (200, b"")
    assert c.head(path).status_code == 200


def test_not_ready_is_400_with_an_empty_body_and_the_reason_in_a_header(client_for) -> None:
    c = client_for(echo_fn.echo)
    c.app.state.service.draining = True  # as after SIGTERM
    for path in ("/v2/health/ready", "/v2/models/model/ready"):
        r = c.get(path)
        assert (r.status_code, r.content) == (400, b"")
        assert r.headers["mlcc-not-ready"] == "shutting down"
    assert c.get("/v2/health/live").status_code == 200
    # an unknown model is an error, with the protocol's error object
    r = c.get("/v2/models/nope/ready")
    assert r.status_code == 404 and "unknown model" in r.json()["error"]


def test_a_v2_tensor_without_shape_is_422_and_predict_stays_lenient(client_for) -> None:
    c = client_for(echo_fn.echo)
    for body in ({"inputs": [FP]}, {"inputs": [dict(FP, shape=None)]}):
        r = c.post("/v2/models/model/infer", json=body)
        assert r.status_code == 422, r.text
        assert r.json() == {"error": "input 'x': 'shape' is missing; the Open Inference "
                                     "Protocol requires it (e.g. [N] or [N, 4])"}
    binary = {"inputs": [{"name": "x", "datatype": "FP32",
                          "parameters": {"binary_data_size": 4}}]}
    head = __import__("json").dumps(binary).encode()
    r = c.post("/v2/models/model/infer", content=head + b"\0\0\0\0",
               headers={"Inference-Header-Content-Length": str(len(head))})
    assert r.status_code == 422
    assert c.post("/v2/models/model/infer",
                  json={"inputs": [dict(FP, shape=[2])]}).status_code == 200
    for shape in (None, 0, 2, [2]):  # the platform's own call: absent, 0, an int, a list
        tensor = dict(FP) if shape is None else dict(FP, shape=shape)
        r = c.post("/predict", json={"inputs": [tensor]})
        assert r.status_code == 200 and r.json()["outputs"][0]["shape"] == [2], r.text


def _validator(client, name: str) -> jsonschema.Draft7Validator:
    document = client.get("/openapi.json").json()
    return jsonschema.Draft7Validator({"$ref": f"#/components/schemas/{name}",
                                       "components": document["components"]})


def test_the_v2_schema_refuses_what_the_runtime_refuses(client_for) -> None:
    for function in (echo_fn.echo, echo_fn.scale):  # without and with a declared contract
        c = client_for(function)
        v2 = _validator(c, "V2Request")
        x = {"name": "x", "datatype": "FP32", "shape": [2], "data": [1.0, 2.0]}
        assert v2.is_valid({"inputs": [x]})
        for body in ({"inputs": []}, {}, {"inputs": [{k: v for k, v in x.items() if k != "shape"}]},
                     {"inputs": [{k: v for k, v in x.items() if k != "name"}]}):
            assert not v2.is_valid(body), body
            assert c.post("/v2/models/model/infer", json=body).status_code in (400, 422), body
        assert c.post("/v2/models/model/infer", json={"inputs": [x]}).status_code == 200


def test_the_schemas_count_the_contracts_inputs(client_for) -> None:
    c = client_for(echo_fn.scale)  # x required, factor and label optional
    document = c.get("/openapi.json").json()["components"]["schemas"]
    assert document["V2Request"]["properties"]["inputs"]["minItems"] == 1
    assert document["V2Request"]["properties"]["inputs"]["maxItems"] == 3
    assert document["PredictRequest"]["properties"]["inputs"]["minItems"] == 1
    assert document["PredictRequest"]["properties"]["inputs"]["maxItems"] == 3
    # no contract: /predict takes any inputs, even none (the platform's lenient call)
    predict = _validator(client_for(echo_fn.echo), "PredictRequest")
    assert predict.is_valid({"inputs": []})
