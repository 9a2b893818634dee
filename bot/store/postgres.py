"""The PostgreSQL store (asyncpg pool, tsvector search, SKIP LOCKED outbox).

Chosen by ``POLICYWATCH_DATABASE_URL=postgresql://…`` (or ``postgres://``) so
that several replicas can share one database. It behaves like
:class:`bot.store.sqlite.SQLiteStore` (the reference): the same dedupe rules,
orderings and transactions, and timestamps rounded to whole seconds in UTC as
the SQLite codec writes them, so both backends compare and dedupe alike.

What PostgreSQL adds for replicas:

* ``claim_outbox`` locks rows with ``FOR UPDATE SKIP LOCKED``: any number of
  senders can drain the outbox at once and no row is claimed twice;
* ``claim_source``/``release_source`` lease a feed to one replica at a time;
* ``upgrade`` holds an advisory lock, so ``policywatch db upgrade`` (and every
  replica starting at once) apply each migration exactly once.

Extra query parameters of the URL are PostgreSQL settings for every pooled
connection (asyncpg's behaviour), e.g. ``?search_path=tenant_a`` puts a
deployment in its own schema; advisory-lock keys are derived from the database
and schema so deployments sharing a server never block each other.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, cast

import asyncpg

from bot.matcher import MatchResult
from bot.models import Item
from bot.store.codec import now_utc, utc_seconds
from bot.store.dialect import Dialect
from bot.store.pg_migrations import PG_MIGRATIONS
from bot.store.query import search_words
from bot.store.records import (
    CursorUpdate,
    Ingested,
    OutboxEntry,
    OutboxRow,
    StoredItem,
    StoryRecord,
)
from bot.store.rows import ITEM_COLUMNS, OUTBOX_COLUMNS, match_rows, outbox_row
from bot.store.sql_store import SQLStore, Statement
from bot.text import title_key

log = logging.getLogger("policywatch.store.postgres")

URL_SCHEMES = ("postgresql://", "postgres://")
_PLACEHOLDER = re.compile(r"\?")
# The same text-search configuration as the generated ``items.search`` column.
_TS_CONFIG = "english"


def is_postgres_url(url: str) -> bool:
    """True for the URLs this backend serves."""
    return url.startswith(URL_SCHEMES)


def advisory_key(namespace: str, purpose: str) -> int:
    """A stable signed 64-bit advisory-lock key for one purpose in one namespace.

    Python's ``hash`` is salted per process, so replicas would disagree; a
    digest of ``namespace`` (database and schema) keeps two deployments on one
    server (or two test schemas) from sharing a leader or a migration lock.
    """
    digest = hashlib.blake2b(f"policywatch:{namespace}:{purpose}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _req_ts(moment: datetime) -> datetime:
    out = utc_seconds(moment)
    assert out is not None
    return out


def _text(value: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL; SQLite can. Drop it rather than fail an ingest."""
    if value is None or "\x00" not in value:
        return value
    return value.replace("\x00", "")


def _req_text(value: str) -> str:
    return value.replace("\x00", "") if "\x00" in value else value


def _count(status: str) -> int:
    """Rows touched, from a command tag such as ``DELETE 3``."""
    try:
        return int(status.rsplit(" ", 1)[-1])
    except ValueError:
        return 0


@functools.lru_cache(maxsize=256)
def numbered(sql: str) -> str:
    """Shared query text (``?`` placeholders, see :mod:`bot.store.sql_store`) in
    asyncpg's ``$1, $2, …`` style; text already numbered passes through."""
    counter = itertools.count(1)
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


class PostgresDialect(Dialect):
    """Moments as ``timestamptz``, lists as ``text[]``, text without NUL."""

    user_column = "user_id"

    def time(self, moment: datetime | None) -> datetime | None:
        return utc_seconds(moment)

    def text(self, value: str | None) -> str | None:
        return _text(value)

    def read_time(self, value: Any) -> datetime | None:
        return cast("datetime | None", value)

    def read_strings(self, value: Any) -> tuple[str, ...]:
        return tuple(x for x in value if x)

    def in_list(self, column: str, values: Sequence[Any], sql_type: str) -> tuple[str, list[Any]]:
        # One array parameter, however many values: one plan, no parameter limit.
        return f"{column} = ANY(?::{sql_type}[])", [list(values)]


class PostgresStore(SQLStore):
    """A :class:`Store` on a shared PostgreSQL database; see the module docstring."""

    dialect = PostgresDialect()

    def __init__(self, pool: Any, dsn: str, namespace: str) -> None:
        self._pool: Any | None = pool
        # Kept for the leader-election connection, which must not come from the
        # pool (a pool resets sessions and would drop the advisory lock).
        # Never log it: it may hold a password.
        self.dsn = dsn
        self.namespace = namespace

    @classmethod
    async def open(cls, url: str, *, min_size: int = 1, max_size: int = 10) -> PostgresStore:
        """Connect a pool. ``url`` is ``postgresql://`` or ``postgres://``."""
        if not is_postgres_url(url):
            raise ValueError("not a postgresql:// URL")
        try:
            pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, timeout=15)
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # An OSError subclass: the CLI prints it as one line. asyncpg's
            # messages name the user or database, never the password.
            raise ConnectionError(f"cannot open the PostgreSQL database: {exc}") from None
        try:
            async with pool.acquire() as conn:
                row = await conn.fetchrow(
                    "SELECT current_database(), COALESCE(current_schema(), '')"
                )
        except BaseException:
            await pool.close()
            raise
        return cls(pool, url, f"{row[0]}/{row[1]}")

    @property
    def pool(self) -> Any:
        if self._pool is None:
            raise RuntimeError("store is closed")
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Any]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield conn

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self.pool.acquire() as conn:
            return list(await conn.fetch(numbered(sql), *params))

    async def _execute(self, *statements: Statement) -> list[int]:
        async with self._transaction() as conn:
            return [
                _count(await conn.execute(numbered(sql), *params)) for sql, params in statements
            ]

    async def _fetch_written(self, sql: str, params: Sequence[Any]) -> list[Any]:
        async with self._transaction() as conn:
            return list(await conn.fetch(numbered(sql), *params))

    # ------------------------------------------------------------ schema

    async def upgrade(self) -> int:
        """Apply pending steps under a session advisory lock.

        Replicas starting together and an operator's ``policywatch db upgrade``
        queue on the lock; whoever comes second re-reads the applied versions
        and finds nothing left to do. A crash releases the lock with the session.
        """
        key = advisory_key(self.namespace, "migrations")
        async with self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", key)
            try:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
                )
                applied = {r[0] for r in await conn.fetch("SELECT version FROM schema_migrations")}
                for version, name, sql in PG_MIGRATIONS:
                    if version in applied:
                        continue
                    # One step per transaction: a failed step leaves the previous version.
                    async with conn.transaction():
                        await conn.execute(sql)
                        await conn.execute(
                            "INSERT INTO schema_migrations VALUES ($1, $2)", version, now_utc()
                        )
                    log.info("applied migration %d: %s", version, name)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", key)
        return await self.schema_version()

    async def schema_version(self) -> int:
        async with self.pool.acquire() as conn:
            exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
            if not exists:
                return 0
            return int(
                await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            )

    # ------------------------------------------------------------ items

    async def unseen(self, items: Sequence[Item]) -> list[Item]:
        if not items:
            return []
        ids = [_req_text(i.id) for i in items]
        urls = [_text(i.url) for i in items]
        keys = [title_key(_req_text(i.title), _text(i.source)) for i in items]
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                """SELECT c.ord FROM unnest($1::text[], $2::text[], $3::text[])
                          WITH ORDINALITY AS c(id, url, tk, ord)
                   WHERE EXISTS (SELECT 1 FROM items i WHERE i.id = c.id)
                      OR EXISTS (SELECT 1 FROM items i WHERE i.url = c.url)
                      OR EXISTS (SELECT 1 FROM items i WHERE i.title_key = c.tk)""",
                ids,
                urls,
                keys,
            )
        seen = {int(r[0]) - 1 for r in rows}
        return [item for n, item in enumerate(items) if n not in seen]

    async def add_items(
        self, rows: Sequence[Ingested], stories: Sequence[StoryRecord] = ()
    ) -> list[int]:
        """One set-based INSERT … ON CONFLICT DO NOTHING in input order.

        Rows are inserted in the order given (``ORDER BY ord``) and every unique
        index is an arbiter, so the first of several duplicates in a batch wins,
        exactly as SQLite's row-by-row loop decides.
        """
        fetched = now_utc()
        cols: dict[str, list[Any]] = {k: [] for k in _ITEM_ARRAYS}
        for row in rows:
            item = row.item
            title = _req_text(item.title)
            source = _text(item.source)
            cols["id"].append(_req_text(item.id))
            cols["title"].append(title)
            cols["summary"].append(_req_text(item.summary or ""))
            cols["url"].append(_text(item.url))
            cols["source"].append(source)
            cols["source_kind"].append(_req_text(item.source_kind))
            cols["published"].append(utc_seconds(item.published))
            cols["title_key"].append(title_key(title, source))
            cols["story_id"].append(_text(row.story_id))
            cols["event_type"].append(_text(row.event_type))
            cols["event_reason"].append(_text(row.event_reason))
        async with self._transaction() as conn:
            if stories:
                await conn.executemany(
                    """INSERT INTO stories(id, headline, first_seen, last_seen, event_type, answers, related)
                       VALUES ($1, $2, $3, $4, $5, $6, $7)
                       ON CONFLICT (id) DO UPDATE SET
                         last_seen = GREATEST(stories.last_seen, excluded.last_seen),
                         event_type = excluded.event_type,
                         answers = COALESCE(stories.answers, excluded.answers),
                         related = CASE WHEN cardinality(excluded.related) = 0
                                        THEN stories.related ELSE excluded.related END""",
                    [
                        (
                            s.id,
                            _req_text(s.headline),
                            utc_seconds(s.first_seen),
                            utc_seconds(s.last_seen),
                            s.event_type,
                            s.answers,
                            list(s.related),
                        )
                        for s in stories
                    ],
                )
            if not rows:
                return []
            inserted = await conn.fetch(
                """INSERT INTO items(id, title, summary, url, source, source_kind, published,
                                     fetched_at, sort_at, title_key, story_id, event_type, event_reason)
                   SELECT r.id, r.title, r.summary, r.url, r.source, r.source_kind, r.published,
                          $12, COALESCE(r.published, $12), r.title_key, r.story_id, r.event_type,
                          r.event_reason
                   FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                               $6::text[], $7::timestamptz[], $8::text[], $9::text[],
                               $10::text[], $11::text[])
                        WITH ORDINALITY AS r(id, title, summary, url, source, source_kind,
                                             published, title_key, story_id, event_type,
                                             event_reason, ord)
                   ORDER BY r.ord
                   ON CONFLICT DO NOTHING
                   RETURNING pk, id, url, title_key""",
                *(cols[k] for k in _ITEM_ARRAYS),
                fetched,
            )
            if not inserted:
                return []
            # (id, url, title_key) names the batch row each new key came from: of
            # rows sharing all three only the first can have been inserted.
            pk_by_row = {(r["id"], r["url"], r["title_key"]): int(r["pk"]) for r in inserted}
            matches: list[tuple[str, str, int, datetime, str]] = []
            for n, row in enumerate(rows):
                pk = pk_by_row.pop((cols["id"][n], cols["url"][n], cols["title_key"][n]), None)
                if pk is None:
                    continue
                sort_at = cols["published"][n] or fetched
                matches += match_rows(pk, sort_at, row.match)
            await _insert_matches(conn, matches)
        return sorted(int(r["pk"]) for r in inserted)

    # ------------------------------------------------------------ stories

    async def answering(self, story_ids: Sequence[str]) -> list[StoryRecord]:
        if not story_ids:
            return []
        return await self._stories(
            "WHERE answers = ANY($1::text[]) ORDER BY first_seen, id", [list(story_ids)]
        )

    # ------------------------------------------------------------ matches and queries

    async def replace_matches(self, matched: Sequence[tuple[int, MatchResult]]) -> None:
        if not matched:
            return
        async with self._transaction() as conn:
            keys = [pk for pk, _ in matched]
            found = await conn.fetch(
                "SELECT pk, sort_at FROM items WHERE pk = ANY($1::bigint[])", keys
            )
            sort_at = {int(r[0]): r[1] for r in found}
            await conn.execute(
                "DELETE FROM matches WHERE item_pk = ANY($1::bigint[])", list(sort_at)
            )
            rows: list[tuple[str, str, int, datetime, str]] = []
            for pk, result in matched:
                if pk in sort_at:
                    rows += match_rows(pk, sort_at[pk], result)
            await _insert_matches(conn, rows)

    async def search(self, query: str, limit: int) -> list[StoredItem]:
        """Every word must match (stemmed), best rank first, then newest.

        Words are extracted as the SQLite store does and handed to
        ``plainto_tsquery`` as a bound parameter, so no user text is ever SQL
        or tsquery syntax (quotes, ``&``, ``!``, ``:*`` are just characters).
        """
        words = search_words(query)
        if not words:
            return []
        return await self._hydrate(
            f"SELECT {ITEM_COLUMNS} FROM items i, plainto_tsquery('{_TS_CONFIG}', $1) q "
            "WHERE i.search @@ q ORDER BY ts_rank_cd(i.search, q) DESC, i.sort_at DESC, i.pk DESC "
            "LIMIT $2",
            [" ".join(words), limit],
        )

    # ------------------------------------------------------------ outbox

    async def enqueue(
        self, entries: Sequence[OutboxEntry], updates: Sequence[CursorUpdate]
    ) -> list[int]:
        new_ids: list[int] = []
        now = now_utc()
        async with self._transaction() as conn:
            for entry in entries:
                # Two replicas enqueueing the same digest: the second waits for
                # the first to commit, then finds the key taken and skips.
                found = await conn.fetchval(
                    """INSERT INTO outbox(dedupe_key, kind, platform, workspace, channel, payload,
                                          created_at, next_attempt_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
                       ON CONFLICT (dedupe_key) DO NOTHING RETURNING id""",
                    entry.dedupe_key,
                    entry.kind,
                    entry.platform,
                    entry.workspace,
                    entry.channel,
                    _req_text(entry.payload),
                    now,
                )
                if found is not None:
                    new_ids.append(int(found))
            if updates:
                await conn.executemany(
                    "UPDATE subscriptions SET cursor_pk = GREATEST(cursor_pk, $1), "
                    "last_due_at = GREATEST(last_due_at, $2), "
                    "last_digest_at = CASE WHEN $3::boolean THEN $2 ELSE last_digest_at END "
                    "WHERE id = $4",
                    [
                        (u.cursor_pk, utc_seconds(u.due_at), u.delivered, u.subscription_id)
                        for u in updates
                    ],
                )
        return new_ids

    async def claim_outbox(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxRow]:
        """Lease ready rows with ``FOR UPDATE SKIP LOCKED``.

        A row another sender is claiming right now is skipped rather than
        waited for; a row another sender has just claimed and committed is
        re-checked against the lease (READ COMMITTED re-evaluates the WHERE
        clause on the newest version), so no row is ever handed out twice.
        """
        moment = _req_ts(now)
        async with self._transaction() as conn:
            rows = await conn.fetch(
                f"""UPDATE outbox o SET status = 'sending', attempts = o.attempts + 1,
                                        lease_until = $1
                    FROM (SELECT id FROM outbox
                          WHERE status IN ('pending', 'sending') AND next_attempt_at <= $2
                            AND (lease_until IS NULL OR lease_until <= $2)
                          ORDER BY id LIMIT $3
                          FOR UPDATE SKIP LOCKED) AS ready
                    WHERE o.id = ready.id
                    RETURNING {", ".join("o." + c for c in OUTBOX_COLUMNS.split(", "))}""",
                utc_seconds(moment + lease),
                moment,
                limit,
            )
        return sorted((outbox_row(r, self.dialect) for r in rows), key=lambda r: r.id)

    async def claim_source(self, source_id: str, owner: str, until: datetime) -> bool:
        """Lease a source to ``owner`` until ``until``; False while another owner holds it.

        Expiry is judged by the database clock, so replicas with skewed clocks
        still agree; the same owner may renew its own lease at any time. Keep
        leases well above the expected fetch time (minutes, not seconds): a
        replica that dies mid-fetch blocks the feed only until its lease ends.
        """
        async with self._transaction() as conn:
            won = await conn.fetchval(
                """INSERT INTO source_leases(source_id, owner, lease_until) VALUES ($1, $2, $3)
                   ON CONFLICT (source_id) DO UPDATE
                     SET owner = excluded.owner, lease_until = excluded.lease_until
                     WHERE source_leases.lease_until <= now()
                        OR source_leases.owner = excluded.owner
                   RETURNING owner""",
                source_id,
                owner,
                utc_seconds(until),
            )
        return won is not None

    async def release_source(self, source_id: str, owner: str) -> None:
        """End ``owner``'s lease early (after a fetch) so the next due fetch needn't wait."""
        async with self._transaction() as conn:
            await conn.execute(
                "DELETE FROM source_leases WHERE source_id = $1 AND owner = $2", source_id, owner
            )


_ITEM_ARRAYS = (
    "id",
    "title",
    "summary",
    "url",
    "source",
    "source_kind",
    "published",
    "title_key",
    "story_id",
    "event_type",
    "event_reason",
)


async def _insert_matches(conn: Any, rows: Sequence[tuple[str, str, int, datetime, str]]) -> None:
    if not rows:
        return
    kinds, targets, pks, sorts, whys = (list(col) for col in zip(*rows, strict=True))
    await conn.execute(
        """INSERT INTO matches(kind, target, item_pk, sort_at, why)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::text[])
           ON CONFLICT DO NOTHING""",
        kinds,
        targets,
        pks,
        sorts,
        [_req_text(w) for w in whys],
    )
