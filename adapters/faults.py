"""Fault injection for the adapter server: a node that misbehaves on purpose, to prove that the
gateway copes (``jjj-gateway adapter serve --node X --fault KIND[:PARAM]``).

Faults apply to ``POST /query`` only, and only after the caller's token was verified: an
unauthenticated request is still refused with 401, and ``GET /health`` answers honestly.

Kinds:

- ``slow:SECONDS`` — wait that long, then answer normally;
- ``status:CODE`` — answer with that 5xx status and a problem document;
- ``reset`` — close the connection without an answer;
- ``malformed-json`` — a 200 whose body is cut off in the middle of the JSON;
- ``invalid-records`` — the real records, each breaking the record schema (a wrong check
  character in every 18-character identifier such as a USCC, or a member no schema defines);
- ``oversized:BYTES`` — a 200 of at least that many bytes, streamed without a length;
- ``wrong-content-type`` — the real answer labelled ``text/html``;
- ``flaky:N`` — the first N queries answer 503, every later one normally.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response

from adapters.problems import ProblemError

logger = logging.getLogger(__name__)

#: Kind → whether it takes a parameter.
KINDS: Mapping[str, bool] = {
    "slow": True,
    "status": True,
    "reset": False,
    "malformed-json": False,
    "invalid-records": False,
    "oversized": True,
    "wrong-content-type": False,
    "flaky": True,
}
#: A value that looks like an 18-character identifier with a check character (USCC, resident ID).
_IDENTIFIER = re.compile(r"[0-9A-Z]{17}[0-9A-Z]")
#: The member ``invalid-records`` adds to records that hold no identifier.
UNDEFINED_MEMBER = "faultInjected"
_PADDING_CHUNK = 64 * 1024

Answer = Callable[[], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Fault:
    """One kind of misbehaviour, and its parameter (seconds, status code, bytes or count)."""

    kind: str
    param: float | None = None

    @classmethod
    def parse(cls, text: str) -> Fault:
        """``KIND`` or ``KIND:PARAM``; ValueError with the accepted forms otherwise."""
        kind, _, raw = text.strip().partition(":")
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; use one of {', '.join(KINDS)}")
        if not KINDS[kind]:
            if raw:
                raise ValueError(f"fault {kind!r} takes no parameter")
            return cls(kind)
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"fault {kind!r} needs a number: {kind}:<number>") from None
        if kind == "status" and not (value.is_integer() and 500 <= value <= 599):
            raise ValueError("fault 'status' takes a 5xx status code")
        if kind in ("oversized", "flaky") and not (value.is_integer() and value >= 0):
            raise ValueError(f"fault {kind!r} takes a whole number")
        if kind == "slow" and not 0 <= value <= 3600:
            raise ValueError("fault 'slow' takes 0 to 3600 seconds")
        return cls(kind, value)

    def __str__(self) -> str:
        if self.param is None:
            return self.kind
        shown = int(self.param) if float(self.param).is_integer() else self.param
        return f"{self.kind}:{shown}"


class FaultInjector:
    """Applies one fault to every authenticated query and counts them (thread-safe)."""

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self._lock = threading.Lock()
        self.queries = 0

    def respond(self, answer: Answer, environ: Mapping[str, Any]) -> Response:
        """The response to one authenticated query; ``answer()`` is the honest answer."""
        with self._lock:
            self.queries += 1
            number = self.queries
        fault, kind = self.fault, self.fault.kind
        if kind == "flaky" and number > (fault.param or 0):
            logger.info("fault %s: query #%d served normally", fault, number)
            return _json(answer())
        logger.warning("fault %s: injected into query #%d", fault, number)
        if kind == "slow":
            time.sleep(fault.param or 0)
            return _json(answer())
        if kind in ("status", "flaky"):
            status = int(fault.param or 503) if kind == "status" else 503
            raise ProblemError(
                status,
                "/problems/fault-injected",
                "Injected fault",
                f"this node answers {status} on purpose ({fault})",
            )
        if kind == "reset":
            return _reset(environ)
        if kind == "malformed-json":
            text = json.dumps(answer(), ensure_ascii=False)
            return Response(text[: max(1, len(text) // 2)], mimetype="application/json")
        if kind == "invalid-records":
            document = answer()
            document["records"] = [_break(record) for record in document["records"]]
            return _json(document)
        if kind == "oversized":
            return Response(_padded(int(fault.param or 0)), mimetype="application/json")
        if kind == "wrong-content-type":
            return _json(answer(), mimetype="text/html")
        raise AssertionError(f"unhandled fault {kind}")  # Fault.parse admits no other kind


def _json(document: Any, mimetype: str = "application/json") -> Response:
    return Response(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")), mimetype=mimetype
    )


def _break(record: dict[str, Any]) -> dict[str, Any]:
    """The record with a wrong check character in each identifier, or with an undefined member."""
    broken = dict(record)
    changed = False
    for name, value in record.items():
        if isinstance(value, str) and _IDENTIFIER.fullmatch(value):
            broken[name] = value[:-1] + ("0" if value[-1] != "0" else "1")
            changed = True
    if not changed:
        broken[UNDEFINED_MEMBER] = True
    return broken


def _padded(size: int) -> Iterator[bytes]:
    """A valid JSON answer of at least ``size`` bytes, streamed chunk by chunk."""
    yield b'{"records":[],"nextCursor":null,"padding":"'
    left = size
    while left > 0:
        chunk = min(left, _PADDING_CHUNK)
        yield b"x" * chunk
        left -= chunk
    yield b'"}'


def _reset(environ: Mapping[str, Any]) -> Response:
    """Close the caller's connection without a word; what the server then writes is lost."""
    sock = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
    if not isinstance(sock, socket.socket):
        raise ProblemError(
            500,
            "/problems/fault-injected",
            "Injected fault",
            "this server cannot reset a connection",
        )
    # Linger 0: the kernel drops the connection at once instead of draining it.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.shutdown(socket.SHUT_RDWR)
    return Response(b"", status=204)


__all__ = ["KINDS", "Fault", "FaultInjector"]
