"""Per-process state is made anew in a forked child, once, by ``os.register_at_fork``; the
registry holds its holders weakly, so they can still be collected."""

from __future__ import annotations

import gc
import threading
import weakref

from adapters.forks import _resets, reset_after_fork
from adapters.outbound import Deadline, within
from tests.forked import in_forked_child


class Holder:
    def __init__(self) -> None:
        self.resets = 0
        reset_after_fork(self.reset)

    def reset(self) -> None:
        self.resets += 1


def test_a_reset_runs_once_in_a_forked_child_and_never_in_the_parent() -> None:
    holder = Holder()
    assert in_forked_child(lambda: holder.resets) == 1
    assert holder.resets == 0


def test_the_registry_does_not_keep_a_holder_alive() -> None:
    before = set(_resets)
    holder = Holder()
    (entry,) = set(_resets) - before
    collected = weakref.ref(holder)
    del holder
    gc.collect()
    assert collected() is None
    assert entry not in _resets


def test_a_failing_reset_does_not_keep_the_next_one_from_running() -> None:
    class Failing:
        def __init__(self) -> None:
            reset_after_fork(self.reset)

        def reset(self) -> None:
            raise RuntimeError("cannot reset")

    failing, holder = Failing(), Holder()
    assert in_forked_child(lambda: holder.resets) == 1
    del failing


def test_a_forked_child_starts_its_own_deadline_watchdog() -> None:
    with within(Deadline.after(5)):  # the parent's watchdog thread runs from here on
        pass

    def watched_in_child() -> list[str]:
        with within(Deadline.after(5)):
            pass
        return [t.name for t in threading.enumerate()]

    assert "outbound-deadlines" in in_forked_child(watched_in_child)
