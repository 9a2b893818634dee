"""What a digest says: per-watchlist sections, one line per story (with the
other outlets carrying it), highest priority and newest first, and a story
shown once even when it matched several watchlists. A section shows at most
``MAX_STORIES_PER_SECTION`` stories; the footer says how many more there are
and which command lists them, since the subscription's cursor moves past them."""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands.render import group_stories, story_key
from bot.replies import Action, Reply, ReplyItem
from bot.store.records import StoredItem, Subscription
from bot.watchlists import PRIORITIES, Catalog

MAX_STORIES_PER_SECTION = 15
# The `topic WATCHLIST Nd` window that covers one digest's stories.
_DAYS_PER_DIGEST = {"instant": 1, "daily": 1, "weekly": 7}


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
    unshown: list[str] = []
    total = 0
    for sub, rows in ordered:
        fresh = [r for r in rows if story_key(r) not in seen]
        seen.update(story_key(r) for r in fresh)
        stories = group_stories(fresh, catalog, sub.watchlist)
        if not stories:
            continue
        spec = catalog.watchlists.get(sub.watchlist)
        name = spec.name if spec else sub.watchlist
        shown = stories[:MAX_STORIES_PER_SECTION]
        sections.append((name, tuple(shown)))
        total += len(stories)
        if len(stories) > len(shown):
            days = _DAYS_PER_DIGEST.get(sub.cadence, 1)
            unshown.append(
                f"{len(stories) - len(shown)} more in {name}: `topic {sub.watchlist} {days}d`"
            )
    if not sections:
        return None
    return Reply(
        title=f"{title}: {total} new stor{'y' if total == 1 else 'ies'}",
        sections=tuple(sections),
        actions=(Action("Subscriptions", "subscriptions"),),
        footer="; ".join(unshown) or None,  # " · " separates the adapters' page marks
    )
