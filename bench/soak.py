"""Steady-state memory: a long load of one scenario with the workers' RSS sampled, and its slope.

A worker whose RSS keeps growing under a constant load leaks; the slope (MB/min, least squares
over the samples after a settling period) says how fast.
"""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass
from typing import Any

from .deployment import Deployment
from .measure import LoadOptions
from .procstat import RssSampler
from .scenarios import Scenario
from .wrk import WrkResult

#: Samples taken before this share of the run are left out of the slope (caches filling).
SETTLE_SHARE = 0.2
#: An access token lives 10 minutes; wrk sends the same one throughout.
MAX_SOAK_SECONDS = 540


@dataclass(frozen=True, slots=True)
class SoakResult:
    scenario: str
    seconds: float
    interval: float
    load: WrkResult | None
    #: Per worker: (start MB, end MB, slope MB/min, samples).
    workers: dict[int, tuple[float, float, float, int]]

    def as_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "seconds": self.seconds,
            "sampleIntervalSeconds": self.interval,
            "load": self.load.as_json() if self.load else None,
            "workers": [
                {
                    "pid": pid,
                    "startMb": start,
                    "endMb": end,
                    "slopeMbPerMinute": slope,
                    "samples": count,
                }
                for pid, (start, end, slope, count) in sorted(self.workers.items())
            ],
        }


def soak(
    scenario: Scenario,
    deployment: Deployment,
    options: LoadOptions,
    seconds: float,
    *,
    interval: float = 5.0,
) -> SoakResult:
    seconds = min(seconds, MAX_SOAK_SECONDS)
    request = scenario.build(deployment)
    sampler = RssSampler(deployment.group, interval=interval).start()
    load: WrkResult | None = None
    try:
        load = options.drive(request, seconds)
    except RuntimeError as exc:  # wrk failed: the RSS samples taken meanwhile are still reported
        print(f"soak: the load failed: {exc}", file=sys.stderr, flush=True)
    finally:
        samples = sampler.stop()

    series: dict[int, list[tuple[float, float]]] = {}
    for at, sample in samples:
        for pid, kib in sample.items():
            if kib:
                series.setdefault(pid, []).append((at, kib / 1024))
    workers = {}
    for pid, points in series.items():
        settled = [p for p in points if p[0] >= SETTLE_SHARE * seconds] or points
        slope = 0.0
        if len(settled) >= 3:
            fit = statistics.linear_regression([p[0] for p in settled], [p[1] for p in settled])
            slope = fit.slope * 60
        workers[pid] = (
            round(points[0][1], 1),
            round(points[-1][1], 1),
            round(slope, 3),
            len(points),
        )
    return SoakResult(scenario.key, seconds, interval, load, workers)
