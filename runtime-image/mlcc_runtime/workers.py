"""Several worker processes on one port: ``mlcc-runtime serve`` with ``MLCC_WORKERS`` above 1.

The process started by the container becomes a supervisor. It imports no user code: it binds the
listening socket and starts ``MLCC_WORKERS`` copies of ``python -m mlcc_runtime serve`` (same
arguments, same environment) that inherit the socket, so the kernel hands each new connection to
whichever worker accepts it first. Each worker is a whole single-process runtime: it imports the
function, loads the model once (its first call, or its warm-up) and serves.

- **Start.** Worker 0 starts first; the others once it has imported the function, so an entry
  point that cannot be served stops the start with one error line and status 2, as a single
  process does. A worker that exits before it started serving makes the supervisor stop the
  others and exit with that worker's status: the pod fails instead of serving short-handed.
- **Readiness** is the pod's. The workers share a small state file (one byte each: starting,
  warming up, ready, warm-up failed, draining) and each answers ``/v2/health/ready`` with 200 only
  when *every* worker is ready, so a worker that is still warming up, or whose warm-up failed,
  never hides behind a ready one; ``Mlcc-Not-Ready`` says which worker holds it.
- **Metrics** are the pod's: the workers write prometheus_client's multiprocess files into one
  folder (``PROMETHEUS_MULTIPROC_DIR``, a fresh one unless set) and ``/metrics`` of any worker
  sums them (gauges: requests in flight summed over live workers, model loaded the minimum).
- **A worker that dies** after it started (killed, out of memory) is started again; readiness
  says no until it is ready again.
- **Signals.** SIGTERM or SIGINT goes to every worker, which drains as a single process does;
  the supervisor exits 0 when all exited 0. A second signal is passed on too (the workers stop
  at once) and the supervisor exits with 128 + the signal. Workers run in their own process
  group (a terminal's Ctrl-C reaches only the supervisor, which passes it on once) and are
  killed if the supervisor dies.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import mmap
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import NamedTuple

from mlcc_runtime import cgroup

log = logging.getLogger("mlcc_runtime")

# Set by the supervisor in each worker's environment (internal: not for users).
ENV_FD = "MLCC_WORKER_FD"  # the inherited listening socket
ENV_INDEX = "MLCC_WORKER_INDEX"  # 0 .. count-1
ENV_COUNT = "MLCC_WORKER_COUNT"
ENV_STATE = "MLCC_WORKER_STATE"  # the shared state file
ENV_PARENT = "MLCC_WORKER_PARENT"  # the supervisor's pid
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
BACKLOG = 2048
_POLL = 0.1  # seconds between looks at the workers


# -- sizing ---------------------------------------------------------------------------------

def cpu_limit(root: str = cgroup.ROOT, proc_cgroup: str = cgroup.PROC_CGROUP) -> float | None:
    """The CPU limit of this process's cgroup in cores (``cpu.max`` quota / period, or v1's
    ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``), None when there is none or it cannot be read.
    Looked up at the process's own cgroup path and at the mount point, as memory.py does."""
    v2_path, v1_path = cgroup.own_paths("cpu", proc_cgroup)
    base = Path(root)
    limits = []
    for folder in (base / v2_path, base):
        try:
            quota, period = (folder / "cpu.max").read_text().split()[:2]
        except (OSError, ValueError):
            continue
        if quota.isdigit() and period.isdigit() and int(period) > 0:
            limits.append(int(quota) / int(period))
    for folder in (base / "cpu" / v1_path, base / "cpu", base / "cpu,cpuacct"):
        try:
            quota_text = (folder / "cpu.cfs_quota_us").read_text().strip()
            period_text = (folder / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            continue
        if quota_text.isdigit() and period_text.isdigit() and int(period_text) > 0:
            limits.append(int(quota_text) / int(period_text))  # -1 (no limit) is not digits
    return min(limits) if limits else None


def default_workers(limit: float | None = None) -> int:
    """Worker processes for a CPU limit of ``limit`` cores: one per whole core (2 -> 2, 1500m ->
    1, 500m -> 1: a Python process runs Python on one core at a time, and more processes than
    whole cores would only contend), never more than the CPUs this process may run on; one
    without a limit. ``MLCC_WORKERS`` overrides it (the compiler renders the same rule)."""
    if limit is None:
        limit = cpu_limit()
    if limit is None or limit <= 0:
        return 1
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    return max(1, min(math.floor(limit + 1e-9), usable))


# -- the state the workers share ------------------------------------------------------------

class WorkerState:
    """One byte per worker in a file every worker maps: how each one stands."""

    STARTING, WARMING, READY, FAILED, DRAINING = 0, 1, 2, 3, 4
    _TEXT = {STARTING: "starting", WARMING: "warming up", FAILED: "warm-up failed; see the "
             "service log", DRAINING: "shutting down"}

    def __init__(self, path: str, index: int, count: int) -> None:
        self.index = index
        self.count = count
        with open(path, "r+b") as f:
            self._map = mmap.mmap(f.fileno(), count)

    @staticmethod
    def create(path: str, count: int) -> None:
        with open(path, "wb") as f:
            f.write(bytes(count))

    def set(self, state: int) -> None:
        self._map[self.index] = state

    def all_ready(self) -> bool:
        return self._map[:self.count] == bytes([self.READY]) * self.count

    def reason(self) -> str | None:
        """Why the pod is not ready although this worker is, or None."""
        for i, state in enumerate(self._map[:self.count]):
            if state != self.READY:
                return f"worker {i} of {self.count}: {self._TEXT.get(state, 'unknown')}"
        return None


class WorkerSlot(NamedTuple):
    """What a worker process learns from its environment."""

    index: int
    count: int
    fd: int
    state_path: str

    def state(self) -> WorkerState:
        return WorkerState(self.state_path, self.index, self.count)

    def listener(self) -> socket.socket:
        return socket.socket(fileno=self.fd)


def worker_slot() -> WorkerSlot | None:
    """This process's slot when a supervisor started it, else None."""
    fd = os.environ.get(ENV_FD)
    if not fd:
        return None
    die_with_parent()
    return WorkerSlot(int(os.environ[ENV_INDEX]), int(os.environ[ENV_COUNT]), int(fd),
                      os.environ[ENV_STATE])


def die_with_parent() -> None:
    """Ask Linux to send SIGTERM when the supervisor dies (no orphans serving on)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    parent = os.environ.get(ENV_PARENT)
    if parent and os.getppid() != int(parent):  # the supervisor died before prctl
        os.kill(os.getpid(), signal.SIGTERM)


# -- the supervisor -------------------------------------------------------------------------

class _Worker:
    def __init__(self, index: int) -> None:
        self.index = index
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self.has_started = False  # reached WARMING or later once: it serves (or tries to)


class Supervisor:
    def __init__(self, argv: list[str], count: int, host: str, port: int) -> None:
        self.argv = argv  # the arguments of `serve`, as given
        self.count = count
        self.host = host
        self.port = port
        self.workers = [_Worker(i) for i in range(count)]
        self.signals = 0
        self.stop_signal = 0
        self.sock: socket.socket | None = None
        self.folder = tempfile.mkdtemp(prefix="mlcc-workers-")
        self.state_path = os.path.join(self.folder, "state")
        WorkerState.create(self.state_path, count)
        with open(self.state_path, "r+b") as f:
            self.state = mmap.mmap(f.fileno(), count)
        given = os.environ.get(MULTIPROC_DIR)
        self.metrics_dir = given or os.path.join(self.folder, "metrics")
        os.makedirs(self.metrics_dir, exist_ok=True)
        for stale in Path(self.metrics_dir).glob("*.db"):  # files of an earlier run would count
            stale.unlink()

    def bind(self) -> socket.socket:
        infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.listen(BACKLOG)
        sock.set_inheritable(True)
        return sock

    def spawn(self, worker: _Worker) -> None:
        assert self.sock is not None
        self.state[worker.index] = WorkerState.STARTING
        env = dict(os.environ)
        env.update({ENV_FD: str(self.sock.fileno()), ENV_INDEX: str(worker.index),
                    ENV_COUNT: str(self.count), ENV_STATE: self.state_path,
                    ENV_PARENT: str(os.getpid()), MULTIPROC_DIR: self.metrics_dir})
        worker.proc = subprocess.Popen([sys.executable, "-m", "mlcc_runtime", "serve", *self.argv],
                                       env=env, pass_fds=(self.sock.fileno(),),
                                       start_new_session=True)
        worker.started_at = time.monotonic()
        worker.has_started = False
        log.info("worker %d of %d started (pid %d)", worker.index, self.count, worker.proc.pid)

    def on_signal(self, sig: int, frame: FrameType | None) -> None:
        self.signals += 1
        self.stop_signal = sig
        if self.signals == 1:
            log.info("received %s: passing it to the %d workers", signal.Signals(sig).name,
                     self.count)
        else:
            log.warning("received a second %s: the workers stop now", signal.Signals(sig).name)
        self._close_listener()  # no new connections queue up for nobody; no more restarts
        self._signal_all(sig)

    def _signal_all(self, sig: int) -> None:
        for w in self.workers:
            if w.proc is not None and w.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    w.proc.send_signal(sig)

    def _close_listener(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _forget(self, pid: int) -> None:
        """Live gauges of a dead worker must not count any more."""
        with contextlib.suppress(Exception):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid, self.metrics_dir)

    def _fail(self, worker: _Worker, status: int) -> int:
        log.error("worker %d exited with status %d before it started serving: stopping the "
                  "others", worker.index, status)
        self.stop_signal = self.stop_signal or signal.SIGTERM
        self._close_listener()
        self._signal_all(signal.SIGTERM)
        self._wait_all(15.0)
        return status if status > 0 else 1

    def _wait_all(self, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        for w in self.workers:
            if w.proc is None:
                continue
            try:
                w.proc.wait(None if deadline is None else max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                w.proc.kill()
                w.proc.wait()

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.on_signal)
        try:
            self.sock = self.bind()
            log.info("serving with %d worker processes on %s:%d", self.count, self.host,
                     self.port)
            return self._loop()
        finally:
            self._close_listener()
            shutil.rmtree(self.folder, ignore_errors=True)

    def _loop(self) -> int:
        first = self.workers[0]
        self.spawn(first)
        pending = self.workers[1:]  # started once worker 0 imported the function
        while True:
            if self.signals:
                return self._drain()
            for w in self.workers:
                if w.proc is None:
                    continue
                if not w.has_started and self.state[w.index] != WorkerState.STARTING:
                    w.has_started = True
                status = w.proc.poll()
                if status is None:
                    continue
                if self.signals:
                    break
                self._forget(w.proc.pid)
                if not w.has_started:
                    return self._fail(w, status)
                log.warning("worker %d (pid %d) exited with status %d: starting it again",
                            w.index, w.proc.pid, status)
                self.spawn(w)
            if pending and first.has_started:
                for w in pending:
                    self.spawn(w)
                pending = []
            time.sleep(_POLL)

    def _drain(self) -> int:
        # The workers drain as single processes do (readiness false, then in-flight requests
        # finish); a second signal, passed on by on_signal, stops them at once.
        statuses = []
        for w in self.workers:
            if w.proc is not None:
                statuses.append(w.proc.wait())
        bad = [s for s in statuses if s != 0]
        if self.signals > 1:
            return 128 + self.stop_signal
        if bad:
            log.warning("workers exited with %s", bad)
            return bad[0] if bad[0] > 0 else 128 + (-bad[0])
        log.info("all workers stopped")
        return 0


def supervise(argv: list[str], count: int, host: str, port: int) -> int:
    return Supervisor(argv, count, host, port).run()
