"""uvicorn with a graceful, probe-aware shutdown.

On SIGTERM Kubernetes removes the pod from its Service only after the readiness probe fails, so
the server first turns readiness to false (400) and keeps serving for ``drain_seconds``, then stops
accepting connections, lets in-flight requests finish and exits 0. A second signal stops at once.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from types import FrameType
from typing import NoReturn

import uvicorn

from mlcc_runtime.app import create_app
from mlcc_runtime.connections import protocol_class
from mlcc_runtime.memory import DECODE_RATIO, request_budget
from mlcc_runtime.service import Service

log = logging.getLogger("mlcc_runtime")


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, service: Service, drain_seconds: float) -> None:
        super().__init__(config)
        self.service = service
        self.drain_seconds = drain_seconds
        self.stop_at: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Deliberately not recording the signal: uvicorn would re-raise it after shutdown and the
        # process would die by signal instead of exiting 0 after a clean drain.
        if self.stop_at is not None:
            self.stop_now(sig)  # does not return
        log.info("received %s: readiness now false (400), draining for %.1f s",
                 signal.Signals(sig).name, self.drain_seconds)
        self.service.draining = True
        self.stop_at = time.monotonic() + self.drain_seconds

    def stop_now(self, sig: int) -> NoReturn:
        """A second signal: whoever sent it does not want to wait. Not uvicorn's force_exit: the
        interpreter would still join the inference threads at exit (a function may run for
        minutes), and newer Pythons wait for open connections when the listener closes."""
        log.warning("received a second %s: stopping now; %d request(s) in flight are cut",
                    signal.Signals(sig).name, len(self.server_state.tasks))
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(128 + sig)  # as a process killed by the signal reports itself

    async def on_tick(self, counter: int) -> bool:
        if self.stop_at is not None and time.monotonic() >= self.stop_at:
            self.should_exit = True
        return await super().on_tick(counter)


def run(service: Service, listener: socket.socket | None = None) -> None:
    """Serve until stopped; on ``listener`` (a socket inherited from the supervisor of several
    worker processes) or on the configured host and port."""
    settings = service.settings
    budget = request_budget(settings.memory_limit)
    log.info("memory limit %s: request data %s, bodies up to %d bytes",
             f"{settings.memory_limit} bytes" if settings.memory_limit else "none",
             f"up to {budget} bytes" if budget else "unbounded", settings.max_body_bytes)
    if budget is not None and settings.max_body_bytes * DECODE_RATIO > budget:
        log.warning("--max-body-bytes %d is more than the memory limit allows for a body of "
                    "numbers (%d): larger requests may answer 413 once decoded",
                    settings.max_body_bytes, budget // DECODE_RATIO)
    config = uvicorn.Config(
        create_app(service),
        host=settings.host,
        port=settings.port,
        http=protocol_class(settings.connections),  # header deadline, open connections bound
        log_config=None,  # logging is configured by mlcc_runtime.logs
        access_log=settings.access_log,
        server_header=False,
        date_header=False,
        proxy_headers=False,  # no client address is used; identity comes from the named header only
        lifespan="on",
        # Past the inference timeout every request has answered (504 at worst); with no
        # timeout, in-flight requests are waited for as long as they take.
        timeout_graceful_shutdown=max(settings.timeout, 1.0) + 5.0 if settings.timeout > 0
        else None,
        timeout_keep_alive=75,  # longer than typical gateway idle timeouts: no reset races
    )
    DrainingServer(config, service, settings.drain_seconds).run(
        sockets=[listener] if listener is not None else None)
