"""Environments (cluster profiles). Until overlays exist, one built-in default applies."""

from __future__ import annotations

from pathlib import Path

from mlcc.rules.context import RegistryCatalog

BUILTIN_REGISTRIES = {"python-package-registry": "https://pypi.org/simple"}


def registry_catalogs(overlays: Path | None) -> tuple[RegistryCatalog, ...]:
    return (RegistryCatalog(frozenset(BUILTIN_REGISTRIES), "the built-in default environment"),)
