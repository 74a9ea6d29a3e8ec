from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from mlcc.model.common import DnsLabel, Manifest, NameRef, Strict

# One or more URL segments: iris, models/iris-v2.
API_PATH = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(/[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
FILE_API_PATH = "files"


class BasicAuth(Strict):
    credentials: DnsLabel = Field(description="name of a Secret with the htpasswd `auth` key")


class OidcAuth(Strict):
    """OpenID Connect through the environment's external auth endpoint."""

    groups: list[str] = Field(default_factory=list, description="allowed groups; empty allows any user")


class Auth(Strict):
    basic: BasicAuth | None = None
    oidc: OidcAuth | None = None
    identity_pass_through: bool = False

    @model_validator(mode="after")
    def _one_method(self) -> "Auth":
        if (self.basic is None) == (self.oidc is None):
            raise ValueError("set exactly one of basic or oidc")
        return self


class RestfulApi(Strict):
    path: Annotated[str, Field(pattern=API_PATH, max_length=200)] | None = None
    auth: Auth


class APIComponentSpec(Strict):
    """Publishes exactly one target: an MLComponent, a DataBox (file API) or a pipeline."""

    published: bool = True
    ml_component: NameRef | None = None
    data_box: NameRef | None = None
    experiment_pipeline: NameRef | None = None
    restful_api: RestfulApi

    @model_validator(mode="after")
    def _one_target(self) -> "APIComponentSpec":
        targets = [t for t in (self.ml_component, self.data_box, self.experiment_pipeline) if t]
        if len(targets) != 1:
            raise ValueError("set exactly one of mlComponent, dataBox or experimentPipeline")
        if self.ml_component is not None and self.restful_api.path is None:
            raise ValueError("restfulApi.path is required to publish an MLComponent")
        return self

    @property
    def route_path(self) -> str:
        """The URL path under /<namespace>/ (file APIs default to `files`)."""
        return self.restful_api.path or FILE_API_PATH


class APIComponent(Manifest):
    kind: Literal["APIComponent"]
    spec: APIComponentSpec
