"""`mlcc graph` draws the reference graph; `mlcc init` scaffolds a module that lints, builds and answers."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

import pytest

ROOT = Path(__file__).resolve().parents[2]
MLCC = [sys.executable, "-m", "mlcc"]


def mlcc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*MLCC, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_mermaid_graph_links_boxes_components_apis_and_routes():
    result = mlcc("graph", "modules/iris")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("flowchart LR")
    assert 'iris__box_models -->|"mount at /home/app/models"| iris__ml_iris_mlcmp' in text
    assert 'iris__box_users -->|"copy (file exchange)"| iris__ml_iris_mlcmp' in text
    assert 'iris__ml_iris_mlcmp -->|"publishes"| iris__api_iris_api' in text
    assert "/pu-alice-pa-iris/iris/predict" in text
    assert 'iris__box_users -->|"file API"| iris__api_files_api' in text


def test_dot_graph_is_valid_graphviz_when_dot_is_installed(tmp_path):
    result = mlcc("graph", "modules/iris", "--format", "dot")
    assert result.returncode == 0
    assert result.stdout.startswith('digraph "mlcc" {') and "iris__box_models -> iris__ml_iris_mlcmp" in result.stdout
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed: SVG output not checked")
    svg = mlcc("graph", "modules/iris", "--format", "svg")
    assert svg.returncode == 0 and "<svg" in svg.stdout


def test_several_modules_make_one_graph_with_a_cluster_each(tmp_path):
    mermaid = mlcc("graph", "modules")
    assert mermaid.returncode == 0, mermaid.stderr
    assert mermaid.stdout.count("flowchart LR") == 1
    assert 'subgraph iris__module["module iris' in mermaid.stdout
    assert 'subgraph textstats__module["module textstats' in mermaid.stdout
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed: SVG output not checked")
    svg = mlcc("graph", "modules", "--format", "svg")
    assert svg.returncode == 0, svg.stderr
    ElementTree.fromstring(_without_doctype(svg.stdout))  # one document, well-formed


def _without_doctype(svg: str) -> str:
    return svg[svg.index("<svg"):]


def test_user_text_in_labels_cannot_break_the_graph(tmp_path):
    module = tmp_path / "iris"
    shutil.copytree(ROOT / "modules/iris", module, ignore=shutil.ignore_patterns("data", "*.joblib"))
    manifest = module / "iris-mlcmp.yaml"
    hostile = "/home/app/m\"o<b>d\\els"  # a quote, HTML and a backslash in a mount path
    text = manifest.read_text().replace("modelPath: /home/app/models/", f"modelPath: '{hostile}/")
    text = text.replace("path: /home/app/models", f"path: '{hostile}'")
    manifest.write_text(text.replace("iris.joblib", "iris.joblib'"))
    mermaid = mlcc("graph", "--overlays", ROOT / "overlays", module)
    assert mermaid.returncode == 0, mermaid.stderr
    assert '|"mount at /home/app/m#quot;o#lt;b#gt;d\\els"|' in mermaid.stdout
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed: DOT not checked")
    svg = mlcc("graph", "--overlays", ROOT / "overlays", module, "--format", "svg")
    assert svg.returncode == 0, svg.stderr
    assert "mount at /home/app/m&quot;o&lt;b&gt;d\\els" in svg.stdout


def test_graph_of_a_broken_module_reports_diagnostics(tmp_path):
    shutil.copytree(ROOT / "modules/iris", tmp_path / "iris", ignore=shutil.ignore_patterns("data"))
    manifest = tmp_path / "iris/iris-api.yaml"
    manifest.write_text(manifest.read_text().replace("name: iris-mlcmp", "name: iris-mlcmpp"))
    result = mlcc("graph", str(tmp_path / "iris"))
    assert result.returncode == 1 and "error[MLCC303]" in result.stderr


def test_init_scaffolds_a_module_that_lints_clean_and_builds(tmp_path):
    created = mlcc("init", "modules/churn", "--owner", "alice", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    lint = mlcc("lint", "--format", "json", "modules/churn", cwd=tmp_path)
    # Only what the built-in environment (no secret store) leaves to the cluster: the API's
    # basic-auth Secret, with the command that makes it.
    assert lint.returncode == 0, lint.stderr
    assert [(d["code"], "churn-apis-cred" in d["message"]) for d in json.loads(lint.stdout)] == [("MLCC703", True)]
    build = mlcc("build", "modules/", "-o", "rendered/", cwd=tmp_path)
    assert build.returncode == 0, build.stderr
    assert (tmp_path / "rendered/default/pu-alice-pa-churn/deployment-churn-mlcmp.yaml").is_file()
    first_line = (tmp_path / "modules/churn/churn-mlcmp.yaml").read_text().splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=../../schema/mlcomponent.json"
    assert "FROM ${RUNTIME_IMAGE}" in (tmp_path / "modules/churn/Dockerfile").read_text()
    assert json.loads((tmp_path / "modules/churn/examples.json").read_text())[0]["name"] == "two-rows"


def test_init_refuses_to_overwrite_and_rejects_bad_names(tmp_path):
    (tmp_path / "modules/taken").mkdir(parents=True)
    (tmp_path / "modules/taken/keep.txt").write_text("mine")
    assert mlcc("init", "modules/taken", cwd=tmp_path).returncode == 2
    assert (tmp_path / "modules/taken/keep.txt").read_text() == "mine"
    assert mlcc("init", "modules/Bad_Name", cwd=tmp_path).returncode == 2
    assert mlcc("init", "modules/3d-seg", cwd=tmp_path).returncode == 2  # a package and a Service start with a letter
    assert not (tmp_path / "modules/3d-seg").exists()


def test_scaffolded_module_answers_through_mlcc_run(tmp_path):
    assert mlcc("init", "modules/scorer", "--owner", "bob", cwd=tmp_path).returncode == 0
    (tmp_path / "creds").write_text("scorer-apis-cred dev:pw\n")
    port = _free_port()
    log = tmp_path / "run.log"
    process = subprocess.Popen(
        [*MLCC, "run", "modules/scorer", "--port", str(port), "--credentials", "creds"],
        cwd=tmp_path, stdout=open(log, "w"), stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while "press Ctrl-C" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        body = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3], "data": [2.0, 4.0, 1.0]}]}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/pu-bob-pa-scorer/scorer/predict", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": "Basic " + base64.b64encode(b"dev:pw").decode()},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        assert answer["outputs"][0]["data"] == [pytest.approx(0.5 * 2 - 0.25 * 4 + 1.0 + 0.1)]
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_progress_is_silent_off_a_terminal_and_drawn_on_one(monkeypatch):
    import io

    from mlcc.cli import progress as progress_mod

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    quiet, tty = io.StringIO(), Terminal()
    monkeypatch.setattr(progress_mod, "DELAY", 0.0)
    for stream in (quiet, tty):
        bar = progress_mod.Progress("rendering", 4, stream)
        bar.update(2)
        bar.close()
    assert quiet.getvalue() == ""
    assert "rendering [" in tty.getvalue() and "2/4" in tty.getvalue()
