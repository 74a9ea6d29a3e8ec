"""Memory for request data: the container's limit, the body cap derived from it, and the budget
that every request's body and decoded values are charged to.

A decoded request takes more memory than its body: the function gets Python lists, so every value
becomes a Python object. The decoder charges what it builds (``boundedjson``) to the request's
``Reservation``; a request whose charges do not fit answers 413 when it could never fit and 503
while other requests hold the budget. So no accepted request, alone or together with the others,
takes the pod past its limit.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from mlcc_runtime import cgroup
from mlcc_runtime.config import DEFAULT_MAX_BODY
from mlcc_runtime.errors import ApiError

MiB = 1024 * 1024
# The runtime with its imports and a small function module, before any request (about 36 MB
# measured), plus room for the event loop's own buffers.
BASELINE = 64 * MiB
# Memory one body byte of a JSON request of numbers takes once decoded, the body included:
# the decoder charges a list slot and a number object per value (boundedjson.number_cost), at
# most about 15 times the text for the shortest literals, 2 to 5 times for ordinary floats.
DECODE_RATIO = 16
MIN_MAX_BODY = 1 * MiB
MIN_BUDGET = 16 * MiB
_UNLIMITED = 2**60  # cgroup v1 writes "no limit" as a page-rounded 2**63-1


def container_limit(root: str = cgroup.ROOT, proc_cgroup: str = cgroup.PROC_CGROUP) -> int | None:
    """The memory limit of this process's cgroup in bytes, None when there is none or it cannot
    be read. cgroup v2 (``memory.max``) first, then v1 (``memory/memory.limit_in_bytes``); each at
    the process's own cgroup path and at the mount point (where a container sees its own)."""
    v2_path, v1_path = cgroup.own_paths("memory", proc_cgroup)
    base = Path(root)
    candidates = [base / v2_path / "memory.max", base / "memory.max",
                  base / "memory" / v1_path / "memory.limit_in_bytes",
                  base / "memory" / "memory.limit_in_bytes"]
    limits = []
    for path in candidates:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < _UNLIMITED:
            limits.append(int(text))
    return min(limits) if limits else None


def request_budget(memory_limit: int | None) -> int | None:
    """Bytes the bodies and decoded values of all requests in flight may take together: half of
    what the limit leaves above the baseline; the other half is the function's (its model, its
    copies of the inputs, its outputs). None without a limit: nothing is refused for memory."""
    if memory_limit is None:
        return None
    return max(MIN_BUDGET, (memory_limit - BASELINE) // 2)


def max_body_for(memory_limit: int | None) -> int:
    """The default ``--max-body-bytes`` of a container limited to ``memory_limit`` bytes:
    ``clamp((limit - 64 MiB) / 32, 1 MiB, 64 MiB)``, i.e. the request budget over DECODE_RATIO,
    so that a body of numbers at the cap always fits (the compiler renders the same value)."""
    budget = request_budget(memory_limit)
    if budget is None:
        return DEFAULT_MAX_BODY
    return max(MIN_MAX_BODY, min(DEFAULT_MAX_BODY, budget // DECODE_RATIO))


class Budget:
    """The shared pool. ``take`` is thread-safe (large bodies are decoded on worker threads);
    ``give`` and ``wait`` run on the event loop."""

    def __init__(self, size: int | None) -> None:
        self.size = size
        self.used = 0
        self._lock = threading.Lock()
        self._waiters: list[asyncio.Future[None]] = []

    def take(self, n: int) -> bool:
        with self._lock:
            if self.size is not None and self.used + n > self.size:
                return False
            self.used += n
            return True

    def give(self, n: int) -> None:
        with self._lock:
            self.used -= n
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:  # each tries again
            if not waiter.done():
                waiter.set_result(None)

    async def wait_take(self, n: int, seconds: float) -> bool:
        """Take ``n`` once it is free, waiting at most ``seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self.take(n):
            left = deadline - loop.time()
            if left <= 0:
                return False
            waiter = loop.create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, left)
            except TimeoutError:
                return self.take(n)
        return True


class Reservation:
    """What one request holds of the budget, given back by ``release`` when it is answered.

    ``admit`` takes, before the body is read, what the request will need at most if it is made
    of numbers (``DECODE_RATIO`` times its Content-Length, or the whole budget if that is less),
    waiting while other requests hold it: two large requests cannot each take half of the
    budget and both fail. Charges draw on that credit first; what is left of it goes back after
    decoding (``settle``). A charge past the credit (strings, objects) takes from the budget.
    """

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.held = 0
        self.credit = 0

    async def admit(self, n: int, seconds: float) -> None:
        size = self.budget.size
        if size is None or n <= 0:
            return
        n = min(n, size)
        if not await self.budget.wait_take(n, seconds):
            raise _busy()
        self.held += n
        self.credit += n

    def charge(self, n: int) -> None:
        if self.budget.size is None:
            return  # no limit: nothing to count
        if self.credit:
            used = min(self.credit, n)
            self.credit -= used
            n -= used
            if not n:
                return
        size = self.budget.size
        if size is not None and self.held + n > size:
            raise ApiError(413, f"request needs more than the {size // MiB} MiB of memory this "
                                "service has for request data (set by its memory limit); "
                                "send fewer or longer values, or split the request")
        if not self.budget.take(n):
            raise _busy()
        self.held += n

    def settle(self) -> None:
        """Give back the credit the decode did not use."""
        if self.credit:
            credit, self.credit = self.credit, 0
            self.held -= credit
            self.budget.give(credit)

    def release(self) -> None:
        held, self.held, self.credit = self.held, 0, 0
        if held:
            self.budget.give(held)

    def __enter__(self) -> Reservation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _busy() -> ApiError:
    return ApiError(503, "the memory for request data is held by other requests; retry shortly",
                    headers={"Retry-After": "1"})
