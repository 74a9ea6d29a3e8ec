"""A component's example requests → a ConfigMap the runtime reads at start (MLCC_EXAMPLES_FILE).

The runtime warms up with the first example before it reports ready and shows them all in its
OpenAPI document. A ConfigMap of its own, named by a hash of the file, so a changed example rolls
the pods; not the runtime's ConfigMap, whose keys all become environment variables.
"""

from __future__ import annotations

from mlcc.frontend.manifests import Resource
from mlcc.frontend.module import Module
from mlcc.k8s.objects import Emitted, Wave, content_hash, meta
from mlcc.model import MLComponent
from mlcc.model.container import CONFIG_MOUNT
from mlcc.render.providers.base import WorkloadNeeds, value_env

FILE = "examples.json"
VOLUME = "examples"


def emit(module: Module, component: Resource[MLComponent], part: str) -> tuple[list[Emitted], WorkloadNeeds]:
    """The ConfigMap and what the inference container needs to read it (nothing without examples)."""
    name = component.obj.spec.ml_service.inference.examples
    if name is None:
        return [], WorkloadNeeds()
    text = module.attached[name]  # the rules made sure it was read and parses
    config_name = f"{component.name}-examples-{content_hash({FILE: text})}"
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(config_name, component.obj.metadata.namespace, module.name, part),
        "data": {FILE: text},
    }
    where = component.doc.locate(("spec", "mlService", "inference", "examples"))
    needs = WorkloadNeeds(
        env=(value_env("MLCC_EXAMPLES_FILE", f"{CONFIG_MOUNT}/{FILE}"),),
        volumes=({"name": VOLUME, "configMap": {"name": config_name}},),
        mounts=({"name": VOLUME, "mountPath": CONFIG_MOUNT, "readOnly": True},),
    )
    return [Emitted(config, where, Wave.CONFIG, stem=f"configmap-{component.name}-examples")], needs
