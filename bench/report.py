"""The targets of the benchmark and the markdown report of a run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .machine import one_line
from .measure import MAX_OTHER_LOAD, ScenarioResult


@dataclass(frozen=True, slots=True)
class Target:
    """A bound on one figure of a scenario: requests/s at least, or p99 latency at most."""

    metric: str  # "rps" or "p99"
    bound: float

    def label(self) -> str:
        if self.metric == "rps":
            return f"≥ {self.bound:,.0f} req/s"
        return f"p99 ≤ {self.bound:.0f} ms"

    def met(self, result: ScenarioResult) -> bool | None:
        if not result.valid or result.load is None:
            return None
        if self.metric == "rps":
            return result.load.requests_per_second >= self.bound
        return result.load.latency_ms["p99"] <= self.bound

    def as_json(self, result: ScenarioResult) -> dict[str, Any]:
        return {"target": self.label(), "met": self.met(result)}


#: Targets on the 2-core, 24 GiB machine the project is developed on, load generator included.
TARGETS: dict[str, tuple[Target, ...]] = {
    "c": (Target("rps", 1500), Target("p99", 30)),
    "d": (Target("rps", 800), Target("p99", 40)),
    "e": (Target("rps", 250),),
    "f": (Target("rps", 2000),),
}
#: Steady RSS of one worker.
RSS_TARGET_MB = 150.0
#: Records/s of the record pipeline on one core.
PIPELINE_TARGET = 200_000


def mark(met: bool | None) -> str:
    return "–" if met is None else ("✓" if met else "✗")


def _rss(result: ScenarioResult) -> str:
    if not result.steady_rss_mb:
        return ""
    steady, peak = max(result.steady_rss_mb), max(result.peak_rss_mb or (0.0,))
    return f"{steady:.0f} ({peak:.0f}) {mark(steady <= RSS_TARGET_MB)}"


def _number(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _other(result: ScenarioResult) -> str:
    if result.other_load is None:
        return ""
    return f"{result.other_load * 100:.0f}%" + (" ⚠" if result.contended else "")


def scenario_rows(results: Sequence[ScenarioResult]) -> list[str]:
    rows = [
        "| | scenario | req/s | p50 ms | p90 ms | p99 ms | errors | gateway CPU s/1k | "
        "adapters CPU s/1k | RSS MB/worker steady (peak) | other load | targets |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        if r.load is None:
            rows.append(f"| ({r.key}) | {r.title} | INVALID: {r.reason} | | | | | | | | | |")
            continue
        lat = r.load.latency_ms
        targets = " · ".join(f"{t.label()} {mark(t.met(r))}" for t in TARGETS.get(r.key, ()))
        if not r.valid:
            targets = f"INVALID: {r.reason}"
        errors = f"{r.error_count}"
        if r.load.requests:
            errors += f" ({100 * r.error_count / r.load.requests:.1f}%)"
        title = r.title + (f" — {r.note}" if r.note else "")
        rows.append(
            f"| ({r.key}) | {title} | {r.load.requests_per_second:,.0f} | {lat['p50']:.1f} | "
            f"{lat['p90']:.1f} | {lat['p99']:.1f} | {errors} | "
            f"{_number(r.gateway_cpu_per_1k)} | {_number(r.adapter_cpu_per_1k)} | {_rss(r)} | "
            f"{_other(r)} | {targets} |"
        )
    return rows


def ratios(results: Mapping[str, ScenarioResult]) -> dict[str, dict[str, float]]:
    """(c)/(a) and (d)/(b): throughput and median latency relative to the floor below them."""
    found = {}
    for upper, lower in (("c", "a"), ("d", "b")):
        hi, lo = results.get(upper), results.get(lower)
        if not (hi and lo and hi.valid and lo.valid and hi.load and lo.load):
            continue
        if not lo.load.requests_per_second or not lo.load.latency_ms["p50"]:
            continue
        found[f"{upper}/{lower}"] = {
            "throughput": round(hi.load.requests_per_second / lo.load.requests_per_second, 3),
            "p50Latency": round(hi.load.latency_ms["p50"] / lo.load.latency_ms["p50"], 2),
        }
    return found


def render_run(name: str, description: str, results: Sequence[ScenarioResult], otlp: str) -> str:
    lines = [f"### {name}", "", description, "", *scenario_rows(results), ""]
    by_key = {r.key: r for r in results}
    for pair, figures in ratios(by_key).items():
        upper, lower = pair.split("/")
        lines.append(
            f"- ({upper})/({lower}): throughput {figures['throughput']:.2f}× "
            f"(median latency {figures['p50Latency']:.1f}×) — measured in this run"
        )
    contended = [r.key for r in results if r.contended]
    if contended:
        lines.append(
            f"- ⚠ other processes used more than {MAX_OTHER_LOAD:.0%} of the machine during "
            f"({'), ('.join(contended)}): those figures understate the gateway; run again on a "
            "quiet machine"
        )
    lines.append(f"- tracing: {otlp}")
    return "\n".join(lines)


def render_pipeline(pipeline: Mapping[str, Any]) -> str:
    lines = [
        f"### Record pipeline (validate + mask), one core — target ≥ {PIPELINE_TARGET:,} records/s",
        "",
        "| dataset | measured | records/s | target |",
        "|---|---|---:|:---:|",
    ]
    for dataset in pipeline["datasets"]:
        for t in dataset["pipeline"]:
            met = (
                t["recordsPerSecond"] >= PIPELINE_TARGET
                if t["name"].startswith("pipeline")
                else None
            )
            cell = mark(met) if met is not None else ""
            lines.append(
                f"| {dataset['dataset']} ({dataset['fields']} fields) | {t['name']} | "
                f"{t['recordsPerSecond']:,} | {cell} |"
            )
        for t in dataset["rawValidators"]:
            agrees = t["acceptsDemoRecords"] and t["rejectsBadCheckCharacter"]
            lines.append(
                f"| {dataset['dataset']} | raw {t['name']}"
                f"{'' if agrees else ' (does not check the catalogue formats)'} | "
                f"{t['recordsPerSecond']:,} | |"
            )
    return "\n".join(lines)


def render_soak(soak: Mapping[str, Any]) -> str:
    lines = [
        f"### Steady-state RSS: scenario ({soak['scenario']}) for {soak['seconds']:.0f} s, "
        f"sampled every {soak['sampleIntervalSeconds']:.0f} s",
        "",
        "| worker | start MB | end MB | slope MB/min | steady ≤ 150 MB |",
        "|---|---:|---:|---:|:---:|",
    ]
    for w in soak["workers"]:
        lines.append(
            f"| {w['pid']} | {w['startMb']:.1f} | {w['endMb']:.1f} | "
            f"{w['slopeMbPerMinute']:+.3f} | {mark(w['endMb'] <= RSS_TARGET_MB)} |"
        )
    return "\n".join(lines)


def render(report: Mapping[str, Any], runs_markdown: Sequence[str]) -> str:
    config = report["configuration"]
    lines = [
        "## JJJ Data Gateway benchmark",
        "",
        f"Machine: {one_line(report['machine'])}",
        f"Load: wrk, {config['wrkThreads']} threads, {config['connections']} connections, "
        f"{config['seconds']:.0f} s per scenario after {config['warmupSeconds']:.0f} s of warm-up, "
        "on the same machine.",
        f"Gateway: `jjj-gateway serve`, gunicorn {config['workers']} workers × "
        f"{config['threads']} threads (gthread); audit on; tracing on (every span, OTLP/HTTP "
        f"`{config.get('otlpProtocol', 'http/protobuf')}` to a discarding receiver); quotas "
        "counted for a `bench` tier (government rights, quotas "
        "raised so that the load is not refused).",
        "",
    ]
    reference = report.get("reference")
    if reference:
        load = reference["load"]
        lines += [
            f"Reference — {reference['title']}: {load['requestsPerSecond']:,.0f} req/s, "
            f"p50 {load['latencyMs']['p50']:.1f} ms, p99 {load['latencyMs']['p99']:.1f} ms, "
            f"{reference['cpuSecondsPer1k']} CPU s/1k, RSS/worker "
            f"{', '.join(f'{m:.0f}' for m in reference['rssMbPerWorker'])} MB.",
            "",
        ]
    lines += [part + "\n" for part in runs_markdown]
    if report.get("pipeline"):
        lines += [render_pipeline(report["pipeline"]), ""]
    if report.get("soak"):
        lines += [render_soak(report["soak"]), ""]
    for note in report.get("notes", []):
        lines.append(f"- {note}")
    return "\n".join(lines).rstrip() + "\n"
