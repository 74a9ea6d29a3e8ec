"""`mlcc build`: every module for every environment, into one folder per Argo CD Application.

    rendered/<env>/<namespace>/kustomization.yaml, <kind>-<name>.yaml..., sourcemap.json
    rendered/<env>/argocd/kustomization.yaml, application-<env>-<namespace>.yaml...

Modules are built independently (in worker processes when there are many),
unchanged ones are taken from the cache, and only a build without errors
touches the output: `output.write_tree` replaces it all-or-nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from mlcc.build.cache import BuildCache, Snapshot, snapshot_inputs
from mlcc.build.pipeline import Environments
from mlcc.build.result import ModuleOutput
from mlcc.build.writer import OutputPlan
from mlcc.diagnostics import Diagnostic, has_errors, unique
from mlcc.frontend import loader
from mlcc.model.environment import Environment
from mlcc.rules import without_ignored
from mlcc.syntax.yamlio import dump_yaml

# Below this many modules to build, worker start-up costs more than it saves.
PARALLEL_FROM = 16


@dataclass
class BuildResult:
    plan: OutputPlan
    diagnostics: list[Diagnostic] = field(default_factory=list)
    outputs: list[ModuleOutput] = field(default_factory=list)
    inputs: dict[str, Snapshot] = field(default_factory=dict)  # module root → its files before the build
    rebuilt: int = 0

    @property
    def failed(self) -> bool:
        return has_errors(self.diagnostics)

    @property
    def objects(self) -> int:
        return sum(o.objects for o in self.outputs)


def build(
    paths: list[Path],
    environments: Environments,
    cache: BuildCache | None = None,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    prune: bool = False,
) -> BuildResult:
    """Every module under `paths` for the selected environments; `progress` hears the count built."""
    sources, diagnostics = loader.discover(paths)
    selected, context = environments.selected, environments.context
    result = BuildResult(OutputPlan([e.name for e in selected], prune=prune), environments.problems + diagnostics)
    todo = []
    for source in sources:
        root = str(source.root)
        result.inputs[root] = snapshot_inputs(root) if cache is not None else {}
        hit = cache.lookup(root, result.inputs[root]) if cache is not None else None
        if hit is not None:
            result.outputs.append(hit)
        else:
            todo.append(source)
    result.rebuilt = len(todo)
    for done, output in enumerate(_build_all(todo, selected, context, jobs), 1):
        result.outputs.append(output)
        if progress is not None:
            progress(done)
    result.outputs.sort(key=lambda o: o.root)
    for output in result.outputs:
        result.diagnostics += output.diagnostics
    result.diagnostics += _shared_namespaces(result.outputs)
    if not has_errors(result.diagnostics):
        for env in selected:
            _applications(env, result.outputs, result.plan, cache)
        for output in result.outputs:
            for folder, files in output.folders.items():
                _plan_folder(result.plan, folder, files)
    modules = without_ignored(result.diagnostics[len(environments.problems):], context.ignore)
    result.diagnostics = environments.problems + unique(sorted(modules, key=Diagnostic.sort_key))
    return result


def _build_all(sources, environments, context, jobs) -> Iterator[ModuleOutput]:
    if not sources:
        return
    from mlcc.build.module import build_module  # the whole compiler: not needed when all is cached

    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(sources) < PARALLEL_FROM:
        for source in sources:
            yield build_module(source, environments, context)
        return
    # fork: workers inherit the imported compiler instead of importing it again.
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        chunk = max(1, len(sources) // (workers * 8))
        yield from pool.map(build_module, sources, [environments] * len(sources), [context] * len(sources), chunksize=chunk)


def _plan_folder(plan: OutputPlan, folder: str, files: dict[str, str] | None) -> None:
    if files is None:
        plan.keep.append(folder)
        return
    plan.write.append(folder)
    plan.files.update({f"{folder}/{name}": text for name, text in files.items()})


def _applications(env: Environment, outputs: list[ModuleOutput], plan: OutputPlan, cache: BuildCache | None) -> None:
    """The env's Argo CD folder: every module's Application (made and checked with the module)."""
    files = dict(sorted(o.applications[env.name] for o in outputs if env.name in o.applications))
    if files:
        kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": list(files)}
        files["kustomization.yaml"] = dump_yaml(kustomization)
        folder = f"{env.name}/argocd"
        unchanged = cache is not None and cache.unchanged(folder, files)
        _plan_folder(plan, folder, None if unchanged else files)


def _shared_namespaces(outputs: list[ModuleOutput]) -> list[Diagnostic]:
    """One module is one namespace: two modules rendering into one folder would overwrite each other."""
    owners: dict[str, ModuleOutput] = {}
    problems = []
    for output in outputs:
        if output.namespace is None or output.namespace_at is None:
            continue
        first = owners.setdefault(output.namespace, output)
        if first is not output:
            problems.append(
                Diagnostic(
                    "MLCC312",
                    f"module '{output.name}' uses namespace '{output.namespace}', which module '{first.name}' already uses; "
                    "each module is deployed to a namespace of its own",
                    output.namespace_at,
                    hint="give one of the modules another namespace, or merge the two folders",
                    related=(first.namespace_at,),  # type: ignore[arg-type]
                )
            )
    return problems


def record(cache: BuildCache, result: BuildResult) -> None:
    """After a successful write: remember what each rebuilt module produced."""
    for output in result.outputs:
        if any(files is not None for files in output.folders.values()):
            cache.store(output, result.inputs[output.root])
    for folder in result.plan.write:
        if folder.endswith("/argocd"):
            cache.store_folder(folder)
    cache.forget_except(set(result.inputs))
    cache.save()
