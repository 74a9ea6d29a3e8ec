"""The threads that run the inference function, handing results straight to the event loop.

What ``ThreadPoolExecutor`` + ``asyncio.wrap_future`` + ``asyncio.wait`` did, for a fraction of
their cost per call (a profile of a do-nothing function put a fifth of the runtime's time in that
hop): one queue, one asyncio future per call, one ``call_soon_threadsafe`` back. The threads
start with the service; ``shutdown`` lets the queued calls run and waits for them.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import Any, Callable

_callbacks = threading.Lock()  # only for add_done_callback, the rare path of abandoned calls


class Job:
    """One call: its asyncio future (set on the loop), and whether a thread took it."""

    __slots__ = ("loop", "fn", "args", "future", "_token", "finished", "callbacks")

    def __init__(self, loop: asyncio.AbstractEventLoop, fn: Callable[..., Any],
                 args: tuple) -> None:
        self.loop = loop
        self.fn = fn
        self.args = args
        self.future: asyncio.Future = loop.create_future()
        self._token = [True]  # popped once: by the thread that runs it or by cancel()
        self.finished = False
        self.callbacks: list[Callable[[Job], Any]] | None = None

    def cancel(self) -> bool:
        """Drop the call if no thread took it yet (True); False when it runs or ran."""
        try:
            self._token.pop()
        except IndexError:
            return False
        self.fn = self.args = None  # type: ignore[assignment]
        return True

    def add_done_callback(self, fn: Callable[[Job], Any]) -> None:
        """``fn(job)`` once the function returned, on the thread that ran it (at once if it
        already returned): for a call abandoned by its request."""
        with _callbacks:
            if not self.finished:
                if self.callbacks is None:
                    self.callbacks = []
                self.callbacks.append(fn)
                return
        fn(self)

    def _run(self) -> None:
        try:
            self._token.pop()
        except IndexError:
            return  # cancelled while queued
        fn, args = self.fn, self.args
        self.fn = self.args = None  # type: ignore[assignment]  # the request's data: not ours to keep
        try:
            result, error = fn(*args), None
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting request
            result, error = None, exc
        del fn, args
        with _callbacks:
            self.finished = True
            callbacks = self.callbacks
        if callbacks:
            for fn in callbacks:
                fn(self)
        try:
            self.loop.call_soon_threadsafe(_settle, self.future, result, error)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():  # the request stopped waiting (timeout, client gone)
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


class Pool:
    def __init__(self, threads: int, name: str = "mlcc-inference") -> None:
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._closed = False
        self._threads = [threading.Thread(target=self._work, name=f"{name}_{i}", daemon=True)
                         for i in range(threads)]
        for t in self._threads:
            t.start()

    def submit(self, loop: asyncio.AbstractEventLoop, fn: Callable[..., Any], *args: Any) -> Job:
        if self._closed:
            raise RuntimeError("the pool is shut down")
        job = Job(loop, fn, args)
        self._queue.put(job)
        return job

    def _work(self) -> None:
        get = self._queue.get
        while True:
            job = get()
            if job is None:
                return
            job._run()
            # An idle thread must not keep the last request's inputs (or outputs) alive.
            del job

    def shutdown(self, wait: bool = True) -> None:
        """No new calls; the queued ones still run; with ``wait``, until all are done."""
        if self._closed:
            return
        self._closed = True
        for _ in self._threads:
            self._queue.put(None)
        if wait:
            for t in self._threads:
                t.join()
