"""Module → Namespace (Pod Security "restricted") and its NetworkPolicies."""

from __future__ import annotations

from collections.abc import Sequence

from mlcc.frontend.module import Module
from mlcc.k8s.objects import COMPONENT, Emitted, Wave, meta
from mlcc.model.environment import Environment
from mlcc.render.providers.base import Allow

PSS = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}


def emit(
    module: Module,
    env: Environment,
    published_components: set[str],
    route_controller: str,
    store_egress: list[dict],
    allows: Sequence[Allow] = (),
) -> list[Emitted]:
    """`store_egress`: the storage provider's egress rules to an in-cluster store; `allows`: what
    providers' controllers (a metrics scraper, an activator) must reach in the module's pods."""
    namespace = module.namespace
    where = module.resources[0].doc.locate(("metadata", "namespace"))
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta(namespace, None, module.name, "namespace"),
    }
    ns["metadata"]["labels"].update(PSS)
    policies = [_default_deny(namespace, module.name), _allow_dns(namespace, module.name)]
    egress = _allow_egress(namespace, module.name, env, store_egress)
    if egress is not None:
        policies.append(egress)
    if published_components:
        policies.append(_allow_from_gateway(namespace, module.name, route_controller))
    policies += [_allow(namespace, module.name, allow) for allow in allows]
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


def _allow_egress(namespace: str, module: str, env: Environment, store_egress: list[dict]) -> dict | None:
    """Egress to the object store and package registries: by selector to a store inside the
    cluster, by CIDR to what lies outside it (a CIDR rule cannot name pods the CNI manages)."""
    network = env.spec.network
    rules = list(store_egress)
    if network.egress_cidrs:  # an empty `to` would allow every destination
        rules.append(
            {
                "to": [{"ipBlock": {"cidr": cidr}} for cidr in network.egress_cidrs],
                "ports": [{"protocol": "TCP", "port": port} for port in network.egress_ports],
            }
        )
    if not rules:
        return None
    return _policy("allow-egress-storage", namespace, module, {"podSelector": {}, "policyTypes": ["Egress"], "egress": rules})


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


def _allow(namespace: str, module: str, allow: Allow) -> dict:
    """A provider's controller (pods of another namespace) may call the `http` port of the pods
    `allow.to` selects."""
    peer: dict = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": allow.namespace}}}
    if allow.pod_labels:
        peer["podSelector"] = {"matchLabels": dict(sorted(allow.pod_labels.items()))}
    return _policy(
        allow.policy,
        namespace,
        module,
        {
            "podSelector": dict(allow.to),
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [peer], "ports": [{"protocol": "TCP", "port": "http"}]}],
        },
    )
