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

import hashlib
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bot.matcher import MatchResult
from bot.models import Item
from bot.sources.state import SourceState
from bot.store.base import Store
from bot.store.codec import now_utc
from bot.store.pg_migrations import PG_MIGRATIONS
from bot.store.records import (
    AuditEntry,
    CursorUpdate,
    Ingested,
    OutboxEntry,
    OutboxRow,
    StoredItem,
    StoryRecord,
    Subscription,
)
from bot.text import title_key
from bot.watchlists import WatchlistEdit

log = logging.getLogger("policywatch.store.postgres")

URL_SCHEMES = ("postgresql://", "postgres://")
_ITEM_COLUMNS = (
    "i.pk, i.id, i.title, i.summary, i.url, i.source, i.source_kind, i.published, i.fetched_at, "
    "i.story_id, i.event_type, i.event_reason"
)
_OUTBOX_COLUMNS = (
    "id, dedupe_key, kind, platform, workspace, channel, payload, status, attempts, created_at, "
    "message_id, last_error"
)
_SEARCH_WORD = re.compile(r"[\w']+", re.UNICODE)
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


def _ts(moment: datetime | None) -> datetime | None:
    """Whole seconds in UTC, like :func:`bot.store.codec.to_db`, so both backends agree."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _req_ts(moment: datetime) -> datetime:
    out = _ts(moment)
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


class PostgresStore(Store):
    """A :class:`Store` on a shared PostgreSQL database; see the module docstring."""

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
            cols["published"].append(_ts(item.published))
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
                         related = excluded.related""",
                    [
                        (
                            s.id,
                            _req_text(s.headline),
                            _ts(s.first_seen),
                            _ts(s.last_seen),
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
                matches += _match_rows(pk, sort_at, row.match)
            await _insert_matches(conn, matches)
        return sorted(int(r["pk"]) for r in inserted)

    # ------------------------------------------------------------ stories

    async def story(self, story_id: str) -> StoryRecord | None:
        rows = await self._stories("WHERE id = $1", [story_id])
        return rows[0] if rows else None

    async def answering(self, story_ids: Sequence[str]) -> list[StoryRecord]:
        if not story_ids:
            return []
        return await self._stories(
            "WHERE answers = ANY($1::text[]) ORDER BY first_seen, id", [list(story_ids)]
        )

    async def story_items(self, story_ids: Sequence[str]) -> list[StoredItem]:
        if not story_ids:
            return []
        return await self._hydrate(
            f"SELECT {_ITEM_COLUMNS} FROM items i WHERE i.story_id = ANY($1::text[]) "
            "ORDER BY i.sort_at, i.pk",
            [list(story_ids)],
        )

    async def recent_items(self, since: datetime, limit: int) -> list[StoredItem]:
        return await self._hydrate(
            f"SELECT {_ITEM_COLUMNS} FROM items i WHERE i.sort_at >= $1 "
            "ORDER BY i.sort_at, i.pk LIMIT $2",
            [_ts(since), limit],
        )

    async def _stories(self, where: str, params: Sequence[Any]) -> list[StoryRecord]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT id, headline, first_seen, last_seen, event_type, answers, related "
                f"FROM stories {where}",
                *params,
            )
        return [
            StoryRecord(r[0], r[1], r[2], r[3], r[4], r[5], tuple(x for x in r[6] if x))
            for r in rows
        ]

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
                    rows += _match_rows(pk, sort_at[pk], result)
            await _insert_matches(conn, rows)

    async def items_matching(
        self, kind: str, target: str, since: datetime | None, limit: int
    ) -> list[StoredItem]:
        sql = (
            f"SELECT {_ITEM_COLUMNS} FROM matches m JOIN items i ON i.pk = m.item_pk "
            "WHERE m.kind = $1 AND m.target = $2"
        )
        params: list[Any] = [kind, target]
        if since is not None:
            params.append(_ts(since))
            sql += f" AND m.sort_at >= ${len(params)}"
        params.append(limit)
        sql += f" ORDER BY m.sort_at DESC, m.item_pk DESC LIMIT ${len(params)}"
        return await self._hydrate(sql, params)

    async def items_since(self, fetched_after_pk: int, limit: int) -> list[StoredItem]:
        return await self._hydrate(
            f"SELECT {_ITEM_COLUMNS} FROM items i WHERE i.pk > $1 ORDER BY i.pk LIMIT $2",
            [fetched_after_pk, limit],
        )

    async def search(self, query: str, limit: int) -> list[StoredItem]:
        """Every word must match (stemmed), best rank first, then newest.

        Words are extracted as the SQLite store does and handed to
        ``plainto_tsquery`` as a bound parameter, so no user text is ever SQL
        or tsquery syntax (quotes, ``&``, ``!``, ``:*`` are just characters).
        """
        words = _SEARCH_WORD.findall(query)
        if not words:
            return []
        return await self._hydrate(
            f"SELECT {_ITEM_COLUMNS} FROM items i, plainto_tsquery('{_TS_CONFIG}', $1) q "
            "WHERE i.search @@ q ORDER BY ts_rank_cd(i.search, q) DESC, i.sort_at DESC, i.pk DESC "
            "LIMIT $2",
            [" ".join(words), limit],
        )

    async def item_count(self) -> int:
        async with self.pool.acquire() as conn:
            return int(await conn.fetchval("SELECT COUNT(*) FROM items"))

    async def _hydrate(self, sql: str, params: Sequence[Any]) -> list[StoredItem]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(sql, *params)
            if not rows:
                return []
            keys = [int(r["pk"]) for r in rows]
            found = await conn.fetch(
                "SELECT item_pk, kind, target, why FROM matches WHERE item_pk = ANY($1::bigint[])",
                keys,
            )
        matches: dict[int, list[tuple[str, str, str]]] = {k: [] for k in keys}
        for m in found:
            matches[int(m[0])].append((m[1], m[2], m[3]))
        out: list[StoredItem] = []
        for row in rows:
            hits = matches[int(row["pk"])]
            item = Item(
                id=row["id"],
                title=row["title"],
                summary=row["summary"],
                url=row["url"],
                source=row["source"],
                published=row["published"],
                source_kind=row["source_kind"],
            )
            out.append(
                StoredItem(
                    pk=int(row["pk"]),
                    item=item,
                    fetched_at=row["fetched_at"],
                    watchlists=tuple(sorted(t for k, t, _ in hits if k == "watchlist")),
                    companies=tuple(sorted(t for k, t, _ in hits if k == "company")),
                    why={t: w for _, t, w in hits},
                    story_id=row["story_id"],
                    event_type=row["event_type"],
                    event_reason=row["event_reason"],
                )
            )
        return out

    # ------------------------------------------------------------ subscriptions

    async def save_subscription(self, sub: Subscription) -> Subscription:
        async with self._transaction() as conn:
            row = await conn.fetchrow(
                """INSERT INTO subscriptions(platform, workspace, channel, watchlist, cadence, at, tz,
                                             weekday, min_priority, created_by, created_at,
                                             quiet_start, quiet_end, last_due_at, cursor_pk)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                           (SELECT COALESCE(MAX(pk), 0) FROM items))
                   ON CONFLICT (platform, workspace, channel, watchlist) DO UPDATE SET
                     cadence = excluded.cadence, at = excluded.at, tz = excluded.tz,
                     weekday = excluded.weekday, min_priority = excluded.min_priority,
                     quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,
                     last_due_at = excluded.last_due_at, disabled_reason = NULL
                   RETURNING *""",
                sub.platform,
                sub.workspace,
                sub.channel,
                sub.watchlist,
                sub.cadence,
                sub.at,
                sub.tz,
                sub.weekday,
                sub.min_priority,
                sub.created_by,
                now_utc(),
                sub.quiet_start,
                sub.quiet_end,
                _ts(sub.last_due_at or now_utc()),
            )
        assert row is not None
        return _subscription(row)

    async def delete_subscriptions(
        self, platform: str, workspace: str, channel: str, watchlist: str | None
    ) -> int:
        sql = "DELETE FROM subscriptions WHERE platform = $1 AND workspace = $2 AND channel = $3"
        params: list[Any] = [platform, workspace, channel]
        if watchlist is not None:
            sql += " AND watchlist = $4"
            params.append(watchlist)
        async with self._transaction() as conn:
            return _count(await conn.execute(sql, *params))

    async def channel_subscriptions(
        self, platform: str, workspace: str, channel: str
    ) -> list[Subscription]:
        return await self._subscriptions(
            "WHERE platform = $1 AND workspace = $2 AND channel = $3 ORDER BY watchlist",
            [platform, workspace, channel],
        )

    async def all_subscriptions(self) -> list[Subscription]:
        return await self._subscriptions("ORDER BY id", [])

    async def _subscriptions(self, where: str, params: Sequence[Any]) -> list[Subscription]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(f"SELECT * FROM subscriptions {where}", *params)
        return [_subscription(r) for r in rows]

    async def new_matches(self, watchlist: str, after_pk: int, limit: int) -> list[StoredItem]:
        return await self._hydrate(
            f"SELECT {_ITEM_COLUMNS} FROM matches m JOIN items i ON i.pk = m.item_pk "
            "WHERE m.kind = 'watchlist' AND m.target = $1 AND m.item_pk > $2 "
            "ORDER BY m.item_pk LIMIT $3",
            [watchlist, after_pk, limit],
        )

    async def max_item_pk(self) -> int:
        async with self.pool.acquire() as conn:
            return int(await conn.fetchval("SELECT COALESCE(MAX(pk), 0) FROM items"))

    async def disable_channel(
        self, platform: str, workspace: str, channel: str, reason: str
    ) -> int:
        async with self._transaction() as conn:
            return _count(
                await conn.execute(
                    "UPDATE subscriptions SET disabled_reason = $1 "
                    "WHERE platform = $2 AND workspace = $3 AND channel = $4",
                    reason,
                    platform,
                    workspace,
                    channel,
                )
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
                    [(u.cursor_pk, _ts(u.due_at), u.delivered, u.subscription_id) for u in updates],
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
                    RETURNING {", ".join("o." + c for c in _OUTBOX_COLUMNS.split(", "))}""",
                _ts(moment + lease),
                moment,
                limit,
            )
        return sorted((_outbox_row(r) for r in rows), key=lambda r: r.id)

    async def mark_sent(self, outbox_id: int, message_id: str) -> None:
        async with self._transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET status = 'sent', message_id = $1, sent_at = $2, "
                "lease_until = NULL WHERE id = $3",
                message_id,
                now_utc(),
                outbox_id,
            )

    async def mark_retry(self, outbox_id: int, error: str, at: datetime) -> None:
        async with self._transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET status = 'pending', last_error = $1, next_attempt_at = $2, "
                "lease_until = NULL WHERE id = $3",
                _req_text(error),
                _ts(at),
                outbox_id,
            )

    async def mark_failed(self, outbox_id: int, error: str) -> None:
        async with self._transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET status = 'failed', last_error = $1, lease_until = NULL "
                "WHERE id = $2",
                _req_text(error),
                outbox_id,
            )

    async def outbox(self, status: str | None = None) -> list[OutboxRow]:
        where, params = ("WHERE status = $1", [status]) if status else ("", [])
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {_OUTBOX_COLUMNS} FROM outbox {where} ORDER BY id", *params
            )
        return [_outbox_row(r) for r in rows]

    async def set_muted(
        self, channel: tuple[str, str, str], story_id: str, user: str, muted: bool
    ) -> bool:
        async with self.pool.acquire() as conn:
            if muted:
                status = await conn.execute(
                    "INSERT INTO mutes(platform, workspace, channel, story_id, muted_by, created_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                    *channel,
                    story_id,
                    user,
                    _ts(now_utc()),
                )
            else:
                status = await conn.execute(
                    "DELETE FROM mutes WHERE platform = $1 AND workspace = $2 AND channel = $3 "
                    "AND story_id = $4",
                    *channel,
                    story_id,
                )
        return not str(status).endswith(" 0")

    async def muted_stories(self, channel: tuple[str, str, str]) -> set[str]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT story_id FROM mutes WHERE platform = $1 AND workspace = $2 AND channel = $3",
                *channel,
            )
        return {row[0] for row in rows}

    async def alerts_since(
        self, platform: str, workspace: str, channel: str, since: datetime
    ) -> int:
        async with self.pool.acquire() as conn:
            return int(
                await conn.fetchval(
                    "SELECT COUNT(*) FROM outbox WHERE kind = 'alert' AND platform = $1 "
                    "AND workspace = $2 AND channel = $3 AND created_at >= $4",
                    platform,
                    workspace,
                    channel,
                    _ts(since),
                )
            )

    # ------------------------------------------------------------ source health

    async def get_state(self, source_id: str) -> SourceState | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow("SELECT * FROM source_state WHERE source_id = $1", source_id)
        return _source_state(row) if row else None

    async def save_state(self, state: SourceState) -> None:
        async with self._transaction() as conn:
            await conn.execute(
                """INSERT INTO source_state(source_id, etag, last_modified, last_success, last_error,
                                            last_error_at, item_count, consecutive_failures, next_fetch_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                   ON CONFLICT (source_id) DO UPDATE SET
                     etag = excluded.etag, last_modified = excluded.last_modified,
                     last_success = excluded.last_success, last_error = excluded.last_error,
                     last_error_at = excluded.last_error_at, item_count = excluded.item_count,
                     consecutive_failures = excluded.consecutive_failures,
                     next_fetch_at = excluded.next_fetch_at""",
                state.source_id,
                _text(state.etag),
                _text(state.last_modified),
                _ts(state.last_success),
                _text(state.last_error),
                _ts(state.last_error_at),
                state.item_count,
                state.consecutive_failures,
                _ts(state.next_fetch_at),
            )

    async def all_states(self) -> list[SourceState]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("SELECT * FROM source_state ORDER BY source_id")
        return [_source_state(r) for r in rows]

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
                _ts(until),
            )
        return won is not None

    async def release_source(self, source_id: str, owner: str) -> None:
        """End ``owner``'s lease early (after a fetch) so the next due fetch needn't wait."""
        async with self._transaction() as conn:
            await conn.execute(
                "DELETE FROM source_leases WHERE source_id = $1 AND owner = $2", source_id, owner
            )

    # ------------------------------------------------------------ edits and audit

    async def add_edit(self, edit: WatchlistEdit, entry: AuditEntry) -> None:
        async with self._transaction() as conn:
            await conn.execute(
                "INSERT INTO watchlist_edits(at, actor, action, target, value) "
                "VALUES ($1, $2, $3, $4, $5)",
                _ts(entry.at),
                entry.user,
                edit.action,
                _req_text(edit.target),
                _req_text(edit.value),
            )
            await _insert_audit(conn, entry)

    async def edits(self) -> list[WatchlistEdit]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("SELECT action, target, value FROM watchlist_edits ORDER BY id")
        return [WatchlistEdit(action=r[0], target=r[1], value=r[2]) for r in rows]

    async def audit(self, entry: AuditEntry) -> None:
        async with self._transaction() as conn:
            await _insert_audit(conn, entry)

    async def recent_audit(self, limit: int) -> list[AuditEntry]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT at, platform, workspace, user_id, action, detail, outcome FROM audit_log "
                "ORDER BY id DESC LIMIT $1",
                limit,
            )
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]


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


def _match_rows(
    pk: int, sort_at: datetime, result: MatchResult
) -> list[tuple[str, str, int, datetime, str]]:
    rows = [("watchlist", w, pk, sort_at, result.why(w)) for w in result.watchlists]
    rows += [("company", c, pk, sort_at, result.why(c)) for c in result.companies]
    return rows


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


async def _insert_audit(conn: Any, entry: AuditEntry) -> None:
    await conn.execute(
        "INSERT INTO audit_log(at, platform, workspace, user_id, action, detail, outcome) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        _ts(entry.at),
        entry.platform,
        entry.workspace,
        entry.user,
        entry.action,
        _req_text(entry.detail),
        entry.outcome,
    )


def _subscription(r: Any) -> Subscription:
    return Subscription(
        id=int(r["id"]),
        platform=r["platform"],
        workspace=r["workspace"],
        channel=r["channel"],
        watchlist=r["watchlist"],
        cadence=r["cadence"],
        at=r["at"],
        tz=r["tz"],
        weekday=r["weekday"],
        min_priority=r["min_priority"],
        created_by=r["created_by"],
        created_at=r["created_at"],
        last_digest_at=r["last_digest_at"],
        disabled_reason=r["disabled_reason"],
        quiet_start=r["quiet_start"],
        quiet_end=r["quiet_end"],
        last_due_at=r["last_due_at"],
        cursor_pk=int(r["cursor_pk"]),
    )


def _outbox_row(r: Any) -> OutboxRow:
    return OutboxRow(
        id=int(r[0]),
        entry=OutboxEntry(
            dedupe_key=r[1], kind=r[2], platform=r[3], workspace=r[4], channel=r[5], payload=r[6]
        ),
        status=r[7],
        attempts=r[8],
        created_at=r[9],
        message_id=r[10],
        last_error=r[11],
    )


def _source_state(r: Any) -> SourceState:
    return SourceState(
        source_id=r["source_id"],
        etag=r["etag"],
        last_modified=r["last_modified"],
        last_success=r["last_success"],
        last_error=r["last_error"],
        last_error_at=r["last_error_at"],
        item_count=r["item_count"],
        consecutive_failures=r["consecutive_failures"],
        next_fetch_at=r["next_fetch_at"],
    )
