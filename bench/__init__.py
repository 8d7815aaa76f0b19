"""The benchmark harness (``make bench``): the gateway in its production form under load.

``python -m bench`` starts the gateway with gunicorn, adapter servers and a discarding OTLP
receiver on loopback, drives each scenario with ``wrk`` from the same machine and reports
requests/s, latency percentiles, CPU per exchange and memory per worker against the targets.
``python -m bench.pipeline`` measures the record pipeline (validate + mask) on one core.
"""

from __future__ import annotations

__all__: list[str] = []
