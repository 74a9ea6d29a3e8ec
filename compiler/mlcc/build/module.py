"""Build one module for every environment: check → render → verify → serialise.

A plain function over picklable inputs and outputs, so `mlcc build` can run it
in worker processes and cache its result.
"""

from __future__ import annotations

from mlcc.environments import Environment
from mlcc.frontend import check_module
from mlcc.loader import ModuleSource
from mlcc.moduleoutput import ModuleOutput
from mlcc.render import argocd
from mlcc.render.module import render_module
from mlcc.output import folder_files
from mlcc.rules.context import LintContext
from mlcc.verify import verify
from mlcc.yamlio import dump_yaml


def build_module(source: ModuleSource, environments: list[Environment], context: LintContext) -> ModuleOutput:
    module, diagnostics = check_module(source, context)
    out = ModuleOutput(str(source.root), module.name, diagnostics=diagnostics)
    if not module.resources:
        return out
    out.namespace = module.namespace
    out.namespace_at = module.resources[0].doc.locate(("metadata", "namespace"))
    if out.failed:
        return out
    for env in environments:
        items, problems = render_module(module, env)
        application = argocd.emit(env, module.namespace, module.name, out.namespace_at)
        problems += verify([*items, application])
        out.diagnostics += problems
        if not problems:
            out.folders[f"{env.name}/{module.namespace}"] = folder_files(items)
            out.applications[env.name] = (application.file_name, dump_yaml(application.obj))
            out.objects += len(items)
    return out
