"""What a component asks of the environments it is built for: an autoscaler able to do its
`scaling`, GPU nodes for the GPUs it asks for. Checked for every environment, at the line that
asks, so lint says it before a cluster would (a Deployment that never scales, a pod Pending
forever)."""

from __future__ import annotations

from collections.abc import Iterator

from mlcc.diagnostics import Diagnostic
from mlcc.frontend.module import Module
from mlcc.model.environment import is_gpu
from mlcc.rules.context import LintContext


def check(module: Module, context: LintContext) -> Iterator[Diagnostic]:
    for component in module.mlcomponents:
        spec = component.obj.spec
        scaling = spec.scaling
        for platform in context.platforms:
            if scaling is not None and scaling.min_replicas == 0 and not platform.scales_to_zero:
                how = "has no autoscaler" if not platform.scales else f"scales with {platform.autoscaler}, which cannot scale to zero"
                yield Diagnostic(
                    "MLCC705",
                    f"MLComponent '{component.name}' scales to zero (minReplicas: 0), but {platform.origin} {how}",
                    component.doc.locate(("spec", "scaling", "minReplicas")),
                    hint="set minReplicas: 1 or more, or build for an environment with autoscaling.provider: keda "
                    "(KEDA's HTTP add-on wakes it on the first request)",
                )
            elif scaling is not None and not platform.scales:
                yield Diagnostic(
                    "MLCC707",
                    f"MLComponent '{component.name}' scales with the load, but {platform.origin} has no autoscaler: "
                    f"it runs minReplicas ({scaling.min_replicas}) replicas whatever the load",
                    component.doc.locate(("spec", "scaling")),
                    hint=f"the platform team can set autoscaling.provider (hpa or keda) in {platform.origin}",
                )
            for name in spec.image.resource_limits.extended:
                gpu = platform.gpu
                if gpu is None and is_gpu(name):
                    yield Diagnostic(
                        "MLCC706",
                        f"MLComponent '{component.name}' asks for {name}, but {platform.origin} has no GPU nodes "
                        "(no spec.gpu): the pod would stay Pending",
                        component.doc.locate(("spec", "image", "resourceLimits", name), key=True),
                        hint=f"remove {name}, or have the platform team describe the GPU nodes of {platform.origin} (spec.gpu)",
                    )
