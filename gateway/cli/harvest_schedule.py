"""The scheduled mode of `jjj-gateway catalog harvest`: a round every interval, with jitter,
its report in the logs, until SIGTERM (docs/catalogue-guide.md#harvesting-other-catalogues)."""

from __future__ import annotations

import logging
import random
import signal
from collections.abc import Callable, Sequence

from catalog.harvest import SourceReport
from gateway.cli.catalog_harvest import Stop, Stopped, report_lines

log = logging.getLogger("gateway.harvest")
#: ± this share of the interval is added at random to each sleep of the scheduled mode, so that
#: many central gateways do not call a source at the same instant.
JITTER = 0.1


class StopSignals:
    """SIGTERM and SIGINT, held pending rather than handled: a round asks between entries
    whether one came, and the sleep between rounds waits for one. No handler runs at an
    arbitrary point of the program (one that takes a lock the interrupted code holds would
    deadlock), so nothing is half done when the harvest stops."""

    SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})

    def __init__(self) -> None:
        # Blocked before any thread starts, so that every thread inherits the mask and the
        # signals stay pending for the main thread to take.
        signal.pthread_sigmask(signal.SIG_BLOCK, self.SIGNALS)
        self._received = False

    def is_set(self) -> bool:
        self._received = self._received or bool(signal.sigpending() & self.SIGNALS)
        return self._received

    def wait(self, timeout: float) -> bool:
        if not self.is_set():
            self._received = signal.sigtimedwait(self.SIGNALS, timeout) is not None
        return self._received


def log_round(reports: Sequence[SourceReport]) -> None:
    for report in reports:
        summary = "; ".join(report_lines(report))
        log.log(
            logging.WARNING if report.error or report.refused else logging.INFO,
            summary,
            extra={"harvest": report.as_json()},
        )


def next_wait(every: float, rng: random.Random) -> float:
    return every * (1 + rng.uniform(-JITTER, JITTER))


def run_every(
    every: float,
    round_once: Callable[[], Sequence[SourceReport]],
    stop: Stop,
    rng: random.Random | None = None,
) -> None:
    """The scheduled mode: a round, its report in the logs, a sleep with jitter, until
    ``stop`` is set (a round cut short by it writes nothing)."""
    rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
    while not stop.is_set():
        try:
            log_round(round_once())
        except Stopped:
            break
        stop.wait(next_wait(every, rng))
    log.info("harvest stopped")


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """``90s``, ``15m``, ``6h`` or ``1d`` in seconds; ValueError when it is none of them."""
    number, unit = text[:-1], text[-1:].lower()
    if unit not in _UNITS or not number.isascii() or not number.isdigit() or int(number) < 1:
        raise ValueError(f"{text!r} is not a duration such as 90s, 15m, 6h or 1d")
    return float(int(number) * _UNITS[unit])


__all__ = ["StopSignals", "log_round", "next_wait", "parse_duration", "run_every"]
