"""Example requests: the examples file, the warm-up before readiness, the OpenAPI examples."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from rt_support import HERE, free_port, make_service, post_json, serve_process
from fixtures import echo_fn
from mlcc_runtime.config import FileBox
from mlcc_runtime.examples import Example, load_examples, parse_examples

SETOSA = {"name": "setosa", "summary": "a short flower",
          "request": {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2],
                                  "data": [1.0, 2.0]}]}}


# -- the file format ------------------------------------------------------------------------

def test_a_valid_file_parses_in_order() -> None:
    other = {"name": "two.b-c_d", "request": {
        "inputs": [{"name": "x", "datatype": "FP32", "data": [[1, 2], [3, 4]], "shape": 0}],
        "parameters": {"k": 1}, "output_fields": ["y", {"name": "z"}]}}
    examples = parse_examples(json.dumps([SETOSA, other]))
    assert examples == [Example("setosa", SETOSA["request"], "a short flower"),
                        Example("two.b-c_d", other["request"], "")]


@pytest.mark.parametrize("doc, message", [
    ("[{", "not valid JSON: "),
    ('{"name": "a"}', "must be a JSON list of examples, got an object"),
    ("[]", "holds no example"),
    ("[3]", "examples[0]: must be an object with 'name' and 'request', got a number"),
    ([{"request": {"inputs": []}}], "examples[0]: 'name' must be a string"),
    ([{"name": "big flower", "request": {"inputs": []}}],
     "examples[0] ('big flower'): 'name' must be a string of letters"),
    ([SETOSA, SETOSA], "examples[1]: name 'setosa' is used twice"),
    ([{"name": "a", "sumary": "x", "request": {"inputs": []}}],
     "examples[0] ('a'): unknown field 'sumary'; expected name, summary, request"),
    ([{"name": "a", "summary": 3, "request": {"inputs": []}}],
     "examples[0] ('a'): 'summary' must be a string, got a number"),
    ([{"name": "a"}], "examples[0] ('a'): 'request' is missing"),
    ([{"name": "a", "request": []}], "examples[0] ('a'): request: must be an object"),
    ([{"name": "a", "request": {"inputs": [], "model_key": "m"}}],
     "examples[0] ('a'): request: unknown field 'model_key'"),
    ([{"name": "a", "request": {"parameters": []}}],
     "examples[0] ('a'): request.inputs: must be a list of tensors, got null"),
    ([{"name": "a", "request": {"inputs": [{"name": "x", "datatype": "FP32"}]}}],
     "examples[0] ('a'): request.inputs[0].data: is missing"),
    ([{"name": "a", "request": {"inputs": [{"name": "x", "datatype": 3, "data": []}]}}],
     "examples[0] ('a'): request.inputs[0].datatype: must be a non-empty string, got a number"),
    ([{"name": "a", "request": {"inputs": [{"name": "x", "datatype": "FP32", "data": [],
                                            "shape": [-1]}]}}],
     "request.inputs[0].shape: must be a list of non-negative integers"),
    ([{"name": "a", "request": {"inputs": [{"name": "x", "datatype": "FP32", "data": [1],
                                            "parameters": {}}]}}],
     "request.inputs[0]: unknown field 'parameters'"),
    ([{"name": "a", "request": {"inputs": [], "parameters": [{"value": 1}]}}],
     "examples[0] ('a'): request.parameters[0]: must be an object with a string 'name'"),
    ([{"name": "a", "request": {"inputs": [], "parameters": "k=1"}}],
     "request.parameters: must be a list of {name, value} or an object, got a string"),
    ([{"name": "a", "request": {"inputs": [], "output_fields": [3]}}],
     "request.output_fields[0]: must be a name or an object with a string 'name'"),
])
def test_mistakes_name_the_example_and_the_field(doc, message) -> None:
    text = doc if isinstance(doc, str) else json.dumps(doc)
    with pytest.raises(ValueError) as info:
        parse_examples(text)
    assert message in str(info.value)


def test_load_names_the_file(tmp_path) -> None:
    path = tmp_path / "examples.json"
    with pytest.raises(ValueError, match=f"examples file {path}: cannot read it"):
        load_examples(str(path))
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ValueError, match=f"examples file {path}: not UTF-8"):
        load_examples(str(path))


def test_the_parser_is_standard_library_only(tmp_path) -> None:
    """The compiler loads the same file: it must run without the runtime's dependencies."""
    source = Path(sys.modules[parse_examples.__module__].__file__)
    code = ("import importlib.util, json, sys\n"
            f"spec = importlib.util.spec_from_file_location('examples', {str(source)!r})\n"
            "mod = importlib.util.module_from_spec(spec)\n"
            "sys.modules['examples'] = mod\n"
            "spec.loader.exec_module(mod)\n"
            f"print(mod.parse_examples({json.dumps([SETOSA])!r})[0].name)\n")
    # -I -S: no site-packages at all, so any import of a third-party package would fail
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "setosa"


# -- start-up: a bad examples file stops serve ----------------------------------------------

@pytest.mark.parametrize("content, message", [
    ("[{", "not valid JSON"),
    (json.dumps([{"name": "a", "request": {"inputs": {}}}]),
     "examples[0] ('a'): request.inputs: must be a list"),
    (json.dumps([SETOSA, {"name": "wrong", "request": {"inputs": [
        {"name": "z", "datatype": "FP32", "data": [1]}]}}]),
     "examples[1] ('wrong') does not fit the function's contract: unknown input 'z'"),
    (json.dumps([{"name": "s", "request": {"inputs": [
        {"name": "x", "datatype": "str", "data": ["a"]}]}}]),
     "examples[0] ('s') does not fit the function's contract: input 'x' has datatype str"),
])
def test_a_bad_examples_file_exits_2_with_one_line(tmp_path, content, message) -> None:
    path = tmp_path / "examples.json"
    path.write_text(content)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLCC_")}
    env.update({"MLCC_PYTHON_PATH": str(HERE), "MLCC_FUNCTION": "fixtures.warm_fn.classify",
                "MLCC_EXAMPLES_FILE": str(path), "MLCC_PORT": str(free_port()),
                "MLCC_HOST": "127.0.0.1"})
    result = subprocess.run([sys.executable, "-m", "mlcc_runtime", "serve"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    entry = json.loads(line)
    assert entry["level"] == "error"
    assert entry["message"].startswith(f"cannot start: examples file {path}: ")
    assert message in entry["message"]


# -- warm-up on a real server ---------------------------------------------------------------

def _status(url: str) -> tuple[int, str]:
    """A health answer: its status and why it is not ready (the body is empty, as the Open
    Inference Protocol has it)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            assert r.read() == b""
            return r.status, r.headers.get("Mlcc-Not-Ready", "")
    except urllib.error.HTTPError as e:
        assert e.read() == b""
        return e.code, e.headers.get("Mlcc-Not-Ready", "")


def _warm_env(tmp_path, model_key: str, load_seconds: float = 0.0) -> dict[str, str]:
    request = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2], "data": [1.0, 2.0]}],
               "parameters": [{"name": "load_seconds", "value": load_seconds}]}
    examples = tmp_path / "examples.json"
    examples.write_text(json.dumps([{"name": "setosa", "request": request}]))
    return {"MLCC_PYTHON_PATH": str(HERE), "MLCC_FUNCTION": "fixtures.warm_fn.classify",
            "MLCC_MODEL_KEY": model_key, "MLCC_EXAMPLES_FILE": str(examples)}


def test_warm_up_loads_the_model_before_readiness(tmp_path) -> None:
    model = tmp_path / "model.txt"
    model.write_text("setosa\n")
    env = _warm_env(tmp_path, str(model), load_seconds=1.5)
    with serve_process(env, wait_for="/v2/health/live") as (proc, base):
        status, reason = _status(base + "/v2/health/ready")
        assert status == 400  # the example is still loading the model
        assert reason == "warming up with example 'setosa'"
        assert _status(base + "/v2/models/model/ready")[0] == 400
        deadline = time.monotonic() + 20
        while _status(base + "/v2/health/ready")[0] != 200:
            assert time.monotonic() < deadline, "never became ready"
            time.sleep(0.05)
        assert _status(base + "/v2/models/model/ready") == (200, "")
        with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
            assert "mlcc_model_loaded 1.0" in r.read().decode()  # loaded before any call
        started = time.monotonic()
        status, answer = post_json(base + "/predict", {"inputs": [
            {"name": "x", "datatype": "FP32", "data": [5.0]}]})
        assert time.monotonic() - started < 1.0  # no model load in the first call
        assert status == 200
        outputs = {o["name"]: o["data"] for o in answer["outputs"]}
        assert outputs == {"label": ["setosa"], "loads": [1]}  # the warm-up's model, reused


def test_a_failed_warm_up_keeps_readiness_false_and_logs_the_cause(tmp_path) -> None:
    missing = tmp_path / "no-such-model.txt"
    with serve_process(_warm_env(tmp_path, str(missing)), wait_for="/v2/health/live") \
            as (proc, base):
        deadline = time.monotonic() + 10
        while True:
            status, reason = _status(base + "/v2/health/ready")
            if "failed" in reason or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert status == 400
        assert reason == ("warm-up with example 'setosa' failed; see the "
                          "service log")  # the cause's text is not for the public
        time.sleep(0.3)
        assert _status(base + "/v2/health/ready")[0] == 400  # it stays not ready
        assert _status(base + "/v2/health/live") == (200, "")  # no crash loop
        assert _status(base + "/v2/models/model/ready")[0] == 400
        assert proc.poll() is None
        proc.terminate()
        proc.wait(15)
        logs = [json.loads(line) for line in proc.stdout.read().splitlines()
                if line.startswith("{")]
    failures = [e for e in logs if e["level"] == "error"]
    assert len(failures) == 1, failures  # one line, the traceback in its exception field
    (failure,) = failures
    assert failure["message"] == (
        "warm-up with example 'setosa' failed, readiness stays false: the inference function "
        f"raised FileNotFoundError: [Errno 2] No such file or directory: '{missing}'")
    assert "warm_fn.py" in failure["exception"] and "read_text" in failure["exception"]


def test_without_examples_ready_at_once_and_the_model_loads_on_the_first_call(client_for) \
        -> None:
    from fixtures import warm_fn

    c = client_for(warm_fn.classify, model_key="/nonexistent/model")
    assert c.get("/v2/health/ready").status_code == 200
    assert "mlcc_model_loaded 0.0" in c.get("/metrics").text
    r = c.post("/predict", json={"inputs": [{"name": "x", "datatype": "FP32", "data": [1.0]}]})
    assert r.status_code == 500  # the missing model shows on the first call, as before


def _wait_ready(client, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while True:
        r = client.get("/v2/health/ready")
        if r.status_code == 200 or time.monotonic() > deadline:
            return r
        time.sleep(0.02)


def test_warm_up_with_files_uses_box_keys_and_leaves_no_output(client_for, s3, bucket,
                                                               tmp_path) -> None:
    s3.put_object(Bucket=bucket, Key="pfx/users/developer/file_groups/examples/note.txt",
                  Body=b"warm")
    example = Example("note", {"inputs": [{"name": "doc", "datatype": "FILE", "data": [
        "users/developer/file_groups/examples/note.txt"]}]})
    box = FileBox(bucket=bucket, prefix="pfx", local_path=str(tmp_path / "files"))
    c = client_for(echo_fn.upper_file, files=box, examples=[example])  # identity on (default)
    r = _wait_ready(c)
    assert r.status_code == 200, r.text
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["pfx/users/developer/file_groups/examples/note.txt"]  # output deleted
    assert list((tmp_path / "files").iterdir()) == []
    # requests still need a user: the warm-up's box keys are not the callers'
    r = c.post("/predict", json=example.request)
    assert r.status_code == 401


def test_a_function_rejecting_the_example_is_a_failed_warm_up(client_for, caplog) -> None:
    example = Example("bad", {"inputs": [], "parameters": [{"name": "kind", "value": "value"}]})
    with caplog.at_level("ERROR"):
        c = client_for(echo_fn.raising, examples=[example])
        deadline = time.monotonic() + 10
        while "failed" not in c.get("/v2/health/ready").headers.get("Mlcc-Not-Ready", ""):
            assert time.monotonic() < deadline
            time.sleep(0.02)
    assert c.get("/v2/health/ready").status_code == 400
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.getMessage().endswith("invalid input: x must be positive")
    assert isinstance(record.exc_info[1], ValueError)


# -- OpenAPI --------------------------------------------------------------------------------

TYPED = [
    Example("numbers", {"inputs": [{"name": "a", "datatype": "FP32", "shape": [2, 2],
                                    "data": [[1, 2], [3, 4]]}]}, "a 2x2 matrix"),
    Example("everything", {
        "inputs": [{"name": "a", "datatype": "FP64", "data": [0.5]},
                   {"name": "n", "datatype": "INT32", "shape": 2, "data": [1, 2]},
                   {"name": "s", "datatype": "str", "data": ["héllo"]},
                   {"name": "d", "datatype": "dict", "data": [{"k": [1, "v"]}]}],
        "parameters": {"threshold": 0.5, "mode": "fast"},
        "output_fields": [{"name": "a"}]}),
]


def test_openapi_shows_the_examples_and_the_v2_ones_answer_the_same(client_for) -> None:
    c = client_for(echo_fn.typed_echo, examples=TYPED)
    assert _wait_ready(c).status_code == 200
    doc = c.get("/openapi.json").json()
    predict = doc["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert predict["examples"] == {
        "numbers": {"summary": "a 2x2 matrix", "value": TYPED[0].request},
        "everything": {"value": TYPED[1].request}}
    for path in ("/v2/models/{model_name}/infer",
                 "/v2/models/{model_name}/versions/{version}/infer"):
        v2 = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert list(v2["examples"]) == ["numbers", "everything"]
    v2 = doc["paths"]["/v2/models/{model_name}/infer"]["post"]["requestBody"]["content"][
        "application/json"]["examples"]
    assert v2["numbers"]["value"] == {"inputs": [
        {"name": "a", "datatype": "FP32", "shape": [2, 2], "data": [1, 2, 3, 4]}]}
    assert v2["everything"]["value"]["inputs"][3] == {
        "name": "d", "datatype": "BYTES", "shape": [1], "parameters": {"content_type": "dict"},
        "data": ['{"k":[1,"v"]}']}
    assert v2["everything"]["value"]["parameters"] == {"threshold": 0.5, "mode": "fast"}
    assert v2["everything"]["value"]["outputs"] == [{"name": "a"}]
    for example in TYPED:  # each V2 example is a request V2 infer takes, with the same result
        by_predict = c.post("/predict", json=example.request)
        by_v2 = c.post("/v2/models/model/infer", json=v2[example.name]["value"])
        assert by_predict.status_code == by_v2.status_code == 200, by_v2.text
        assert _values(by_predict.json()["outputs"]) == _values(by_v2.json()["outputs"])


def _values(outputs: list[dict]) -> list[tuple]:
    """(name, data, shape) of each output; V2's dict elements are JSON text."""
    out = []
    for o in outputs:
        data = o["data"]
        if o.get("parameters", {}).get("content_type") == "dict":
            data = [json.loads(v) for v in data]
        out.append((o["name"], data, o["shape"]))
    return out


def test_openapi_without_examples_has_none(client_for) -> None:
    doc = client_for(echo_fn.scale).get("/openapi.json").json()
    assert "examples" not in doc["paths"]["/predict"]["post"]["requestBody"]["content"][
        "application/json"]


def test_make_service_with_examples_validates_them() -> None:
    with pytest.raises(ValueError, match=r"examples\[0\] \('x'\) does not fit"):
        make_service(echo_fn.scale, examples=[Example("x", {"inputs": []})])
