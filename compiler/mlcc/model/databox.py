from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlcc.model.common import Manifest, Strict
from mlcc.model.quantity import ByteQuantity


class S3DefaultStorage(Strict):
    capacity: ByteQuantity = "1G"


class DataBoxSpec(Strict):
    s3_default_storage: S3DefaultStorage = Field(default_factory=S3DefaultStorage)


class DataBox(Manifest):
    """An S3 storage box; object keys follow users/<user>/file_groups/<group...>/<file>."""

    kind: Literal["DataBox"]
    spec: DataBoxSpec = Field(default_factory=DataBoxSpec)
