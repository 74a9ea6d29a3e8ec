"""Argo CD: one Application per module and environment, pointing at its rendered folder."""

from __future__ import annotations

from mlcc.diagnostics import Location
from mlcc.k8s.objects import Emitted, Wave, bounded, label_value
from mlcc.model.environment import Environment
from mlcc.render.namespace import PSS


def application_name(env: Environment, namespace: str) -> str:
    # Argo CD puts the name in a label of every object it syncs: at most 63 characters, and
    # never the same for two long namespaces (a cut-off alone would make them collide).
    return bounded(f"{env.name}-{namespace}")


def emit(env: Environment, namespace: str, module: str, where: Location) -> Emitted:
    argocd = env.spec.argocd
    app = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": application_name(env, namespace),
            "namespace": argocd.namespace,
            "labels": {"app.kubernetes.io/part-of": label_value(module), "app.kubernetes.io/managed-by": "mlcc",
                       "unified-platform.cs.hse.ru/environment": env.name},
        },
        "spec": {
            "project": argocd.project,
            "source": {
                "repoURL": argocd.repo_url,
                "targetRevision": argocd.target_revision,
                "path": f"{argocd.path_prefix}/{env.name}/{namespace}".lstrip("/"),
            },
            "destination": {"server": argocd.destination_server, "namespace": namespace},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true", "PruneLast=true"],
                "managedNamespaceMetadata": {"labels": dict(PSS)},
                "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
            },
        },
    }
    return Emitted(app, where, Wave.NAMESPACE)
