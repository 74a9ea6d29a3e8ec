"""Module → Namespace (Pod Security "restricted") and its NetworkPolicies."""

from __future__ import annotations

from mlcc.model.environment import Environment
from mlcc.frontend.module import Module
from mlcc.k8s.objects import COMPONENT, Emitted, Wave, meta

PSS = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}


def emit(module: Module, env: Environment, published_components: set[str], route_controller: str) -> list[Emitted]:
    namespace = module.namespace
    where = module.resources[0].doc.locate(("metadata", "namespace"))
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta(namespace, None, module.name, "namespace"),
    }
    ns["metadata"]["labels"].update(PSS)
    policies = [_default_deny(namespace, module.name), _allow_dns(namespace, module.name), _allow_egress(namespace, module.name, env)]
    if published_components:
        policies.append(_allow_from_gateway(namespace, module.name, route_controller))
    return [Emitted(ns, where, Wave.NAMESPACE, keeps_data=True)] + [Emitted(p, where, Wave.POLICY) for p in policies]


def _policy(name: str, namespace: str, module: str, spec: dict) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(name, namespace, module, "network-policy"),
        "spec": spec,
    }


def _default_deny(namespace: str, module: str) -> dict:
    return _policy("default-deny", namespace, module, {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})


def _allow_dns(namespace: str, module: str) -> dict:
    return _policy(
        "allow-dns",
        namespace,
        module,
        {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }
            ],
        },
    )


def _allow_egress(namespace: str, module: str, env: Environment) -> dict:
    """Object storage and package registries live outside the cluster network the policy can name."""
    network = env.spec.network
    return _policy(
        "allow-egress-storage",
        namespace,
        module,
        {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [{"ipBlock": {"cidr": cidr}} for cidr in network.egress_cidrs],
                    "ports": [{"protocol": "TCP", "port": port} for port in network.egress_ports],
                }
            ],
        },
    )


def _allow_from_gateway(namespace: str, module: str, controller: str) -> dict:
    """Only the route controller's proxies (in namespace `controller`) may call the module's pods."""
    return _policy(
        "allow-from-gateway",
        namespace,
        module,
        {
            "podSelector": {"matchExpressions": [{"key": COMPONENT, "operator": "In", "values": ["file-api", "inference"]}]},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": controller}}}],
                    "ports": [{"protocol": "TCP", "port": "http"}],
                }
            ],
        },
    )
