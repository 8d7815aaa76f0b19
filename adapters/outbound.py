"""Outbound HTTP calls bounded by a wall-clock deadline and a size cap.

httpx's timeouts bound each network operation, not a whole call: a server that answers one byte
every few seconds keeps a call alive for as long as it likes, and whoever waits for the answer
(a request thread, a lock holder) waits with it. Every outbound call of the project — a node's
answer, a partner's or a trusted issuer's JWKS, the gateway's JWKS read by an adapter server, a
span export — runs ``within`` a ``Deadline``: a watchdog shuts the connection's socket down when
the deadline passes, which ends a blocked read at once, and the body is read by ``read_body``,
never past its cap (a compressed body is inflated in steps that never exceed the cap either).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.forks import reset_after_fork

#: Content encodings an answer may use and their zlib window bits (0: nothing to decode). HTTP's
#: "deflate" is the zlib format (RFC 9110 §8.4.1.2).
DECODERS = {"identity": 0, "gzip": 31, "x-gzip": 31, "deflate": 15}
ACCEPTED_ENCODINGS = "gzip, deflate"


class DeadlineExceeded(httpx.TimeoutException):
    """No complete answer within the call's deadline."""


class BodyTooLarge(ValueError):
    """The answer's body is larger than the caller's cap."""


class BadEncoding(ValueError):
    """The answer's body is in an encoding it cannot be in, or its compressed data is corrupt."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """The monotonic time by which a whole call must be over."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def cut(self, timeout: httpx.Timeout) -> httpx.Timeout:
        """``timeout`` with no single wait longer than what is left of the deadline."""
        left = max(0.001, self.remaining())

        def phase(value: float | None) -> float:
            return left if value is None else min(value, left)

        return httpx.Timeout(
            connect=phase(timeout.connect),
            read=phase(timeout.read),
            write=phase(timeout.write),
            pool=phase(timeout.pool),
        )


class Watch:
    """The sockets of one call, shut down when its deadline passes."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.fired = False
        self.done = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        #: httpx request extensions: httpcore reports each new connection to ``_trace``.
        self.extensions: dict[str, Any] = {"trace": self._trace}

    def response(self, response: httpx.Response) -> None:
        """Watch the connection an answer arrived on (a pooled one was not seen connecting)."""
        self._watch_stream(response.extensions.get("network_stream"))

    def finish(self) -> None:
        with self._lock:
            self.done = True

    def fire(self) -> None:
        with self._lock:
            if self.done:  # the call is over: its connection may serve another call by now
                return
            self.fired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut(sock)

    def _trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event == "connection.connect_tcp.complete":
            self._watch_stream(info.get("return_value"))

    def _watch_stream(self, stream: Any) -> None:
        get_extra_info = getattr(stream, "get_extra_info", None)
        sock = get_extra_info("socket") if get_extra_info is not None else None
        if not isinstance(sock, socket.socket):
            return  # not a network connection (a test transport): the reads check the deadline
        with self._lock:
            if not self.fired:
                self._sockets.append(sock)
                return
        _shut(sock)  # a connection opened past the deadline (a retry) ends at once


def _shut(sock: socket.socket) -> None:
    # shutdown, not close: it wakes a read blocked on the socket in another thread at once.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One thread per process that fires each armed watch at its deadline."""

    def __init__(self) -> None:
        self._order = itertools.count()
        self._forget_thread()
        reset_after_fork(self._forget_thread)

    def _forget_thread(self) -> None:
        # A forked child has no watchdog thread (threads do not fork): it starts its own.
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Watch]] = []
        self._running = False

    def arm(self, watch: Watch) -> None:
        with self._cond:
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="outbound-deadlines", daemon=True).start()
            earliest = not self._heap or watch.deadline.at < self._heap[0][0]
            heapq.heappush(self._heap, (watch.deadline.at, next(self._order), watch))
            if earliest:  # the watchdog sleeps until the earliest deadline: wake it for a new one
                self._cond.notify()

    def disarm(self, watch: Watch) -> None:
        # Left in the heap until its deadline (then firing it does nothing): cheaper than
        # finding it there on every call.
        watch.finish()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                _, _, watch = heapq.heappop(self._heap)
            watch.fire()


_watchdog = _Watchdog()


@contextlib.contextmanager
def within(deadline: Deadline) -> Iterator[Watch]:
    """Run an httpx call (pass ``watch.extensions``) that ends by ``deadline`` however slow the
    other side is; a transport failure caused by the deadline is raised as ``DeadlineExceeded``."""
    watch = Watch(deadline)
    _watchdog.arm(watch)
    try:
        yield watch
    except DeadlineExceeded:
        raise
    except httpx.TransportError as exc:
        if watch.fired or deadline.expired():
            raise DeadlineExceeded("no complete answer within the deadline") from exc
        raise
    finally:
        _watchdog.disarm(watch)


def read_body(
    response: httpx.Response, cap: int, deadline: Deadline, *, truncate: bool = False
) -> bytes:
    """The decoded body, read as a stream: past ``cap`` bytes it is cut there (``truncate``) or
    refused (``BodyTooLarge``); past the deadline it is given up on (``DeadlineExceeded``)."""
    declared = response.headers.get("content-length", "")
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in DECODERS:
        raise BadEncoding(f"content encoding {encoding!r}")
    if not truncate and encoding == "identity" and declared.isdigit() and int(declared) > cap:
        raise BodyTooLarge(f"response larger than {cap} bytes")
    # Decoded here, never more than the cap: a few kilobytes of gzip can inflate to gigabytes,
    # and httpx would decode a whole received chunk at once.
    inflater = zlib.decompressobj(DECODERS[encoding]) if DECODERS[encoding] else None
    if response.is_stream_consumed:  # a transport that read (and decoded) the body already
        inflater, received = None, iter((response.content,))
    else:
        received = response.iter_raw()
    chunks: list[bytes] = []
    size = 0
    for raw in received:
        pending = raw
        while pending:
            if inflater is None:
                piece, pending = pending, b""
            else:
                try:
                    piece = inflater.decompress(pending, cap - size + 1)
                except zlib.error:
                    raise BadEncoding(f"bad {encoding} data") from None
                pending = inflater.unconsumed_tail
            size += len(piece)
            if size > cap:
                if truncate:
                    chunks.append(piece[: cap - (size - len(piece))])
                    return b"".join(chunks)
                raise BodyTooLarge(f"response larger than {cap} bytes")
            chunks.append(piece)
            if not piece and pending:  # no progress: the stream ended inside the data
                break
        if deadline.expired():
            raise DeadlineExceeded("no complete answer within the deadline")
    return b"".join(chunks)


def fetch(
    url: str,
    *,
    deadline: Deadline,
    cap: int,
    headers: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    client: httpx.Client | None = None,
) -> bytes:
    """GET ``url`` (no redirects) and return its 2xx body, all by ``deadline`` and within ``cap``.

    ``client``, when given, is the caller's: its pool keeps connections alive between calls (one
    broken off by the deadline or the cap is closed, not pooled); otherwise the call has its own.
    Raises ``httpx.HTTPError`` (``DeadlineExceeded`` among them) or ``ValueError``."""
    sent = {"Accept-Encoding": ACCEPTED_ENCODINGS, **(headers or {})}
    if client is None:
        with httpx.Client(follow_redirects=False, transport=transport) as own:
            return _get(own, url, sent, deadline, cap)
    return _get(client, url, sent, deadline, cap)


def _get(
    client: httpx.Client, url: str, headers: Mapping[str, str], deadline: Deadline, cap: int
) -> bytes:
    with (
        within(deadline) as watch,
        client.stream(
            "GET",
            url,
            headers=headers,
            follow_redirects=False,
            timeout=deadline.cut(httpx.Timeout(None)),
            extensions=watch.extensions,
        ) as answer,
    ):
        watch.response(answer)
        answer.raise_for_status()
        return read_body(answer, cap, deadline)


__all__ = [
    "ACCEPTED_ENCODINGS",
    "BadEncoding",
    "BodyTooLarge",
    "Deadline",
    "DeadlineExceeded",
    "Watch",
    "fetch",
    "read_body",
    "within",
]
