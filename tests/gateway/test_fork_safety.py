"""A forked worker makes its own threads for what the parent had already started: the fan-out
pool and the log writer reset themselves in the child (``adapters.forks``)."""

from __future__ import annotations

import io
import logging
import threading

from gateway.observability.logs import BackgroundStreamHandler
from gateway.upstream.pool import ForkSafeExecutor
from tests.forked import in_forked_child


def test_a_forked_child_fans_out_on_a_pool_of_its_own() -> None:
    pool = ForkSafeExecutor(max_workers=2)
    try:
        assert pool.get().submit(lambda: "parent").result(timeout=5) == "parent"
        assert in_forked_child(lambda: pool.get().submit(lambda: "child").result(timeout=5)) == (
            "child"
        )
    finally:
        pool.shutdown()


class Stream(io.StringIO):
    """A stream that tells when a line was written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.written = threading.Event()

    def write(self, text: str) -> int:
        size = super().write(text)
        self.written.set()
        return size


def test_a_forked_child_writes_its_log_lines_through_a_writer_of_its_own() -> None:
    stream = Stream()
    handler = BackgroundStreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))

    def line(message: str) -> logging.LogRecord:
        return logging.LogRecord("test", logging.INFO, __file__, 0, message, None, None)

    handler.emit(line("from the parent"))
    assert stream.written.wait(5)

    def log_in_child() -> str:
        stream.written = threading.Event()
        handler.emit(line("from the child"))
        assert stream.written.wait(5), "no writer thread took the line"
        return stream.getvalue()

    assert in_forked_child(log_in_child) == "from the parent\nfrom the child\n"
