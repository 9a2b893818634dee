"""The embedded SQLite store (aiosqlite, WAL, FTS5)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from bot.matcher import MatchResult
from bot.models import Item
from bot.store.codec import from_db, now_utc, to_db
from bot.store.dialect import Dialect
from bot.store.migrations import MIGRATIONS
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

log = logging.getLogger("policywatch.store")


class SQLiteDialect(Dialect):
    """Moments as ISO text (:mod:`bot.store.codec`), lists as comma-joined text."""

    def time(self, moment: datetime | None) -> str | None:
        return to_db(moment)

    def read_time(self, value: Any) -> datetime | None:
        return from_db(value)

    def read_strings(self, value: Any) -> tuple[str, ...]:
        return tuple(x for x in str(value).split(",") if x)

    def in_list(self, column: str, values: Sequence[Any], sql_type: str) -> tuple[str, list[Any]]:
        return f"{column} IN ({','.join('?' * len(values))})", list(values)


class SQLiteStore(SQLStore):
    dialect = SQLiteDialect()

    def __init__(self, path: str) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None
        # aiosqlite runs one statement at a time, but a multi-statement
        # transaction must not interleave with another task's statements.
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str) -> SQLiteStore:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        store = cls(path)
        db = await aiosqlite.connect(path, isolation_level=None)
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA busy_timeout=5000")
        store._db = db
        return store

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("store is closed")
        return self._db

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self.db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _execute(self, *statements: Statement) -> list[int]:
        counts: list[int] = []
        async with self._transaction() as db:
            for sql, params in statements:
                cursor = await db.execute(sql, params)
                counts.append(cursor.rowcount)
                await cursor.close()
        return counts

    async def _fetch_written(self, sql: str, params: Sequence[Any]) -> list[Any]:
        async with self._transaction() as db:
            cursor = await db.execute(sql, params)
            found = list(await cursor.fetchall())
            await cursor.close()
        return found

    # ------------------------------------------------------------ schema

    async def upgrade(self) -> int:
        await self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        async with self.db.execute("SELECT version FROM schema_migrations") as cursor:
            applied = {row[0] for row in await cursor.fetchall()}
        for version, name, sql in MIGRATIONS:
            if version in applied:
                continue
            log.info("applying migration %s: %s", version, name)
            # One script per step, inside its own transaction, so a failed step
            # leaves the database at the previous version.
            record = f"INSERT INTO schema_migrations VALUES ({version}, '{to_db(now_utc())}');"
            async with self._write_lock:
                try:
                    await self.db.executescript(f"BEGIN IMMEDIATE;\n{sql}\n{record}\nCOMMIT;")
                except BaseException:
                    if self.db.in_transaction:
                        await self.db.execute("ROLLBACK")
                    raise
        return await self.schema_version()

    async def schema_version(self) -> int:
        async with self.db.execute(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    # ------------------------------------------------------------ items

    async def unseen(self, items: Sequence[Item]) -> list[Item]:
        # One query per chunk, not per item: ingesting a feed asks about 50 at once.
        known_ids: set[str] = set()
        known_urls: set[str] = set()
        known_keys: set[str] = set()
        for start in range(0, len(items), 300):
            chunk = items[start : start + 300]
            ids = [i.id for i in chunk]
            urls = [i.url for i in chunk if i.url]
            keys = [title_key(i.title, i.source) for i in chunk]
            marks = [",".join("?" * len(group)) or "NULL" for group in (ids, urls, keys)]
            async with self.db.execute(
                f"SELECT id, url, title_key FROM items WHERE id IN ({marks[0]}) "
                f"OR url IN ({marks[1]}) OR title_key IN ({marks[2]})",
                [*ids, *urls, *keys],
            ) as cursor:
                for row in await cursor.fetchall():
                    known_ids.add(row[0])
                    known_urls.add(row[1])
                    known_keys.add(row[2])
        return [
            item
            for item in items
            if item.id not in known_ids
            and (not item.url or item.url not in known_urls)
            and title_key(item.title, item.source) not in known_keys
        ]

    async def add_items(
        self, rows: Sequence[Ingested], stories: Sequence[StoryRecord] = ()
    ) -> list[int]:
        """Store a batch in one transaction of five statements, whatever its size.

        Every statement is a hop to aiosqlite's thread and back; four per item
        made that hop most of ingestion's time. New rows are told apart from
        rows that met a unique key (a race with another writer) by their keys:
        BEGIN IMMEDIATE holds the database's write lock, so every key above the
        old maximum is this batch's."""
        fetched = to_db(now_utc()) or ""
        sort_at = [to_db(row.item.published) or fetched for row in rows]
        async with self._transaction() as db:
            await db.executemany(
                """INSERT INTO stories(id, headline, first_seen, last_seen, event_type, answers, related)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET last_seen = MAX(last_seen, excluded.last_seen),
                     event_type = excluded.event_type, answers = COALESCE(answers, excluded.answers),
                     related = CASE WHEN excluded.related = '' THEN related
                                    ELSE excluded.related END""",
                [
                    (
                        story.id,
                        story.headline,
                        to_db(story.first_seen),
                        to_db(story.last_seen),
                        story.event_type,
                        story.answers,
                        ",".join(story.related),
                    )
                    for story in stories
                ],
            )
            async with db.execute("SELECT COALESCE(MAX(pk), 0) FROM items") as cursor:
                found = await cursor.fetchone()
            before = int(found[0]) if found else 0
            await db.executemany(
                """INSERT INTO items(id, title, summary, url, source, source_kind, published,
                                     fetched_at, sort_at, title_key, story_id, event_type, event_reason)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT DO NOTHING""",
                [
                    (
                        row.item.id,
                        row.item.title,
                        row.item.summary,
                        row.item.url,
                        row.item.source,
                        row.item.source_kind,
                        to_db(row.item.published),
                        fetched,
                        at,
                        title_key(row.item.title, row.item.source),
                        row.story_id,
                        row.event_type,
                        row.event_reason,
                    )
                    for row, at in zip(rows, sort_at, strict=True)
                ],
            )
            async with db.execute("SELECT id, pk FROM items WHERE pk > ?", (before,)) as cursor:
                inserted = {str(r[0]): int(r[1]) for r in await cursor.fetchall()}
            new_keys: list[int] = []
            matches: list[tuple[str, str, int, str, str]] = []
            for row, at in zip(rows, sort_at, strict=True):
                pk = inserted.pop(row.item.id, None)  # pop: a repeated id is stored once
                if pk is not None:
                    new_keys.append(pk)
                    matches += match_rows(pk, at, row.match)
            await db.executemany(
                "INSERT INTO matches(kind, target, item_pk, sort_at, why) VALUES (?, ?, ?, ?, ?)",
                matches,
            )
        return new_keys

    async def answering(self, story_ids: Sequence[str]) -> list[StoryRecord]:
        if not story_ids:
            return []
        marks = ",".join("?" * len(story_ids))
        return await self._stories(
            f"WHERE answers IN ({marks}) ORDER BY first_seen", list(story_ids)
        )

    async def replace_matches(self, matched: Sequence[tuple[int, MatchResult]]) -> None:
        """Re-match up to thousands of items after an admin edit, a few
        statements per 500 items (see :meth:`add_items` on why)."""
        keys = [pk for pk, _ in matched]
        sort_at: dict[int, str] = {}
        async with self._transaction() as db:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                where, params = self.dialect.in_list("pk", chunk, "bigint")
                async with db.execute(f"SELECT pk, sort_at FROM items WHERE {where}", params) as c:
                    sort_at.update({int(r[0]): str(r[1]) for r in await c.fetchall()})
                where, params = self.dialect.in_list("item_pk", chunk, "bigint")
                await db.execute(f"DELETE FROM matches WHERE {where}", params)
            await db.executemany(
                "INSERT INTO matches(kind, target, item_pk, sort_at, why) VALUES (?, ?, ?, ?, ?)",
                [
                    match
                    for pk, result in matched
                    if pk in sort_at
                    for match in match_rows(pk, sort_at[pk], result)
                ],
            )

    async def search(self, query: str, limit: int) -> list[StoredItem]:
        words = search_words(query)
        if not words:
            return []
        # Each word is quoted so user text can never be FTS5 syntax.
        fts_query = " ".join('"' + w.replace('"', "") + '"' for w in words)
        return await self._hydrate(
            f"SELECT {ITEM_COLUMNS} FROM items_fts f JOIN items i ON i.pk = f.rowid "
            "WHERE items_fts MATCH ? ORDER BY bm25(items_fts), i.sort_at DESC LIMIT ?",
            [fts_query, limit],
        )

    # ------------------------------------------------------------ outbox

    async def enqueue(
        self, entries: Sequence[OutboxEntry], updates: Sequence[CursorUpdate]
    ) -> list[int]:
        new_ids: list[int] = []
        async with self._transaction() as db:
            now = to_db(now_utc())
            for entry in entries:
                cursor = await db.execute(
                    """INSERT INTO outbox(dedupe_key, kind, platform, workspace, channel, payload,
                                          created_at, next_attempt_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id""",
                    (
                        entry.dedupe_key,
                        entry.kind,
                        entry.platform,
                        entry.workspace,
                        entry.channel,
                        entry.payload,
                        now,
                        now,
                    ),
                )
                row = await cursor.fetchone()
                await cursor.close()
                if row is not None:
                    new_ids.append(int(row[0]))
            for update in updates:
                await db.execute(
                    "UPDATE subscriptions SET cursor_pk = MAX(cursor_pk, ?), "
                    "last_due_at = MAX(COALESCE(last_due_at, ''), ?), "
                    "last_digest_at = CASE WHEN ? THEN ? ELSE last_digest_at END WHERE id = ?",
                    (
                        update.cursor_pk,
                        to_db(update.due_at),
                        update.delivered,
                        to_db(update.due_at),
                        update.subscription_id,
                    ),
                )
        return new_ids

    async def claim_outbox(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxRow]:
        async with self._transaction() as db:
            cursor = await db.execute(
                f"""UPDATE outbox SET status = 'sending', attempts = attempts + 1, lease_until = ?
                   WHERE id IN (
                     SELECT id FROM outbox
                     WHERE status IN ('pending', 'sending') AND next_attempt_at <= ?
                       AND (lease_until IS NULL OR lease_until <= ?)
                     ORDER BY id LIMIT ?)
                   RETURNING {OUTBOX_COLUMNS}""",
                (to_db(now + lease), to_db(now), to_db(now), limit),
            )
            rows = await cursor.fetchall()
            await cursor.close()
        return sorted((outbox_row(r, self.dialect) for r in rows), key=lambda r: r.id)
