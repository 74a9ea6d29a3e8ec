"""The typed model of the three kinds (pydantic v2, one file per kind)."""

from mlcc.model.apicomponent import APIComponent
from mlcc.model.databox import DataBox
from mlcc.model.mlcomponent import MLComponent

KINDS = {model.__name__: model for model in (DataBox, MLComponent, APIComponent)}

__all__ = ["KINDS", "APIComponent", "DataBox", "MLComponent"]
