"""The pipeline, assembled in one place: select environments → check modules → render → verify.

Every command that checks or renders modules goes through here: `mlcc build` (per module, in
workers), `mlcc diff` (both revisions, through the build), `mlcc apply`, `mlcc run`, `mlcc lint`
and `mlcc model push`. A command
adds what it needs around the pipeline; it never re-orders or skips a stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlcc.diagnostics import Diagnostic, has_errors, unique
from mlcc.frontend import loader
from mlcc.frontend.environments import load_environments
from mlcc.frontend.module import Module, load_module
from mlcc.k8s.objects import Emitted
from mlcc.model.environment import Environment
from mlcc.render import argocd
from mlcc.render.module import render_module
from mlcc.rules import run as run_rules
from mlcc.rules import without_ignored
from mlcc.rules.context import LintContext, lint_context
from mlcc.rules.ignores import ignored


class PipelineError(Exception):
    """A request the pipeline cannot serve as asked (an environment that does not exist): a usage
    error of the caller, not a problem of the modules."""


@dataclass(frozen=True)
class Environments:
    """The environments a run renders for, the problems of their files, and what rules must know."""

    selected: list[Environment]
    problems: list[Diagnostic]
    context: LintContext


def select_environments(
    overlays: Path | None,
    names: Sequence[str] | None = None,
    *,
    check_entrypoints: bool = True,
    strict: bool = True,
    first: bool = False,
    ignore: frozenset[str] = frozenset(),
    code: Path | None = None,
) -> Environments:
    """The environments of `overlays` (None: the built-in one), narrowed to `names` when given,
    and to the first of them with `first` (a local run is one environment). `code`: where the
    entry points' code is, when not in the module folders (`--code`).

    An unknown name is a PipelineError when `strict` and the environment files are sound (with
    broken files the name may be in one of them: their diagnostics say more).
    """
    environments, problems = load_environments(overlays)
    if names:
        unknown = sorted(set(names) - {e.name for e in environments})
        if unknown and strict and not problems:
            known = ", ".join(e.name for e in environments)
            raise PipelineError(f"unknown environment(s) {', '.join(unknown)}; known: {known}")
        environments = [e for e in environments if e.name in names]
    if first:
        environments = environments[:1]
    return Environments(environments, problems, lint_context(environments, check_entrypoints, ignore, code))


@dataclass
class Checked:
    modules: list[Module]
    diagnostics: list[Diagnostic]

    @property
    def failed(self) -> bool:
        return has_errors(self.diagnostics)

    @property
    def sources(self) -> dict[str, str]:
        """The texts of the manifests read (file → text), so a report need not read them again."""
        return {str(doc.source.path): doc.source.text for m in self.modules for doc in m.source.documents}


def check_module(source: loader.ModuleSource, context: LintContext) -> tuple[Module, list[Diagnostic]]:
    """One module: parsed, typed and checked by every rule, less the warnings it ignores."""
    module, diagnostics = load_module(source)
    diagnostics.extend(run_rules(module, context))
    return module, without_ignored(diagnostics, ignored(module))


def check(paths: list[Path], environments: Environments, render_too: bool = False) -> Checked:
    """Every module under `paths`, with the environments' own problems: all of them in one list.

    With `render_too`, each module without errors is also rendered (not verified: that checks
    mlcc's own output) for every selected environment, so a check reports all the module's problems
    that `mlcc build` would (what `mlcc lint` does).
    """
    sources, diagnostics = loader.discover(paths)
    modules = []
    for source in sources:
        module, problems = check_module(source, environments.context)
        modules.append(module)
        diagnostics.extend(problems)
        if render_too and module.resources and not has_errors(problems):
            for env in environments.selected:
                diagnostics.extend(render(module, env, verified=False).problems)
    diagnostics = without_ignored(diagnostics, environments.context.ignore)
    return Checked(modules, environments.problems + unique(sorted(diagnostics, key=Diagnostic.sort_key)))


@dataclass
class Rendered:
    """One module for one environment: its objects and Argo CD Application, verified together."""

    objects: list[Emitted]
    application: Emitted
    problems: list[Diagnostic]  # errors, and warnings about what the output leaves to the cluster

    @property
    def failed(self) -> bool:
        return has_errors(self.problems)


def render(module: Module, env: Environment, verified: bool = True) -> Rendered:
    """Render a checked module (no errors) and verify every object it makes before anyone uses it.

    `verified=False` skips the output checks, for a lint that reports the module's problems, not
    mlcc's own (the verified objects are what `mlcc build` writes).
    """
    assert module.namespace is not None and module.resources  # checked modules have both
    objects, problems = render_module(module, env)
    namespace_at = module.resources[0].doc.locate(("metadata", "namespace"))
    application = argocd.emit(env, module.namespace, module.name, namespace_at)
    if verified:
        from mlcc.k8s.verify import verify  # loads the Kubernetes schemas: only when output is kept

        problems += verify([*objects, application])
    return Rendered(objects, application, without_ignored(problems, ignored(module)))
