"""Inference functions the reliability tests serve (hostile and faulty on purpose)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

LOADS = {"count": 0}
_lock = threading.Lock()


def copy_file(parameters, inputs, output_fields, model_key, model=None):
    """Copy the uploaded file; optionally write a second output, or hang.

    :param inputs.document: the file
    :type inputs.document: FILE
    :param outputs.copy: the copy
    :type outputs.copy: FILE
    """
    params = {p["name"]: p.get("value") for p in parameters}
    src = Path(inputs[0]["data"][0])
    dst = src.with_name("copy-" + src.name)
    time.sleep(float(params.get("sleep", 0)))
    dst.write_bytes(src.read_bytes())
    data = [str(dst)]
    if params.get("two"):
        second = src.with_name("second-" + src.name)
        second.write_bytes(b"second")
        data.append(str(second))
    return [{"name": "copy", "datatype": "FILE", "data": data, "shape": [len(data)]}], model


def loose_file(parameters, inputs, output_fields, model_key, model=None):
    """Write a report straight into the files folder (no FILE input, no declared output)."""
    root = Path(os.environ["MLCC_FILES_PATH"])
    path = root / f"report-{time.monotonic_ns()}.txt"
    path.write_text("report")
    return [{"name": "report", "datatype": "FILE", "data": [str(path)], "shape": [1]}], model


def faulty(parameters, inputs, output_fields, model_key, model=None):
    """Misbehave as the ``mode`` parameter says; ``ok`` answers normally."""
    mode = {p["name"]: p.get("value") for p in parameters}.get("mode", "ok")
    if mode == "raise":
        raise RuntimeError("secret-internal-detail")
    if mode == "valueerror":
        raise ValueError("x must be positive")
    if mode == "hang":
        time.sleep(3)
    if mode == "not_tuple":
        return [{"name": "y", "data": [1]}]
    if mode == "not_list":
        return "nonsense", model
    if mode == "no_name":
        return [{"datatype": "FP32", "data": [1.0]}], model
    if mode == "bad_shape":
        return [{"name": "y", "datatype": "FP32", "data": [1.0, 2.0], "shape": [3]}], model
    if mode == "bad_type":
        return [{"name": "y", "datatype": "COMPLEX", "data": [1]}], model
    if mode == "unserializable":
        return [{"name": "y", "datatype": "dict", "data": [{"o": object()}], "shape": [1]}], model
    if mode == "file_no_box":
        return [{"name": "y", "datatype": "FILE", "data": ["/etc/passwd"], "shape": [1]}], model
    if mode == "exit":
        raise SystemExit(3)
    return [{"name": "y", "datatype": "FP32", "data": [1.0], "shape": [1]}], model


def counted(parameters, inputs, output_fields, model_key, model=None):
    """Loading takes 0.5 s and is counted; later calls are instant."""
    if model is None:
        time.sleep(0.5)
        with _lock:
            LOADS["count"] += 1
        model = {"loaded": True}
    return [{"name": "y", "datatype": "INT32", "data": [LOADS["count"]], "shape": [1]}], model


def small(parameters, inputs, output_fields, model_key, model=None):
    """Soak target: sum of a small vector (a realistic tiny model).

    :param inputs.x: numbers
    :type inputs.x: FP32
    :param outputs.y: their sum
    :type outputs.y: FP64
    """
    if model is None:
        model = {"bias": 0.0}
    x = inputs[0]["data"]
    params = {p["name"]: p.get("value") for p in parameters}
    if params.get("sleep"):
        time.sleep(float(params["sleep"]))
    return [{"name": "y", "datatype": "FP64", "data": [sum(x) + model["bias"]], "shape": [1]}], model
