"""Container paths: the model lies inside its box mount; mounts and the files folder overlap
neither each other nor the folders mlcc mounts itself."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from posixpath import normpath

from mlcc.diagnostics import Diagnostic
from mlcc.frontend.manifests import Resource
from mlcc.frontend.module import Module
from mlcc.model import MLComponent
from mlcc.rules.context import LintContext, ReservedPath


def is_under(path: str, folder: str) -> bool:
    path, folder = normpath(path), normpath(folder)
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def check(module: Module, context: LintContext) -> Iterator[Diagnostic]:
    for component in module.mlcomponents:
        yield from _model_path(component)
        yield from _files_path(component)
        yield from _overlaps(component)
        yield from _reserved(component, context.reserved_paths)


def _mounts(component: Resource[MLComponent]) -> list[tuple[int, str, str]]:
    return [
        (i, box.name, box.path)
        for i, box in enumerate(component.obj.spec.connected_boxes)
        if box.mount_s3_box and box.path
    ]


def _model_path(component: Resource[MLComponent]) -> Iterator[Diagnostic]:
    model = component.obj.spec.ml_service.inference.model
    if model is None:
        return
    mount = next((path for _, name, path in _mounts(component) if name == model.model_box), None)
    if mount is not None and not is_under(model.model_path, mount):
        yield Diagnostic(
            "MLCC308",
            f"modelPath '{model.model_path}' is outside '{mount}', where box '{model.model_box}' is mounted",
            component.doc.locate(("spec", "mlService", "inference", "model", "modelPath")),
            hint=f"write it as {mount.rstrip('/')}/<file in the box>",
        )


def _files_path(component: Resource[MLComponent]) -> Iterator[Diagnostic]:
    exchange = component.obj.spec.ml_service.inference.file_exchange
    if exchange is None:
        return
    for _, name, path in _mounts(component):
        if is_under(exchange.inference_files_path, path) or is_under(path, exchange.inference_files_path):
            yield Diagnostic(
                "MLCC309",
                f"inferenceFilesPath '{exchange.inference_files_path}' overlaps the mount '{path}' of box '{name}'",
                component.doc.locate(("spec", "mlService", "inference", "fileExchange", "inferenceFilesPath")),
                hint="the runtime owns inferenceFilesPath; pick a folder outside every box mount",
            )


def _overlaps(component: Resource[MLComponent]) -> Iterator[Diagnostic]:
    for (_, a_name, a_path), (j, b_name, b_path) in combinations(_mounts(component), 2):
        if is_under(a_path, b_path) or is_under(b_path, a_path):
            yield Diagnostic(
                "MLCC310",
                f"mount path '{b_path}' of box '{b_name}' overlaps '{a_path}' of box '{a_name}'",
                component.doc.locate(("spec", "connectedBoxes", j, "path")),
                hint="mount each box at its own folder, neither inside the other",
            )


def _reserved(component: Resource[MLComponent], reserved: tuple[ReservedPath, ...]) -> Iterator[Diagnostic]:
    """A path at or above one mlcc mounts would hide it; below it is a nested mount, which is fine."""
    exchange = component.obj.spec.ml_service.inference.file_exchange
    claimed = [(("spec", "connectedBoxes", i, "path"), f"box '{name}' is mounted at", path) for i, name, path in _mounts(component)]
    if exchange is not None:
        where = ("spec", "mlService", "inference", "fileExchange", "inferenceFilesPath")
        claimed.append((where, "inferenceFilesPath is", exchange.inference_files_path))
    for where, what, path in claimed:
        for mounted in reserved:
            if is_under(mounted.path, path):
                yield Diagnostic(
                    "MLCC313",
                    f"{what} '{path}', which would hide {mounted.path} ({mounted.purpose})",
                    component.doc.locate(where),
                    hint=f"choose a folder that is neither {mounted.path} nor above it",
                )
