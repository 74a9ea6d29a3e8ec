"""Start a rendered module on this machine, as the cluster would, and stop it cleanly.

The rendered Deployments are the source of truth: each container runs with the
same command, arguments and environment (ConfigMaps, $(VAR) expansion),
container paths mapped to local folders, boxes served by a loopback S3 server,
the runtime taken from the installed `mlcc-runtime` (the `copy` injection path).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from mlcc.frontend.module import Module
from mlcc.k8s.objects import Emitted
from mlcc.model.environment import Autoscaling, Environment, Routes, Storage
from mlcc.model.examples import Example, parse_examples
from mlcc.render.providers.storage.obc import ObcProvider
from mlcc.tools.local import storage
from mlcc.tools.local.gateway import Gateway, GatewayError, Route, routes_from_ingresses
from mlcc.tools.local.kube import ObjectStore, command_of, container_env

READY_TIMEOUT = 60.0
# Where the runtime says why it is not ready.
NOT_READY_HEADER = "Mlcc-Not-Ready"
LOCAL_USER = "developer"


class RunError(Exception):
    pass


@dataclass(frozen=True)
class SmokeResult:
    component: str
    example: str
    status: int  # the HTTP status; 0 when no answer came
    body: str

    @property
    def ok(self) -> bool:
        return self.status == 200


def local_environment(env: Environment) -> Environment:
    """The environment as the laptop can honour it: ingress routes, buckets synced from local S3,
    one process per Deployment (no autoscaler, so routes go straight to the components)."""
    spec = env.spec.model_copy(update={
        "storage": Storage(provider="obc", mount="sync"), "routes": Routes(style="ingress"), "autoscaling": Autoscaling(),
    })
    return env.model_copy(update={"spec": spec})


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    port: int
    log: Path


@dataclass
class Session:
    module: Module
    env: Environment
    objects: list[Emitted]
    say: Callable[[str], None] = print
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    # Where the developer's code is when not in the module folder (`mlcc run --code DIR`).
    code: Path | None = None
    processes: list[Process] = field(default_factory=list)
    workdir: Path | None = None
    s3: storage.LocalS3 | None = None
    gateway: Gateway | None = None

    # --- start ------------------------------------------------------------------

    def start(self, port: int) -> Gateway:
        try:
            self.gateway = Gateway([], self.credentials, port)  # a busy port fails before anything starts
        except GatewayError as exc:
            raise RunError(str(exc)) from None
        self.workdir = Path(tempfile.mkdtemp(prefix=f"mlcc-run-{self.module.name}-"))
        self.s3 = storage.start()
        self.say(f"local S3 on {self.s3.endpoint}")
        store = self._object_store()
        ports: dict[str, int] = {}
        for deployment in self._of_kind("Deployment"):
            process = self._start_deployment(deployment, store)
            ports[deployment["metadata"]["name"]] = process.port
        for process in self.processes:
            self._wait_ready(process)
        routes = routes_from_ingresses(self._of_kind("Ingress"), ports)
        self.gateway.routes = routes
        self.gateway.start()
        self._announce(routes)
        return self.gateway

    def _of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [e.obj for e in self.objects if e.kind == kind]

    def _object_store(self) -> ObjectStore:
        assert self.s3 is not None
        store = ObjectStore()
        for item in self.objects:
            if item.kind == "ConfigMap":
                store.config_maps[item.name] = dict(item.obj.get("data", {}))
        data_root = self.module.source.root / "data"
        provider = ObcProvider(self.env)  # the provider the local environment renders boxes with
        for box in self.module.databoxes:
            bucket = provider.bucket_name(box)
            count = storage.seed(self.s3, bucket, data_root / box.name)
            self.say(f"box {box.name}: bucket {bucket}, seeded {count} file(s) from {data_root / box.name}")
            name = provider.claim_name(box)
            store.config_maps[name] = {
                "BUCKET_HOST": "127.0.0.1", "BUCKET_PORT": str(self.s3.port),
                "BUCKET_NAME": bucket, "BUCKET_REGION": storage.REGION,
            }
            store.secrets[name] = {"AWS_ACCESS_KEY_ID": storage.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": storage.SECRET_KEY}
        return store

    def _start_deployment(self, deployment: dict[str, Any], store: ObjectStore) -> Process:
        assert self.workdir is not None
        name = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]["spec"]
        volumes = {v["name"]: self.workdir / name / v["name"] for v in pod.get("volumes", [])}
        for folder in volumes.values():
            folder.mkdir(parents=True, exist_ok=True)
        for volume in pod.get("volumes", []):
            if "configMap" in volume:  # a ConfigMap volume: one file per key, as the kubelet writes it
                for key, text in store.config_maps.get(volume["configMap"]["name"], {}).items():
                    (volumes[volume["name"]] / key).write_text(text, encoding="utf-8")
        for init in pod.get("initContainers", []):
            if init["name"].startswith("sync-"):
                self._run_sync(init, store, volumes)
        container = pod["containers"][0]
        code = self.code if self.code is not None else self.module.source.root
        paths = _path_map(container, volumes, self.env.spec.runtime.app_root, code)
        env = {k: _local_path(v, paths) for k, v in container_env(container, store).items()}
        port = storage.free_port()
        env.pop("PYTHONPATH", None)  # the installed runtime stands in for the copied one
        env["MLCC_PORT"] = str(port)
        env["MLCC_HOST"] = "127.0.0.1"
        env["MLCC_LOG_FORMAT"] = "text"
        command = _local_command(command_of(container, env), port)
        log = self.workdir / f"{name}.log"
        with open(log, "wb") as out:
            popen = subprocess.Popen(
                command, env=_process_env(env), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        process = Process(name, popen, port, log)
        self.processes.append(process)
        self.say(f"starting {name} on 127.0.0.1:{port} (log: {log})")
        return process

    def _run_sync(self, init: dict[str, Any], store: ObjectStore, volumes: dict[str, Path]) -> None:
        env = container_env(init, store)
        paths = {m["mountPath"]: volumes[m["name"]] for m in init.get("volumeMounts", [])}
        # Map the container's own arguments first: this interpreter's path may lie under a mount point.
        command = _local_command([_local_path(arg, paths) for arg in command_of(init, env)], None)
        result = subprocess.run(command, env=_process_env(env), capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RunError(f"{init['name']} failed: {result.stderr.strip() or result.stdout.strip()}")
        self.say(f"{init['name']}: synced {command[-2]} into {command[-1]}")

    def _wait_ready(self, process: Process) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        url = f"http://127.0.0.1:{process.port}/v2/health/ready"
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise RunError(f"{process.name} exited with {process.popen.returncode}:\n{_tail(process.log)}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        self.say(f"{process.name} is ready")
                        return
            except urllib.error.HTTPError as exc:
                reason = exc.headers.get(NOT_READY_HEADER, "")
                if "failed" in reason:  # a failed warm-up stays failed: say why now, not after the timeout
                    raise RunError(f"{process.name} is not ready: {reason}:\n{_tail(process.log)}") from None
            except OSError:
                pass
            time.sleep(0.1)
        raise RunError(f"{process.name} was not ready within {READY_TIMEOUT:.0f} s:\n{_tail(process.log)}")

    def _announce(self, routes) -> None:
        assert self.gateway is not None
        base = f"http://127.0.0.1:{self.gateway.port}"
        for secret, users in sorted(self.credentials.items()):
            for user, password in sorted(users.items()):
                self.say(f"basic auth {secret}: user '{user}', password '{password}'")
        for route in routes:
            self.say(f"route {base}{route.prefix}/ → {route.service}")
        for route in (r for r in routes if not r.internal_prefix):
            examples = self.examples().get(route.service, [])
            body = json.dumps(examples[0].request) if examples else '{"inputs": [...]}'
            self.say(f"try: curl -sL {self._curl_auth(route)}-H 'Content-Type: application/json' "
                     f"{base}{route.prefix}/predict -d '{body}'")

    def _curl_auth(self, route: Route) -> str:
        if not route.credentials:
            return ""
        user, password = next(iter(self.credentials.get(route.credentials, {LOCAL_USER: ""}).items()))
        return f"-u {user}:{password} "

    def examples(self) -> dict[str, list[Example]]:
        """Each MLComponent's example requests (by the name of its Service), as the runtime reads them."""
        found = {}
        for component in self.module.mlcomponents:
            name = component.obj.spec.ml_service.inference.examples
            if name is not None and name in self.module.attached:
                found[component.name] = parse_examples(self.module.attached[name])
        return found

    def smoke(self) -> list[SmokeResult]:
        """Every example through the gateway's `/predict` of its component, as a client calls it."""
        assert self.gateway is not None
        results = []
        for route in (r for r in self.gateway.routes if not r.internal_prefix):
            users = self.credentials.get(route.credentials or "", {})
            headers = {"Content-Type": "application/json"}
            if users:
                user, password = next(iter(users.items()))
                headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
            for example in self.examples().get(route.service, []):
                request = urllib.request.Request(
                    f"http://127.0.0.1:{self.gateway.port}{route.prefix}/predict",
                    data=json.dumps(example.request).encode(), headers=headers, method="POST",
                )
                try:
                    with urllib.request.urlopen(request, timeout=READY_TIMEOUT) as response:
                        status, text = response.status, response.read().decode(errors="replace")
                except urllib.error.HTTPError as exc:
                    status, text = exc.code, exc.read().decode(errors="replace")
                except OSError as exc:
                    status, text = 0, str(exc)
                results.append(SmokeResult(route.service, example.name, status, text))
        return results

    # --- stop -------------------------------------------------------------------

    def stop(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()
        for process in self.processes:
            if process.popen.poll() is None:
                os.killpg(process.popen.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait()
        if self.s3 is not None:
            self.s3.stop()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.say("stopped")


def load_credentials(path: Path | None, wanted: set[str]) -> dict[str, dict[str, str]]:
    """`SECRET user:password` lines; a Secret without a line gets a random password for `developer`."""
    found: dict[str, dict[str, str]] = {}
    if path is not None:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            secret, _, pair = line.strip().partition(" ")
            user, sep, password = pair.strip().partition(":")
            if not sep or not user:
                raise RunError(f"{path}:{number}: expected `SECRET user:password`")
            found.setdefault(secret, {})[user] = password
    for secret in wanted - set(found):
        found[secret] = {LOCAL_USER: secrets.token_urlsafe(12)}
    return found


def _path_map(container: dict[str, Any], volumes: dict[str, Path], app_root: str, code_root: Path) -> dict[str, Path]:
    """Container paths → local folders: each volume's, and the app root → the folder of the code
    (the module folder, or `--code DIR`), as the developer's image holds it."""
    paths = {m["mountPath"]: volumes[m["name"]] for m in container.get("volumeMounts", []) if m["name"] in volumes}
    paths[app_root] = code_root.resolve()
    return paths


def _local_path(value: str, paths: dict[str, Path]) -> str:
    """A container path → the local folder standing in for it (longest mount first)."""
    for mount in sorted(paths, key=len, reverse=True):
        if value == mount or value.startswith(mount.rstrip("/") + "/"):
            return str(paths[mount]) + value[len(mount.rstrip("/")):]
    return value


def _local_command(command: list[str], port: int | None) -> list[str]:
    """The container's command with this interpreter standing in for `python` and `mlcc-runtime`."""
    if command[:1] == ["mlcc-runtime"]:
        command = [sys.executable, "-m", "mlcc_runtime", *command[1:]]
    elif command[:1] and command[0] in ("python", "python3"):
        command = [sys.executable, *command[1:]]
    if port is not None and "--port" in command:
        command[command.index("--port") + 1] = str(port)
    return command


def _process_env(env: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")}
    return {**base, **env}


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
