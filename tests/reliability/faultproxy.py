"""A tiny fault-injecting TCP proxy in front of the moto S3 server.

Each chunk a client sends is handled by the current ``mode`` (so keep-alive connections opened
while healthy see later faults too):

- ``pass``: forward both ways;
- ``reset``: answer with a TCP reset (store went down mid-request);
- ``hang``: swallow the request and never answer (store slower than every timeout);
- ``error_put``: answer ``PUT`` requests with HTTP 500 ``InternalError`` (from the ``after``-th
  PUT on: ``error_put_after``), forward the rest;
- ``cut``: forward the request, pass 12 bytes of the answer, then close (dies mid-response).
"""

from __future__ import annotations

import socket
import struct
import threading
import time

_ERROR = (b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\n"
          b"Content-Length: 121\r\nConnection: close\r\n\r\n"
          b"<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>injected</Message>"
          b"<RequestId>x</RequestId></Error>")


class FaultProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.mode = "pass"
        self.after = 0  # error_put_after: PUTs let through before failing
        self.puts = 0
        self.faults = 0
        self._stop = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self._server.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        cut = threading.Event()
        try:
            while not self._stop.is_set():
                chunk = client.recv(65536)
                if not chunk:
                    return
                mode = self.mode
                if mode == "reset":
                    self.faults += 1
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                if mode == "hang":
                    self.faults += 1
                    while not self._stop.is_set() and self.mode == "hang":
                        time.sleep(0.05)
                    return
                if mode in ("error_put", "error_put_after") and chunk.startswith(b"PUT "):
                    self.puts += 1
                    if mode == "error_put" or self.puts > self.after:
                        self.faults += 1
                        client.sendall(_ERROR)
                        return
                if upstream is None:
                    upstream = socket.create_connection(self.upstream)
                    threading.Thread(target=self._back, args=(upstream, client, cut),
                                     daemon=True).start()
                if mode == "cut":
                    self.faults += 1
                    cut.set()
                upstream.sendall(chunk)
        except OSError:
            pass
        finally:
            if upstream is not None and not cut.is_set():
                upstream.close()
            if not cut.is_set():
                client.close()

    @staticmethod
    def _back(upstream: socket.socket, client: socket.socket, cut: threading.Event) -> None:
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                if cut.is_set():
                    client.sendall(data[:12])
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            for s in (upstream, client):
                try:
                    s.close()
                except OSError:
                    pass
