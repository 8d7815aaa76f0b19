"""A loopback HTTP server that answers one byte at a time, slowly: a hostile peer for tests of
the deadlines of outbound calls."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class DripServer:
    """Answers every request with ``dripped`` one byte every ``interval`` seconds, then ``rest``
    at once; ``dripping`` is set once a request is being answered, ``finished`` when a whole
    answer went out. Stopping ends every drip at once."""

    dripped: bytes
    rest: bytes = b""
    interval: float = 0.05
    url: str = ""
    dripping: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    stopped: threading.Event = field(default_factory=threading.Event)
    requests: int = 0

    def serve(self, listener: socket.socket) -> None:
        listener.settimeout(0.05)  # so that a stopped server's loop ends
        while not self.stopped.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(None)
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            received = b""
            while b"\r\n\r\n" not in received:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                received += chunk
            self.requests += 1
            self.dripping.set()
            try:
                for i in range(len(self.dripped)):
                    if self.stopped.wait(self.interval):
                        return
                    connection.sendall(self.dripped[i : i + 1])
                connection.sendall(self.rest)
            except OSError:
                return  # the caller gave up and closed the connection
            self.finished.set()


def http_head(body: bytes, content_type: str = "application/json") -> bytes:
    """The status line and headers of a 200 answer carrying ``body``."""
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode("ascii")


@contextmanager
def drip_server(body: bytes, *, interval: float = 0.05, path: str = "/") -> Iterator[DripServer]:
    """A running ``DripServer`` on 127.0.0.1 (its ``url`` ends in ``path``) that drips the
    headers of a 200 answer (each byte well within any read timeout: only a deadline for the
    whole call ends it), then sends ``body`` at once; stopped on exit."""
    listener = socket.create_server(("127.0.0.1", 0))
    server = DripServer(http_head(body), body, interval)
    server.url = f"http://127.0.0.1:{listener.getsockname()[1]}{path}"
    thread = threading.Thread(target=server.serve, args=(listener,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopped.set()
        thread.join(5)
        listener.close()
