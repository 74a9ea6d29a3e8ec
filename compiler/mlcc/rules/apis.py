"""APIComponents name existing targets and own distinct URL paths; platform conventions."""

from __future__ import annotations

from collections.abc import Iterator

from mlcc.diagnostics import Diagnostic
from mlcc.diagnostics.suggest import did_you_mean
from mlcc.frontend.module import Module
from mlcc.rules.context import LintContext
from mlcc.rules.declared import declared, documents_of
from mlcc.rules.paths import is_under


def check(module: Module, context: LintContext) -> Iterator[Diagnostic]:
    yield from _targets(module)
    yield from _unique_paths(module)
    yield from _one_file_api_per_box(module)
    yield from _conventions(module)
    yield from _file_exchange_under_sub_path(module)


def _targets(module: Module) -> Iterator[Diagnostic]:
    components = declared(module, "MLComponent")
    databoxes = declared(module, "DataBox")
    for api in module.apicomponents:
        spec = api.obj.spec
        if spec.ml_component and spec.ml_component.name not in components:
            yield Diagnostic(
                "MLCC303",
                f"mlComponent.name '{spec.ml_component.name}' does not name an MLComponent of this module",
                api.doc.locate(("spec", "mlComponent", "name")),
                hint=did_you_mean(spec.ml_component.name, components, "MLComponent"),
            )
        if spec.data_box and spec.data_box.name not in databoxes:
            yield Diagnostic(
                "MLCC301",
                f"dataBox.name '{spec.data_box.name}' does not name a DataBox of this module",
                api.doc.locate(("spec", "dataBox", "name")),
                hint=did_you_mean(spec.data_box.name, databoxes, "DataBox"),
            )


def _unique_paths(module: Module) -> Iterator[Diagnostic]:
    """No URL may reach two APIs: claimed prefixes must not nest (file APIs claim <path>/<box>)."""
    claims: list[tuple[str, str]] = []
    for api in module.apicomponents:
        spec = api.obj.spec
        claim = f"/{spec.route_path}/{spec.data_box.name}" if spec.data_box else f"/{spec.route_path}"
        owner = next((name for name, other in claims if is_under(claim, other) or is_under(other, claim)), None)
        if owner:
            yield Diagnostic(
                "MLCC307",
                f"restfulApi.path '{spec.route_path}' overlaps the path of APIComponent '{owner}' "
                f"in namespace '{api.obj.metadata.namespace}'",
                api.doc.locate(("spec", "restfulApi", "path")),
                hint="each API needs its own path under the namespace",
            )
        claims.append((api.name, claim))


def _one_file_api_per_box(module: Module) -> Iterator[Diagnostic]:
    """A box's file API is one Deployment named after the box: two APIs would be one object twice."""
    first_of: dict[str, str] = {}
    for api in module.apicomponents:
        box = api.obj.spec.data_box.name if api.obj.spec.data_box else None
        if box is None:
            continue
        first = first_of.setdefault(box, api.name)
        if first != api.name:
            yield Diagnostic(
                "MLCC305",
                f"DataBox '{box}' already has a file API, APIComponent '{first}'",
                api.doc.locate(("spec", "dataBox", "name")),
                hint="publish each DataBox through one file-API APIComponent",
            )


def _conventions(module: Module) -> Iterator[Diagnostic]:
    # Read from every APIComponent document, valid or not: a broken one has its
    # own error already and still shows what it was meant to publish.
    apis = documents_of(module, "APIComponent")
    names = (doc.get("spec", "mlComponent", "name") for doc in apis)
    published = {name for name in names if isinstance(name, str)}  # a broken one may hold anything
    file_api = any(doc.get("spec", "dataBox") is not None for doc in apis)
    for component in module.mlcomponents:
        if component.name not in published:
            yield Diagnostic(
                "MLCC601",
                f"MLComponent '{component.name}' has no APIComponent, so nothing can call it",
                component.doc.locate(("metadata", "name")),
                hint="add an APIComponent with `mlComponent: {name: " + component.name + "}`",
            )
    if module.mlcomponents and module.databoxes and not file_api:
        first = module.databoxes[0]
        yield Diagnostic(
            "MLCC602",
            f"no DataBox of module '{module.name}' is published by a file-API APIComponent",
            first.doc.locate(("metadata", "name")),
            hint="users upload inputs through a file API; ignore this if it is provided outside the module",
        )


def _file_exchange_under_sub_path(module: Module) -> Iterator[Diagnostic]:
    """The file API serves a box from its root; a file exchange with a subPath reads keys below it."""
    served = {api.obj.spec.data_box.name for api in module.apicomponents if api.obj.spec.data_box}
    for component in module.mlcomponents:
        exchange = component.obj.spec.ml_service.inference.file_exchange
        boxes = component.obj.spec.connected_boxes
        index = next((i for i, b in enumerate(boxes) if exchange and b.name == exchange.file_box), None)
        if index is None:
            continue
        ref = boxes[index].box_ref
        if ref.sub_path and ref.s3_box_name in served:
            yield Diagnostic(
                "MLCC603",
                f"files uploaded through the file API of DataBox '{ref.s3_box_name}' are not under subPath "
                f"'{ref.sub_path}', where MLComponent '{component.name}' reads its FILE inputs",
                component.doc.locate(("spec", "connectedBoxes", index, "copyS3Box" if boxes[index].copy_s3_box else "mountS3Box", "subPath")),
                hint="drop the subPath of the file box, so both see the box from its root",
            )
