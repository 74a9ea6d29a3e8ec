"""Build one module for every environment: the pipeline, then the files of its output folders.

A plain function over picklable inputs and outputs, so `mlcc build` can run it in worker processes
and cache its result.
"""

from __future__ import annotations

from mlcc.build.pipeline import check_module, render
from mlcc.build.result import ModuleOutput
from mlcc.build.writer import folder_files
from mlcc.frontend.loader import ModuleSource
from mlcc.model.environment import Environment
from mlcc.rules.context import LintContext
from mlcc.syntax.yamlio import dump_yaml


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
        rendered = render(module, env)
        out.diagnostics += rendered.problems
        if not rendered.failed:
            out.folders[f"{env.name}/{module.namespace}"] = folder_files(rendered.objects)
            out.applications[env.name] = (rendered.application.file_name, dump_yaml(rendered.application.obj))
            out.objects += len(rendered.objects)
    return out
