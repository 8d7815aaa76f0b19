"""What one process holds — threads, pools, connections — made anew in a forked child (a gunicorn
worker) once, by ``os.register_at_fork``, instead of comparing process ids on every use.

A child inherits its parent's memory but none of its threads: a pool whose workers are gone, a
queue no writer reads, a lock some vanished thread holds, sockets the parent still uses. Each
holder registers the method that forgets that state; the child calls it before anything else.
"""

from __future__ import annotations

import itertools
import logging
import os
import weakref
from collections.abc import Callable

__all__ = ["reset_after_fork"]

log = logging.getLogger(__name__)

#: The resets to run in a child, in the order they were registered. Held weakly: the holders
#: (a test makes many apps) can still be collected, and their entries then leave.
_resets: dict[int, weakref.WeakMethod[Callable[[], None]]] = {}
_keys = itertools.count()


def reset_after_fork(method: Callable[[], None]) -> None:
    """Call the bound ``method`` in every child this process forks, for as long as its object
    lives. It runs in the forking thread before the child does anything else, so it must not
    wait for a lock: it replaces the locks it guards, with the rest of its state."""
    key = next(_keys)
    _resets[key] = weakref.WeakMethod(method, lambda _: _resets.pop(key, None))


def _reset_all() -> None:
    for reference in list(_resets.values()):
        method = reference()
        if method is None:
            continue
        try:
            method()
        except Exception:  # one holder's failure must not leave the others' state inherited
            log.exception("resetting %s in a forked child failed", method.__qualname__)


os.register_at_fork(after_in_child=_reset_all)
