"""Inference function of the Iris classifier (the contract: docs/inference-function.md)."""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
log.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())

N_FEATURES = 4
SPECIES = ("setosa", "versicolor", "virginica")
OUTPUT_NAMES = ("class", "species", "probabilities")


def _load_model(model_key: str) -> Any:
    import joblib  # imported lazily: pulls scikit-learn in

    if not os.path.isfile(model_key):
        raise FileNotFoundError(
            f"model file {model_key!r} not found (train it with `python train.py`)"
        )
    log.info("loading model from %s", model_key)
    return joblib.load(model_key)


def _features(inputs: list[dict]) -> np.ndarray:
    by_name = {i.get("name"): i for i in inputs}
    if "features" not in by_name:
        raise ValueError("missing input 'features' (FP32, shape [N, 4])")
    data = by_name["features"].get("data")
    if not isinstance(data, (list, tuple)) or not data:
        raise ValueError("input 'features' must be a non-empty flat list of numbers")
    # accept a flat list (the wire format) and, leniently, a list of rows
    if isinstance(data[0], (list, tuple)):
        data = [v for row in data for v in row]
    if len(data) % N_FEATURES:
        raise ValueError(
            f"input 'features' has {len(data)} values; expected a multiple of {N_FEATURES} "
            "(sepal length, sepal width, petal length, petal width per sample)"
        )
    try:
        x = np.asarray(data, dtype=np.float32).reshape(-1, N_FEATURES)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"input 'features' must hold numbers only: {exc}") from None
    if not np.all(np.isfinite(x)):
        raise ValueError("input 'features' must hold finite numbers")
    return x


def inference(
    parameters: list[dict],
    inputs: list[dict],
    output_fields: list[dict],
    model_key: str,
    model: Any = None,
) -> tuple[list[dict], Any]:
    """Classify iris flowers from their sepal and petal measurements.

    :param inputs.features: measurements in cm, four per flower: sepal length, sepal width,
        petal length, petal width; flat list, shape [N, 4]
    :type inputs.features: FP32
    :param outputs.class: predicted class index (0 setosa, 1 versicolor, 2 virginica), shape [N]
    :type outputs.class: INT32
    :param outputs.species: predicted species name, shape [N]
    :type outputs.species: str
    :param outputs.probabilities: class probabilities per flower, flat list, shape [N, 3]
    :type outputs.probabilities: FP32
    """
    if model is None:
        model = _load_model(model_key)

    requested = [f.get("name") for f in (output_fields or [])] or list(OUTPUT_NAMES)
    unknown = [n for n in requested if n not in OUTPUT_NAMES]
    if unknown:
        raise ValueError(f"unknown output field(s) {unknown}; available: {list(OUTPUT_NAMES)}")

    x = _features(inputs)
    n = len(x)
    proba = model.predict_proba(x)
    classes = np.asarray(model.classes_)[np.argmax(proba, axis=1)].astype(int)

    values = {
        "class": {"datatype": "INT32", "data": classes.tolist(), "shape": [n]},
        "species": {"datatype": "str", "data": [SPECIES[c] for c in classes], "shape": [n]},
        "probabilities": {
            "datatype": "FP32",
            "data": [round(float(p), 6) for p in proba.ravel()],
            "shape": [n, proba.shape[1]],
        },
    }
    outputs = [{"name": name, **values[name]} for name in requested]
    return outputs, model
