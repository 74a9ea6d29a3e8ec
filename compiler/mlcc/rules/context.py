"""What rules may know beyond the module itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlcc.model.container import APP_ROOT_PURPOSE, RESERVED_PATHS
from mlcc.model.environment import Environment, Gpu


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
class Platform:
    """What an environment offers the components built for it: an autoscaler, GPU nodes."""

    name: str
    autoscaler: str  # hpa | keda | none
    scales: bool  # replicas follow the load
    scales_to_zero: bool  # minReplicas 0 works (a request wakes the component)
    gpu: Gpu | None  # the GPU nodes, None: none

    @property
    def origin(self) -> str:
        return f"environment '{self.name}'"


@dataclass(frozen=True)
class LintContext:
    registries: tuple[RegistryCatalog, ...]
    reserved_paths: tuple[ReservedPath, ...] = ()
    check_entrypoints: bool = True
    # Warning codes the caller ignores in every module (`--ignore`), applied after any cache.
    ignore: frozenset[str] = frozenset()
    # A checkout of the code repository (`--code DIR`): entry points are read there, not in the module.
    code: Path | None = None
    # The environments' autoscalers and GPU nodes; none: what the components ask is not checked.
    platforms: tuple[Platform, ...] = ()


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
    platforms = tuple(
        Platform(env.name, env.spec.autoscaling.provider, env.spec.autoscaling.scales, env.spec.autoscaling.scales_to_zero,
                 env.spec.gpu)
        for env in environments
    )
    return LintContext(registries, tuple(reserved), check_entrypoints, ignore, code, platforms=platforms)
