"""The fan-out thread pool: one per process, created on first use (never inherited over a fork)."""

from __future__ import annotations

import concurrent.futures as cf
import os
import threading


class ForkSafeExecutor:
    def __init__(self, max_workers: int = 32) -> None:
        self._max_workers = max_workers
        self._lock = threading.Lock()
        self._executor: cf.ThreadPoolExecutor | None = None
        self._pid: int | None = None

    def get(self) -> cf.Executor:
        if self._executor is None or self._pid != os.getpid():
            with self._lock:
                if self._executor is None or self._pid != os.getpid():
                    self._executor = cf.ThreadPoolExecutor(
                        self._max_workers, thread_name_prefix="fan-out"
                    )
                    self._pid = os.getpid()
        return self._executor

    def shutdown(self) -> None:
        if self._executor is not None and self._pid == os.getpid():
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = None
