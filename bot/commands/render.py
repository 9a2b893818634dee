"""Turning stored rows into reply parts, shared by every command and digests."""

from __future__ import annotations

from collections.abc import Iterable

from bot.replies import ReplyItem
from bot.store.records import StoredItem
from bot.watchlists import PRIORITIES, Catalog


def reply_item(stored: StoredItem, catalog: Catalog, focus: str | None = None) -> ReplyItem:
    """A result line; ``focus`` (a watchlist or company id) picks which reason to show first."""
    reasons = [stored.why[focus]] if focus and stored.why.get(focus) else []
    if not reasons:
        reasons = [f"{key}: {why}" for key, why in stored.why.items() if why][:2]
    priority = max(
        (
            PRIORITIES[catalog.watchlists[w].priority]
            for w in stored.watchlists
            if w in catalog.watchlists
        ),
        default=0,
    )
    return ReplyItem(
        title=stored.item.title,
        url=stored.item.url,
        source=stored.item.source,
        published=stored.item.published or stored.fetched_at,
        why="; ".join(reasons),
        story_id=stored.story_id,
        priority=priority,
        event_type=stored.event_type,
    )


def reply_items(
    rows: Iterable[StoredItem], catalog: Catalog, focus: str | None = None
) -> tuple[ReplyItem, ...]:
    return tuple(reply_item(row, catalog, focus) for row in rows)
