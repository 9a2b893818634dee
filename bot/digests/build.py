"""What a digest says: per-watchlist sections, one line per story (with the
other outlets carrying it), highest priority and newest first, and a story
shown once even when it matched several watchlists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bot.commands.render import reply_item
from bot.replies import Action, Reply, ReplyItem
from bot.store.records import StoredItem, Subscription
from bot.watchlists import PRIORITIES, Catalog

MAX_STORIES_PER_SECTION = 15


def _story_key(row: StoredItem) -> str:
    return row.story_id or f"item-{row.pk}"


def group_stories(rows: Sequence[StoredItem], catalog: Catalog, focus: str) -> list[ReplyItem]:
    """One reply line per story: the earliest item's headline, every outlet listed."""
    groups: dict[str, list[StoredItem]] = {}
    for row in rows:
        groups.setdefault(_story_key(row), []).append(row)
    lines = []
    for members in groups.values():
        members.sort(key=lambda r: (r.item.published or r.fetched_at, r.pk))
        lead = reply_item(members[0], catalog, focus)
        outlets = tuple(dict.fromkeys(m.item.source or "unknown source" for m in members))
        newest = max((m.item.published or m.fetched_at) for m in members)
        note = f"{len(outlets)} sources" if len(outlets) > 1 else lead.note
        lines.append(replace(lead, sources=outlets, note=note, published=newest))
    lines.sort(
        key=lambda i: (-i.priority, -(i.published or datetime.min.replace(tzinfo=UTC)).timestamp())
    )
    return lines


def build_digest(
    batch: Sequence[tuple[Subscription, Sequence[StoredItem]]],
    catalog: Catalog,
    *,
    title: str = "policywatch digest",
) -> Reply | None:
    """A digest for one channel, or None when there is nothing new."""
    ordered = sorted(
        batch,
        key=lambda pair: (
            -PRIORITIES[catalog.watchlists[pair[0].watchlist].priority]
            if pair[0].watchlist in catalog.watchlists
            else 0
        ),
    )
    seen: set[str] = set()
    sections: list[tuple[str, tuple[ReplyItem, ...]]] = []
    total = 0
    for sub, rows in ordered:
        fresh = [r for r in rows if _story_key(r) not in seen]
        seen.update(_story_key(r) for r in fresh)
        stories = group_stories(fresh, catalog, sub.watchlist)[:MAX_STORIES_PER_SECTION]
        if not stories:
            continue
        spec = catalog.watchlists.get(sub.watchlist)
        sections.append((spec.name if spec else sub.watchlist, tuple(stories)))
        total += len(stories)
    if not sections:
        return None
    return Reply(
        title=f"{title}: {total} new stor{'y' if total == 1 else 'ies'}",
        sections=tuple(sections),
        actions=(Action("Subscriptions", "subscriptions"),),
    )
