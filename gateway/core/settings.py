"""Configuration, read in one place: defaults → optional config file → GATEWAY_* environment →
the mapping a caller (a test, the CLI) passes in."""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from gateway.core.instants import DEFAULT_ZONE, zone

ENV_PREFIX = "GATEWAY_"
#: GATEWAY_* variables that are not settings, each with what reads it. Any other GATEWAY_* name
#: that is neither a setting nor a Kubernetes service link is refused (docs/deployment.md §6,
#: Settings and the environment): a misspelt name would otherwise fall back to a default unseen.
OTHER_VARIABLES: Mapping[str, str] = {
    "GATEWAY_CONFIG_FILE": "the TOML file of settings, read before the environment",
    "GATEWAY_WORKERS": "jjj-gateway serve --workers",
    "GATEWAY_THREADS": "jjj-gateway serve --threads",
    "GATEWAY_ADAPTER_WORKERS": "jjj-gateway adapter serve --workers",
    "GATEWAY_ADAPTER_THREADS": "jjj-gateway adapter serve --threads",
    "GATEWAY_TEST_REQUIRE_SERVICES": "the test suite: 1 fails, not skips, without its services",
    "GATEWAY_TEST_POSTGRES_URL": "the test suite: the PostgreSQL it creates databases in",
    "GATEWAY_TEST_REDIS_URL": "the test suite: the Redis database it may empty",
    "GATEWAY_DOC_SCREENSHOTS": "the page tests: 1 rewrites the documentation's screenshots",
}
#: Kubernetes gives every pod, for each Service in its namespace, variables named after it: a
#: Service `gateway` or `gateway-…` (a release named gateway) sets <NAME>_SERVICE_HOST,
#: <NAME>_SERVICE_PORT[_<port name>], <NAME>_PORT and <NAME>_PORT_<port>_<protocol>[_PROTO|_PORT|
#: _ADDR]. They are not settings and are not refused.
_SERVICE_LINK = re.compile(
    r"GATEWAY(?:_[A-Z0-9_]+)?_(?:SERVICE_HOST|SERVICE_PORT(?:_[A-Z0-9_]+)?"
    r"|PORT(?:_[0-9]+_(?:TCP|UDP|SCTP)(?:_PROTO|_PORT|_ADDR)?)?)"
)
#: The issuer `jjj-gateway demo` serves under (from its --bind), kept in the instance folder so
#: that every command on the instance (an export's bundle header, an adapter's JWKS URL) names
#: the issuer the server uses when none is configured.
ISSUER_FILE = "issuer"


@dataclass(frozen=True, slots=True)
class Settings:
    #: Where the embedded default keeps its SQLite database, signing keys and demo data.
    instance_path: Path = Path("instance")
    #: SQLAlchemy URL; default: SQLite in the instance folder.
    database_url: str = ""
    #: PostgreSQL connections per worker process: a pool of this size, plus this overflow.
    db_pool_size: int = 5
    db_max_overflow: int = 10
    #: Redis URL for quotas and the replay/revocation caches; empty: in-process stores.
    redis_url: str = ""
    #: The issuer identifier of this authorisation server (RFC 8414) and base URL of the API.
    issuer: str = "http://127.0.0.1:8080"
    #: The resource identifier in access tokens' ``aud`` (RFC 9068 §3); default: issuer + /v1.
    audience: str = ""
    catalog_dir: Path | None = None
    #: Where the checked catalogue is kept between starts (catalog/load_cache.py); default: the
    #: instance folder's cache/. A persistent path lets a new pod start from it.
    catalog_cache_dir: Path | None = None
    #: Where `jjj-gateway catalog harvest` keeps the entries harvested from other catalogues,
    #: a folder per source, loaded beside the catalogue's own; unset: none are.
    harvest_dir: Path | None = None
    policies_dir: Path | None = None
    nodes_dir: Path | None = None
    #: Where file and SQL adapters find their data; default: the instance folder's data/.
    data_dir: Path | None = None
    #: Signing keys directory (a mounted secret in production); default: instance keys/.
    keys_dir: Path | None = None
    #: Server secret for cursor signatures and pseudonym keys; default: the instance folder's
    #: secret.key (replicas must share one: set it from a Kubernetes secret).
    secret_key: str = ""
    access_token_lifetime: int = 600
    clock_skew: int = 60
    #: Lifetime of the tokens the gateway mints for adapter servers
    #: (docs/architecture.md#the-adapter-protocol: ≤ 60 s).
    adapter_token_lifetime: int = 60
    #: Wall-clock seconds a whole fetch of a partner's or a trusted issuer's JWKS may take; a
    #: token request that needs keys being fetched waits at most this long.
    jwks_fetch_timeout: float = 5.0
    #: Overall time an exchange waits for its nodes, in seconds.
    exchange_timeout: float = 10.0
    #: Largest request body accepted, in bytes.
    max_body_bytes: int = 1 << 20
    #: Largest page a caller may ask for when its tier says nothing smaller.
    max_page_size: int = 1000
    default_page_size: int = 50
    #: The zone people of this deployment mean (IANA name): a date-time given without an offset
    #: is a wall-clock time there, and a bare date is that whole day there. Everything the
    #: gateway stores and emits is UTC, written with its offset.
    timezone: str = DEFAULT_ZONE
    log_level: str = "INFO"
    #: "json" (one object per line, the default) or "text".
    log_format: str = "json"
    #: How many reverse proxies (an ingress controller, a load balancer) stand in front of the
    #: gateway and append to X-Forwarded-For: the caller's address, that failed client
    #: authentication is counted against, is then read there. 0: the connection's peer.
    trusted_proxies: int = 0
    #: Browser origins allowed to call the API (comma-separated); empty: CORS is off.
    cors_origins: str = ""
    #: The audit chain head is signed every this many records, or this many seconds.
    audit_checkpoint_every: int = 1000
    audit_checkpoint_seconds: float = 60.0
    #: When the quota store (Redis) is unreachable: false (default) answers data requests 503 —
    #: fail closed; true serves them without counting.
    quota_fail_open: bool = False
    #: Load every in-process adapter's data at start-up, so the first exchange is not the slow one.
    warm_start: bool = True
    #: Node faults. A read a node did not answer (connect error, connection reset, HTTP 502, 503,
    #: 504) is sent again at most this many times, never after a read timeout …
    node_retries: int = 2
    #: … after this many seconds, three times longer for each next retry (with jitter) …
    node_retry_backoff: float = 0.05
    #: … and within a per-node budget: each request earns this fraction of a retry.
    node_retry_budget: float = 0.2
    #: A node's circuit opens after this many consecutive failures (0: never by count) …
    node_breaker_failures: int = 5
    #: … or when this share of its calls failed (0: never by ratio) …
    node_breaker_failure_ratio: float = 0.5
    #: … within the last this many seconds, once it had at least this many calls …
    node_breaker_window: float = 30.0
    node_breaker_min_calls: int = 20
    #: … and lets one probe through after this many seconds.
    node_breaker_cooldown: float = 10.0

    def __post_init__(self) -> None:
        zone(self.timezone)  # an unknown zone is a configuration error, found at start-up

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.timezone)

    @property
    def sqlalchemy_url(self) -> str:
        return (
            self.database_url or f"sqlite:///{(self.instance_path / 'gateway.sqlite3').resolve()}"
        )

    @property
    def resource_id(self) -> str:
        return self.audience or f"{self.issuer.rstrip('/')}/v1"

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir or self.instance_path / "data"

    @property
    def resolved_catalog_cache_dir(self) -> Path:
        return self.catalog_cache_dir or self.instance_path / "cache"

    @property
    def resolved_keys_dir(self) -> Path:
        return self.keys_dir or self.instance_path / "keys"


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
#: The defaults, for the values built from settings (a node's retry and breaker policies) to take
#: theirs from, so that each number is written once.
DEFAULTS = Settings()
#: The environment variable of each setting.
SETTING_VARIABLES = {ENV_PREFIX + name.upper(): name for name in _FIELDS}
_PATHS = {
    "instance_path",
    "catalog_dir",
    "catalog_cache_dir",
    "harvest_dir",
    "policies_dir",
    "nodes_dir",
    "data_dir",
    "keys_dir",
}


def _convert(name: str, value: Any) -> Any:
    if value is None or value == "":
        return None if name in _PATHS - {"instance_path"} else value
    if name in _PATHS:
        return Path(value)
    kind = _FIELDS[name].type
    if kind == "bool":
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return value


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build the settings; unknown keys and GATEWAY_* variables are an error naming the closest
    known one, so that a typo never passes silently."""
    environ = os.environ if environ is None else environ
    unknown_variables = sorted(key for key in environ if not is_known_variable(key))
    if unknown_variables:
        raise ValueError(_unknown("environment variable", unknown_variables, _known_variables()))
    values: dict[str, Any] = {}
    config_file = (overrides or {}).get("config_file") or environ.get("GATEWAY_CONFIG_FILE")
    if config_file:
        try:
            with open(config_file, "rb") as fh:
                from_file = tomllib.load(fh)
        except OSError as exc:
            raise ValueError(f"cannot read the config file {config_file}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"the config file {config_file} is not TOML: {exc}") from None
        unknown = sorted(set(from_file) - set(_FIELDS))
        if unknown:
            raise ValueError(
                f"the config file {config_file}: {_unknown('setting', unknown, _FIELDS)}"
            )
        values.update(from_file)
    for key, raw in environ.items():
        name = SETTING_VARIABLES.get(key)
        if name is not None and raw != "":  # an empty variable means "use the default"
            values[name] = raw
    given = {k: v for k, v in (overrides or {}).items() if k != "config_file"}
    unknown = sorted(set(given) - set(_FIELDS))
    if unknown:
        raise ValueError(_unknown("setting", unknown, _FIELDS))
    values.update(given)
    if "issuer" not in values:
        served = _served_issuer(Path(values.get("instance_path") or "instance"))
        if served:
            values["issuer"] = served
    try:
        return Settings(**{k: _convert(k, v) for k, v in values.items()})
    except (TypeError, ValueError) as exc:
        raise ValueError(f"invalid setting: {exc}") from exc


def is_known_variable(name: str) -> bool:
    """Whether an environment variable is one the gateway may find set: anything without the
    GATEWAY_ prefix, a setting, one of ``OTHER_VARIABLES`` or a Kubernetes service link."""
    return (
        not name.startswith(ENV_PREFIX)
        or name in SETTING_VARIABLES
        or name in OTHER_VARIABLES
        or _SERVICE_LINK.fullmatch(name) is not None
    )


def _known_variables() -> list[str]:
    return [*SETTING_VARIABLES, *OTHER_VARIABLES]


def _unknown(kind: str, names: list[str], known: Iterable[str]) -> str:
    """One line naming each unknown name and the known one closest to it (difflib, on the names
    without their common GATEWAY_ prefix, which would make every pair look alike)."""
    bare = {name.removeprefix(ENV_PREFIX): name for name in known}
    described = []
    for name in names:
        closest = difflib.get_close_matches(name.removeprefix(ENV_PREFIX), list(bare), n=1)
        described.append(f"{name} (did you mean {bare[closest[0]]}?)" if closest else name)
    return f"unknown {kind}{'s' if len(names) > 1 else ''}: {', '.join(described)}"


def _served_issuer(instance_path: Path) -> str | None:
    """The issuer the demo last served this instance under, if it did."""
    try:
        return (instance_path / ISSUER_FILE).read_text("utf-8").strip() or None
    except (OSError, ValueError):
        return None


def remember_issuer(settings: Settings) -> None:
    """Keep the issuer the demo serves under in its instance folder (see ``ISSUER_FILE``)."""
    (settings.instance_path / ISSUER_FILE).write_text(settings.issuer + "\n", "utf-8")
