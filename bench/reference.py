"""The reference run: the bare Flask app under the same gunicorn shape and the same load."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from .deployment import ServerShape
from .measure import LoadOptions
from .processes import Process, clean_environment, free_port
from .procstat import GunicornGroup, memory_kib
from .wrk import run_wrk

ROOT = Path(__file__).resolve().parent.parent


def measure_reference(shape: ServerShape, options: LoadOptions) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/healthz"
    with tempfile.TemporaryDirectory(prefix="jjj-reference-") as logs:
        server = Process(
            "reference",
            [
                sys.executable,
                "-m",
                "gunicorn",
                f"--workers={shape.workers}",
                f"--threads={shape.threads}",
                "--worker-class=gthread",
                f"--bind=127.0.0.1:{port}",
                "--log-level=warning",
                f"--chdir={ROOT}",
                "bench.reference_app:create_app()",
            ],
            env=clean_environment({}),
            log_dir=Path(logs),
            health_url=url,
        ).start()
        try:
            group = GunicornGroup(server.pid)
            load_args: dict[str, Any] = {
                "connections": options.connections,
                "threads": options.threads,
            }
            if options.warmup > 0:
                run_wrk(options.wrk, url, seconds=options.warmup, **load_args)
            before = group.cpu_seconds()
            load = run_wrk(options.wrk, url, seconds=options.seconds, **load_args)
            cpu = group.cpu_seconds() - before
            rss = [round(memory_kib(pid) / 1024, 1) for pid in group.workers()]
        finally:
            server.stop()
    return {
        "title": "bare Flask /healthz under the same gunicorn (no gateway code)",
        "load": load.as_json(),
        "cpuSecondsPer1k": round(cpu / (load.requests / 1000), 3) if load.requests else None,
        "rssMbPerWorker": rss,
    }
