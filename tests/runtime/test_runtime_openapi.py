"""``GET /openapi.json``: outputs, parameters, the route's security scheme and path prefix, and no
field the runtime ignores; every variant is a valid OpenAPI 3.0 document."""

from __future__ import annotations

import pytest

from mlcc_runtime.cli import build_parser, serve_settings
from mlcc_runtime.examples import Example
from mlcc_runtime.openapi import resolve_security

openapi_spec_validator = pytest.importorskip("openapi_spec_validator")
from openapi_schema_validator import OAS30Validator  # noqa: E402  (installed with it)


def classify(parameters, inputs, output_fields, model_key, model=None):
    """Classify rows of four numbers.

    :param inputs.features: four numbers per row, shape [N, 4]
    :type inputs.features: FP32
    :param outputs.class: the class index of each row, shape [N]
    :type outputs.class: INT32
    :param outputs.species: the class name of each row
    :type outputs.species: str
    :param outputs.probabilities: one probability per class, shape [N, 3]
    :type outputs.probabilities: FP32
    :param outputs.report: a summary
    :type outputs.report: dict
    """
    rows = len(inputs[0]["data"]) // 4
    return [
        {"name": "class", "datatype": "INT32", "data": [1] * rows, "shape": [rows]},
        {"name": "species", "datatype": "str", "data": ["versicolor"] * rows, "shape": [rows]},
        {"name": "probabilities", "datatype": "FP32", "data": [0.25, 0.5, 0.25] * rows,
         "shape": [rows, 3]},
        {"name": "report", "datatype": "dict", "data": [{"rows": rows}], "shape": [1]},
    ], model


FEATURES = {"name": "features", "datatype": "FP32", "shape": [2, 4], "data": [1.0] * 8}
EXAMPLES = [Example("two", {"inputs": [FEATURES], "parameters": {"top_n": 3, "mode": "fast"}}),
            Example("listed", {"inputs": [FEATURES],
                               "parameters": [{"name": "top_n", "value": 5},
                                              {"name": "debug", "value": None}]})]


def _document(client) -> dict:
    document = client.get("/openapi.json").json()
    openapi_spec_validator.validate(document)  # a valid OpenAPI 3.0 document, every variant
    return document


def _schema(document: dict, schema: dict) -> OAS30Validator:
    """A validator for ``schema`` resolving the document's $refs (OpenAPI 3.0: nullable)."""
    return OAS30Validator({**schema, "components": document["components"]})


def _variant(outputs_schema: dict, name: str) -> dict:
    return next(v for v in outputs_schema["items"]["anyOf"]
                if v.get("properties", {}).get("name", {}).get("enum") == [name])


# -- outputs ---------------------------------------------------------------------------------

def test_predict_response_describes_each_declared_output(client_for) -> None:
    document = _document(client_for(classify))
    outputs = document["components"]["schemas"]["PredictResponse"]["properties"]["outputs"]
    assert "class, species, probabilities, report" in outputs["description"]
    klass = _variant(outputs, "class")
    assert klass["description"] == "the class index of each row, shape [N]"
    assert klass["properties"]["datatype"]["enum"] == ["INT32"]
    assert klass["properties"]["data"]["items"] == {"type": "integer"}
    assert klass["properties"]["shape"]["minItems"] == klass["properties"]["shape"]["maxItems"] == 1
    probabilities = _variant(outputs, "probabilities")
    assert probabilities["properties"]["shape"]["maxItems"] == 2
    assert "shape [N, 3]" in probabilities["properties"]["shape"]["description"]
    species = _variant(outputs, "species")
    assert species["properties"]["datatype"]["enum"] == ["str"]
    assert "shape" not in species["properties"]["shape"].get("description", "")  # none declared
    assert "maxItems" not in species["properties"]["shape"]
    report = _variant(outputs, "report")
    assert report["properties"]["data"]["items"] == {"type": "object"}
    # the runtime passes on whatever the function returns: the generic tensor stays allowed
    assert outputs["items"]["anyOf"][-1] == {"$ref": "#/components/schemas/PredictOutput"}


def test_v2_response_describes_each_declared_output(client_for) -> None:
    document = _document(client_for(classify))
    outputs = document["components"]["schemas"]["V2Response"]["properties"]["outputs"]
    species = _variant(outputs, "species")
    assert species["properties"]["datatype"]["enum"] == ["BYTES"]
    assert species["properties"]["parameters"]["properties"]["content_type"]["enum"] == ["str"]
    report = _variant(outputs, "report")
    assert report["properties"]["data"]["items"] == {"type": "string"}  # JSON text in V2
    probabilities = _variant(outputs, "probabilities")
    assert probabilities["properties"]["datatype"]["enum"] == ["FP32"]
    assert probabilities["properties"]["shape"]["minItems"] == 2
    assert probabilities["description"] == "one probability per class, shape [N, 3]"


def test_real_answers_match_the_declared_output_schemas(client_for) -> None:
    c = client_for(classify)
    document = _document(c)
    schemas = document["components"]["schemas"]
    predict = c.post("/predict", json={"inputs": [FEATURES]})
    v2 = c.post("/v2/models/model/infer", json={"inputs": [FEATURES]})
    assert predict.status_code == v2.status_code == 200, (predict.text, v2.text)
    for answer, response in ((predict.json(), "PredictResponse"), (v2.json(), "V2Response")):
        _schema(document, schemas[response]).validate(answer)
        outputs = schemas[response]["properties"]["outputs"]
        for output in answer["outputs"]:  # each one fits its own declared schema, not only
            _schema(document, _variant(outputs, output["name"])).validate(output)  # the generic
    wrong = {"name": "class", "datatype": "FP32", "data": [0.5], "shape": [1, 1]}
    assert not _schema(document, _variant(
        schemas["PredictResponse"]["properties"]["outputs"], "class")).is_valid(wrong)


def test_without_declared_outputs_the_answer_is_the_generic_tensor(client_for) -> None:
    from fixtures import echo_fn

    document = _document(client_for(echo_fn.echo))
    schemas = document["components"]["schemas"]
    assert schemas["PredictResponse"]["properties"]["outputs"]["items"] == {
        "$ref": "#/components/schemas/PredictOutput"}
    assert schemas["V2Response"]["properties"]["outputs"]["items"] == {
        "$ref": "#/components/schemas/V2Output"}


# -- parameters and ignored fields ------------------------------------------------------------

def test_parameters_are_described_as_undeclared(client_for) -> None:
    document = _document(client_for(classify))
    schemas = document["components"]["schemas"]
    for schema in (schemas["PredictRequest"]["properties"]["parameters"],
                   schemas["V2Request"]["properties"]["parameters"]):
        assert "not declared by the docstring contract" in schema["description"]
        assert "examples use" not in schema["description"]


def test_parameters_the_examples_use_are_named(client_for) -> None:
    document = _document(client_for(classify, examples=EXAMPLES))
    schemas = document["components"]["schemas"]
    predict = schemas["PredictRequest"]["properties"]["parameters"]
    v2 = schemas["V2Request"]["properties"]["parameters"]
    for schema in (predict, v2):
        assert ("The examples use: top_n (e.g. 3), mode (e.g. \"fast\"), debug (e.g. null)."
                in schema["description"])
    properties = v2["properties"]
    assert list(properties) == ["top_n", "mode", "debug"]
    assert properties["top_n"]["example"] == 3 and "example" not in properties["debug"]
    assert "type" not in properties["top_n"]  # not invented: any value is passed on
    assert predict["oneOf"][1]["properties"] == properties
    assert "required" not in v2


def test_the_predict_request_does_not_advertise_model_key(client_for) -> None:
    c = client_for(classify, model_key="/models/pinned.joblib")
    document = _document(c)
    request = document["components"]["schemas"]["PredictRequest"]
    assert "model_key" not in request["properties"]
    assert "model_key" not in c.get("/openapi.json").text
    assert set(request["properties"]) == {"parameters", "inputs", "output_fields"}


# -- security --------------------------------------------------------------------------------

@pytest.mark.parametrize("setting, header, expected", [
    ("auto", "Authorization", "basic"),
    ("auto", "authorization", "basic"),
    ("auto", "X-Auth-Request-User", "none"),
    ("auto", "none", "none"),
    ("basic", "none", "basic"),
    ("oidc", "X-Auth-Request-User", "oidc"),
    ("none", "Authorization", "none"),
])
def test_security_follows_the_setting_or_the_identity_header(setting, header, expected) -> None:
    assert resolve_security(setting, header) == expected


def test_basic_auth_behind_the_gateway_is_declared(client_for) -> None:
    document = _document(client_for(classify, user_header="Authorization"))
    schemes = document["components"]["securitySchemes"]
    assert list(schemes) == ["basic"]
    assert (schemes["basic"]["type"], schemes["basic"]["scheme"]) == ("http", "basic")
    assert document["security"] == [{"basic": []}]
    for path, operations in document["paths"].items():
        for operation in operations.values():  # every operation may meet the route's 401
            assert "401" in operation["responses"], path
    assert "No valid credentials" in \
        document["paths"]["/predict"]["post"]["responses"]["401"]["description"]


def test_oidc_is_declared_as_a_bearer_scheme(client_for) -> None:
    document = _document(client_for(classify, security="oidc",
                                    user_header="X-Auth-Request-User"))
    scheme = document["components"]["securitySchemes"]["oidc"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert "OpenID Connect" in scheme["description"]
    assert document["security"] == [{"oidc": []}]


def test_no_security_scheme_when_the_route_applies_none(client_for) -> None:
    document = _document(client_for(classify))  # X-Forwarded-User, auto: unknown
    assert "security" not in document and "securitySchemes" not in document["components"]
    assert "401" not in document["paths"]["/v2/health/live"]["get"]["responses"]
    document = _document(client_for(classify, user_header="Authorization", security="none"))
    assert "security" not in document


# -- the public path prefix ------------------------------------------------------------------

def test_the_public_prefix_is_the_server_url(client_for) -> None:
    document = _document(client_for(classify, public_prefix="/pu-alice-pa-iris/iris"))
    assert [s["url"] for s in document["servers"]] == ["/pu-alice-pa-iris/iris"]
    assert "/predict" in document["paths"]  # paths stay as the service serves them
    assert "servers" not in _document(client_for(classify))


def _settings(monkeypatch, argv: list[str], **env: str):
    for name in ("MLCC_SECURITY", "MLCC_PUBLIC_PREFIX", "MLCC_USER_HEADER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return serve_settings(build_parser().parse_args(["serve", "--function", "m.f", *argv]))


def test_the_settings_come_from_flags_or_environment(monkeypatch) -> None:
    defaults = _settings(monkeypatch, [])
    assert (defaults.security, defaults.public_prefix) == ("auto", "")
    from_env = _settings(monkeypatch, [], MLCC_SECURITY="OIDC",
                         MLCC_PUBLIC_PREFIX="pu-alice-pa-iris/iris/")
    assert (from_env.security, from_env.public_prefix) == ("oidc", "/pu-alice-pa-iris/iris")
    flags = _settings(monkeypatch, ["--security", "basic", "--public-prefix", "/"],
                      MLCC_SECURITY="oidc", MLCC_PUBLIC_PREFIX="/x")
    assert (flags.security, flags.public_prefix) == ("basic", "")


@pytest.mark.parametrize("env", [{"MLCC_SECURITY": "bearer"},
                                 {"MLCC_PUBLIC_PREFIX": "/ns/../x"},
                                 {"MLCC_PUBLIC_PREFIX": "https://ml.example.com/ns"},
                                 {"MLCC_PUBLIC_PREFIX": "/ns/a b"}])
def test_bad_settings_are_usage_errors(monkeypatch, capsys, env) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _settings(monkeypatch, [], **env)
    assert exit_info.value.code == 2
    assert next(iter(env)) in capsys.readouterr().err
