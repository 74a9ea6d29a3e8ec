"""`mlcc run` end to end: real processes, real HTTP, a real (moto) S3 server on loopback."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MLCC = [sys.executable, "-m", "mlcc"]
PASSWORD = "s3cret-pass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_bound(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Running:
    """`mlcc run MODULE` (plus `options`) for the dev overlay, started and ready."""

    def __init__(self, module: Path, credentials: Path, tmp: Path, options: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.log = tmp / "run.log"
        self.process = subprocess.Popen(
            [*MLCC, "run", str(module), *options, "--env", "dev", "--overlays", str(ROOT / "overlays"),
             "--port", str(self.port), "--credentials", str(credentials)],
            stdout=open(self.log, "w"), stderr=subprocess.STDOUT, cwd=tmp,
        )
        deadline = time.monotonic() + 90
        while "press Ctrl-C to stop" not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                pytest.fail(f"mlcc run {' '.join(options)} did not start:\n{self.output()}")
            time.sleep(0.2)

    def output(self) -> str:
        return self.log.read_text()

    def backend_ports(self) -> list[int]:
        return [int(p) for p in re.findall(r"starting \S+ on 127\.0\.0\.1:(\d+)", self.output())]

    def call(self, method: str, path: str, body: dict | None = None, password: str = PASSWORD) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        token = base64.b64encode(f"developer:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"mlcc run ignored SIGINT:\n{self.output()}")


def copy_module(name: str, tmp: Path) -> Path:
    target = tmp / "modules" / name
    shutil.copytree(ROOT / "modules" / name, target, ignore=shutil.ignore_patterns("*.joblib", "__pycache__"))
    return target


def credentials_file(tmp: Path, secret: str) -> Path:
    path = tmp / "credentials"
    path.write_text(f"{secret} developer:{PASSWORD}\n")
    return path


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("iris")
    module = copy_module("iris", tmp)
    subprocess.run([sys.executable, str(module / "train.py")], check=True, cwd=module)
    running = Running(module, credentials_file(tmp, "iris-apis-cred"), tmp)
    yield running
    if running.process.poll() is None:
        running.stop()


def test_predict_through_gateway_gives_correct_classes(iris):
    rows = [5.1, 3.5, 1.4, 0.2, 7.0, 3.2, 4.7, 1.4, 6.3, 3.3, 6.0, 2.5]  # iris rows 0, 50, 100
    status, answer = iris.call(
        "POST", "/pu-alice-pa-iris/iris/predict",
        {"inputs": [{"name": "features", "datatype": "FP32", "shape": [3, 4], "data": rows}],
         "output_fields": [{"name": "species"}], "model_key": "default"},
    )
    assert status == 200, answer
    species = {o["name"]: o["data"] for o in answer["outputs"]}["species"]
    assert species == ["setosa", "versicolor", "virginica"]


def test_open_inference_protocol_is_routed_too(iris):
    status, answer = iris.call(
        "POST", "/pu-alice-pa-iris/iris/v2/models/iris-mlcmp/infer",
        {"inputs": [{"name": "features", "datatype": "FP32", "shape": [1, 4], "data": [5.1, 3.5, 1.4, 0.2]}]},
    )
    assert status == 200, answer
    assert {o["name"]: o["data"] for o in answer["outputs"]}["class"] == [0]


def test_wrong_password_is_refused(iris):
    status, _ = iris.call("POST", "/pu-alice-pa-iris/iris/predict", {"inputs": []}, password="wrong")
    assert status == 401


def test_unknown_route_is_404(iris):
    status, _ = iris.call("GET", "/pu-alice-pa-iris/nothing-here/predict")
    assert status == 404


def test_file_example_reads_input_from_box_and_stores_output(tmp_path):
    module = copy_module("textstats", tmp_path)
    running = Running(module, credentials_file(tmp_path, "textstats-apis-cred"), tmp_path)
    try:
        # Upload through the file API, as an end user would: a pre-signed PUT URL.
        status, answer = running.call("PUT", "/pu-bob-pa-textstats/files/users/inbox/poem.txt")
        assert status == 200, answer
        # An explicit content type: moto's server would parse the default form encoding away.
        upload = urllib.request.Request(
            answer["url"], data=b"the cat and the hat and the bat", method="PUT", headers={"Content-Type": "text/plain"}
        )
        with urllib.request.urlopen(upload, timeout=10) as response:
            assert response.status == 200
        status, answer = running.call(
            "POST", "/pu-bob-pa-textstats/textstats/predict",
            {"inputs": [{"name": "document", "datatype": "FILE", "shape": [1], "data": ["inbox/poem.txt"]}],
             "parameters": [{"name": "top_n", "value": 2}]},
        )
        assert status == 200, answer
        outputs = {o["name"]: o for o in answer["outputs"]}
        assert outputs["word_count"]["data"] == [8]
        report_key = outputs["report"]["data"][0]
        assert report_key.startswith("users/developer/file_groups/")
        # Download the output through the file API again.
        relative = report_key.removeprefix("users/developer/file_groups/")
        status, answer = running.call("GET", f"/pu-bob-pa-textstats/files/users/{relative}")
        assert status == 200, answer
        with urllib.request.urlopen(answer["url"], timeout=10) as response:
            report = json.loads(response.read())
        assert report["word_count"] == 8
        assert "the" not in json.dumps(report["top_words"])  # a stop word of the model box
    finally:
        assert running.stop() == 0


def test_ctrl_c_leaves_no_process_and_no_bound_port(tmp_path):
    module = copy_module("textstats", tmp_path)
    running = Running(module, credentials_file(tmp_path, "textstats-apis-cred"), tmp_path)
    ports = running.backend_ports() + [running.port]
    assert ports and all(port_bound(p) for p in ports)
    assert running.stop() == 0
    assert "stopped" in running.output()
    assert not any(port_bound(p) for p in ports)
    leftovers = subprocess.run(["pgrep", "-f", f"mlcc-run-{module.name}-"], capture_output=True, text=True).stdout
    assert leftovers.strip() == ""
    assert not [p for p in Path(os.environ.get("TMPDIR", "/tmp")).glob(f"mlcc-run-{module.name}-*") if str(running.log) in str(p)]
