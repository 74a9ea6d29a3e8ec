"""The typed model (pydantic v2): the three module kinds, one file each, and the Environment; the
values they share (quantities, container paths), what serving derives from them (`serving`), and
the inference contract and examples, parsed by the runtime's own parsers (`docstring`, `examples`:
mapped in from runtime-image/ by pyproject.toml, one source file each)."""

from mlcc.model.apicomponent import APIComponent
from mlcc.model.databox import DataBox
from mlcc.model.mlcomponent import MLComponent

KINDS = {model.__name__: model for model in (DataBox, MLComponent, APIComponent)}

__all__ = ["KINDS", "APIComponent", "DataBox", "MLComponent"]
