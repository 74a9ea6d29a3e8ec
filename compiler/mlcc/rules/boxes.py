"""Connected boxes name DataBoxes of the module; inference roles name connected boxes."""

from __future__ import annotations

from collections.abc import Iterator

from mlcc.diagnostics import Diagnostic
from mlcc.diagnostics.suggest import did_you_mean
from mlcc.frontend.manifests import Resource
from mlcc.frontend.module import Module
from mlcc.model import MLComponent
from mlcc.rules.context import LintContext
from mlcc.rules.declared import declared


def check(module: Module, context: LintContext) -> Iterator[Diagnostic]:
    databoxes = declared(module, "DataBox")
    for component in module.mlcomponents:
        yield from _box_refs(component, databoxes)
        yield from _roles(component, databoxes)


def _box_refs(component: Resource[MLComponent], databoxes: set[str]) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for i, box in enumerate(component.obj.spec.connected_boxes):
        if box.name in seen:
            yield Diagnostic(
                "MLCC305",
                f"connected box '{box.name}' is listed twice in '{component.name}'",
                component.doc.locate(("spec", "connectedBoxes", i, "name")),
                hint="give each connected box its own name",
            )
        seen.add(box.name)
        way = "mountS3Box" if box.mount_s3_box else "copyS3Box"
        target = box.box_ref.s3_box_name
        if target not in databoxes:
            yield Diagnostic(
                "MLCC301",
                f"{way}.s3BoxName '{target}' does not name a DataBox of this module",
                component.doc.locate(("spec", "connectedBoxes", i, way, "s3BoxName")),
                hint=did_you_mean(target, databoxes, "DataBox"),
            )


def _roles(component: Resource[MLComponent], databoxes: set[str]) -> Iterator[Diagnostic]:
    """fileBox must be copied per request; modelBox must be mounted."""
    inference = component.obj.spec.ml_service.inference
    boxes: dict = {}
    for box in component.obj.spec.connected_boxes:
        boxes.setdefault(box.name, box)  # a repeated name is reported once, by _box_refs
    roles = []
    if inference.file_exchange:
        roles.append(("fileExchange", "fileBox", inference.file_exchange.file_box, "copyS3Box"))
    if inference.model:
        roles.append(("model", "modelBox", inference.model.model_box, "mountS3Box"))
    for section, field, name, way in roles:
        where = component.doc.locate(("spec", "mlService", "inference", section, field))
        box = boxes.get(name)
        if box is None:
            yield Diagnostic(
                "MLCC302",
                f"{field} '{name}' is not a connectedBoxes[].name of '{component.name}'",
                where,
                hint=_missing_box_hint(field, name, boxes, databoxes),
            )
        elif (way == "mountS3Box") != (box.mount_s3_box is not None):
            yield Diagnostic(
                "MLCC311",
                f"{field} '{name}' must be connected with {way}",
                where,
                hint="the model box is mounted at `path`; the file box is copied per request (copyS3Box)",
            )


def _missing_box_hint(field: str, name: str, boxes: dict, databoxes: set[str]) -> str:
    if name in databoxes:  # the DataBox itself, where the connected box attaching it is meant
        attaching = sorted(b.name for b in boxes.values() if b.box_ref.s3_box_name == name)
        return f"'{name}' is a DataBox; {field} names the connected box that attaches it" + (
            f": did you mean '{attaching[0]}'?" if attaching else " (add one to spec.connectedBoxes)"
        )
    suggestion = did_you_mean(name, boxes, "connected box")
    if suggestion and suggestion.startswith("did you mean"):
        return suggestion
    return f"{field} names an entry of spec.connectedBoxes (not a DataBox); {suggestion or 'add one'}"
