"""What rules may know beyond the module itself."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RegistryCatalog:
    """Package registries a module may name, and where that list comes from.

    Environments supply it; a catalog is per environment so a message can say
    which one lacks a registry.
    """

    names: frozenset[str]
    origin: str


@dataclass(frozen=True)
class ReservedPath:
    """A container path mlcc mounts itself; a box or the files folder there (or above) would hide it."""

    path: str
    purpose: str


@dataclass(frozen=True)
class LintContext:
    registries: tuple[RegistryCatalog, ...]
    reserved_paths: tuple[ReservedPath, ...] = ()
    check_entrypoints: bool = True
