"""The Pod Security Standard "restricted" profile as rules over a pod spec.

Kubernetes enforces it at admission; mlcc checks its own output against it
before writing, so a violation is caught as a compiler bug, not a failed sync.
https://kubernetes.io/docs/concepts/security/pod-security-standards/
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

ALLOWED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
ALLOWED_ADD_CAPABILITIES = {"NET_BIND_SERVICE"}
# Baseline (which restricted includes): the namespaced sysctls any pod may set, the SELinux types it may use.
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
ALLOWED_SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}


def pod_spec_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    kind = obj.get("kind")
    if kind == "Pod":
        return obj.get("spec", {})
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return obj.get("spec", {}).get("template", {}).get("spec", {})
    if kind == "CronJob":
        return obj.get("spec", {}).get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
    return None


def violations(pod: dict[str, Any]) -> Iterator[str]:
    """Each rule of "restricted" (plus a read-only root filesystem) the pod spec breaks."""
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag):
            yield f"{flag} is set"
    for volume in pod.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= ALLOWED_VOLUMES:
            yield f"volume '{volume.get('name')}' uses {sorted(kinds - ALLOWED_VOLUMES)}"
    pod_ctx = pod.get("securityContext", {})
    if pod_ctx.get("runAsUser") == 0:
        yield "pod runs as UID 0"
    unsafe = sorted({s.get("name") for s in pod_ctx.get("sysctls", [])} - SAFE_SYSCTLS)
    if unsafe:
        yield f"sets unsafe sysctls {unsafe}"
    yield from (f"pod {v}" for v in _baseline_context(pod_ctx))
    for container in [*pod.get("initContainers", []), *pod.get("containers", []), *pod.get("ephemeralContainers", [])]:
        yield from (f"container '{container.get('name')}': {v}" for v in _container(container, pod_ctx))


def _baseline_context(ctx: dict[str, Any]) -> Iterator[str]:
    """Rules shared by pod and container security contexts."""
    selinux = ctx.get("seLinuxOptions", {})
    if selinux.get("type", "") not in ALLOWED_SELINUX_TYPES or selinux.get("user") or selinux.get("role"):
        yield f"seLinuxOptions {selinux} are not allowed"
    if ctx.get("appArmorProfile", {}).get("type") == "Unconfined":
        yield "AppArmor profile is Unconfined"
    if ctx.get("windowsOptions", {}).get("hostProcess"):
        yield "runs as a Windows HostProcess"


def _container(container: dict[str, Any], pod_ctx: dict[str, Any]) -> Iterator[str]:
    ctx = container.get("securityContext", {})
    if ctx.get("privileged"):
        yield "privileged"
    if ctx.get("allowPrivilegeEscalation") is not False:
        yield "allowPrivilegeEscalation is not false"
    if not (ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot")) is True):
        yield "runAsNonRoot is not true"
    if ctx.get("runAsUser", pod_ctx.get("runAsUser")) == 0:
        yield "runs as UID 0"
    seccomp = ctx.get("seccompProfile", pod_ctx.get("seccompProfile", {})).get("type")
    if seccomp not in ("RuntimeDefault", "Localhost"):
        yield "seccompProfile is not RuntimeDefault or Localhost"
    capabilities = ctx.get("capabilities", {})
    if "ALL" not in capabilities.get("drop", []):
        yield "capabilities do not drop ALL"
    if set(capabilities.get("add", [])) - ALLOWED_ADD_CAPABILITIES:
        yield f"adds capabilities {sorted(set(capabilities['add']) - ALLOWED_ADD_CAPABILITIES)}"
    if any(port.get("hostPort") for port in container.get("ports", [])):
        yield "uses a hostPort"
    if ctx.get("readOnlyRootFilesystem") is not True:
        yield "readOnlyRootFilesystem is not true"
    if ctx.get("procMount", "Default") != "Default":
        yield f"procMount is {ctx['procMount']}"
    yield from _baseline_context(ctx)
