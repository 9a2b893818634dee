"""The embedded SQLite store (aiosqlite, WAL, FTS5)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from bot.matcher import MatchResult
from bot.models import Item
from bot.sources.state import SourceState
from bot.store.base import Store
from bot.store.codec import from_db, now_utc, to_db
from bot.store.migrations import MIGRATIONS
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

_ITEM_COLUMNS = (
    "i.pk, i.id, i.title, i.summary, i.url, i.source, i.source_kind, i.published, i.fetched_at, "
    "i.story_id, i.event_type, i.event_reason"
)
log = logging.getLogger("policywatch.store")
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
        new_keys: list[int] = []
        fetched = to_db(now_utc()) or ""
        async with self._transaction() as db:
            for story in stories:
                await db.execute(
                    """INSERT INTO stories(id, headline, first_seen, last_seen, event_type, answers, related)
                       VALUES (?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT (id) DO UPDATE SET last_seen = MAX(last_seen, excluded.last_seen),
                         event_type = excluded.event_type, answers = COALESCE(answers, excluded.answers),
                         related = CASE WHEN excluded.related = '' THEN related
                                        ELSE excluded.related END""",
                    (
                        story.id,
                        story.headline,
                        to_db(story.first_seen),
                        to_db(story.last_seen),
                        story.event_type,
                        story.answers,
                        ",".join(story.related),
                    ),
                )
            for row in rows:
                item = row.item
                sort_at = to_db(item.published) or fetched
                cursor = await db.execute(
                    """INSERT INTO items(id, title, summary, url, source, source_kind, published,
                                         fetched_at, sort_at, title_key, story_id, event_type, event_reason)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
                        row.story_id,
                        row.event_type,
                        row.event_reason,
                    ),
                )
                found = await cursor.fetchone()
                await cursor.close()
                if found is None:
                    continue
                pk = int(found[0])
                new_keys.append(pk)
                await db.executemany(
                    "INSERT INTO matches(kind, target, item_pk, sort_at, why) VALUES (?, ?, ?, ?, ?)",
                    _match_rows(pk, sort_at, row.match),
                )
        return new_keys

    async def story(self, story_id: str) -> StoryRecord | None:
        rows = await self._stories("WHERE id = ?", [story_id])
        return rows[0] if rows else None

    async def answering(self, story_ids: Sequence[str]) -> list[StoryRecord]:
        if not story_ids:
            return []
        marks = ",".join("?" * len(story_ids))
        return await self._stories(
            f"WHERE answers IN ({marks}) ORDER BY first_seen", list(story_ids)
        )

    async def story_items(self, story_ids: Sequence[str]) -> list[StoredItem]:
        if not story_ids:
            return []
        marks = ",".join("?" * len(story_ids))
        return await self._hydrate(
            f"SELECT {_ITEM_COLUMNS} FROM items i WHERE i.story_id IN ({marks}) ORDER BY i.sort_at, i.pk",
            list(story_ids),
        )

    async def recent_items(self, since: datetime, limit: int) -> list[StoredItem]:
        return await self._hydrate(
            f"SELECT {_ITEM_COLUMNS} FROM items i WHERE i.sort_at >= ? ORDER BY i.sort_at, i.pk LIMIT ?",
            [to_db(since), limit],
        )

    async def _stories(self, where: str, params: Sequence[Any]) -> list[StoryRecord]:
        async with self.db.execute(
            f"SELECT id, headline, first_seen, last_seen, event_type, answers, related FROM stories {where}",
            params,
        ) as cursor:
            rows = await cursor.fetchall()
        out = []
        for r in rows:
            first, last = from_db(r[2]), from_db(r[3])
            assert first is not None and last is not None
            out.append(
                StoryRecord(
                    r[0], r[1], first, last, r[4], r[5], tuple(x for x in r[6].split(",") if x)
                )
            )
        return out

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
                    story_id=row["story_id"],
                    event_type=row["event_type"],
                    event_reason=row["event_reason"],
                )
            )
        return out

    # ------------------------------------------------------------ subscriptions

    async def save_subscription(self, sub: Subscription) -> Subscription:
        async with self._transaction() as db:
            cursor = await db.execute(
                """INSERT INTO subscriptions(platform, workspace, channel, watchlist, cadence, at, tz,
                                             weekday, min_priority, created_by, created_at,
                                             quiet_start, quiet_end, last_due_at, cursor_pk)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                           (SELECT COALESCE(MAX(pk), 0) FROM items))
                   ON CONFLICT (platform, workspace, channel, watchlist) DO UPDATE SET
                     cadence = excluded.cadence, at = excluded.at, tz = excluded.tz,
                     weekday = excluded.weekday, min_priority = excluded.min_priority,
                     quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,
                     last_due_at = excluded.last_due_at, disabled_reason = NULL
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
                    sub.quiet_start,
                    sub.quiet_end,
                    to_db(sub.last_due_at or now_utc()),
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
                quiet_start=r["quiet_start"],
                quiet_end=r["quiet_end"],
                last_due_at=from_db(r["last_due_at"]),
                cursor_pk=r["cursor_pk"],
            )
            for r in rows
        ]

    async def new_matches(self, watchlist: str, after_pk: int, limit: int) -> list[StoredItem]:
        return await self._hydrate(
            f"SELECT {_ITEM_COLUMNS} FROM matches m JOIN items i ON i.pk = m.item_pk "
            "WHERE m.kind = 'watchlist' AND m.target = ? AND m.item_pk > ? ORDER BY m.item_pk LIMIT ?",
            [watchlist, after_pk, limit],
        )

    async def max_item_pk(self) -> int:
        async with self.db.execute("SELECT COALESCE(MAX(pk), 0) FROM items") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def disable_channel(
        self, platform: str, workspace: str, channel: str, reason: str
    ) -> int:
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE subscriptions SET disabled_reason = ? "
                "WHERE platform = ? AND workspace = ? AND channel = ?",
                (reason, platform, workspace, channel),
            )
            count = cursor.rowcount
            await cursor.close()
        return count

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
                   RETURNING {_OUTBOX_COLUMNS}""",
                (to_db(now + lease), to_db(now), to_db(now), limit),
            )
            rows = await cursor.fetchall()
            await cursor.close()
        return sorted((_outbox_row(r) for r in rows), key=lambda r: r.id)

    async def mark_sent(self, outbox_id: int, message_id: str) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?, lease_until = NULL "
                "WHERE id = ?",
                (message_id, to_db(now_utc()), outbox_id),
            )

    async def mark_retry(self, outbox_id: int, error: str, at: datetime) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET status = 'pending', last_error = ?, next_attempt_at = ?, "
                "lease_until = NULL WHERE id = ?",
                (error, to_db(at), outbox_id),
            )

    async def mark_failed(self, outbox_id: int, error: str) -> None:
        async with self._transaction() as db:
            await db.execute(
                "UPDATE outbox SET status = 'failed', last_error = ?, lease_until = NULL WHERE id = ?",
                (error, outbox_id),
            )

    async def outbox(self, status: str | None = None) -> list[OutboxRow]:
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        async with self.db.execute(
            f"SELECT {_OUTBOX_COLUMNS} FROM outbox {where} ORDER BY id", params
        ) as cursor:
            rows = await cursor.fetchall()
        return [_outbox_row(r) for r in rows]

    async def outbox_counts(self) -> dict[str, int]:
        async with self.db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status") as cursor:
            return {row[0]: int(row[1]) for row in await cursor.fetchall()}

    async def alerts_since(
        self, platform: str, workspace: str, channel: str, since: datetime
    ) -> int:
        async with self.db.execute(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'alert' AND platform = ? AND workspace = ? "
            "AND channel = ? AND created_at >= ?",
            (platform, workspace, channel, to_db(since)),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    # ------------------------------------------------------------ mutes

    async def set_muted(
        self, channel: tuple[str, str, str], story_id: str, user: str, muted: bool
    ) -> bool:
        async with self._transaction() as db:
            if muted:
                cursor = await db.execute(
                    "INSERT INTO mutes(platform, workspace, channel, story_id, muted_by, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (*channel, story_id, user, to_db(now_utc())),
                )
            else:
                cursor = await db.execute(
                    "DELETE FROM mutes WHERE platform = ? AND workspace = ? AND channel = ? AND story_id = ?",
                    (*channel, story_id),
                )
            changed = cursor.rowcount > 0
            await cursor.close()
        return changed

    async def muted_stories(self, channel: tuple[str, str, str]) -> set[str]:
        async with self.db.execute(
            "SELECT story_id FROM mutes WHERE platform = ? AND workspace = ? AND channel = ?",
            channel,
        ) as cursor:
            return {row[0] for row in await cursor.fetchall()}

    # ------------------------------------------------------------ source health

    async def get_state(self, source_id: str) -> SourceState | None:
        async with self.db.execute(
            "SELECT * FROM source_state WHERE source_id = ?", (source_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _source_state(row) if row else None

    async def save_state(self, state: SourceState) -> None:
        async with self._transaction() as db:
            await db.execute(
                """INSERT INTO source_state(source_id, etag, last_modified, last_success, last_error,
                                            last_error_at, item_count, consecutive_failures, next_fetch_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (source_id) DO UPDATE SET
                     etag = excluded.etag, last_modified = excluded.last_modified,
                     last_success = excluded.last_success, last_error = excluded.last_error,
                     last_error_at = excluded.last_error_at, item_count = excluded.item_count,
                     consecutive_failures = excluded.consecutive_failures,
                     next_fetch_at = excluded.next_fetch_at""",
                (
                    state.source_id,
                    state.etag,
                    state.last_modified,
                    to_db(state.last_success),
                    state.last_error,
                    to_db(state.last_error_at),
                    state.item_count,
                    state.consecutive_failures,
                    to_db(state.next_fetch_at),
                ),
            )

    async def all_states(self) -> list[SourceState]:
        async with self.db.execute("SELECT * FROM source_state ORDER BY source_id") as cursor:
            rows = await cursor.fetchall()
        return [_source_state(r) for r in rows]

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


_OUTBOX_COLUMNS = (
    "id, dedupe_key, kind, platform, workspace, channel, payload, status, attempts, created_at, "
    "message_id, last_error"
)


def _outbox_row(r: Any) -> OutboxRow:
    created = from_db(r[9])
    assert created is not None
    return OutboxRow(
        id=r[0],
        entry=OutboxEntry(
            dedupe_key=r[1], kind=r[2], platform=r[3], workspace=r[4], channel=r[5], payload=r[6]
        ),
        status=r[7],
        attempts=r[8],
        created_at=created,
        message_id=r[10],
        last_error=r[11],
    )


def _source_state(r: Any) -> SourceState:
    return SourceState(
        source_id=r["source_id"],
        etag=r["etag"],
        last_modified=r["last_modified"],
        last_success=from_db(r["last_success"]),
        last_error=r["last_error"],
        last_error_at=from_db(r["last_error_at"]),
        item_count=r["item_count"],
        consecutive_failures=r["consecutive_failures"],
        next_fetch_at=from_db(r["next_fetch_at"]),
    )


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
