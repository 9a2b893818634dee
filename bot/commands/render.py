"""Turning stored rows into reply parts, shared by every command and digests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

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


def story_key(row: StoredItem) -> str:
    return row.story_id or f"item-{row.pk}"


def group_stories(
    rows: Sequence[StoredItem],
    catalog: Catalog,
    focus: str | None,
    *,
    by_priority: bool = True,
    notes: dict[str, str] | None = None,
) -> list[ReplyItem]:
    """One reply line per story: the first report's headline and date, every
    outlet listed (the first report's first), newest news first (after
    priority, for digests). ``notes`` (by story id) mark claims that were
    answered, e.g. "denied by Ford, 31 Jan"."""
    groups: dict[str, list[StoredItem]] = {}
    for row in rows:
        groups.setdefault(story_key(row), []).append(row)
    ranked: list[tuple[int, float, ReplyItem]] = []
    for members in groups.values():
        members.sort(key=lambda r: (r.item.published or r.fetched_at, r.pk))
        lead = reply_item(members[0], catalog, focus)
        outlets = tuple(dict.fromkeys(m.item.source or "unknown source" for m in members))
        note = notes.get(lead.story_id) if notes and lead.story_id else None
        newest = max((m.item.published or m.fetched_at) for m in members)
        priority = -lead.priority if by_priority else 0
        ranked.append((priority, -newest.timestamp(), replace(lead, sources=outlets, note=note)))
    ranked.sort(key=lambda entry: entry[:2])  # stable: ties keep the order they came in
    return [line for _, _, line in ranked]
