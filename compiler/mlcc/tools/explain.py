"""`mlcc explain`: what mlcc understood of each module, in words or JSON."""

from __future__ import annotations

import json

from mlcc.frontend.module import Module
from mlcc.model.contract import TensorSpec
from mlcc.rules.entrypoint import inspect_entrypoint


def explain(modules: list[Module], fmt: str) -> str:
    data = [_module(m) for m in modules]
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    return "\n".join(_text(m) for m in data)


def _module(module: Module) -> dict:
    return {
        "module": module.name,
        "namespace": module.namespace,
        "dataBoxes": {b.name: {"capacity": b.obj.spec.s3_default_storage.capacity} for b in module.databoxes},
        "mlComponents": [_component(module, c) for c in module.mlcomponents],
        "apis": [
            {
                "name": a.name,
                "published": a.obj.spec.published,
                "url": f"/{a.obj.metadata.namespace}/{a.obj.spec.route_path}"
                + (f"/{a.obj.spec.data_box.name}/<path>" if a.obj.spec.data_box else "/predict"),
                "target": _target(a.obj.spec),
                "auth": "basic" if a.obj.spec.restful_api.auth.basic else "oidc",
            }
            for a in module.apicomponents
        ],
    }


def _target(spec) -> str:
    if spec.ml_component:
        return f"MLComponent/{spec.ml_component.name}"
    if spec.data_box:
        return f"DataBox/{spec.data_box.name}"
    return f"ExperimentPipeline/{spec.experiment_pipeline.name}"


def _component(module: Module, component) -> dict:
    spec = component.obj.spec
    entry, _ = inspect_entrypoint(module, component)
    inference = spec.ml_service.inference
    return {
        "name": component.name,
        "image": spec.image.existing_image_name,
        "function": inference.entry_point.python_function,
        "source": f"{entry.file}:{entry.line}" if entry else None,
        "modelKey": inference.model.model_path if inference.model else None,
        "boxes": {
            b.name: {
                "dataBox": b.box_ref.s3_box_name,
                "mode": "mount" if b.mount_s3_box else "copy",
                "path": b.path,
                "subPath": b.box_ref.sub_path,
            }
            for b in spec.connected_boxes
        },
        "inputs": [_tensor(t) for t in entry.contract.inputs] if entry else [],
        "outputs": [_tensor(t) for t in entry.contract.outputs] if entry else [],
    }


def _tensor(t: TensorSpec) -> dict:
    return {"name": t.name, "datatype": " | ".join(t.datatypes), "optional": t.optional, "description": t.description}


def _text(m: dict) -> str:
    lines = [f"module {m['module']} (namespace {m['namespace']})"]
    for name, box in m["dataBoxes"].items():
        lines.append(f"  DataBox {name}: {box['capacity']}")
    for c in m["mlComponents"]:
        where = c["source"] or "code not in the module folder: checked when the container starts"
        lines.append(f"  MLComponent {c['name']}: {c['function']} ({where})")
        lines.append(f"    image {c['image']}, model_key {c['modelKey']}")
        for name, b in c["boxes"].items():
            where = f" at {b['path']}" if b["path"] else ""
            lines.append(f"    box {name} → DataBox {b['dataBox']}/{b['subPath']} ({b['mode']}{where})")
        for side in ("inputs", "outputs"):
            for t in c[side]:
                optional = ", optional" if t["optional"] else ""
                lines.append(f"    {side[:-1]:<6} {t['name']}: {t['datatype']}{optional} — {t['description']}")
    for a in m["apis"]:
        state = "published" if a["published"] else "not published"
        lines.append(f"  API {a['name']}: {a['url']} → {a['target']} ({a['auth']} auth, {state})")
    return "\n".join(lines) + "\n"
