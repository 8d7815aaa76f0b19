"""Outbound calls through a caller's client keep their connection alive between calls, and stay
bounded by their deadline and cap on a reused connection."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from adapters.outbound import BodyTooLarge, Deadline, fetch


class KeepAlive(BaseHTTPRequestHandler):
    """Answers ``/N`` with N bytes (2 for ``/``), keeping the connection open (HTTP/1.1)."""

    protocol_version = "HTTP/1.1"
    ports: list[int]

    def do_GET(self) -> None:
        self.ports.append(self.client_address[1])
        body = b"x" * int(self.path.strip("/") or "2")
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served() -> Iterator[tuple[str, list[int]]]:
    """A loopback server on HTTP/1.1 and the client ports of the requests it answered."""
    ports: list[int] = []
    handler = type("Counted", (KeepAlive,), {"ports": ports})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", ports
    server.shutdown()
    server.server_close()
    thread.join()


def test_calls_through_one_client_reuse_its_connection(served: tuple[str, list[int]]) -> None:
    url, ports = served
    with httpx.Client() as client:
        for _ in range(3):
            assert fetch(url, deadline=Deadline.after(10), cap=100, client=client) == b"xx"
    assert len(ports) == 3 and len(set(ports)) == 1


def test_calls_without_a_client_each_open_a_connection(served: tuple[str, list[int]]) -> None:
    url, ports = served
    for _ in range(2):
        assert fetch(url, deadline=Deadline.after(10), cap=100) == b"xx"
    assert len(set(ports)) == 2


def test_an_answer_over_the_cap_is_refused_on_a_reused_connection(
    served: tuple[str, list[int]],
) -> None:
    url, _ = served
    with httpx.Client() as client:
        assert fetch(url, deadline=Deadline.after(10), cap=100, client=client) == b"xx"
        with pytest.raises(BodyTooLarge):
            fetch(f"{url}/500", deadline=Deadline.after(10), cap=100, client=client)
        assert fetch(url, deadline=Deadline.after(10), cap=100, client=client) == b"xx"
