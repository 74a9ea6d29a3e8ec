"""A newcomer's journey, following only the README and the docs it links, with the installed `mlcc`
command as they would type it (issue 14, "Done when"):

`mlcc init` → train → release the model (`mlcc model push --local`) → `mlcc run` → predict through
`/predict`, the Open Inference Protocol (V2 JSON) and `tritonclient` → upload a file through the file
API → a FILE input → download the FILE output by the key returned → release a second model version
→ the service answers with the new one. `mlcc run --smoke` passes on the scaffold and after the
release.

Sources, step by step: README "Start a module" (`mlcc init`, `mlcc lint`, `mlcc run`) and "Try it
locally" (`--port`, `--credentials` lines `SECRET user:password`, the routes it prints);
docs/model-releases.md (a model file trained outside the module, `mlcc model push FILE MODULE --local`
gives it a content-addressed name in the seed and rewrites `modelPath`; then run the module again);
docs/wire-formats.md (`/predict`, `POST …/v2/models/<component name>/infer`, `tritonclient` with the
route as its URL); docs/files.md (two-step upload, FILE inputs named relative to the caller's folder,
FILE outputs written next to the input file and downloaded by the key exactly as returned);
docs/inference-function.md (the docstring contract: `:type inputs.NAME: FILE, optional`);
docs/examples-and-warm-up.md (`mlcc run --smoke`).

The FILE steps: the scaffold already has everything files need but a FILE field. Its manifests
connect the box `users` with `copyS3Box` as the component's `fileExchange.fileBox`, publish a file
API over that box (`files-api.yaml`) and pass the caller's identity through; so the honest newcomer
path is the one docs/files.md describes for a developer: declare a FILE input in the docstring of
the scaffolded function (here an optional CSV `table` of rows next to the optional `x`), write the
FILE output next to the input file, and return its path. No second module and no manifest edit.

Findings this test pins (see the commit message and the report of issue 14):

- `tritonclient.http.InferenceServerClient` honours a path prefix in its URL (since
  triton-inference-server/server#2062, 2020: the client keeps the URL's path as a base and prefixes
  every request with it), so `InferenceServerClient("127.0.0.1:PORT/<namespace>/<path>")` reaches
  the component through the gateway, as docs/wire-formats.md says. A trailing `/` is stripped.
- A pre-signed upload sent as a Python newcomer sends it (`urllib.request.Request(url, data=...,
  method="PUT")`, which adds `Content-Type: application/x-www-form-urlencoded`, as `curl -X PUT
  --data-binary` does) was stored by `mlcc run`'s loopback S3 server as an **empty** object, with
  200: moto's server parses such a body as a form. Real S3 stores the bytes. Fixed in
  `compiler/mlcc/tools/local/storage.py`; this test uploads exactly that way.
"""

from __future__ import annotations

import base64
import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("moto")
pytest.importorskip("boto3")
pytest.importorskip("mlcc_runtime")
np = pytest.importorskip("numpy")
httpclient = pytest.importorskip("tritonclient.http")

MLCC = str(Path(sys.executable).parent / "mlcc")  # the installed console script, as a newcomer types it
USER, PASSWORD = "bob", "s3cret"
MODULE = "modules/scorer"
MODEL_NAME = "scorer-mlcmp"  # V2's <model> is the MLComponent's name; `mlcc init` names it <module>-mlcmp
START_TIMEOUT = 60.0
ROWS = [[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]]
V1 = {"weights": [1.0, 2.0, 3.0], "bias": 0.5}
V2 = {"weights": [-1.0, 0.0, 2.0], "bias": -0.25}


def scores(model: dict, rows: list[list[float]]) -> list[float]:
    return [sum(w * v for w, v in zip(model["weights"], row)) + model["bias"] for row in rows]


# The newcomer's edit of the scaffolded function: an optional FILE input next to `x`, and a FILE
# output written next to the input file (docs/files.md "FILE outputs"). The scoring is the scaffold's.
PREDICT_WITH_FILES = '''"""Inference entry point of module scorer: a linear scorer whose weights are the model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def inference(parameters: list[dict], inputs: list[dict], output_fields: list[dict],
              model_key: str, model: Any = None) -> tuple[list[dict], Any]:
    """Score each row of ``x``, or of the CSV file ``table``, with the weights stored at ``model_key``.

    :param inputs.x: feature rows, flat, ``len(weights)`` values per row
    :type inputs.x: FP32, optional
    :param inputs.table: a CSV file of feature rows, one row per line
    :type inputs.table: FILE, optional
    :param outputs.score: one score per row
    :type outputs.score: FP32
    :param outputs.scores_file: the scores of ``table``, one per line
    :type outputs.scores_file: FILE
    """
    if model is None:  # first call: load once, the runtime hands it back on every later call
        with open(model_key, encoding="utf-8") as handle:
            model = json.load(handle)
    weights, bias = model["weights"], model["bias"]
    by_name = {i["name"]: i for i in inputs}
    if ("x" in by_name) == ("table" in by_name):
        raise ValueError("give either x or table")
    table = None
    if "table" in by_name:
        table = Path(by_name["table"]["data"][0])  # the local path the runtime downloaded the key to
        values = [float(v) for line in table.read_text().splitlines() if line.strip() for v in line.split(",")]
    else:
        values = by_name["x"]["data"]
    if len(values) % len(weights):
        raise ValueError(f"{len(values)} values, not a multiple of {len(weights)}")
    rows = [values[i:i + len(weights)] for i in range(0, len(values), len(weights))]
    scores = [sum(w * v for w, v in zip(weights, row)) + bias for row in rows]
    wanted = [f["name"] for f in output_fields] or ["score", "scores_file"]
    outputs = []
    if "score" in wanted:
        outputs.append({"name": "score", "datatype": "FP32", "data": scores, "shape": [len(scores)]})
    if "scores_file" in wanted and table is not None:
        written = table.with_name(f"{table.stem}.scores.csv")  # next to the input file
        written.write_text("".join(f"{s}\\n" for s in scores))
        outputs.append({"name": "scores_file", "datatype": "FILE", "content_type": "text/csv",
                        "data": [str(written)], "shape": [1]})
    return outputs, model
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mlcc(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([MLCC, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def auth_header() -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}


def http(method: str, url: str, body: dict | None = None, auth: bool = True) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", **(auth_header() if auth else {})}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def fetch(url: str) -> bytes:
    """A pre-signed URL, fetched as any client would (no credentials: the URL is the credential)."""
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return response.read()


class Run:
    """`mlcc run MODULE --port P --credentials FILE` in the background (the newcomer's first terminal).

    Ctrl-C is SIGINT to `mlcc run`; it stops its runtimes, S3 server and gateway itself."""

    def __init__(self, cwd: Path, credentials: Path, log_name: str) -> None:
        self.port = free_port()
        self.log = cwd / log_name
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(
                [MLCC, "run", MODULE, "--port", str(self.port), "--credentials", str(credentials)],
                cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while "press Ctrl-C to stop" not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"mlcc run did not start:\n{self.output()}")
            time.sleep(0.1)
        # The routes as `mlcc run` prints them: "route http://127.0.0.1:P/<ns>/<path>/ → <service>".
        printed = re.findall(r"^route (\S+) → (\S+)$", self.output(), re.M)
        self.routes = {service: url for url, service in printed}

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def smoke(cwd: Path) -> None:
    result = mlcc(cwd, "run", MODULE, "--smoke", "--port", str(free_port()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^smoke scorer-mlcmp example 'two-rows': 200$", result.stdout, re.M), result.stdout
    assert "1 of 1 example(s) answered 200" in result.stdout


def test_newcomer_from_init_to_a_second_model_version(tmp_path):
    started = time.monotonic()
    timings: dict[str, float] = {}

    def lap(step: str) -> None:
        timings[step] = round(time.monotonic() - started, 1)

    # 1. README "Start a module": init, lint, and the scaffold's examples pass --smoke at once.
    created = mlcc(tmp_path, "init", MODULE, "--owner", USER)
    assert created.returncode == 0, created.stderr
    module = tmp_path / MODULE
    manifest = module / "scorer-mlcmp.yaml"
    lint = mlcc(tmp_path, "lint", MODULE)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    smoke(tmp_path)
    lap("init, lint, smoke")

    # 2. "Train": the model format is the scaffold's, a JSON file of weights, written outside the module.
    trained = tmp_path / "training"
    trained.mkdir()
    v1 = trained / "model.json"
    v1.write_text(json.dumps(V1))

    # 3. Release it locally (docs/model-releases.md, "Try it locally: --local").
    pushed = mlcc(tmp_path, "model", "push", str(v1), MODULE, "--local")
    assert pushed.returncode == 0, pushed.stderr
    seed = module / "data/models/users/developer/file_groups/models"
    v1_name = next(p.name for p in seed.glob("model-*.json"))
    assert re.fullmatch(r"model-[0-9a-f]{12}\.json", v1_name)
    assert (seed / v1_name).read_bytes() == v1.read_bytes()
    assert f"modelPath: /home/app/models/{v1_name}" in manifest.read_text()
    assert f"stored {MODULE}/data/models/users/developer/file_groups/models/{v1_name}" in pushed.stdout
    assert f"/home/app/models/model.json -> /home/app/models/{v1_name}" in pushed.stdout
    again = mlcc(tmp_path, "model", "push", str(v1), MODULE, "--local")  # the same bytes: the same name
    assert again.returncode == 0 and "nothing to commit" in again.stdout, again.stdout + again.stderr

    # 6 (preparation). The developer adds a FILE input to the scaffolded function (docs/files.md).
    (module / "scorer/predict.py").write_text(PREDICT_WITH_FILES)
    lint = mlcc(tmp_path, "lint", MODULE)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    lap("train, push v1, extend")

    # 4. `mlcc run` with a known password.
    credentials = tmp_path / "creds"
    credentials.write_text(f"scorer-apis-cred {USER}:{PASSWORD}\n")
    run = Run(tmp_path, credentials, "run-v1.log")
    try:
        assert f"basic auth scorer-apis-cred: user '{USER}', password '{PASSWORD}'" in run.output()
        api = run.routes[MODEL_NAME]  # http://127.0.0.1:P/pu-bob-pa-scorer/scorer/
        files = run.routes["files-users"]  # http://127.0.0.1:P/pu-bob-pa-scorer/files/users/
        assert api == f"http://127.0.0.1:{run.port}/pu-bob-pa-scorer/scorer/"
        assert files == f"http://127.0.0.1:{run.port}/pu-bob-pa-scorer/files/users/"
        lap("mlcc run v1 up")

        # 5. Predict: /predict, V2 JSON, tritonclient (binary tensors by default).
        x = {"name": "x", "datatype": "FP32", "shape": [2, 3], "data": [v for row in ROWS for v in row]}
        status, answer = http("POST", api + "predict", {"inputs": [x]})
        assert status == 200, answer
        assert answer["outputs"] == [
            {"name": "score", "datatype": "FP32", "data": scores(V1, ROWS), "shape": [2], "content_type": None}
        ]
        status, _ = http("POST", api + "predict", {"inputs": [x]}, auth=False)
        assert status == 401
        status, answer = http("POST", api + f"v2/models/{MODEL_NAME}/infer", {"id": "r1", "inputs": [x]})
        assert status == 200, answer
        assert answer == {"model_name": MODEL_NAME, "id": "r1", "outputs": [
            {"name": "score", "datatype": "FP32", "shape": [2], "data": scores(V1, ROWS)}]}

        # tritonclient takes host:port and the route's path prefix as its URL, without the scheme.
        triton_url = api.removeprefix("http://")
        with httpclient.InferenceServerClient(triton_url, connection_timeout=30, network_timeout=30) as client:
            assert client.is_server_ready(headers=auth_header())
            assert client.is_model_ready(MODEL_NAME, headers=auth_header())
            metadata = client.get_model_metadata(MODEL_NAME, headers=auth_header())
            assert [i["name"] for i in metadata["inputs"]] == ["x", "table"]
            tensor = httpclient.InferInput("x", [2, 3], "FP32")
            tensor.set_data_from_numpy(np.array(ROWS, dtype=np.float32))
            result = client.infer(MODEL_NAME, [tensor], headers=auth_header(),
                                  outputs=[httpclient.InferRequestedOutput("score")])
            assert result.get_response()["outputs"][0]["parameters"] == {"binary_data_size": 8}  # binary, really
            assert result.as_numpy("score").tolist() == scores(V1, ROWS)
        lap("predict v1 (predict, V2, tritonclient)")

        # 6. Upload a file in two steps: PUT to the file API (no body) answers a pre-signed URL;
        # PUT the bytes there, as urllib sends them by default.
        table = b"1,2,3\n0.5,0.5,0.5\n"
        status, answer = http("PUT", files + "inbox/rows.csv")
        assert status == 200, answer
        assert answer["key"] == f"users/{USER}/file_groups/inbox/rows.csv" and answer["method"] == "PUT"
        upload = urllib.request.Request(answer["url"], data=table, method="PUT")
        with urllib.request.urlopen(upload, timeout=30) as response:
            assert response.status == 200
        status, answer = http("GET", files + "inbox/rows.csv")
        assert status == 200, answer
        assert fetch(answer["url"]) == table, "the uploaded file did not keep its bytes"
        # A PUT that carries the file itself to the file API is refused, saying why (not dropped).
        direct = urllib.request.Request(files + "inbox/direct.csv", data=table, method="PUT", headers=auth_header())
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(direct, timeout=30)
        assert refused.value.code == 400

        # The FILE input names the upload relative to the caller's folder; the FILE output comes
        # back as a box key, downloaded through the file API exactly as returned.
        status, answer = http("POST", api + "predict",
                              {"inputs": [{"name": "table", "datatype": "FILE", "data": ["inbox/rows.csv"]}]})
        assert status == 200, answer
        outputs = {o["name"]: o for o in answer["outputs"]}
        assert outputs["score"]["data"] == scores(V1, ROWS)
        assert outputs["scores_file"]["datatype"] == "FILE"
        assert outputs["scores_file"]["content_type"] == "text/csv"
        key = outputs["scores_file"]["data"][0]
        assert re.fullmatch(rf"users/{USER}/file_groups/outputs/[^/]+/rows\.scores\.csv", key), key
        status, answer = http("GET", files + key)
        assert status == 200, answer
        assert answer["key"] == key and answer["method"] == "GET"
        expected = "".join(f"{s}\n" for s in scores(V1, ROWS)).encode()
        assert fetch(answer["url"]) == expected

        # The same FILE input through tritonclient: BYTES elements are box keys (docs/wire-formats.md).
        with httpclient.InferenceServerClient(triton_url, connection_timeout=30, network_timeout=30) as client:
            tensor = httpclient.InferInput("table", [1], "BYTES")
            tensor.set_data_from_numpy(np.array([b"inbox/rows.csv"], dtype=object))
            result = client.infer(MODEL_NAME, [tensor], headers=auth_header(),
                                  outputs=[httpclient.InferRequestedOutput("scores_file")])
            [triton_key] = result.as_numpy("scores_file").tolist()
        triton_key = triton_key.decode()
        assert triton_key != key and triton_key.endswith("/rows.scores.csv")
        status, answer = http("GET", files + triton_key)
        assert status == 200, answer
        assert fetch(answer["url"]) == expected
        lap("upload, FILE in, FILE out downloaded")

        # 7. Train and release a second version while the service runs.
        v2 = trained / "model.json"
        v2.write_text(json.dumps(V2))
        pushed = mlcc(tmp_path, "model", "push", str(v2), MODULE, "--local")
        assert pushed.returncode == 0, pushed.stderr
    finally:
        exit_code = run.stop()  # always stopped; a failure above keeps its own message
    assert exit_code == 0 and "stopped" in run.output() and "Traceback" not in run.output(), run.output()
    lap("push v2, stop v1")

    v2_name = next(p.name for p in seed.glob("model-*.json") if p.name != v1_name)
    assert (seed / v1_name).is_file()  # every version stays in the box: `git revert` rolls back
    assert f"modelPath: /home/app/models/{v2_name}" in manifest.read_text()
    assert f"/home/app/models/{v1_name} -> /home/app/models/{v2_name}" in pushed.stdout

    # Locally, the pod roll is Ctrl-C and `mlcc run` again; the docs' check of a release first.
    smoke(tmp_path)
    lap("smoke v2")
    run = Run(tmp_path, credentials, "run-v2.log")
    try:
        api = run.routes[MODEL_NAME]
        status, answer = http("POST", api + "predict", {"inputs": [x]})
        assert status == 200, answer
        assert answer["outputs"][0]["data"] == scores(V2, ROWS)
        status, answer = http("POST", api + f"v2/models/{MODEL_NAME}/infer", {"inputs": [x]})
        assert status == 200, answer
        assert answer["outputs"][0]["data"] == scores(V2, ROWS)
        # The box `users` is seeded afresh by each run (nothing in data/users): upload again.
        status, answer = http("PUT", run.routes["files-users"] + "inbox/rows.csv")
        assert status == 200, answer
        with urllib.request.urlopen(urllib.request.Request(answer["url"], data=table, method="PUT"), timeout=30):
            pass
        status, answer = http("POST", api + "predict",
                              {"inputs": [{"name": "table", "datatype": "FILE", "data": ["inbox/rows.csv"]}],
                               "output_fields": ["scores_file"]})
        assert status == 200, answer
        [only] = answer["outputs"]
        status, answer = http("GET", run.routes["files-users"] + only["data"][0])
        assert status == 200, answer
        assert fetch(answer["url"]) == "".join(f"{s}\n" for s in scores(V2, ROWS)).encode()
        lap("v2 answers")
    finally:
        exit_code = run.stop()
    assert exit_code == 0 and "stopped" in run.output() and "Traceback" not in run.output(), run.output()
    lap("stop v2")
    print("timings (s since start):", timings)
