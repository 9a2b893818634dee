"""The embedded SQLite store (aiosqlite, WAL, FTS5)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.matcher import MatchResult
from bot.models import Item
from bot.store.base import Store
from bot.store.codec import from_db, now_utc, to_db
from bot.store.migrations import MIGRATIONS
from bot.store.records import AuditEntry, StoredItem, Subscription
from bot.text import title_key
from bot.watchlists import WatchlistEdit

_ITEM_COLUMNS = (
    "i.pk, i.id, i.title, i.summary, i.url, i.source, i.source_kind, i.published, i.fetched_at"
)
_SEARCH_WORD = re.compile(r"[\w']+", re.UNICODE)


class SQLiteStore(Store):
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

    # ------------------------------------------------------------ schema

    async def upgrade(self) -> int:
        await self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        async with self.db.execute("SELECT version FROM schema_migrations") as cursor:
            applied = {row[0] for row in await cursor.fetchall()}
        for version, _name, sql in MIGRATIONS:
            if version in applied:
                continue
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

    async def add_items(self, matched: Sequence[tuple[Item, MatchResult]]) -> list[int]:
        new_keys: list[int] = []
        fetched = to_db(now_utc())
        async with self._transaction() as db:
            for item, result in matched:
                sort_at = to_db(item.published) or fetched or ""
                cursor = await db.execute(
                    """INSERT INTO items(id, title, summary, url, source, source_kind, published,
                                         fetched_at, sort_at, title_key)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT DO NOTHING RETURNING pk""",
                    (
                        item.id,
                        item.title,
                        item.summary,
                        item.url,
                        item.source,
                        item.source_kind,
                        to_db(item.published),
                        fetched,
                        sort_at,
                        title_key(item.title, item.source),
                    ),
                )
                row = await cursor.fetchone()
                await cursor.close()
                if row is None:
                    continue
                pk = int(row[0])
                new_keys.append(pk)
                await db.executemany(
                    "INSERT INTO matches(kind, target, item_pk, sort_at, why) VALUES (?, ?, ?, ?, ?)",
                    _match_rows(pk, sort_at, result),
                )
        return new_keys

    async def replace_matches(self, matched: Sequence[tuple[int, MatchResult]]) -> None:
        async with self._transaction() as db:
            for pk, result in matched:
                async with db.execute("SELECT sort_at FROM items WHERE pk = ?", (pk,)) as cursor:
                    row = await cursor.fetchone()
                if row is None:
                    continue
                await db.execute("DELETE FROM matches WHERE item_pk = ?", (pk,))
                await db.executemany(
                    "INSERT INTO matches(kind, target, item_pk, sort_at, why) VALUES (?, ?, ?, ?, ?)",
                    _match_rows(pk, row[0], result),
                )

    async def items_matching(
        self, kind: str, target: str, since: datetime | None, limit: int
    ) -> list[StoredItem]:
        sql = (
            f"SELECT {_ITEM_COLUMNS} FROM matches m JOIN items i ON i.pk = m.item_pk "
            "WHERE m.kind = ? AND m.target = ?"
        )
        params: list[Any] = [kind, target]
        if since is not None:
            sql += " AND m.sort_at >= ?"
            params.append(to_db(since))
        sql += " ORDER BY m.sort_at DESC, m.item_pk DESC LIMIT ?"
        params.append(limit)
        return await self._hydrate(sql, params)

    async def items_since(self, fetched_after_pk: int, limit: int) -> list[StoredItem]:
        return await self._hydrate(
            f"SELECT {_ITEM_COLUMNS} FROM items i WHERE i.pk > ? ORDER BY i.pk LIMIT ?",
            [fetched_after_pk, limit],
        )

    async def search(self, query: str, limit: int) -> list[StoredItem]:
        words = _SEARCH_WORD.findall(query)
        if not words:
            return []
        # Each word is quoted so user text can never be FTS5 syntax.
        fts_query = " ".join('"' + w.replace('"', "") + '"' for w in words)
        return await self._hydrate(
            f"SELECT {_ITEM_COLUMNS} FROM items_fts f JOIN items i ON i.pk = f.rowid "
            "WHERE items_fts MATCH ? ORDER BY bm25(items_fts), i.sort_at DESC LIMIT ?",
            [fts_query, limit],
        )

    async def item_count(self) -> int:
        async with self.db.execute("SELECT COUNT(*) FROM items") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _hydrate(self, sql: str, params: Sequence[Any]) -> list[StoredItem]:
        async with self.db.execute(sql, params) as cursor:
            rows = list(await cursor.fetchall())
        if not rows:
            return []
        keys = [row["pk"] for row in rows]
        marks = ",".join("?" * len(keys))
        matches: dict[int, list[tuple[str, str, str]]] = {k: [] for k in keys}
        async with self.db.execute(
            f"SELECT item_pk, kind, target, why FROM matches WHERE item_pk IN ({marks})", keys
        ) as cursor:
            for m in await cursor.fetchall():
                matches[m[0]].append((m[1], m[2], m[3]))
        out: list[StoredItem] = []
        for row in rows:
            found = matches[row["pk"]]
            item = Item(
                id=row["id"],
                title=row["title"],
                summary=row["summary"],
                url=row["url"],
                source=row["source"],
                published=from_db(row["published"]),
                source_kind=row["source_kind"],
            )
            fetched_at = from_db(row["fetched_at"])
            assert fetched_at is not None
            out.append(
                StoredItem(
                    pk=row["pk"],
                    item=item,
                    fetched_at=fetched_at,
                    watchlists=tuple(sorted(t for k, t, _ in found if k == "watchlist")),
                    companies=tuple(sorted(t for k, t, _ in found if k == "company")),
                    why={t: w for _, t, w in found},
                )
            )
        return out

    # ------------------------------------------------------------ subscriptions

    async def save_subscription(self, sub: Subscription) -> Subscription:
        async with self._transaction() as db:
            cursor = await db.execute(
                """INSERT INTO subscriptions(platform, workspace, channel, watchlist, cadence, at, tz,
                                             weekday, min_priority, created_by, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (platform, workspace, channel, watchlist) DO UPDATE SET
                     cadence = excluded.cadence, at = excluded.at, tz = excluded.tz,
                     weekday = excluded.weekday, min_priority = excluded.min_priority,
                     disabled_reason = NULL
                   RETURNING id""",
                (
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
                    to_db(now_utc()),
                ),
            )
            row = await cursor.fetchone()
            await cursor.close()
        assert row is not None
        saved = await self._subscriptions("WHERE id = ?", [row[0]])
        return saved[0]

    async def delete_subscriptions(
        self, platform: str, workspace: str, channel: str, watchlist: str | None
    ) -> int:
        sql = "DELETE FROM subscriptions WHERE platform = ? AND workspace = ? AND channel = ?"
        params: list[Any] = [platform, workspace, channel]
        if watchlist is not None:
            sql += " AND watchlist = ?"
            params.append(watchlist)
        async with self._transaction() as db:
            cursor = await db.execute(sql, params)
            count = cursor.rowcount
            await cursor.close()
        return count

    async def channel_subscriptions(
        self, platform: str, workspace: str, channel: str
    ) -> list[Subscription]:
        return await self._subscriptions(
            "WHERE platform = ? AND workspace = ? AND channel = ? ORDER BY watchlist",
            [platform, workspace, channel],
        )

    async def all_subscriptions(self) -> list[Subscription]:
        return await self._subscriptions("ORDER BY id", [])

    async def _subscriptions(self, where: str, params: Sequence[Any]) -> list[Subscription]:
        async with self.db.execute(f"SELECT * FROM subscriptions {where}", params) as cursor:
            rows = await cursor.fetchall()
        return [
            Subscription(
                id=r["id"],
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
                created_at=from_db(r["created_at"]),
                last_digest_at=from_db(r["last_digest_at"]),
                disabled_reason=r["disabled_reason"],
            )
            for r in rows
        ]

    # ------------------------------------------------------------ edits and audit

    async def add_edit(self, edit: WatchlistEdit, entry: AuditEntry) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO watchlist_edits(at, actor, action, target, value) VALUES (?, ?, ?, ?, ?)",
                (to_db(entry.at), entry.user, edit.action, edit.target, edit.value),
            )
            await _insert_audit(db, entry)

    async def edits(self) -> list[WatchlistEdit]:
        async with self.db.execute(
            "SELECT action, target, value FROM watchlist_edits ORDER BY id"
        ) as cursor:
            rows = await cursor.fetchall()
        return [WatchlistEdit(action=r[0], target=r[1], value=r[2]) for r in rows]

    async def audit(self, entry: AuditEntry) -> None:
        async with self._transaction() as db:
            await _insert_audit(db, entry)

    async def recent_audit(self, limit: int) -> list[AuditEntry]:
        async with self.db.execute(
            "SELECT at, platform, workspace, user, action, detail, outcome FROM audit_log "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        ) as cursor:
            rows = await cursor.fetchall()
        entries = []
        for r in rows:
            at = from_db(r[0])
            assert at is not None
            entries.append(AuditEntry(at, r[1], r[2], r[3], r[4], r[5], r[6]))
        return entries


async def _insert_audit(db: aiosqlite.Connection, entry: AuditEntry) -> None:
    await db.execute(
        "INSERT INTO audit_log(at, platform, workspace, user, action, detail, outcome) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            to_db(entry.at),
            entry.platform,
            entry.workspace,
            entry.user,
            entry.action,
            entry.detail,
            entry.outcome,
        ),
    )


def _match_rows(pk: int, sort_at: str, result: MatchResult) -> list[tuple[str, str, int, str, str]]:
    rows = [("watchlist", w, pk, sort_at, result.why(w)) for w in result.watchlists]
    rows += [("company", c, pk, sort_at, result.why(c)) for c in result.companies]
    return rows
