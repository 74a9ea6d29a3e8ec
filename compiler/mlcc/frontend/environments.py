"""Load the environments of an overlays folder, checked like modules (or the built-in default)."""

from __future__ import annotations

from pathlib import Path

from mlcc.diagnostics import Diagnostic, Location
from mlcc.frontend.loader import link_out, links_outside, parse_file
from mlcc.frontend.manifests import validate
from mlcc.model.environment import DEFAULT, NAMESPACE_PLACEHOLDER, Environment

ENV_FILE = "environment.yaml"


def overlays_dir(overlays: Path | None) -> Path | None:
    """The overlays folder in use: the one given, else ./overlays when it holds environments."""
    if overlays is not None:
        return overlays
    candidate = Path("overlays")
    return candidate if any(candidate.glob(f"*/{ENV_FILE}")) else None


def load_environments(folder: Path | None) -> tuple[list[Environment], list[Diagnostic]]:
    """The environments of an overlays folder; None is the built-in default environment."""
    if folder is None:
        return [DEFAULT], []
    if not folder.is_dir():
        return [], [Diagnostic("MLCC701", f"overlays folder '{folder}' does not exist", Location.of_file(folder))]
    environments, diagnostics = [], []
    for path in sorted(folder.glob(f"*/{ENV_FILE}")):
        if links_outside(path, folder):
            diagnostics.append(link_out(path, "overlays folder"))
            continue
        documents, problems = parse_file(path)
        diagnostics += problems
        if len(documents) != 1:
            if not problems:
                diagnostics.append(
                    Diagnostic("MLCC701", f"{path} must hold exactly one Environment document", Location(str(path), 1, 1))
                )
            continue
        resource, problems = validate(documents[0], Environment)
        diagnostics += problems
        if resource is None:
            continue
        if resource.obj.name != path.parent.name:
            diagnostics.append(
                Diagnostic(
                    "MLCC701",
                    f"environment '{resource.obj.name}' lives in folder '{path.parent.name}'",
                    documents[0].locate(("metadata", "name")),
                    hint=f"name it `{path.parent.name}` or move the file",
                )
            )
        diagnostics += _shared_storage_key(resource.obj, documents[0])
        environments.append(resource.obj)
    if not environments and not diagnostics:
        diagnostics.append(
            Diagnostic("MLCC701", f"no */{ENV_FILE} under '{folder}'", Location.of_file(folder))
        )
    return environments, diagnostics


def _shared_storage_key(env: Environment, doc) -> list[Diagnostic]:
    """A bucket shared by every module with one key for all: each module's code can read and
    overwrite every other module's models and users' files."""
    storage = env.spec.storage
    shared = {"csi-s3": ("csiS3", storage.csi_s3), "external": ("external", storage.external)}.get(storage.provider)
    if shared is None or shared[1] is None:
        return []
    key = shared[1].credentials.remote_key
    if key is None or NAMESPACE_PLACEHOLDER in key:
        return []
    return [
        Diagnostic(
            "MLCC704",
            f"environment '{env.name}' gives every module the same storage key '{key}' for bucket "
            f"'{shared[1].bucket}': each module could read and overwrite the others' data",
            doc.locate(("spec", "storage", shared[0], "credentials", "remoteKey")),
            hint=f"write a key per module, e.g. `remoteKey: {key.rstrip('/')}/{NAMESPACE_PLACEHOLDER}`, and give each "
            "one a policy on its own `<namespace>/` prefix of the bucket",
        )
    ]
