"""A SQL node's market-entity table at platform scale, in a PostgreSQL database kept between runs.

The database ``jjj_bench_nodes`` (on the server of ``bench.postgres``) holds one table in the
local field names of the demo's SQL nodes, and a row saying how it was made. A run that asks for
the same rows, seed and generator finds that row and the table's row count in agreement and uses
the table as it is; anything else drops the database and loads it again: rows streamed with COPY
into an unlogged table created in the same transaction (``FREEZE``: no WAL, pages already
visible to all), then the indexes a data owner is told to create for the SQL adapter
(docs/deployment.md#sql-nodes-at-scale), then ``VACUUM ANALYZE``. Rows are generated while
COPY takes them: PostgreSQL parses on one core while Python generates on the other.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.dialects import postgresql

from adapters.nodes import NodeConfig, NodeDataset, load_nodes
from catalog import load_catalog
from gateway.demo.writers import Batch, table_for

from . import postgres
from .market_rows import CHUNK, FIELDS, GENERATOR_VERSION, MarketRows

DATABASE = "jjj_bench_nodes"
TABLE = "t_sczt_djxx"
DATASET = "market-entity-registration"
#: The demo's SQL node whose local field names the table uses.
FIELD_NAMES_OF = "tianjin"


@dataclass(frozen=True, slots=True)
class NodeTable:
    """The loaded table: where it is, how long generating and loading it (one stream: COPY
    takes the rows as they are made) and indexing it took, and whether this run reused it."""

    url: str
    spec: NodeDataset
    rows: int
    seed: int
    load_seconds: float
    index_seconds: float
    reused: bool

    def node(self) -> NodeConfig:
        """A SQL node serving the table for the three provinces."""
        return NodeConfig(
            id="bench-sql",
            name_zh="基准测试节点",
            name_en="Benchmark SQL node",
            level="province",
            region="110000",
            adapter={"kind": "sql", "url": self.url},
            datasets={DATASET: self.spec},
        )


def field_spec() -> NodeDataset:
    """The dataset as the demo's SQL node names its columns (``tyshxydm``, ``qymc`` …)."""
    spec = load_nodes()[FIELD_NAMES_OF].datasets[DATASET]
    return NodeDataset(("110000", "120000", "130000"), TABLE, dict(spec.fields))


def index_statements(spec: NodeDataset) -> list[str]:
    """What a data owner creates for the SQL adapter (docs/deployment.md#sql-nodes-at-scale):
    the key as primary key (key lookups, keyset order) and the region field followed by the key
    (region-restricted pages in key order)."""
    key, region = spec.local_name("creditCode"), spec.local_name("regionCode")
    return [
        f"ALTER TABLE {TABLE} ADD PRIMARY KEY ({key})",
        f"CREATE INDEX {TABLE}_{region}_{key} ON {TABLE} ({region}, {key})",
    ]


def database_url(admin_url: str = postgres.ADMIN_URL, database: str = DATABASE) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{database}"


def libpq(url: str) -> str:
    """A SQLAlchemy URL as the connection string psycopg takes."""
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def stored(url: str, rows: int, seed: int) -> tuple[float, float] | None:
    """The seconds the load and the indexing took when the database holds the complete table
    of these rows and this seed; None when it does not."""
    try:
        with psycopg.connect(libpq(url), connect_timeout=3) as conn:
            made = conn.execute(
                "SELECT rows, seed, generator, load_seconds, index_seconds FROM bench_generation"
            ).fetchone()
            if made is None or made[:3] != (rows, seed, GENERATOR_VERSION):
                return None
            counted = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(TABLE)))
            return (made[3], made[4]) if counted.fetchone() == (rows,) else None
    except psycopg.Error:
        return None


class Progress:
    """One line on stderr, rewritten at most once a second."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.started = time.perf_counter()
        self._shown = 0.0

    def show(self, done: int, *, last: bool = False) -> None:
        now = time.perf_counter()
        if not last and now - self._shown < 1.0:
            return
        self._shown = now
        seconds = now - self.started
        rate = done / seconds if seconds else 0.0
        eta = (self.total - done) / rate if rate else 0.0
        print(
            f"\r[nodes] {done:,} / {self.total:,} rows ({done / self.total:.0%}), "
            f"{rate:,.0f} rows/s, {seconds:.0f} s"
            + ("" if last else f", about {eta:.0f} s to go")
            + "   ",
            end="\n" if last else "",
            file=sys.stderr,
            flush=True,
        )


def _recreate_database(admin_url: str, database: str) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()


def _create_statement(spec: NodeDataset) -> str:
    """CREATE UNLOGGED TABLE with the demo writer's column types, the key not yet primary."""
    dataset = load_catalog().get(DATASET)
    assert dataset is not None
    typed = table_for(sa.MetaData(), TABLE, Batch(dataset, spec, []))
    columns = (sa.Column(c.name, c.type, nullable=c.nullable) for c in typed.columns)
    table = sa.Table(TABLE, sa.MetaData(), *columns)
    ddl = str(sa.schema.CreateTable(table).compile(dialect=postgresql.dialect()))
    return ddl.replace("CREATE TABLE", "CREATE UNLOGGED TABLE", 1)


def load(
    rows: int,
    seed: int,
    *,
    admin_url: str = postgres.ADMIN_URL,
    database: str = DATABASE,
    say: Callable[[str], Any] = print,
    regenerate: bool = False,
) -> NodeTable:
    """The table of ``rows`` rows for ``seed`` in ``database``: the stored one when it matches,
    else made anew (the database dropped and created again)."""
    if rows < 1:
        raise ValueError("the table needs at least one row")
    url = database_url(admin_url, database)
    spec = field_spec()
    made = None if regenerate else stored(url, rows, seed)
    if made is not None:
        say(f"[nodes] reusing {database}.{TABLE}: {rows:,} rows, seed {seed}")
        return NodeTable(url, spec, rows, seed, *made, reused=True)
    say(f"[nodes] generating {rows:,} market-entity rows (seed {seed}) into {database}.{TABLE} …")
    _recreate_database(admin_url, database)
    columns = sql.SQL(", ").join(sql.Identifier(spec.local_name(name)) for name in FIELDS)
    started = time.perf_counter()
    generator = MarketRows(seed)
    progress = Progress(rows)
    with psycopg.connect(libpq(url)) as conn:
        conn.execute(
            "CREATE TABLE bench_generation (rows bigint, seed bigint, generator int,"
            " load_seconds double precision, index_seconds double precision)"
        )
        conn.execute(_create_statement(spec))
        copy = sql.SQL("COPY {} ({}) FROM STDIN WITH (FREEZE)").format(
            sql.Identifier(TABLE), columns
        )
        with conn.cursor() as cursor, cursor.copy(copy) as sink:
            done = 0
            for chunk in range(-(-rows // CHUNK)):
                count = min(CHUNK, rows - done)
                # One chunk (about 25 MB of text) per write: few calls, bounded memory.
                sink.write("".join(generator.lines(chunk, count)).encode("utf-8"))
                done += count
                progress.show(done, last=done == rows)
        conn.commit()
        generated = time.perf_counter() - started
        say(f"[nodes] creating the indexes: {'; '.join(index_statements(spec))} …")
        indexing = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '512MB'")
        for statement in index_statements(spec):
            conn.execute(statement)
        indexed = time.perf_counter() - indexing
        conn.execute(
            "INSERT INTO bench_generation VALUES (%s, %s, %s, %s, %s)",
            (rows, seed, GENERATOR_VERSION, generated, indexed),
        )
        conn.commit()
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(TABLE)))
    say(f"[nodes] loaded in {generated:.0f} s, indexed in {indexed:.0f} s")
    return NodeTable(url, spec, rows, seed, generated, indexed, reused=False)


def sizes(url: str) -> dict[str, Any]:
    """Rows, table and index bytes as PostgreSQL reports them."""
    with psycopg.connect(libpq(url)) as conn:
        table = conn.execute(
            sql.SQL(
                "SELECT pg_table_size(%s::regclass), pg_indexes_size(%s::regclass),"
                " (SELECT count(*) FROM {})"
            ).format(sql.Identifier(TABLE)),
            (TABLE, TABLE),
        ).fetchone()
        indexes = conn.execute(
            "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid)"
            " FROM pg_index WHERE indrelid = %s::regclass ORDER BY 1",
            (TABLE,),
        ).fetchall()
    assert table is not None
    return {
        "rows": table[2],
        "tableBytes": table[0],
        "indexBytes": table[1],
        "indexes": {name: size for name, size in indexes},
    }
