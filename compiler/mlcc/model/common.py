"""Pieces shared by every kind: strict camelCase models, names, metadata."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


class Strict(BaseModel):
    """YAML already carries types, so nothing is coerced and no field is unknown."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        regex_engine="python-re",  # path patterns need look-aheads
    )


def _dns_label(value: str) -> str:
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise PydanticCustomError(
            "dns_name",
            "'{value}' is not a valid name: use at most 63 lower-case letters, digits and '-', "
            "starting and ending with a letter or digit",
            {"value": value},
        )
    return value


def _env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise PydanticCustomError(
            "dns_name", "'{value}' is not a valid environment variable name", {"value": value}
        )
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label), Field(json_schema_extra={"pattern": _DNS_LABEL.pattern, "maxLength": 63})]
EnvName = Annotated[str, AfterValidator(_env_name), Field(json_schema_extra={"pattern": _ENV_NAME.pattern})]
AbsolutePath = Annotated[str, Field(pattern=r"^/[^\x00]*$", max_length=1024)]


class Metadata(Strict):
    name: DnsLabel
    namespace: DnsLabel
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class Manifest(Strict):
    """Fields every kind shares; subclasses narrow `kind` and add `spec`."""

    api_version: Literal["unified-platform.cs.hse.ru/v1"]
    metadata: Metadata


class NameRef(Strict):
    name: DnsLabel
