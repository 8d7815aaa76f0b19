"""``make bench`` — run the benchmark and print the report.

python -m bench                         # the full run: SQLite, then PostgreSQL if present
python -m bench --duration 5 --quick    # a smoke run: SQLite only, short warm-up
python -m bench --scenarios c,e --profile c,e   # profile a worker under (c) and (e)
python -m bench --scenarios c --soak 300        # 5 minutes of (c), worker RSS slope
python -m bench --node-rows 0                   # all but the SQL adapter over 10 million rows
python -m bench --platform                      # the platform-scale scenario alone
python -m bench --platform --platform-sizes 9,500 --duration 5   # a quick look at it
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from . import nodes, platform, postgres, profiling
from .deployment import BENCH_QUOTAS, SEED, Deployment, Fixtures, ServerShape, prepare_fixtures
from .machine import describe
from .measure import LoadOptions, ScenarioResult, measure
from .otlp_sink import OtlpSink
from .platform_report import render_platform
from .procstat import settle
from .reference import measure_reference
from .report import TARGETS, ratios, render, render_run
from .scenarios import SCENARIOS, Scenario
from .soak import soak
from .wrk import WrkUnavailable, ensure_wrk, wrk_version

RESULTS = Path(__file__).resolve().parent / "results"
DATABASES = ("sqlite", "postgresql")
#: Rows of the SQL node table in the full run: the platform's market entities, several times over.
NODE_ROWS = 10_000_000


def _letters(text: str) -> list[str]:
    keys = [k.strip().strip("()") for k in text.replace(",", " ").split()]
    keys = [c for k in keys for c in (k if all(len(x) == 1 for x in k) else [k])]
    unknown = [k for k in keys if k not in SCENARIOS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}"
        )
    return list(dict.fromkeys(keys))


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(n) for n in text.split(",") if n.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"catalogue sizes are numbers, not {text!r}") from None
    if not sizes or min(sizes) < len(platform.SHIPPED):
        raise argparse.ArgumentTypeError(
            f"each size must be at least the {len(platform.SHIPPED)} shipped datasets"
        )
    return sizes


def _databases(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in DATABASES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown database(s) {unknown}; known: {DATABASES}")
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the gateway in its production form (make bench).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("--duration", type=float, help="seconds of load per scenario (20)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per scenario (5)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (8)")
    parser.add_argument(
        "--scenarios", type=_letters, default=list(SCENARIOS), help="e.g. a,c,e (all)"
    )
    parser.add_argument(
        "--databases",
        type=_databases,
        default=list(DATABASES),
        help="sqlite,postgresql (both; PostgreSQL is skipped when it does not answer)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="SQLite only, 2 s warm-up, short pipeline run"
    )
    parser.add_argument(
        "--soak",
        type=float,
        default=0,
        metavar="SECONDS",
        help="also load (c) this long on the first database and report the RSS slope",
    )
    parser.add_argument(
        "--profile",
        type=_letters,
        nargs="?",
        const=["c", "e"],
        default=[],
        metavar="SCENARIOS",
        help="also profile one worker with py-spy under these scenarios (c,e)",
    )
    parser.add_argument("--profile-seconds", type=float, default=15.0)
    parser.add_argument(
        "--otlp-protocol",
        choices=("http/json", "http/protobuf"),
        default="http/json",
        help="OTEL_EXPORTER_OTLP_PROTOCOL of the gateway and adapter servers (http/json)",
    )
    parser.add_argument(
        "--platform",
        action="store_true",
        help="only the platform-scale scenario (part of the full run)",
    )
    parser.add_argument(
        "--no-platform", action="store_true", help="skip the platform-scale scenario"
    )
    parser.add_argument(
        "--platform-sizes",
        type=_sizes,
        default=list(platform.SIZES),
        help=f"catalogue sizes of the platform scenario ({','.join(map(str, platform.SIZES))})",
    )
    parser.add_argument("--no-pipeline", action="store_true", help="skip the record pipeline")
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the bare Flask reference run"
    )
    parser.add_argument("--pipeline-records", type=int, default=300_000)
    parser.add_argument("--pipeline-seconds", type=float, default=10.0)
    parser.add_argument(
        "--node-rows",
        type=int,
        metavar="ROWS",
        help="measure the SQL adapter over a PostgreSQL table of this many market-entity rows, "
        "made once and kept between runs (bench.nodes; 10000000 in the full run, 0 skips it)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the run folder (logs, data)")
    parser.add_argument("--output", type=Path, help="the JSON result (bench/results/<time>.json)")
    args = parser.parse_args(argv)
    if args.duration is None:
        args.duration = 5.0 if args.quick else 20.0
    if args.warmup is None:
        args.warmup = 2.0 if args.quick else 5.0
    if args.quick:
        args.databases = ["sqlite"]
        args.pipeline_records, args.pipeline_seconds = 20_000, 2.0
    if args.node_rows is None:
        args.node_rows = 0 if args.quick or args.platform else NODE_ROWS
    if args.platform:
        args.scenarios, args.databases = [], []
        args.no_pipeline = args.no_reference = True
    if args.connections < 1 or args.duration <= 0:
        parser.error("--connections and --duration must be positive")
    if args.node_rows < 0:
        parser.error("--node-rows must not be negative")
    return args


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_pipeline(args: argparse.Namespace, fixtures: Fixtures, folder: Path) -> dict[str, Any]:
    """The record pipeline benchmark in a process of its own (it pins itself to one core)."""
    out = folder / "pipeline.json"
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "bench.pipeline",
            "--records",
            str(args.pipeline_records),
            "--seconds",
            str(args.pipeline_seconds),
            "--data-dir",
            str(fixtures.data_dir),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the pipeline benchmark failed: {done.stderr[-1500:]}")
    result: dict[str, Any] = json.loads(out.read_text("utf-8"))
    return result


def profile_scenario(
    scenario: Scenario, deployment: Deployment, options: LoadOptions, seconds: float, stem: str
) -> dict[str, Any]:
    """py-spy on the first worker while wrk drives the scenario: first the CPU view (the thread
    holding the GIL), then the wall view (every busy thread, lock waits included)."""
    py_spy = profiling.ensure_py_spy()
    request = scenario.build(deployment)
    worker = deployment.group.workers()[0]
    found: dict[str, Any] = {"scenario": scenario.key, "title": scenario.title, "worker": worker}
    for mode in profiling.MODES:
        settle(deployment.group)
        out = RESULTS / f"{stem}-{mode}.speedscope.json"
        load: list[Any] = []
        runner = threading.Thread(
            target=lambda load=load: load.append(options.drive(request, seconds + 3))
        )
        runner.start()
        time.sleep(1.0)
        recorder = profiling.start_recording(py_spy, worker, seconds, out, mode)
        output, _ = recorder.communicate(timeout=seconds + 60)
        runner.join()
        if recorder.returncode != 0 or not out.exists():
            raise profiling.ProfilerUnavailable(f"py-spy failed: {output.strip()[-500:]}")
        summary = profiling.summarise(out, top=15 if mode == "cpu" else 10)
        found[mode] = summary.as_json() | {
            "speedscope": str(out),
            "seconds": seconds,
            "requestsPerSecondWhileProfiled": round(load[0].requests_per_second, 1)
            if load
            else None,
            "markdown": profiling.render(
                f"({scenario.key}) {scenario.title}, {mode} view", summary
            ),
        }
    return found


def run_database(
    name: str,
    url: str,
    args: argparse.Namespace,
    fixtures: Fixtures,
    sink: OtlpSink,
    options: LoadOptions,
    *,
    first: bool,
    stamp: str,
) -> dict[str, Any]:
    shape = ServerShape(args.workers, args.threads)
    deployment = Deployment(fixtures, name, shape, sink.endpoint, url, args.otlp_protocol)
    say(f"[{name}] starting the gateway ({shape.workers}×{shape.threads}) and adapter servers …")
    try:
        deployment.start()
    except Exception:
        say(deployment.logs())
        deployment.stop()
        raise
    run: dict[str, Any] = {"database": name, "scenarios": {}}
    try:
        requests_before, bytes_before = sink.counts()
        results: list[ScenarioResult] = []
        for key in args.scenarios:
            scenario = SCENARIOS[key]
            say(f"[{name}] ({key}) {scenario.title} …")
            result = measure(scenario, deployment, options)
            results.append(result)
            if result.load is not None:
                say(
                    f"[{name}] ({key}) {result.load.requests_per_second:,.0f} req/s, "
                    f"p99 {result.load.latency_ms['p99']:.1f} ms, {result.error_count} errors"
                    + ("" if result.valid else f" — INVALID: {result.reason}")
                )
            else:
                say(f"[{name}] ({key}) INVALID: {result.reason}")
        requests_after, bytes_after = sink.counts()
        run["scenarios"] = {
            r.key: r.as_json() | {"targets": [t.as_json(r) for t in TARGETS.get(r.key, ())]}
            for r in results
        }
        run["ratios"] = ratios({r.key: r for r in results})
        run["otlp"] = {
            "exportRequests": requests_after - requests_before,
            "bytes": bytes_after - bytes_before,
        }
        run["results"] = results
        if first and args.profile:
            run["profiles"] = {}
            for key in args.profile:
                say(f"[{name}] profiling a worker under ({key}) for {args.profile_seconds:.0f} s …")
                stem = f"{stamp}-profile-{name}-{key}"
                try:
                    run["profiles"][key] = profile_scenario(
                        SCENARIOS[key], deployment, options, args.profile_seconds, stem
                    )
                except profiling.ProfilerUnavailable as exc:
                    run["profiles"][key] = {"error": str(exc)}
                    say(f"[{name}] profile of ({key}) failed: {exc}")
        if first and args.soak:
            say(f"[{name}] soak: ({'c'}) for {args.soak:.0f} s, sampling worker RSS …")
            settle(deployment.group)
            run["soak"] = soak(SCENARIOS["c"], deployment, options, args.soak).as_json()
    finally:
        deployment.stop()
    return run


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        wrk = ensure_wrk()
    except WrkUnavailable as exc:
        say(f"make bench: {exc}")
        return 2
    started = dt.datetime.now(dt.UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(exist_ok=True)
    output = args.output or RESULTS / f"{stamp}.json"
    options = LoadOptions(wrk, args.duration, args.warmup, args.connections, args.wrk_threads)
    report: dict[str, Any] = {
        "startedAt": started.isoformat(),
        "machine": describe(wrk_version(wrk)),
        "configuration": {
            "workers": args.workers,
            "otlpProtocol": args.otlp_protocol,
            "threads": args.threads,
            "workerClass": "gthread",
            "connections": args.connections,
            "wrkThreads": args.wrk_threads,
            "seconds": args.duration,
            "warmupSeconds": args.warmup,
            "scenarios": args.scenarios,
            "benchTierQuotas": BENCH_QUOTAS,
            "tracing": "on: parentbased_always_on, OTLP/HTTP to a discarding receiver",
            "audit": "on",
        },
        "runs": {},
        "notes": [],
    }
    root = Path(tempfile.mkdtemp(prefix="jjj-bench-"))
    sink = OtlpSink().start()
    runs_markdown: list[str] = []
    try:
        say(f"preparing demo data and policies in {root} …")
        fixtures = prepare_fixtures(root)
        if not args.no_pipeline:
            say("record pipeline micro-benchmark (one core) …")
            report["pipeline"] = run_pipeline(args, fixtures, root)
        if not args.no_reference:
            say("reference: a bare Flask app under the same gunicorn …")
            report["reference"] = measure_reference(
                ServerShape(args.workers, args.threads), options
            )
        first = True
        for name in args.databases:
            if name == "postgresql":
                reason = postgres.unavailable_reason()
                if reason:
                    report["notes"].append(f"PostgreSQL run skipped: {reason}")
                    say(f"[postgresql] skipped: {reason}")
                    continue
                with postgres.fresh_database() as url:
                    run = run_database(
                        name, url, args, fixtures, sink, options, first=first, stamp=stamp
                    )
                description = "PostgreSQL on 127.0.0.1:5432, a fresh database dropped afterwards."
            else:
                run = run_database(
                    name, "", args, fixtures, sink, options, first=first, stamp=stamp
                )
                description = "SQLite in the instance folder (audit chain, clients, grants)."
            first = False
            results = run.pop("results")
            otlp = (
                f"{run['otlp']['exportRequests']:,} OTLP export requests, "
                f"{run['otlp']['bytes'] / 1e6:,.1f} MB received by the sink"
            )
            runs_markdown.append(render_run(name, description, results, otlp))
            for profile in run.get("profiles", {}).values():
                for mode in profiling.MODES:
                    if mode in profile:
                        runs_markdown.append(profile[mode]["markdown"])
            if run.get("soak"):
                report["soak"] = run.pop("soak")
            report["runs"][name] = run
        if args.node_rows:
            reason = postgres.unavailable_reason()
            if reason:
                report["notes"].append(f"Nodes at scale skipped: {reason}")
                say(f"[nodes] skipped: {reason}")
            else:
                report["nodes"] = nodes.run(args.node_rows, SEED, say=say)
                runs_markdown.append(nodes.render(report["nodes"]))
        if not args.no_platform:
            say(f"platform scale: catalogues of {args.platform_sizes} datasets …")
            report["platform"] = platform.run_platform(
                fixtures, sink.endpoint, options, say, args.platform_sizes
            )
            runs_markdown.append(render_platform(report["platform"]))
    finally:
        sink.stop()
        if args.keep:
            say(f"run folder kept: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    report["finishedAt"] = dt.datetime.now(dt.UTC).isoformat()
    output.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), "utf-8")
    print(render(report, runs_markdown))
    print(f"results: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
