"""What a module declares, counting manifests that failed their own checks.

A manifest with an error has already been reported; references to it must not be
reported again as "unknown" (one mistake, one diagnostic). That holds for a
manifest whose kind is misspelt too: `kind: DataBx` was meant to be a DataBox.
"""

from __future__ import annotations

from typing import Any

from mlcc.diagnostics.suggest import closest
from mlcc.frontend.module import Module
from mlcc.model import KINDS
from mlcc.syntax.source import Document


def meant_kind(kind: Any) -> str | None:
    """The kind a manifest was meant to have: its own, or the known kind it misspells."""
    if not isinstance(kind, str):
        return None
    return kind if kind in KINDS else closest(kind, KINDS)


def declared(module: Module, kind: str) -> set[str]:
    """Names of `kind` written in the module, valid or not."""
    return module.declared(kind) | {name for k, name in module.broken if meant_kind(k) == kind}


def documents_of(module: Module, kind: str) -> list[Document]:
    """Every document of the module meant as `kind`, valid or not."""
    return [doc for doc in module.source.documents if doc.is_mapping and meant_kind(doc.kind) == kind]
