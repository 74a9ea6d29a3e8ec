"""Helpers of the image tests: debootstrap base images cached between runs, buildah with chroot
isolation and vfs storage, and containers run in the foreground with host networking.

Docker Hub is unreachable where these tests run, so ``FROM python:3.x-slim`` cannot be pulled:
a Debian rootfs made by ``debootstrap`` stands in for it (``python3`` from Debian plus a virtualenv
at ``/opt/python`` first on ``PATH``, so ``python`` and ``pip`` behave like in the official image).

Everything is cached under ``$MLCC_IMAGE_CACHE`` (default ``~/.cache/mlcc-image-tests``): the
rootfs tarballs (keyed by suite and package list) and buildah's own storage, so layers survive
between runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator, Sequence

REPO = Path(__file__).resolve().parents[2]
IRIS = REPO / "modules" / "iris"
CACHE = Path(os.environ.get("MLCC_IMAGE_CACHE", Path.home() / ".cache" / "mlcc-image-tests"))
MIRROR = os.environ.get("MLCC_DEBIAN_MIRROR", "http://deb.debian.org/debian")
# Debian suite -> its python3 minor version.
SUITES = {"bookworm": "3.11", "trixie": "3.13"}
PACKAGES = ("python3-minimal", "python3-venv", "ca-certificates")
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
PATH_ENV = "/opt/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def missing_prerequisites() -> str | None:
    """Why the image tests cannot run here, or None."""
    if os.name != "posix" or os.geteuid() != 0:
        return "image tests need root (debootstrap and buildah with chroot isolation)"
    for tool in ("buildah", "debootstrap"):
        if shutil.which(tool) is None:
            return f"{tool} not installed (apt-get install -y buildah debootstrap)"
    return None


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:10]


@contextlib.contextmanager
def _lock(name: str) -> Iterator[None]:
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run(cmd: Sequence[str], timeout: float = 1800, **kwargs) -> subprocess.CompletedProcess:
    """Run a command; on failure raise with its output (so pytest shows why)."""
    result = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {result.returncode}\n"
                           f"--- stdout\n{result.stdout[-4000:]}\n"
                           f"--- stderr\n{result.stderr[-4000:]}")
    return result


def buildah_cmd(*args: str) -> list[str]:
    return ["buildah", "--root", str(CACHE / "storage"), "--runroot", str(CACHE / "run"),
            "--storage-driver", "vfs", *args]


def buildah(*args: str, timeout: float = 1800) -> str:
    return run(buildah_cmd(*args), timeout=timeout).stdout.strip()


def image_exists(name: str) -> bool:
    return subprocess.run(buildah_cmd("inspect", "--type", "image", name),
                          capture_output=True).returncode == 0


def rootfs_tarball(suite: str) -> Path:
    """A cached ``debootstrap --variant=minbase`` rootfs of ``suite`` with Python, as a tarball."""
    key = _key(suite, MIRROR, *PACKAGES)
    tarball = CACHE / f"rootfs-{suite}-{key}.tar"
    with _lock(f"rootfs-{suite}"):
        if tarball.exists():
            return tarball
        work = CACHE / f"rootfs-{suite}-{key}.d"
        shutil.rmtree(work, ignore_errors=True)
        run(["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", suite,
             str(work), MIRROR], timeout=1800)
        shutil.rmtree(work / "var" / "cache" / "apt" / "archives", ignore_errors=True)
        shutil.rmtree(work / "var" / "lib" / "apt" / "lists", ignore_errors=True)
        partial = tarball.with_suffix(".partial")
        run(["tar", "--numeric-owner", "-C", str(work), "-cf", str(partial), "."])
        partial.rename(tarball)
        shutil.rmtree(work, ignore_errors=True)
        return tarball


def base_image(suite: str) -> str:
    """A local stand-in for ``python:<minor>-slim`` built on Debian ``suite``; returns its name."""
    tarball = rootfs_tarball(suite)
    ca = HOST_CA.read_text() if HOST_CA.exists() else ""
    name = f"localhost/mlcc-test-python:{suite}-{_key(tarball.name, PATH_ENV, ca)}"
    with _lock(f"base-{suite}"):
        if image_exists(name):
            return name
        ctr = buildah("from", "scratch")
        try:
            buildah("add", ctr, str(tarball), "/")
            if ca:  # trust what the host trusts: egress here goes through a TLS-intercepting proxy
                buildah("copy", ctr, str(HOST_CA), str(HOST_CA))
            buildah("run", "--isolation", "chroot", ctr, "--",
                    "python3", "-m", "venv", "/opt/python")
            buildah("config", "--env", f"PATH={PATH_ENV}", "--env", "LANG=C.UTF-8",
                    "--env", f"PIP_CERT={HOST_CA}", "--env", "PIP_DISABLE_PIP_VERSION_CHECK=1",
                    "--cmd", "python3", ctr)
            buildah("commit", "--rm", ctr, name)
        except BaseException:
            subprocess.run(buildah_cmd("rm", ctr), capture_output=True)
            raise
        return name


def build(context: Path, tag: str, *, containerfile: Path | None = None,
          build_args: dict[str, str] | None = None, from_image: str | None = None,
          timeout: float = 1800) -> str:
    """``buildah bud`` with chroot isolation and layer caching; returns the tag."""
    args = ["bud", "--isolation", "chroot", "--layers", "--network", "host", "-t", tag]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    if from_image:
        args += ["--from", from_image]
    if containerfile:
        args += ["-f", str(containerfile)]
    args.append(str(context))
    buildah(*args, timeout=timeout)
    return tag


def image_config(name: str) -> dict:
    import json

    return json.loads(buildah("inspect", "--type", "image", name))


def image_size(name: str) -> int:
    """Bytes in the image's root filesystem (uncompressed, all layers): ``du`` of its mount."""
    ctr = buildah("from", "--pull-never", name)
    try:
        root = buildah("mount", ctr)
        return int(run(["du", "-sb", "--one-file-system", root]).stdout.split()[0])
    finally:
        subprocess.run(buildah_cmd("umount", ctr), capture_output=True)
        subprocess.run(buildah_cmd("rm", ctr), capture_output=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Container:
    """A working container of an image; ``run`` executes commands in it like the image would."""

    def __init__(self, image: str) -> None:
        self.image = image
        self.name = buildah("from", "--pull-never", image)

    def remove(self) -> None:
        subprocess.run(buildah_cmd("rm", self.name), capture_output=True, timeout=300)

    def _run_args(self, cmd: Sequence[str], env: dict[str, str] | None,
                  volumes: Sequence[str], user: str | None, workdir: str | None) -> list[str]:
        args = ["run", "--isolation", "chroot", "--network", "host"]
        for key, value in (env or {}).items():
            args += ["--env", f"{key}={value}"]
        for volume in volumes:
            args += ["--volume", volume]
        if user:
            args += ["--user", user]
        if workdir:
            args += ["--workingdir", workdir]
        return buildah_cmd(*args, self.name, "--", *cmd)

    def run(self, cmd: Sequence[str], env: dict[str, str] | None = None,
            volumes: Sequence[str] = (), user: str | None = None, workdir: str | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess:
        return run(self._run_args(cmd, env, volumes, user, workdir), timeout=timeout)

    @contextlib.contextmanager
    def serve(self, cmd: Sequence[str], port: int, env: dict[str, str] | None = None,
              volumes: Sequence[str] = (), user: str | None = None,
              workdir: str | None = None, timeout: float = 60) -> Iterator[str]:
        """Run a server in the container (foreground, host network); yields its base URL once
        ``/v2/health/ready`` answers 200, stops it afterwards."""
        log = CACHE / "logs" / f"serve-{self.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "w+") as out:
            proc = subprocess.Popen(self._run_args(cmd, env, volumes, user, workdir),
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            base = f"http://127.0.0.1:{port}"
            try:
                deadline = time.monotonic() + timeout
                while True:
                    if proc.poll() is not None:
                        out.seek(0)
                        raise AssertionError(f"server exited {proc.returncode}:\n{out.read()}")
                    try:
                        with urllib.request.urlopen(base + "/v2/health/ready", timeout=1) as r:
                            if r.status == 200:
                                break
                    except (OSError, urllib.error.HTTPError):
                        pass
                    if time.monotonic() > deadline:
                        out.seek(0)
                        raise AssertionError(f"not ready in {timeout} s:\n{out.read()}")
                    time.sleep(0.1)
                yield base
            finally:
                _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group of a ``buildah run`` (buildah and the server in it)."""
    import signal

    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def owned_dir(path: Path, uid: int = 10001, gid: int = 10001) -> Path:
    """A host folder the pod's user can write (what ``fsGroup`` does for an ``emptyDir``)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, uid, gid)
    return path

