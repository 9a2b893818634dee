"""The :class:`Store` methods whose SQL and logic are the same on every backend.

A backend subclasses :class:`SQLStore` and provides three driver calls
(:meth:`~SQLStore._fetch`, :meth:`~SQLStore._execute`,
:meth:`~SQLStore._fetch_written`) and a :class:`~bot.store.dialect.Dialect`;
it keeps only what really differs: connecting, migrating, and the queries
that use dialect features (full-text search, bulk inserts, row locking).

Query text here uses ``?`` placeholders and never contains a literal ``?``;
a backend whose driver numbers its parameters rewrites them in its driver calls.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

from bot.store import rows
from bot.store.base import Store
from bot.store.codec import now_utc
from bot.store.dialect import Dialect
from bot.store.records import (
    AuditEntry,
    OutboxRow,
    SourceState,
    StoredItem,
    StoryRecord,
    Subscription,
)
from bot.store.rows import ITEM_COLUMNS, OUTBOX_COLUMNS, STORY_COLUMNS
from bot.watchlists import WatchlistEdit

Statement = tuple[str, Sequence[Any]]


class SQLStore(Store):
    dialect: ClassVar[Dialect]

    # ------------------------------------------------------------ driver calls

    @abstractmethod
    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of one read-only statement."""

    @abstractmethod
    async def _execute(self, *statements: Statement) -> list[int]:
        """Run write statements in one transaction; return the rows each touched."""

    @abstractmethod
    async def _fetch_written(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """The rows a write statement returns (``RETURNING``), in its own transaction."""

    async def _count(self, sql: str, params: Sequence[Any] = ()) -> int:
        found = await self._fetch(sql, params)
        return int(found[0][0]) if found else 0

    # ------------------------------------------------------------ items and stories

    async def story(self, story_id: str) -> StoryRecord | None:
        found = await self._stories("WHERE id = ?", [story_id])
        return found[0] if found else None

    async def stories(self, story_ids: Sequence[str]) -> list[StoryRecord]:
        found: list[StoryRecord] = []
        for start in range(0, len(story_ids), 500):  # SQLite caps bound parameters
            where, params = self.dialect.in_list("id", story_ids[start : start + 500], "text")
            found += await self._stories(f"WHERE {where}", params)
        return found

    async def _stories(self, where: str, params: Sequence[Any]) -> list[StoryRecord]:
        found = await self._fetch(f"SELECT {STORY_COLUMNS} FROM stories {where}", params)
        return [rows.story(r, self.dialect) for r in found]

    async def story_items(self, story_ids: Sequence[str]) -> list[StoredItem]:
        if not story_ids:
            return []
        where, params = self.dialect.in_list("i.story_id", story_ids, "text")
        return await self._hydrate(
            f"SELECT {ITEM_COLUMNS} FROM items i WHERE {where} ORDER BY i.sort_at, i.pk", params
        )

    async def recent_items(self, since: datetime, limit: int) -> list[StoredItem]:
        newest_first = await self._hydrate(
            f"SELECT {ITEM_COLUMNS} FROM items i WHERE i.sort_at >= ? "
            "ORDER BY i.sort_at DESC, i.pk DESC LIMIT ?",
            [self.dialect.time(since), limit],
        )
        return newest_first[::-1]

    async def items_matching(
        self, kind: str, target: str, since: datetime | None, limit: int
    ) -> list[StoredItem]:
        sql = (
            f"SELECT {ITEM_COLUMNS} FROM matches m JOIN items i ON i.pk = m.item_pk "
            "WHERE m.kind = ? AND m.target = ?"
        )
        params: list[Any] = [kind, target]
        if since is not None:
            sql += " AND m.sort_at >= ?"
            params.append(self.dialect.time(since))
        sql += " ORDER BY m.sort_at DESC, m.item_pk DESC LIMIT ?"
        params.append(limit)
        return await self._hydrate(sql, params)

    async def items_since(self, fetched_after_pk: int, limit: int) -> list[StoredItem]:
        return await self._hydrate(
            f"SELECT {ITEM_COLUMNS} FROM items i WHERE i.pk > ? ORDER BY i.pk LIMIT ?",
            [fetched_after_pk, limit],
        )

    async def new_matches(self, watchlist: str, after_pk: int, limit: int) -> list[StoredItem]:
        return await self._hydrate(
            f"SELECT {ITEM_COLUMNS} FROM matches m JOIN items i ON i.pk = m.item_pk "
            "WHERE m.kind = 'watchlist' AND m.target = ? AND m.item_pk > ? "
            "ORDER BY m.item_pk LIMIT ?",
            [watchlist, after_pk, limit],
        )

    async def item_count(self) -> int:
        return await self._count("SELECT COUNT(*) FROM items")

    async def max_item_pk(self) -> int:
        return await self._count("SELECT COALESCE(MAX(pk), 0) FROM items")

    async def _hydrate(self, sql: str, params: Sequence[Any]) -> list[StoredItem]:
        """Items selected with ``ITEM_COLUMNS``, in the query's order, with their matches."""
        found = await self._fetch(sql, params)
        if not found:
            return []
        where, keys = self.dialect.in_list("item_pk", [int(r["pk"]) for r in found], "bigint")
        matches = await self._fetch(
            f"SELECT item_pk, kind, target, why FROM matches WHERE {where}", keys
        )
        return rows.stored_items(found, matches, self.dialect)

    # ------------------------------------------------------------ subscriptions

    async def save_subscription(self, sub: Subscription) -> Subscription:
        saved = await self._fetch_written(
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
               RETURNING *""",
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
                self.dialect.time(now_utc()),
                sub.quiet_start,
                sub.quiet_end,
                self.dialect.time(sub.last_due_at or now_utc()),
            ),
        )
        return rows.subscription(saved[0], self.dialect)

    async def delete_subscriptions(
        self, platform: str, workspace: str, channel: str, watchlist: str | None
    ) -> int:
        sql = "DELETE FROM subscriptions WHERE platform = ? AND workspace = ? AND channel = ?"
        params: list[Any] = [platform, workspace, channel]
        if watchlist is not None:
            sql += " AND watchlist = ?"
            params.append(watchlist)
        (count,) = await self._execute((sql, params))
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
        found = await self._fetch(f"SELECT * FROM subscriptions {where}", params)
        return [rows.subscription(r, self.dialect) for r in found]

    async def disable_channel(
        self, platform: str, workspace: str, channel: str, reason: str
    ) -> int:
        (count,) = await self._execute(
            (
                "UPDATE subscriptions SET disabled_reason = ? "
                "WHERE platform = ? AND workspace = ? AND channel = ?",
                (reason, platform, workspace, channel),
            )
        )
        return count

    # ------------------------------------------------------------ outbox

    async def mark_sent(self, outbox_id: int, message_id: str) -> None:
        await self._execute(
            (
                "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?, "
                "lease_until = NULL WHERE id = ?",
                (message_id, self.dialect.time(now_utc()), outbox_id),
            )
        )

    async def mark_retry(self, outbox_id: int, error: str, at: datetime) -> None:
        await self._execute(
            (
                "UPDATE outbox SET status = 'pending', last_error = ?, next_attempt_at = ?, "
                "lease_until = NULL WHERE id = ?",
                (self.dialect.text(error), self.dialect.time(at), outbox_id),
            )
        )

    async def mark_failed(self, outbox_id: int, error: str) -> None:
        await self._execute(
            (
                "UPDATE outbox SET status = 'failed', last_error = ?, lease_until = NULL "
                "WHERE id = ?",
                (self.dialect.text(error), outbox_id),
            )
        )

    async def outbox(self, status: str | None = None) -> list[OutboxRow]:
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        found = await self._fetch(
            f"SELECT {OUTBOX_COLUMNS} FROM outbox {where} ORDER BY id", params
        )
        return [rows.outbox_row(r, self.dialect) for r in found]

    async def outbox_counts(self) -> dict[str, int]:
        found = await self._fetch("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return {r[0]: int(r[1]) for r in found}

    async def alerts_since(
        self, platform: str, workspace: str, channel: str, since: datetime
    ) -> int:
        return await self._count(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'alert' AND platform = ? "
            "AND workspace = ? AND channel = ? AND created_at >= ?",
            (platform, workspace, channel, self.dialect.time(since)),
        )

    # ------------------------------------------------------------ mutes

    async def set_muted(
        self, channel: tuple[str, str, str], story_id: str, user: str, muted: bool
    ) -> bool:
        if muted:
            statement: Statement = (
                "INSERT INTO mutes(platform, workspace, channel, story_id, muted_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (*channel, story_id, user, self.dialect.time(now_utc())),
            )
        else:
            statement = (
                "DELETE FROM mutes WHERE platform = ? AND workspace = ? AND channel = ? "
                "AND story_id = ?",
                (*channel, story_id),
            )
        (count,) = await self._execute(statement)
        return count > 0

    async def muted_stories(self, channel: tuple[str, str, str]) -> set[str]:
        found = await self._fetch(
            "SELECT story_id FROM mutes WHERE platform = ? AND workspace = ? AND channel = ?",
            channel,
        )
        return {r[0] for r in found}

    # ------------------------------------------------------------ source health

    async def get_state(self, source_id: str) -> SourceState | None:
        found = await self._fetch("SELECT * FROM source_state WHERE source_id = ?", (source_id,))
        return rows.source_state(found[0], self.dialect) if found else None

    async def save_state(self, state: SourceState) -> None:
        d = self.dialect
        await self._execute(
            (
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
                    d.text(state.etag),
                    d.text(state.last_modified),
                    d.time(state.last_success),
                    d.text(state.last_error),
                    d.time(state.last_error_at),
                    state.item_count,
                    state.consecutive_failures,
                    d.time(state.next_fetch_at),
                ),
            )
        )

    async def all_states(self) -> list[SourceState]:
        found = await self._fetch("SELECT * FROM source_state ORDER BY source_id")
        return [rows.source_state(r, self.dialect) for r in found]

    # ------------------------------------------------------------ edits and audit

    async def add_edit(self, edit: WatchlistEdit, entry: AuditEntry) -> None:
        d = self.dialect
        await self._execute(
            (
                "INSERT INTO watchlist_edits(at, actor, action, target, value) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    d.time(entry.at),
                    entry.user,
                    edit.action,
                    d.text(edit.target),
                    d.text(edit.value),
                ),
            ),
            self._audit_insert(entry),
        )

    async def first_handling(self, key: str, at: datetime, keep: timedelta) -> bool:
        _, inserted = await self._execute(
            ("DELETE FROM handled_events WHERE at < ?", [self.dialect.time(at - keep)]),
            (
                "INSERT INTO handled_events(key, at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [key, self.dialect.time(at)],
            ),
        )
        return inserted == 1

    async def edit_count(self) -> int:
        return await self._count("SELECT COUNT(*) FROM watchlist_edits")

    async def edits(self) -> list[WatchlistEdit]:
        found = await self._fetch("SELECT action, target, value FROM watchlist_edits ORDER BY id")
        return [WatchlistEdit(action=r[0], target=r[1], value=r[2]) for r in found]

    async def audit(self, entry: AuditEntry) -> None:
        await self._execute(self._audit_insert(entry))

    async def recent_audit(self, limit: int) -> list[AuditEntry]:
        found = await self._fetch(
            f"SELECT at, platform, workspace, {self.dialect.user_column}, action, detail, outcome "
            "FROM audit_log ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [rows.audit_entry(r, self.dialect) for r in found]

    def _audit_insert(self, entry: AuditEntry) -> Statement:
        d = self.dialect
        return (
            f"INSERT INTO audit_log(at, platform, workspace, {d.user_column}, action, detail, "
            "outcome) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                d.time(entry.at),
                entry.platform,
                entry.workspace,
                entry.user,
                entry.action,
                d.text(entry.detail),
                entry.outcome,
            ),
        )
