"""Checking a large catalogue's entries on every core of the machine.

Parsing YAML into Python objects is most of a catalogue check and holds the interpreter's lock:
only processes run it side by side. The entries are cut into chunks that forked processes check
and send back as plain documents and issues, in file order, so that what comes out is what the
serial check gives. A pool costs a fork and the copying of the results: a small catalogue, a
one-core machine, or a process that already runs threads (a fork copies a lock held by another
thread as held for ever) check serially.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

#: Below this many entries a pool costs more than it saves (forking and copying results back).
MIN_PARALLEL = 200
#: Chunks per process: enough for one slow chunk not to leave the other processes idle.
_CHUNKS_PER_PROCESS = 4

# The check of one chunk, set before the pool forks: processes inherit it rather than receive
# it pickled with every chunk (it holds the region registry and the taxonomy).
_check: Callable[[Sequence[object]], list[object]] | None = None


def _set_check(check: Callable[[Sequence[object]], list[object]]) -> None:
    global _check
    _check = check


def _run_chunk(chunk: Sequence[object]) -> list[object]:
    assert _check is not None, "the pool's processes are set up with the check"
    return _check(chunk)


def processes_for(count: int) -> int:
    """How many processes check ``count`` entries: 1 (this one) when a pool would not pay."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if count < MIN_PARALLEL or not cores or cores < 2 or threading.active_count() > 1:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(cores, count // MIN_PARALLEL)


def check_in_chunks(
    check: Callable[[Sequence[Item]], list[Result]], items: Sequence[Item]
) -> list[Result]:
    """``check`` applied to chunks of ``items``, its results joined in order: by a pool of
    forked processes when :func:`processes_for` says one pays, else here."""
    processes = processes_for(len(items))
    if processes == 1:
        return check(items)
    size = -(-len(items) // (processes * _CHUNKS_PER_PROCESS))
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, initializer=_set_check, initargs=(check,)) as pool:
        results = pool.map(_run_chunk, chunks, chunksize=1)
    return [result for chunk in results for result in chunk]  # type: ignore[misc]
