"""Rows as the rest of the core sees them, independent of the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
    id: int | None = None
    created_at: datetime | None = None
    last_digest_at: datetime | None = None
    disabled_reason: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    platform: str
    workspace: str
    user: str
    action: str
    detail: str
    outcome: str  # "ok" or "refused"
