"""Group commit of the audit trail: one thread per process takes the records waiting to be
appended and commits them together — one transaction and one disk flush for many exchanges —
while each caller waits for its own record to be durable."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any

#: What committing a record came to: the stored record, or why it failed.
Outcome = dict[str, Any] | Exception


class GroupWriter:
    """One thread that commits waiting records in batches; ``commit`` takes a batch in order
    and gives each record's outcome."""

    MAX_BATCH = 256

    def __init__(self, commit: Callable[[list[Mapping[str, Any]]], Sequence[Outcome]]) -> None:
        self._commit = commit
        self._queue: queue.SimpleQueue[tuple[Mapping[str, Any], Future[dict[str, Any]]] | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def submit(self, record: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        """The stored record once it is committed; its failure, or ``TimeoutError``, if not."""
        future: Future[dict[str, Any]] = Future()
        self._queue.put((record, future))
        return future.result(timeout)

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self.MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                batch.append(more)
            outcomes = self._commit([record for record, _ in batch])
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
