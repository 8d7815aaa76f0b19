"""Everything a request needs, built once per app from the settings (no module-level state)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from functools import partial

from redis import Redis
from sqlalchemy import Engine

from adapters.nodes import NodeConfig, load_nodes
from catalog import Catalog, SearchIndex, load_catalog_directory
from catalog.harvest import with_harvested
from gateway.access.grants import GrantAdmin, GrantStore
from gateway.access.quotas import Quotas
from gateway.audit.reader import AuditReader
from gateway.audit.trail import AuditTrail, open_audit_trail
from gateway.core.settings import Settings
from gateway.exchange.cursors import CursorCodec
from gateway.exchange.pipeline import ExchangeService
from gateway.identity.client_admin import ClientAdmin
from gateway.identity.clients import ClientStatusCache, ClientStore
from gateway.identity.oauth.jwks import KeySetDirectory
from gateway.identity.oauth.replay import ReplayGuard
from gateway.identity.oauth.revocation import RevocationList
from gateway.identity.oauth.tokens import AccessTokenVerifier, TokenIssuer
from gateway.identity.server_secret import load_or_create_secret
from gateway.identity.signing_keys import SigningKeys, key_ring
from gateway.observability.metrics import GatewayMetrics
from gateway.storage import create_db_engine
from gateway.storage.redis_store import connect as connect_redis
from gateway.upstream.breaker import BreakerPolicy
from gateway.upstream.fleet import Fleet
from gateway.upstream.pool import ForkSafeExecutor
from gateway.upstream.retries import RetryPolicy
from gateway.upstream.routing import RoutingTable
from policies import Policies, derive_pseudonym_key, load_policies


@dataclass(frozen=True, slots=True)
class Configuration:
    """The configuration documents, checked together (what `catalog check` validates)."""

    catalog: Catalog
    policies: Policies
    nodes: dict[str, NodeConfig]
    routing: RoutingTable
    #: The catalogue prepared for search once, with the regions the nodes serve: a search
    #: request reads it and prepares nothing (docs/catalogue-guide.md#searching-a-large-catalogue).
    search_index: SearchIndex = field(init=False)

    def __post_init__(self) -> None:
        served = {d: self.routing.served_regions(d) for d in self.catalog.datasets}
        object.__setattr__(self, "search_index", SearchIndex(self.catalog, served))


def local_catalog(settings: Settings) -> Catalog:
    """The catalogue's own entries, region registry and taxonomy, without harvested entries."""
    # The checked catalogue is kept between starts: a start with the same entries skips
    # parsing and checking them (`catalog check` always checks in full).
    return load_catalog_directory(
        settings.catalog_dir, cache_dir=settings.resolved_catalog_cache_dir
    )


def load_configuration(settings: Settings) -> Configuration:
    catalog = with_harvested(local_catalog(settings), settings.harvest_dir)
    policies = load_policies(settings.policies_dir)
    nodes = load_nodes(settings.nodes_dir)
    routing = RoutingTable.build(catalog, nodes)
    return Configuration(catalog, policies, nodes, routing)


@dataclass
class Services:
    settings: Settings
    config: Configuration
    engine: Engine
    keys: SigningKeys
    issuer: TokenIssuer
    verifier: AccessTokenVerifier
    clients: ClientStore
    client_status: ClientStatusCache
    revocations: RevocationList
    audit: AuditTrail
    fleet: Fleet
    exchanges: ExchangeService
    secret: bytes
    executor: ForkSafeExecutor
    replay: ReplayGuard
    remote_keys: KeySetDirectory
    admin: ClientAdmin
    grants: GrantStore
    grant_admin: GrantAdmin
    quotas: Quotas
    audit_reader: AuditReader
    metrics: GatewayMetrics
    redis: Redis | None = None

    def close(self) -> None:
        if self.redis is not None:
            self.redis.close()
        self.fleet.close()
        self.quotas.close()
        self.executor.shutdown()
        self.audit.close()
        self.engine.dispose()


def build_services(settings: Settings, config: Configuration | None = None) -> Services:
    config = config or load_configuration(settings)
    engine = create_db_engine(
        settings.sqlalchemy_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    keys = key_ring(settings)
    keys.ensure()
    issuer = TokenIssuer(
        keys,
        issuer=settings.issuer,
        audience=settings.resource_id,
        lifetime=settings.access_token_lifetime,
        adapter_lifetime=settings.adapter_token_lifetime,
    )
    clients = ClientStore(engine)
    client_status = ClientStatusCache(clients)
    redis_client = connect_redis(settings.redis_url)
    revocations = RevocationList(engine, redis_client)
    remote_keys = KeySetDirectory(deadline=settings.jwks_fetch_timeout)
    verifier = AccessTokenVerifier(
        keys.public_key_set,
        issuer=settings.issuer,
        audience=settings.resource_id,
        clock_skew=settings.clock_skew,
        is_revoked=revocations.is_revoked,
        client_of=client_status.get,
        trusted=config.policies.trusted_issuers,
        remote_keys=remote_keys,
        max_foreign_lifetime=settings.access_token_lifetime,
        known_region=config.catalog.regions.is_known,
    )
    secret = load_or_create_secret(settings.secret_key, settings.instance_path)
    audit = open_audit_trail(engine, settings)
    metrics = GatewayMetrics()
    fleet = Fleet(
        config.nodes,
        data_dir=settings.resolved_data_dir,
        token_provider=issuer.adapter_token,
        breaker=BreakerPolicy.from_settings(settings),
        retry=RetryPolicy.from_settings(settings),
        metrics=metrics,
    )
    executor = ForkSafeExecutor()
    grant_store = GrantStore(engine)
    quotas = Quotas(settings.redis_url, fail_open=settings.quota_fail_open)
    exchanges = ExchangeService(
        catalog=config.catalog,
        policies=config.policies,
        routing=config.routing,
        fleet=fleet,
        audit=audit,
        cursors=CursorCodec(hmac.new(secret, b"cursor", hashlib.sha256).digest()),
        grants_for=grant_store.for_client,
        quotas=quotas,
        metrics=metrics,
        pseudonym_key_for=partial(derive_pseudonym_key, secret),
        executor=executor.get,
        exchange_timeout=settings.exchange_timeout,
        default_page_size=settings.default_page_size,
        max_page_size=settings.max_page_size,
    )
    built = Services(
        settings=settings,
        config=config,
        engine=engine,
        keys=keys,
        issuer=issuer,
        verifier=verifier,
        clients=clients,
        client_status=client_status,
        revocations=revocations,
        audit=audit,
        fleet=fleet,
        exchanges=exchanges,
        secret=secret,
        executor=executor,
        replay=ReplayGuard(engine, redis_client),
        remote_keys=remote_keys,
        admin=ClientAdmin(clients, audit, client_status, config.catalog, config.policies),
        grants=grant_store,
        grant_admin=GrantAdmin(grant_store, clients, audit, config.catalog, config.policies),
        quotas=quotas,
        audit_reader=AuditReader(engine),
        metrics=metrics,
        redis=redis_client,
    )
    return built
