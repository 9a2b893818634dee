"""Store benchmark: company queries and ingest throughput on a large database.

    python -m benchmarks.store [--items 1000000] [--backend sqlite|postgres|both]

For each backend it fills a throw-away database (a temporary SQLite file; a
``pw_bench_<random>`` schema on PostgreSQL, dropped afterwards) with ``--items``
synthetic items through the bulk path (executemany on SQLite, COPY on
PostgreSQL), about half of them matched to a handful of companies so that
``company`` queries have deep result sets. It then reports:

* ``items_matching("company", …, limit=20)`` latency p50/p95/max over
  ``--queries`` queries (a third of them with a ``since`` bound) — the chat
  ``company NAME`` command; the target is p95 < 20 ms on both backends;
* ``search`` latency over 50 broad two-word queries (each matches ~5% of items);
* ingest throughput through ``Store.add_items`` (the path the ingestion job
  uses) in batches of 500, into the already-full database.

The PostgreSQL server is ``--dsn`` (default ``POLICYWATCH_BENCH_PG_DSN`` or
``postgresql://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.matcher import MatchResult
from bot.models import Item
from bot.store import Store, open_store
from bot.store.codec import to_db
from bot.store.records import Ingested
from bot.text import title_key

COMPANIES = ["ford", "gm", "tesla", "byd", "catl", "xiaomi"]
WEIGHTS = [30, 20, 20, 12, 10, 8]
WATCHLISTS = ["ev-tariffs", "catl-licensing", "ev-tax-credits"]
WORDS = [
    *("tariff", "battery", "plant", "recall", "earnings", "license", "subsidy", "probe"),
    *("factory", "supply", "chain", "rule", "committee", "hearing", "senate", "filing"),
    *("lithium", "cathode", "export", "import", "credit", "merger"),
]
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
SPAN = 2 * 365 * 86400  # items published over two years
DEFAULT_DSN = os.environ.get(
    "POLICYWATCH_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
CHUNK = 50_000


def synthetic(n: int, rng: random.Random, prefix: str = "b") -> tuple[Item, list[str], list[str]]:
    """Item ``n`` with its companies and watchlists (deterministic for a seed)."""
    companies: list[str] = []
    roll = rng.random()
    if roll < 0.5:
        companies = [rng.choices(COMPANIES, WEIGHTS)[0]]
    elif roll < 0.6:
        companies = sorted(set(rng.choices(COMPANIES, WEIGHTS, k=2)))
    watchlists = [rng.choice(WATCHLISTS)] if rng.random() < 0.2 else []
    words = rng.sample(WORDS, 5)
    name = companies[0].upper() if companies else "Agency"
    published = EPOCH + timedelta(seconds=rng.randrange(SPAN))
    item = Item(
        id=f"{prefix}{n}",
        title=f"{name} {' '.join(words)} {prefix}{n}",
        summary=f"{' '.join(rng.sample(WORDS, 8))}.",
        url=f"https://bench.example/{prefix}/{n}",
        source=rng.choice(["Reuters", "Bloomberg", "AP", "Federal Register"]),
        published=published,
    )
    return item, companies, watchlists


def rows(total: int, seed: int = 7) -> Iterator[tuple[int, Item, list[str], list[str]]]:
    rng = random.Random(seed)
    for n in range(1, total + 1):
        item, companies, watchlists = synthetic(n, rng)
        yield n, item, companies, watchlists


def with_search_path(dsn: str, schema: str) -> str:
    """The DSN with ``?search_path=schema`` (asyncpg sends unknown params as settings)."""
    parts = urlsplit(dsn)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("search_path", schema)])))


# ------------------------------------------------------------------ bulk fill


def bulk_records(
    total: int, fetched: Any, stamp: Callable[[datetime | None], Any]
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """(items row, matches rows) per synthetic item; ``stamp`` converts times
    for the backend (ISO text for SQLite, datetimes for PostgreSQL)."""
    for pk, item, companies, watchlists in rows(total):
        at = stamp(item.published)
        record = (
            pk,
            item.id,
            item.title,
            item.summary,
            item.url,
            item.source,
            at,
            fetched,
            at,
            title_key(item.title, item.source),
        )
        links = [("company", c, pk, at) for c in companies]
        links += [("watchlist", w, pk, at) for w in watchlists]
        yield record, links


def fill_sqlite(path: Path, total: int) -> None:
    """executemany in one transaction per chunk (the FTS triggers still run per row)."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    fetched = to_db(datetime.now(UTC))
    items: list[tuple[Any, ...]] = []
    matches: list[tuple[Any, ...]] = []

    def flush() -> None:
        with db:
            db.executemany(
                "INSERT INTO items(pk, id, title, summary, url, source, source_kind, published, "
                "fetched_at, sort_at, title_key) VALUES (?, ?, ?, ?, ?, ?, 'news', ?, ?, ?, ?)",
                items,
            )
            db.executemany(
                "INSERT INTO matches(kind, target, item_pk, sort_at, why) VALUES (?, ?, ?, ?, '')",
                matches,
            )
        items.clear()
        matches.clear()

    for record, links in bulk_records(total, fetched, to_db):
        items.append(record)
        matches += links
        if len(items) >= CHUNK:
            flush()
    flush()
    db.execute("ANALYZE")
    db.close()


async def fill_postgres(url: str, total: int) -> None:
    """COPY in chunks, then move the identity past the loaded keys and ANALYZE."""
    import asyncpg

    conn = await asyncpg.connect(url)
    fetched = datetime.now(UTC).replace(microsecond=0)
    items: list[tuple[Any, ...]] = []
    matches: list[tuple[Any, ...]] = []

    async def flush() -> None:
        await conn.copy_records_to_table(
            "items",
            records=items,
            columns=[
                "pk",
                "id",
                "title",
                "summary",
                "url",
                "source",
                "published",
                "fetched_at",
                "sort_at",
                "title_key",
            ],
        )
        await conn.copy_records_to_table(
            "matches", records=matches, columns=["kind", "target", "item_pk", "sort_at"]
        )
        items.clear()
        matches.clear()

    for record, links in bulk_records(total, fetched, lambda moment: moment):
        items.append(record)
        matches += links
        if len(items) >= CHUNK:
            await flush()
    await flush()
    await conn.execute(f"ALTER TABLE items ALTER COLUMN pk RESTART WITH {total + 1}")
    await conn.execute("ANALYZE")
    await conn.close()


# ------------------------------------------------------------------ measurements


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def timed(calls: list[Callable[[], Awaitable[Any]]]) -> list[float]:
    out = []
    for call in calls:
        started = time.perf_counter()
        await call()
        out.append((time.perf_counter() - started) * 1000)
    return out


async def measure(store: Store, queries: int, ingest: int) -> dict[str, float]:
    rng = random.Random(11)
    company_calls: list[Callable[[], Awaitable[Any]]] = []
    for _ in range(queries):
        company = rng.choices(COMPANIES, WEIGHTS)[0]
        since = EPOCH + timedelta(seconds=rng.randrange(SPAN)) if rng.random() < 1 / 3 else None
        company_calls.append(partial(store.items_matching, "company", company, since, 20))
    await timed(company_calls[:20])  # warm caches and prepared statements
    company_ms = await timed(company_calls)
    # Two words from a 22-word vocabulary: each query matches ~5% of all items,
    # a deliberately broad (worst-case) search that must rank every hit.
    search_calls: list[Callable[[], Awaitable[Any]]] = [
        partial(store.search, " ".join(rng.sample(WORDS, 2)), 20) for _ in range(50)
    ]
    search_ms = await timed(search_calls)

    batches: list[list[Ingested]] = []
    gen = random.Random(99)
    for start in range(0, ingest, 500):
        batch = []
        for n in range(start, min(ingest, start + 500)):
            item, companies, watchlists = synthetic(n, gen, prefix="new")
            batch.append(Ingested(item, MatchResult(watchlists=watchlists, companies=companies)))
        batches.append(batch)
    started = time.perf_counter()
    added = 0
    for batch in batches:
        added += len(await store.add_items(batch))
    ingest_s = time.perf_counter() - started
    return {
        "company_p50": pct(company_ms, 0.5),
        "company_p95": pct(company_ms, 0.95),
        "company_max": max(company_ms),
        "search_p50": pct(search_ms, 0.5),
        "search_p95": pct(search_ms, 0.95),
        "ingest_per_s": added / ingest_s if ingest_s else 0.0,
        "ingested": float(added),
    }


def report(name: str, total: int, fill_s: float, numbers: dict[str, float]) -> None:
    verdict = "ok" if numbers["company_p95"] < 20 else "OVER TARGET"
    print(
        f"{name:9} {total:>9,} items filled in {fill_s:6.1f}s | company limit 20: "
        f"p50 {numbers['company_p50']:.2f} ms, p95 {numbers['company_p95']:.2f} ms "
        f"(max {numbers['company_max']:.1f}) [{verdict}: p95 < 20 ms] | broad search p50 "
        f"{numbers['search_p50']:.2f} ms, p95 {numbers['search_p95']:.2f} ms | add_items "
        f"{numbers['ingest_per_s']:,.0f} items/s ({int(numbers['ingested']):,} in batches of 500)",
        flush=True,
    )


async def bench_sqlite(total: int, queries: int, ingest: int) -> None:
    with tempfile.TemporaryDirectory(prefix="pw-bench-") as folder:
        path = Path(folder) / "bench.db"
        store = await open_store(f"sqlite:///{path}")  # migrations
        await store.close()
        started = time.perf_counter()
        fill_sqlite(path, total)
        fill_s = time.perf_counter() - started
        store = await open_store(f"sqlite:///{path}")
        try:
            report("sqlite", total, fill_s, await measure(store, queries, ingest))
        finally:
            await store.close()


async def bench_postgres(dsn: str, total: int, queries: int, ingest: int) -> None:
    import asyncpg

    schema = f"pw_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(dsn)
    await admin.execute(f"CREATE SCHEMA {schema}")
    url = with_search_path(dsn, schema)
    try:
        store = await open_store(url)
        await store.close()
        started = time.perf_counter()
        await fill_postgres(url, total)
        fill_s = time.perf_counter() - started
        store = await open_store(url)
        try:
            report("postgres", total, fill_s, await measure(store, queries, ingest))
        finally:
            await store.close()
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


async def main_async(args: argparse.Namespace) -> None:
    if args.backend in ("sqlite", "both"):
        await bench_sqlite(args.items, args.queries, args.ingest)
    if args.backend in ("postgres", "both"):
        await bench_postgres(args.dsn, args.items, args.queries, args.ingest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="items to fill (1,000,000)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--queries", type=int, default=500, help="company queries to time (500)")
    parser.add_argument(
        "--ingest", type=int, default=20_000, help="items to add through add_items (20,000)"
    )
    parser.add_argument("--dsn", default=DEFAULT_DSN, help="PostgreSQL server (not logged)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
