"""The HTTP adapter: a remote node that speaks the adapter protocol
(docs/architecture.md#the-adapter-protocol).

One ``httpx.Client`` per node owns every call to it, with explicit timeouts and pool limits; it
is created on first use in the process that makes the calls (a forked worker makes its own).
The answer is read as a stream and abandoned as soon as it grows past the node's size cap, so a
misbehaving node cannot exhaust the gateway's memory; a compressed answer is inflated in steps
that never exceed the cap either; and a whole call, connecting to the last byte, ends by its
wall-clock deadline however slowly the node drips its answer (``adapters.outbound``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx
from opentelemetry import propagate

from adapters.forks import reset_after_fork
from adapters.nodes import NodeConfig
from adapters.outbound import (
    ACCEPTED_ENCODINGS,
    BadEncoding,
    BodyTooLarge,
    Deadline,
    DeadlineExceeded,
    read_body,
    within,
)
from adapters.protocol import (
    AdapterError,
    AdapterRequestError,
    AdapterTimeout,
    AdapterUnavailable,
    Health,
    Page,
    QueryRequest,
)

DEFAULT_CONNECT_TIMEOUT = 2.0
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_MAX_CONNECTIONS = 20
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: Error and health answers are small; more than this is not read.
SMALL_BODY_BYTES = 64 * 1024
#: Longest remote problem detail passed on.
MAX_DETAIL_LENGTH = 300

TokenProvider = Callable[[str], str]


class ClientFactory(Protocol):
    """Makes the ``httpx.Client`` of one node from the settings the adapter chose."""

    def __call__(
        self, *, base_url: str, timeout: httpx.Timeout, limits: httpx.Limits
    ) -> httpx.Client: ...


def _is_json(response: httpx.Response) -> bool:
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


class HttpAdapter:
    """Adapter for a node reached over HTTP (adapter kind ``http``)."""

    def __init__(
        self,
        node: NodeConfig,
        *,
        token_provider: TokenProvider | None = None,
        client_factory: ClientFactory | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        settings = node.adapter
        timeouts: Mapping[str, Any] = settings.get("timeouts", {})
        connect = float(timeouts.get("connect", DEFAULT_CONNECT_TIMEOUT))
        read = float(timeouts.get("read", DEFAULT_READ_TIMEOUT))
        self.node_id = node.id
        self.url = str(settings["url"]).rstrip("/")
        self.timeout = httpx.Timeout(connect=connect, read=read, write=read, pool=connect)
        #: Wall-clock deadline of a whole call, connecting to the last byte (httpx has none: its
        #: timeouts are per operation, and a node dripping bytes would never reach one). Without
        #: a ``total``, the whole answer must arrive within the connect and read timeouts.
        self.total_timeout = float(timeouts.get("total", connect + read))
        max_connections = int(settings.get("maxConnections", DEFAULT_MAX_CONNECTIONS))
        self.limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
        )
        self.max_response_bytes = int(settings.get("maxResponseBytes", DEFAULT_MAX_RESPONSE_BYTES))
        self._token_provider = token_provider
        self._client_factory = client_factory
        self._transport = transport
        self._forget_client()
        reset_after_fork(self._forget_client)

    def _forget_client(self) -> None:
        # A client inherited across fork shares the parent's sockets: a child makes its own.
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None

    def query(self, request: QueryRequest) -> Page:
        headers = self._headers(request.exchange_id)
        deadline = Deadline.after(self.total_timeout)
        try:
            with (
                within(deadline) as watch,
                self._http().stream(
                    "POST",
                    "/query",
                    json=request.to_json(),
                    headers=headers,
                    timeout=deadline.cut(self.timeout),
                    extensions=watch.extensions,
                ) as response,
            ):
                watch.response(response)
                status = response.status_code
                if 200 <= status < 300:
                    body = self._read(response, self.max_response_bytes, deadline)
                    return self._page(response, body)
                body = self._read(response, SMALL_BODY_BYTES, deadline, truncate=True)
                raise self._status_error(status, body)
        except DeadlineExceeded:
            raise AdapterTimeout(
                self.node_id, "no complete answer within the total timeout"
            ) from None
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc

    def health(self) -> Health:
        """The node's own report; never raises: any failure is ``unavailable`` with a reason."""
        deadline = Deadline.after(self.total_timeout)
        try:
            with (
                within(deadline) as watch,
                self._http().stream(
                    "GET",
                    "/health",
                    headers=self._headers(None),
                    timeout=deadline.cut(self.timeout),
                    extensions=watch.extensions,
                ) as response,
            ):
                watch.response(response)
                body = self._read(response, SMALL_BODY_BYTES, deadline, truncate=True)
                status = response.status_code
                is_json = _is_json(response)
        except DeadlineExceeded:
            return Health("unavailable", detail="no complete answer within the total timeout")
        except httpx.HTTPError as exc:
            return Health("unavailable", detail=self._transport_error(exc).message)
        except AdapterError as exc:
            return Health("unavailable", detail=exc.message)
        except Exception as exc:  # health answers, it does not raise
            return Health("unavailable", detail=f"health check failed: {type(exc).__name__}")
        try:
            document = json.loads(body) if is_json else None
        except ValueError:
            document = None
        if not isinstance(document, dict):
            return Health("unavailable", detail=f"malformed health answer (HTTP {status})")
        datasets = document.get("datasets")
        listed = datasets if isinstance(datasets, list) else []
        names = tuple(d for d in listed if isinstance(d, str))
        reported = document.get("status")
        if status == 200 and reported == "ok":
            return Health("ok", names)
        return Health("unavailable", names, f"node reports {reported!r} (HTTP {status})")

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client = None

    def _http(self) -> httpx.Client:
        """The node's client, created on first use in this process."""
        with self._lock:
            if self._client is None:
                self._client = self._new_client()
            return self._client

    def _new_client(self) -> httpx.Client:
        if self._client_factory is not None:
            return self._client_factory(base_url=self.url, timeout=self.timeout, limits=self.limits)
        return httpx.Client(
            base_url=self.url,
            timeout=self.timeout,
            limits=self.limits,
            transport=self._transport,
            follow_redirects=False,
        )

    def _headers(self, exchange_id: str | None) -> dict[str, str]:
        # Only the encodings _read can decode within the size cap.
        headers = {"Accept": "application/json", "Accept-Encoding": ACCEPTED_ENCODINGS}
        if self._token_provider is not None:
            headers["Authorization"] = f"Bearer {self._token_provider(self.node_id)}"
        if exchange_id:
            headers["X-Exchange-Id"] = exchange_id
        # W3C Trace Context: the node's spans join the gateway's trace.
        propagate.inject(headers)
        return headers

    def _read(
        self, response: httpx.Response, cap: int, deadline: Deadline, *, truncate: bool = False
    ) -> bytes:
        """The body, read as a stream and given up on past ``cap`` bytes or the total deadline."""
        try:
            return read_body(response, cap, deadline, truncate=truncate)
        except BadEncoding as exc:
            raise AdapterError(self.node_id, f"malformed response: {exc}") from None
        except BodyTooLarge as exc:
            raise AdapterError(self.node_id, str(exc)) from None

    def _page(self, response: httpx.Response, body: bytes) -> Page:
        if not _is_json(response):
            raise AdapterError(self.node_id, "malformed response: not JSON")
        try:
            document = json.loads(body)
        except ValueError:
            raise AdapterError(self.node_id, "malformed response: not JSON") from None
        if not isinstance(document, dict):
            raise AdapterError(self.node_id, "malformed response: not a JSON object")
        records = document.get("records")
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise AdapterError(self.node_id, "malformed response: records is not a list of objects")
        next_cursor = document.get("nextCursor")
        if next_cursor is not None and not (isinstance(next_cursor, str) and next_cursor):
            raise AdapterError(self.node_id, "malformed response: nextCursor is not a string")
        return Page(records, next_cursor)

    def _status_error(self, status: int, body: bytes) -> AdapterError:
        """The adapter error for a non-2xx answer, with the remote problem detail for 4xx."""
        if 400 <= status < 500:
            detail = self._problem_detail(body)
            suffix = f": {detail}" if detail else ""
            message = f"rejected the request (HTTP {status}){suffix}"
            return AdapterRequestError(self.node_id, message)
        if status in (502, 503):
            return AdapterUnavailable(self.node_id, f"unavailable (HTTP {status})")
        if status == 504:
            return AdapterTimeout(self.node_id, "timed out upstream (HTTP 504)")
        return AdapterError(self.node_id, f"failed to answer (HTTP {status})")

    @staticmethod
    def _problem_detail(body: bytes) -> str:
        try:
            document = json.loads(body)
        except ValueError:
            return ""
        if not isinstance(document, dict):
            return ""
        detail = document.get("detail") or document.get("title") or ""
        return str(detail)[:MAX_DETAIL_LENGTH]

    def _transport_error(self, exc: httpx.HTTPError) -> AdapterError:
        """The adapter error for a failure to talk to the node at all."""
        if isinstance(exc, httpx.ConnectTimeout):
            return AdapterUnavailable(self.node_id, "connection timed out")
        if isinstance(exc, httpx.TimeoutException):
            return AdapterTimeout(self.node_id, f"timed out ({type(exc).__name__})")
        if isinstance(exc, httpx.ConnectError):
            return AdapterUnavailable(self.node_id, "connection failed")
        if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
            # A reset, or the node closing the connection before a complete answer.
            return AdapterUnavailable(self.node_id, f"connection lost ({type(exc).__name__})")
        return AdapterError(self.node_id, f"HTTP exchange failed ({type(exc).__name__})")
