"""Rows as the rest of the core sees them, independent of the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.matcher import MatchResult
from bot.models import Item


@dataclass(frozen=True, slots=True)
class StoredItem:
    pk: int
    item: Item
    fetched_at: datetime
    watchlists: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    why: dict[str, str] = field(default_factory=dict)  # watchlist/company id -> reason
    story_id: str | None = None
    event_type: str | None = None
    event_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel's standing order for one watchlist's digest.

    ``at`` is local wall-clock time in ``tz``; ``weekday`` (0 = Monday) is used
    by weekly digests only.
    """

    platform: str
    workspace: str
    channel: str
    watchlist: str
    cadence: str = "daily"  # daily | weekly | instant
    at: str = "09:00"
    tz: str = "UTC"
    weekday: int = 0
    min_priority: int = 0
    created_by: str = ""
    quiet_start: str | None = None  # instant alerts wait out quiet hours (local time)
    quiet_end: str | None = None
    id: int | None = None
    created_at: datetime | None = None
    last_digest_at: datetime | None = None
    disabled_reason: str | None = None
    last_due_at: datetime | None = None  # the scheduled time last handled
    cursor_pk: int = 0  # items with a larger key are new for this subscription

    @property
    def channel_key(self) -> tuple[str, str, str]:
        return (self.platform, self.workspace, self.channel)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    platform: str
    workspace: str
    user: str
    action: str
    detail: str
    outcome: str  # "ok", "refused" (not an admin) or "rejected: <reason>"


@dataclass(frozen=True, slots=True)
class CursorUpdate:
    """Moves a subscription past what a digest (or an empty run) covered."""

    subscription_id: int
    cursor_pk: int
    due_at: datetime
    delivered: bool  # False when nothing was sent (empty digest skipped)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A message to send. ``dedupe_key`` is unique: building the same digest
    twice (a restart, a second replica) inserts it once."""

    dedupe_key: str
    kind: str  # "digest" | "alert"
    platform: str
    workspace: str
    channel: str
    payload: str  # Reply as JSON


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    entry: OutboxEntry
    status: str  # pending | sending | sent | failed
    attempts: int
    created_at: datetime
    message_id: str | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class StoryRecord:
    """One event across outlets. ``answers`` is the claim story this one
    denies, confirms or follows up; ``related`` lists stories an item could
    also have joined, reported rather than merged."""

    id: str
    headline: str
    first_seen: datetime
    last_seen: datetime
    event_type: str
    answers: str | None = None
    related: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ingested:
    """A new item ready to store: its matches and, once typed and grouped, its story."""

    item: Item
    match: MatchResult
    story_id: str | None = None
    event_type: str | None = None
    event_reason: str | None = None


@dataclass
class SourceState:
    """What we remember about one source between fetches."""

    source_id: str
    etag: str | None = None
    last_modified: str | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    item_count: int = 0
    consecutive_failures: int = 0
    next_fetch_at: datetime | None = None

    @property
    def healthy(self) -> bool:
        """A source is unhealthy while its latest fetch failed."""
        return self.consecutive_failures == 0

    def is_due(self, now: datetime) -> bool:
        return self.next_fetch_at is None or self.next_fetch_at <= now
