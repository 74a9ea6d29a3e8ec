"""The example modules' inference functions, called directly as the runtime would."""

from __future__ import annotations

import importlib
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IRIS = ROOT / "modules" / "iris"
TEXTSTATS = ROOT / "modules" / "textstats"
STOPWORDS = TEXTSTATS / "data/models/users/developer/file_groups/models/stopwords.txt"
SAMPLE = TEXTSTATS / "data/users/users/alice/file_groups/inbox/sample.txt"


def _import(module_dir: Path, name: str):
    if str(module_dir) not in sys.path:
        sys.path.insert(0, str(module_dir))
    return importlib.import_module(name)


def _features(*rows):
    flat = [v for row in rows for v in row]
    return [{"name": "features", "datatype": "FP32", "data": flat, "shape": [len(rows), 4]}]


SETOSA = [5.1, 3.5, 1.4, 0.2]       # dataset row 0
VERSICOLOR = [7.0, 3.2, 4.7, 1.4]   # dataset row 50
VIRGINICA = [6.3, 3.3, 6.0, 2.5]    # dataset row 100


# --------------------------------------------------------------------------- iris


@pytest.fixture(scope="module")
def iris_model_path(tmp_path_factory) -> Path:
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location("iris_train", IRIS / "train.py")
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    path = tmp_path_factory.mktemp("models") / "users/developer/file_groups/models/iris.joblib"
    accuracy = train.train(path)
    assert accuracy > 0.9
    assert path.is_file()
    return path


@pytest.fixture(scope="module")
def predict():
    return _import(IRIS, "iris.predict")


def test_train_default_output_is_the_models_box_seed():
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location("iris_train_paths", IRIS / "train.py")
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    assert train.DEFAULT_OUTPUT == IRIS / "data/models/users/developer/file_groups/models/iris.joblib"


def test_iris_predicts_each_species(predict, iris_model_path):
    outputs, model = predict.inference(
        [], _features(SETOSA, VERSICOLOR, VIRGINICA), [], str(iris_model_path)
    )
    assert model is not None
    by_name = {o["name"]: o for o in outputs}
    assert [o["name"] for o in outputs] == ["class", "species", "probabilities"]
    assert by_name["class"] == {"name": "class", "datatype": "INT32", "data": [0, 1, 2], "shape": [3]}
    assert by_name["species"]["data"] == ["setosa", "versicolor", "virginica"]
    assert by_name["species"]["datatype"] == "str"
    probs = by_name["probabilities"]
    assert probs["datatype"] == "FP32" and probs["shape"] == [3, 3]
    assert len(probs["data"]) == 9
    for i in range(3):
        row = probs["data"][3 * i: 3 * i + 3]
        assert sum(row) == pytest.approx(1.0, abs=1e-4)
        assert max(row) == row[i]
    json.dumps(outputs)  # the runtime must be able to serialise the answer


def test_iris_returns_only_requested_outputs(predict, iris_model_path):
    outputs, _ = predict.inference(
        [], _features(VIRGINICA), [{"name": "species"}], str(iris_model_path)
    )
    assert outputs == [{"name": "species", "datatype": "str", "data": ["virginica"], "shape": [1]}]


def test_iris_reuses_model_without_reloading(predict, iris_model_path, tmp_path):
    key = tmp_path / "iris.joblib"
    shutil.copy(iris_model_path, key)
    _, model = predict.inference([], _features(SETOSA), [{"name": "class"}], str(key))
    key.unlink()
    outputs, model2 = predict.inference([], _features(VERSICOLOR), [{"name": "class"}], str(key), model)
    assert model2 is model
    assert outputs[0]["data"] == [1]
    with pytest.raises(FileNotFoundError):
        predict.inference([], _features(SETOSA), [], str(key))  # first call must load


@pytest.mark.parametrize(
    "inputs, message",
    [
        ([], "missing input 'features'"),
        ([{"name": "features", "datatype": "FP32", "data": [1.0, 2.0, 3.0], "shape": [1, 3]}],
         "multiple of 4"),
        ([{"name": "features", "datatype": "FP32", "data": ["a", "b", "c", "d"], "shape": [1, 4]}],
         "numbers only"),
    ],
)
def test_iris_rejects_bad_input(predict, iris_model_path, inputs, message):
    with pytest.raises(ValueError, match=message):
        predict.inference([], inputs, [], str(iris_model_path))


def test_iris_rejects_unknown_output(predict, iris_model_path):
    with pytest.raises(ValueError, match="unknown output"):
        predict.inference([], _features(SETOSA), [{"name": "colour"}], str(iris_model_path))


# ---------------------------------------------------------------------- textstats


@pytest.fixture(scope="module")
def analyze():
    return _import(TEXTSTATS, "textstats.analyze")


def _document(path: Path):
    return [{"name": "document", "datatype": "FILE", "data": [str(path)], "shape": [1]}]


def test_textstats_writes_report_next_to_input(analyze, tmp_path):
    doc = tmp_path / "inbox" / "notes.txt"
    doc.parent.mkdir()
    doc.write_text("The cat and the dog. The cat sat on a mat; the Cat ran!\nÉtude étude\n",
                   encoding="utf-8")
    outputs, model = analyze.inference(
        [{"name": "top_n", "value": 2}], _document(doc), [], str(STOPWORDS)
    )
    assert isinstance(model, frozenset) and "the" in model
    by_name = {o["name"]: o for o in outputs}
    assert by_name["word_count"] == {"name": "word_count", "datatype": "INT32", "data": [16],
                                     "shape": [1]}
    report_out = by_name["report"]
    assert report_out["datatype"] == "FILE"
    report_path = Path(report_out["data"][0])
    assert report_path.parent == doc.parent
    assert report_path.is_file()
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["word_count"] == 16
    assert report["top_n"] == 2
    assert report["top_words"] == [{"word": "cat", "count": 3}, {"word": "étude", "count": 2}]
    assert report["distinct_words"] == 6  # cat dog sat mat ran étude
    assert report["content_word_count"] == 9
    words = {w["word"] for w in report["top_words"]}
    assert not words & {"the", "and", "on", "a"}


def test_textstats_sample_default_top_n_and_model_reuse(analyze, tmp_path):
    doc = tmp_path / "sample.txt"
    shutil.copy(SAMPLE, doc)
    key = tmp_path / "stopwords.txt"
    shutil.copy(STOPWORDS, key)
    _, model = analyze.inference([], _document(doc), [{"name": "word_count"}], str(key))
    key.unlink()
    outputs, model2 = analyze.inference([], _document(doc), [{"name": "report"}], str(key), model)
    assert model2 is model
    assert [o["name"] for o in outputs] == ["report"]
    report = json.loads(Path(outputs[0]["data"][0]).read_text(encoding="utf-8"))
    assert report["top_n"] == 10
    assert report["top_words"][0] == {"word": "iris", "count": 4}
    assert all(w["word"] not in model for w in report["top_words"])


def test_textstats_only_word_count_writes_no_report(analyze, tmp_path):
    doc = tmp_path / "a.txt"
    doc.write_text("one two three", encoding="utf-8")
    outputs, _ = analyze.inference([], _document(doc), [{"name": "word_count"}], str(STOPWORDS))
    assert outputs == [{"name": "word_count", "datatype": "INT32", "data": [3], "shape": [1]}]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


@pytest.mark.parametrize("top_n", [0, "many", 2.5])
def test_textstats_rejects_bad_top_n(analyze, tmp_path, top_n):
    doc = tmp_path / "a.txt"
    doc.write_text("words", encoding="utf-8")
    with pytest.raises(ValueError, match="top_n"):
        analyze.inference([{"name": "top_n", "value": top_n}], _document(doc), [], str(STOPWORDS))


def test_textstats_rejects_missing_and_non_utf8_files(analyze, tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        analyze.inference([], _document(tmp_path / "nope.txt"), [], str(STOPWORDS))
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        analyze.inference([], _document(bad), [], str(STOPWORDS))
