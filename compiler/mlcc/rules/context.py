"""What rules may know beyond the module itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlcc.model.container import APP_ROOT_PURPOSE, RESERVED_PATHS
from mlcc.model.environment import Environment


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
    # Warning codes the caller ignores in every module (`--ignore`), applied after any cache.
    ignore: frozenset[str] = frozenset()
    # A checkout of the code repository (`--code DIR`): entry points are read there, not in the module.
    code: Path | None = None


def lint_context(
    environments: list[Environment],
    check_entrypoints: bool = True,
    ignore: frozenset[str] = frozenset(),
    code: Path | None = None,
) -> LintContext:
    """What the rules must know of the environments a module is checked for."""
    registries = tuple(
        RegistryCatalog(frozenset(env.spec.package_registries), f"environment '{env.name}'")
        for env in environments
    )
    reserved = [ReservedPath(path, purpose) for path, purpose in RESERVED_PATHS]
    reserved += [ReservedPath(root, APP_ROOT_PURPOSE) for root in sorted({e.spec.runtime.app_root for e in environments})]
    return LintContext(registries, tuple(reserved), check_entrypoints, ignore, code)
