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
import types
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["reset_after_fork"]

log = logging.getLogger(__name__)

#: The resets to run in a child, in the order they were registered: each holder, held weakly
#: (a test makes many apps, and they can still be collected; their entries then leave), and
#: the function to call on it.
_resets: dict[int, tuple[weakref.ref[Any], Callable[[Any], None]]] = {}
_keys = itertools.count()


def reset_after_fork(method: Callable[[], None]) -> None:
    """Call the bound ``method`` in every child this process forks, for as long as its object
    lives. It runs in the forking thread before the child does anything else, so it must not
    wait for a lock: it replaces the locks it guards, with the rest of its state."""
    if not isinstance(method, types.MethodType):
        raise TypeError("reset_after_fork takes a bound method")
    key, resets = next(_keys), _resets
    holder = weakref.ref(method.__self__, lambda _: resets.pop(key, None))
    resets[key] = (holder, method.__func__)


def _reset_all() -> None:
    for holder, reset in list(_resets.values()):
        target = holder()
        if target is None:
            continue
        try:
            reset(target)
        except Exception:  # one holder's failure must not leave the others' state inherited
            log.exception("resetting %s in a forked child failed", reset.__qualname__)


os.register_at_fork(after_in_child=_reset_all)
