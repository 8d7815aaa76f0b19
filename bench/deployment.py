"""A gateway deployment on loopback for the benchmark: demo data, policies, node configurations,
one gateway under gunicorn, adapter servers for the remote nodes, and a client with tokens.

Remote nodes: the three provincial platforms (beijing, tianjin, hebei) — the fan-out scenario
asks only for the regions they serve — and beijing-haidian, the remote key lookup. Every other
node stays in-process (file or SQL adapter), beijing-chaoyang answering the in-process lookup.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from adapters.nodes import default_directory as nodes_directory
from adapters.nodes import load_nodes
from gateway.core.settings import Settings, load_settings
from gateway.demo import generate
from gateway.identity.oauth.tokens import TokenIssuer
from gateway.identity.signing_keys import key_ring
from gateway.services import load_configuration
from gateway.upstream.routing import RoutingTable
from policies.documents import default_directory as policies_directory

from .processes import JJJ, Process, clean_environment, free_port
from .procstat import GunicornGroup

DATASET = "market-entity-registration"
#: The provincial nodes the fan-out scenario reaches, each through its adapter server.
FAN_OUT_NODES = ("beijing", "tianjin", "hebei")
#: The district node of the remote key lookup (and of the direct adapter-server query).
REMOTE_LOOKUP_NODE = "beijing-haidian"
REMOTE_NODES = (*FAN_OUT_NODES, REMOTE_LOOKUP_NODE)
#: Sample keys of the demo data (GenerationReport.samples): one in-process, one remote.
IN_PROCESS_KEY = "chaoyang_entity"
REMOTE_KEY = "haidian_entity"
SEED = 2026

#: The tier of the benchmark client: the government tier's rights and masking profile, with
#: quotas no load test reaches. The stock tiers' quotas (1,200 requests/minute at most) would
#: turn a measurement into a stream of 429s; everything else in the pipeline — the quota is
#: still counted on every exchange — is unchanged.
BENCH_TIER = "bench"
BENCH_QUOTAS = {"requestsPerMinute": 100_000_000, "recordsPerDay": 1_000_000_000}
CLIENT_ID = "bench-load"


@dataclass(frozen=True, slots=True)
class ServerShape:
    """gunicorn's shape: worker processes × threads per worker."""

    workers: int
    threads: int


@dataclass(frozen=True, slots=True)
class Fixtures:
    """What every deployment of one run shares: the demo data and the policy documents."""

    root: Path
    data_dir: Path
    policies_dir: Path
    samples: dict[str, str]
    #: The leaf regions the provincial nodes serve for the dataset (the fan-out's regions).
    fan_out_regions: tuple[str, ...]
    #: Every field of the dataset, in schema order (what a node is asked for).
    fields: tuple[str, ...]


def prepare_fixtures(root: Path) -> Fixtures:
    """Generate the demo data (scale 1, fixed seed) and the policies with the bench tier."""
    data_dir = root / "data"
    settings = load_settings({"instance_path": root / "scratch", "data_dir": data_dir}, environ={})
    config = load_configuration(settings)
    report = generate(data_dir, load_nodes(), config.catalog, seed=SEED)

    policies_dir = root / "policies"
    shutil.copytree(policies_directory(), policies_dir)
    tiers_path = policies_dir / "tiers.yaml"
    tiers = yaml.safe_load(tiers_path.read_text("utf-8"))
    tiers["tiers"][BENCH_TIER] = {
        **tiers["tiers"]["government"],
        "label": {"zh": "基准测试", "en": "Benchmark"},
        **BENCH_QUOTAS,
    }
    tiers_path.write_text(yaml.safe_dump(tiers, allow_unicode=True, sort_keys=False), "utf-8")

    routing = RoutingTable.build(config.catalog, config.nodes)
    by_node = routing.nodes_for(DATASET)
    regions = sorted(set().union(*(by_node[node] for node in FAN_OUT_NODES)))
    dataset = config.catalog.datasets[DATASET]
    return Fixtures(
        root=root,
        data_dir=data_dir,
        policies_dir=policies_dir,
        samples=dict(report.samples),
        fan_out_regions=tuple(regions),
        fields=tuple(dataset.fields),
    )


@dataclass
class Deployment:
    """One gateway (with its database) and the adapter servers of the remote nodes."""

    fixtures: Fixtures
    name: str
    shape: ServerShape
    otlp_endpoint: str
    database_url: str = ""
    otlp_protocol: str = "http/json"
    #: GATEWAY_CATALOG_DIR of the gateway (None: the shipped catalogue).
    catalog_dir: Path | None = None
    #: Seconds from starting `jjj-gateway serve` until it answered /healthz, last start.
    ready_seconds: float = 0.0
    gateway: Process | None = None
    adapters: dict[str, Process] = field(default_factory=dict)
    adapter_urls: dict[str, str] = field(default_factory=dict)
    base_url: str = ""
    client_secret: str = ""

    @property
    def folder(self) -> Path:
        return self.fixtures.root / self.name

    @property
    def instance(self) -> Path:
        return self.folder / "instance"

    @property
    def group(self) -> GunicornGroup:
        assert self.gateway is not None
        return GunicornGroup(self.gateway.pid)

    def settings(self) -> Settings:
        overrides: dict[str, object] = {
            "instance_path": self.instance,
            "data_dir": self.fixtures.data_dir,
            "policies_dir": self.fixtures.policies_dir,
            "issuer": self.base_url,
        }
        if self.database_url:
            overrides["database_url"] = self.database_url
        return load_settings(overrides, environ={})

    def _environment(self) -> dict[str, str]:
        env = {
            "GATEWAY_INSTANCE_PATH": str(self.instance),
            "GATEWAY_ISSUER": self.base_url,
            "GATEWAY_DATA_DIR": str(self.fixtures.data_dir),
            "GATEWAY_POLICIES_DIR": str(self.fixtures.policies_dir),
            # Tracing on, every span sampled, exported over OTLP/HTTP to the discarding sink.
            "OTEL_EXPORTER_OTLP_ENDPOINT": self.otlp_endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": self.otlp_protocol,
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_SDK_DISABLED": "false",
            "OTEL_TRACES_SAMPLER": "parentbased_always_on",
        }
        if self.database_url:
            env["GATEWAY_DATABASE_URL"] = self.database_url
        if self.catalog_dir is not None:
            env["GATEWAY_CATALOG_DIR"] = str(self.catalog_dir)
        return clean_environment(env)

    def _write_nodes(self, nodes_dir: Path) -> None:
        """The gateway's view of the nodes: the remote ones over the adapter protocol."""
        nodes_dir.mkdir(parents=True)
        for path in nodes_directory().glob("*.yaml"):
            document = yaml.safe_load(path.read_text("utf-8"))
            url = self.adapter_urls.get(document["id"])
            if url is not None:
                document["adapter"] = {
                    "kind": "http",
                    "url": url,
                    "timeouts": {"connect": 1, "read": 5},
                }
            (nodes_dir / path.name).write_text(
                yaml.safe_dump(document, allow_unicode=True), "utf-8"
            )

    def _register_client(self, env: dict[str, str]) -> None:
        """Register the load client with the CLI, as an operator would."""
        done = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
            [
                JJJ,
                "clients",
                "add",
                "--name",
                "基准测试负载 (benchmark load)",
                "--region",
                "110000",
                "--tier",
                BENCH_TIER,
                "--scopes",
                "data:read catalog:read",
                "--auth-method",
                "client_secret_post",
                "--client-id",
                CLIENT_ID,
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"clients add failed: {done.stderr.strip()[-800:]}")
        self.client_secret = json.loads(done.stdout.strip().splitlines()[-1])["client_secret"]

    def start(self, *, gateway_args: list[str] | None = None) -> Deployment:
        logs = self.folder / "logs"
        logs.mkdir(parents=True)
        self.instance.mkdir(parents=True)
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        self.adapter_urls = {node: f"http://127.0.0.1:{free_port()}" for node in REMOTE_NODES}
        nodes_dir = self.folder / "nodes"
        self._write_nodes(nodes_dir)
        env = self._environment()
        self._register_client(env)
        self.gateway = Process(
            "gateway",
            [
                JJJ,
                "serve",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(self.shape.workers),
                "--threads",
                str(self.shape.threads),
                *(gateway_args or []),
            ],
            env=env | {"GATEWAY_NODES_DIR": str(nodes_dir)},
            log_dir=logs,
            health_url=f"{self.base_url}/healthz",
        )
        self._start_gateway()
        for node, url in self.adapter_urls.items():
            self.adapters[node] = Process(
                f"adapter-{node}",
                [JJJ, "adapter", "serve", "--node", node, "--bind", url.removeprefix("http://")],
                env=env,
                log_dir=logs,
                health_url=f"{url}/health",
            ).start()
        self._wait_for_workers()
        return self

    def _start_gateway(self) -> None:
        assert self.gateway is not None
        started = time.perf_counter()
        self.gateway.start(timeout=180.0)
        self.ready_seconds = time.perf_counter() - started

    def restart_gateway(self) -> float:
        """Stop the gateway and start it again on the same instance; the seconds until ready."""
        assert self.gateway is not None
        self.gateway.stop()
        self._start_gateway()
        self._wait_for_workers()
        return self.ready_seconds

    def _wait_for_workers(self, timeout: float = 60.0) -> None:
        """Every gunicorn worker forked and answering (each loads the app after its fork)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.group.workers()) >= self.shape.workers:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn has not started {self.shape.workers} workers")
        with httpx.Client(base_url=self.base_url, timeout=10) as http:
            for _ in range(self.shape.workers * 8):
                http.get("/readyz").raise_for_status()

    def stop(self) -> None:
        for process in [*self.adapters.values(), self.gateway]:
            if process is not None:
                process.stop()

    def logs(self) -> str:
        parts = [p.log_tail(1500) for p in [self.gateway, *self.adapters.values()] if p]
        return "\n".join(parts)

    # -- credentials --------------------------------------------------------------------------

    def token_form(self) -> dict[str, str]:
        """The client_credentials request of the load client (client_secret_post)."""
        return {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": self.client_secret,
        }

    def access_token(self) -> str:
        answer = httpx.post(f"{self.base_url}/oauth/token", data=self.token_form(), timeout=30)
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def adapter_token(self, node: str) -> str:
        """A token the gateway would send the node: signed with the instance's current key,
        aud = node id, lifetime 60 s (the most the adapter server accepts)."""
        settings = self.settings()
        issuer = TokenIssuer(
            key_ring(settings),
            issuer=settings.issuer,
            audience=settings.resource_id,
            lifetime=settings.access_token_lifetime,
            adapter_lifetime=60,
        )
        return issuer.adapter_token(node)
