"""The Iris example module served end to end by the real CLI, configured by env vars only."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tritonclient.http as triton

from rt_support import REPO, post_json, serve_process

IRIS = REPO / "modules" / "iris"


@pytest.fixture(scope="module")
def iris_model(tmp_path_factory) -> str:
    if not (IRIS / "train.py").exists():
        pytest.skip("modules/iris is not in this tree")
    path = tmp_path_factory.mktemp("iris") / "iris.joblib"
    subprocess.run([sys.executable, str(IRIS / "train.py"), str(path)], check=True,
                   capture_output=True, timeout=120)
    return str(path)


@pytest.fixture(scope="module")
def iris_server(iris_model):
    env = {"MLCC_PYTHON_PATH": str(IRIS), "MLCC_FUNCTION": "iris.predict.inference",
           "MLCC_MODEL_KEY": iris_model, "MLCC_MODEL_NAME": "iris"}
    with serve_process(env) as (proc, base):
        yield base


@pytest.fixture(scope="module")
def dataset():
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True)


SAMPLES = [([5.1, 3.5, 1.4, 0.2], 0, "setosa"), ([6.4, 3.2, 4.5, 1.5], 1, "versicolor"),
           ([6.3, 3.3, 6.0, 2.5], 2, "virginica")]


def test_predict_gives_the_right_classes(iris_server) -> None:
    flat = [v for features, _, _ in SAMPLES for v in features]
    status, answer = post_json(iris_server + "/predict", {
        "parameters": [], "inputs": [{"name": "features", "datatype": "FP32", "shape": [3, 4],
                                      "data": flat}],
        "output_fields": [{"name": "class"}, {"name": "species"}], "model_key": "default"})
    assert status == 200, answer
    outputs = {o["name"]: o for o in answer["outputs"]}
    assert outputs["class"]["data"] == [c for _, c, _ in SAMPLES]
    assert outputs["species"]["data"] == [s for _, _, s in SAMPLES]
    assert outputs["class"]["shape"] == [3]


def test_predict_with_shape_zero_and_all_outputs(iris_server) -> None:
    status, answer = post_json(iris_server + "/predict", {
        "inputs": [{"name": "features", "datatype": "FP32", "shape": 0,
                    "data": SAMPLES[2][0]}]})
    assert status == 200
    outputs = {o["name"]: o for o in answer["outputs"]}
    assert outputs["species"]["data"] == ["virginica"]
    assert outputs["probabilities"]["shape"] == [1, 3]
    assert abs(sum(outputs["probabilities"]["data"]) - 1) < 1e-3


def test_v2_infer_over_the_whole_dataset(iris_server, dataset) -> None:
    x, y = dataset
    client = triton.InferenceServerClient(url=iris_server.removeprefix("http://"))
    try:
        assert client.is_model_ready("iris")
        meta = client.get_model_metadata("iris")
        assert meta["inputs"] == [{"name": "features", "datatype": "FP32", "shape": [-1, 4]}]
        features = triton.InferInput("features", list(x.shape), "FP32")
        features.set_data_from_numpy(x.astype(np.float32), binary_data=True)
        result = client.infer("iris", [features],
                              outputs=[triton.InferRequestedOutput("class", binary_data=True),
                                       triton.InferRequestedOutput("species", binary_data=False)])
        predicted = result.as_numpy("class")
        assert predicted.dtype == np.int32 and predicted.shape == (150,)
        assert (predicted == y).mean() > 0.95
        species = result.as_numpy("species")
        assert {s.decode() if isinstance(s, bytes) else s for s in species} == {
            "setosa", "versicolor", "virginica"}
    finally:
        client.close()


def test_bad_input_is_a_clear_400(iris_server) -> None:
    status, answer = post_json(iris_server + "/predict", {
        "inputs": [{"name": "features", "datatype": "FP32", "data": [1.0, 2.0, 3.0]}]})
    assert status == 400
    assert "expected a multiple of 4" in answer["error"]


def test_import_failure_exits_2_with_a_message(tmp_path) -> None:
    env = {"MLCC_FUNCTION": "nosuch.module.inference", "MLCC_PYTHON_PATH": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "mlcc_runtime", "serve", "--log-format",
                             "text"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert ("cannot start: entry point 'nosuch.module.inference': module 'nosuch' is not found"
            in result.stderr)


def test_a_large_body_of_rows_decodes_piecewise_into_the_list_iris_takes(iris_server,
                                                                          dataset) -> None:
    """Over 16 KiB a body is decoded piece by piece and nested rows are flattened as they are
    read: iris (which checks for a list) must see the same values as from a small body."""
    x, y = dataset
    rows = x.astype(np.float32).tolist() * 4  # ~30 KiB of JSON: the piecewise path
    status, answer = post_json(iris_server + "/predict", {"inputs": [
        {"name": "features", "datatype": "FP32", "data": rows}],
        "output_fields": [{"name": "class"}]})
    assert status == 200, answer
    (classes,) = answer["outputs"]
    assert classes["shape"] == [600]
    assert (np.array(classes["data"]) == np.tile(y, 4)).mean() > 0.95
    # V2 JSON with rows and an explicit shape, the same values
    status, answer = post_json(iris_server + "/v2/models/iris/infer", {"inputs": [
        {"name": "features", "datatype": "FP32", "shape": [600, 4], "data": rows}],
        "outputs": [{"name": "class"}]})
    assert status == 200 and answer["outputs"][0]["data"] == classes["data"]
