"""The codec-independent inference request handed from the HTTP layer to the pipeline."""

from __future__ import annotations

from typing import NamedTuple


class InferenceRequest(NamedTuple):
    parameters: list[dict]  # [{name, value}]
    inputs: list[dict]  # function form, see tensors.normalize_input
    output_fields: list[dict]  # [{name, ...}]
