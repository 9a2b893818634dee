"""The storage interface. SQLite is the embedded default; another backend
implements the same abstract methods and passes the same tests."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.matcher import MatchResult
from bot.models import Item
from bot.store.records import (
    AuditEntry,
    CursorUpdate,
    Ingested,
    OutboxEntry,
    OutboxRow,
    SourceState,
    StoredItem,
    StoryRecord,
    Subscription,
)
from bot.watchlists import WatchlistEdit


class Store(ABC):
    @abstractmethod
    async def upgrade(self) -> int:
        """Apply pending migrations; return the schema version now in force."""

    @abstractmethod
    async def close(self) -> None: ...

    # items and matches
    @abstractmethod
    async def unseen(self, items: Sequence[Item]) -> list[Item]:
        """The items not stored yet (by id, URL, or headline from the same source)."""

    @abstractmethod
    async def add_items(
        self, rows: Sequence[Ingested], stories: Sequence[StoryRecord] = ()
    ) -> list[int]:
        """Store items not seen before (same id, same URL, or same headline from
        the same source is a duplicate) with their matches, and upsert the
        stories they belong to, in one transaction; return the new keys."""

    # stories
    @abstractmethod
    async def story(self, story_id: str) -> StoryRecord | None: ...

    @abstractmethod
    async def stories(self, story_ids: Sequence[str]) -> list[StoryRecord]:
        """The stories with these ids that exist, in no particular order."""

    @abstractmethod
    async def answering(self, story_ids: Sequence[str]) -> list[StoryRecord]:
        """Stories that answer (deny, confirm, follow up) any of these, oldest first."""

    @abstractmethod
    async def story_items(self, story_ids: Sequence[str]) -> list[StoredItem]:
        """Every item of these stories, oldest first."""

    @abstractmethod
    async def recent_items(self, since: datetime, limit: int) -> list[StoredItem]:
        """The newest ``limit`` items published (or fetched) since a moment,
        oldest first: what rebuilds the story index."""

    @abstractmethod
    async def replace_matches(self, matched: Sequence[tuple[int, MatchResult]]) -> None:
        """Re-record matches of stored items (after an admin edits a watchlist)."""

    @abstractmethod
    async def items_matching(
        self, kind: str, target: str, since: datetime | None, limit: int
    ) -> list[StoredItem]:
        """Newest first; ``kind`` is "watchlist" or "company"."""

    @abstractmethod
    async def items_since(self, fetched_after_pk: int, limit: int) -> list[StoredItem]:
        """Items stored after a key, oldest first (digests and re-matching)."""

    @abstractmethod
    async def search(self, query: str, limit: int) -> list[StoredItem]: ...

    @abstractmethod
    async def item_count(self) -> int: ...

    # subscriptions
    @abstractmethod
    async def save_subscription(self, sub: Subscription) -> Subscription:
        """Insert, or update the one for the same channel and watchlist."""

    @abstractmethod
    async def delete_subscriptions(
        self, platform: str, workspace: str, channel: str, watchlist: str | None
    ) -> int:
        """Remove one watchlist's subscription, or all when ``watchlist`` is None."""

    @abstractmethod
    async def channel_subscriptions(
        self, platform: str, workspace: str, channel: str
    ) -> list[Subscription]: ...

    @abstractmethod
    async def all_subscriptions(self) -> list[Subscription]: ...

    @abstractmethod
    async def new_matches(self, watchlist: str, after_pk: int, limit: int) -> list[StoredItem]:
        """Items matching a watchlist stored after ``after_pk``, oldest first."""

    @abstractmethod
    async def max_item_pk(self) -> int: ...

    @abstractmethod
    async def disable_channel(
        self, platform: str, workspace: str, channel: str, reason: str
    ) -> int:
        """Pause every subscription of a channel the platform says is gone."""

    # outbox: digests and alerts waiting to be sent
    @abstractmethod
    async def enqueue(
        self, entries: Sequence[OutboxEntry], updates: Sequence[CursorUpdate]
    ) -> list[int]:
        """Insert messages and move the subscriptions' cursors in ONE transaction,
        so a crash can neither lose a digest nor build it twice. An entry whose
        dedupe key is already there is skipped. Returns the new outbox ids."""

    @abstractmethod
    async def claim_outbox(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxRow]:
        """Lease sendable rows to this sender; a row stays leased until ``now + lease``."""

    @abstractmethod
    async def mark_sent(self, outbox_id: int, message_id: str) -> None: ...

    @abstractmethod
    async def mark_retry(self, outbox_id: int, error: str, at: datetime) -> None: ...

    @abstractmethod
    async def mark_failed(self, outbox_id: int, error: str) -> None: ...

    @abstractmethod
    async def outbox(self, status: str | None = None) -> list[OutboxRow]: ...

    async def outbox_counts(self) -> dict[str, int]:
        """Outbox messages by status (for metrics). Backends may count in SQL."""
        counts: dict[str, int] = {}
        for row in await self.outbox():
            counts[row.status] = counts.get(row.status, 0) + 1
        return counts

    @abstractmethod
    async def alerts_since(
        self, platform: str, workspace: str, channel: str, since: datetime
    ) -> int: ...

    # stories a channel muted: left out of its digests and alerts
    @abstractmethod
    async def set_muted(
        self, channel: tuple[str, str, str], story_id: str, user: str, muted: bool
    ) -> bool:
        """Mute or unmute a story in a channel; False when nothing changed."""

    @abstractmethod
    async def muted_stories(self, channel: tuple[str, str, str]) -> set[str]: ...

    # source health (the ingestion engine's SourceStateStore) and fetch leases
    async def claim_source(self, source_id: str, owner: str, until: datetime) -> bool:
        """Lease a feed to one fetcher until ``until``; False when another holds it.
        A single-process store always grants it."""
        return True

    async def release_source(self, source_id: str, owner: str) -> None:
        """Give a feed lease back early (after the fetch)."""
        return None

    @abstractmethod
    async def get_state(self, source_id: str) -> SourceState | None: ...

    @abstractmethod
    async def save_state(self, state: SourceState) -> None: ...

    @abstractmethod
    async def all_states(self) -> list[SourceState]: ...

    # watchlist edits and audit
    @abstractmethod
    async def add_edit(self, edit: WatchlistEdit, entry: AuditEntry) -> None:
        """Record an admin edit and its audit entry in one transaction."""

    @abstractmethod
    async def first_handling(self, key: str, at: datetime, keep: timedelta) -> bool:
        """Record that a platform event is being handled; False when some process
        (this or another replica) already recorded it. Records older than
        ``keep`` are forgotten."""

    @abstractmethod
    async def edits(self) -> list[WatchlistEdit]:
        """All admin edits, oldest first, to replay over the shipped files."""

    @abstractmethod
    async def edit_count(self) -> int:
        """How many admin edits there are: a cheap check for new ones."""

    @abstractmethod
    async def audit(self, entry: AuditEntry) -> None: ...

    @abstractmethod
    async def recent_audit(self, limit: int) -> list[AuditEntry]: ...
