"""Who the caller is: the header the gateway sets, basic-auth user names, or nobody."""

import base64

import pytest

from mlcc_runtime.identity import Unauthenticated, caller, required_caller


def basic(user: str, password: str = "pw") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_plain_header_names_the_user():
    assert caller("X-Auth-Request-User", "alice") == "alice"


def test_basic_auth_user_name_is_decoded():
    assert caller("Authorization", basic("alice", "s:e:c")) == "alice"


@pytest.mark.parametrize("header", ["none", "", "NONE"])
def test_identity_off_ignores_any_header(header):
    assert caller(header, "mallory") is None


def test_missing_value_is_anonymous():
    assert caller("Authorization", None) is None


@pytest.mark.parametrize("value", ["Bearer abc", "Basic !!!", basic("../etc"), basic("a/b")])
def test_malformed_or_unsafe_identities_are_rejected(value):
    with pytest.raises(ValueError):
        caller("Authorization", value)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_file_requests_fail_closed_without_a_user(value):
    with pytest.raises(Unauthenticated, match="X-Auth-Request-User is missing or empty"):
        required_caller("X-Auth-Request-User", value)
    assert required_caller("none", value) is None  # identity off: box keys, anonymous outputs
    assert required_caller("X-Auth-Request-User", "alice") == "alice"


# -- the identity header given twice (a proxy may check one copy and pass the other) ----------

def test_one_value_or_none_and_never_two():
    from mlcc_runtime.identity import single

    assert single("X-Forwarded-User", ["alice"]) == "alice"
    assert single("X-Forwarded-User", []) is None
    with pytest.raises(ValueError, match="given 2 times"):
        single("X-Forwarded-User", ["alice", "bob"])
    with pytest.raises(ValueError):
        single("X-Forwarded-User", ["alice", "alice"])  # even the same name: not one header
    assert single("none", ["alice", "bob"]) is None  # identity off: no header is read


TWICE = [("X-Forwarded-User", "alice"), ("X-Forwarded-User", "bob")]
FP = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1.0]}]}


@pytest.mark.parametrize("path", ["/predict", "/v2/models/model/infer",
                                  "/v2/models/model/versions/1/infer"])
def test_the_runtime_answers_400_to_a_repeated_identity_header(client_for, path):
    from fixtures import echo_fn

    c = client_for(echo_fn.echo)
    r = c.post(path, json=FP, headers=TWICE)
    assert r.status_code == 400
    assert r.json() == {"error": "X-Forwarded-User: given 2 times; a request names one caller"}
    assert c.post(path, json=FP, headers=TWICE[:1]).status_code == 200
    basic_twice = [("Authorization", basic("alice")), ("Authorization", basic("bob"))]
    c = client_for(echo_fn.echo, user_header="Authorization")
    assert c.post(path, json=FP, headers=basic_twice).status_code == 400
    c = client_for(echo_fn.echo, user_header="none")
    assert c.post(path, json=FP, headers=TWICE).status_code == 200  # not read at all


def test_a_repeated_identity_header_reaches_the_runtime_and_is_refused():
    """Through real HTTP (uvicorn keeps both lines), before the body is read."""
    import http.client

    from rt_support import HERE, serve_process

    env = {"MLCC_PYTHON_PATH": str(HERE), "MLCC_FUNCTION": "fixtures.echo_fn.echo"}
    with serve_process(env) as (_, base):
        host, port = base.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.putrequest("POST", "/predict")
        conn.putheader("X-Forwarded-User", "alice")
        conn.putheader("X-Forwarded-User", "bob")
        conn.putheader("Content-Length", "1000000")  # never sent: refused before reading it
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 400
        assert b"given 2 times" in response.read()
        conn.close()


def test_the_file_api_answers_400_to_a_repeated_identity_header():
    from starlette.testclient import TestClient

    from mlcc_runtime.fileapi import create_app, parse_boxes

    with TestClient(create_app(parse_boxes(["box=s3://bucket/prefix"]))) as c:
        r = c.get("/files/box/g/a.txt", headers=TWICE)
        assert r.status_code == 400 and "given 2 times" in r.json()["error"]
        r = c.put("/files/box/g/a.txt", headers=TWICE)
        assert r.status_code == 400
