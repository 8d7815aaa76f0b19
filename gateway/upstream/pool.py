"""The fan-out thread pool: one per process, created on first use (never inherited over a fork)."""

from __future__ import annotations

import concurrent.futures as cf
import threading

from adapters.forks import reset_after_fork


class ForkSafeExecutor:
    def __init__(self, max_workers: int = 32) -> None:
        self._max_workers = max_workers
        self._forget_pool()
        reset_after_fork(self._forget_pool)

    def _forget_pool(self) -> None:
        # A forked child inherits the pool but not its threads: it starts its own on first use.
        self._lock = threading.Lock()
        self._executor: cf.ThreadPoolExecutor | None = None

    def get(self) -> cf.Executor:
        if self._executor is None:
            with self._lock:
                if self._executor is None:
                    self._executor = cf.ThreadPoolExecutor(
                        self._max_workers, thread_name_prefix="fan-out"
                    )
        return self._executor

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = None
