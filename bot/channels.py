"""What a channel decides about its own digests: pauses and per-channel filters.

Both are columns of a subscription, so every replica and every digest path
(scheduled digests, instant alerts, previews, test sends) reads the same
decision from the store. A filter is a plain predicate on a stored item, so a
digest, an alert and the "would this drop everything?" check use one rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.store.records import StoredItem, Subscription
from bot.text import fold_phrase
from bot.watchlists import PRIORITIES, Catalog

PRIORITY_NAMES = {level: name for name, level in PRIORITIES.items()}


def has_filters(sub: Subscription) -> bool:
    return bool(sub.min_priority or sub.only_term or sub.without_term)


def item_priority(row: StoredItem, catalog: Catalog) -> int:
    """The highest priority of the watchlists an item matched, as digests rank it."""
    return max(
        (
            PRIORITIES[catalog.watchlists[w].priority]
            for w in row.watchlists
            if w in catalog.watchlists
        ),
        default=0,
    )


def mentions(row: StoredItem, term: str) -> bool:
    """Whether an item's title or summary has ``term`` as whole words, folded
    and with the endings a watchlist phrase may carry (plurals, possessives),
    as the matcher reads phrases: "tariff" finds "tariffs" and "China's"."""
    text = fold_phrase(row.item.title + " \n " + row.item.summary)
    pattern = r"(?<![a-z0-9])" + re.escape(fold_phrase(term)) + r"(?:s|es|'s|s')?(?![a-z0-9])"
    return re.search(pattern, text) is not None


def passes(row: StoredItem, sub: Subscription, catalog: Catalog) -> bool:
    """Whether a channel's filters let an item through."""
    if sub.min_priority and item_priority(row, catalog) < sub.min_priority:
        return False
    if sub.only_term and not mentions(row, sub.only_term):
        return False
    return not (sub.without_term and mentions(row, sub.without_term))


def apply_filters(
    rows: Sequence[StoredItem], sub: Subscription, catalog: Catalog
) -> tuple[list[StoredItem], int]:
    """The rows a subscription's filters keep, and how many they left out."""
    if not has_filters(sub):
        return list(rows), 0
    kept = [r for r in rows if passes(r, sub, catalog)]
    return kept, len(rows) - len(kept)


def describe_filters(sub: Subscription) -> str:
    """``min high, only 'battery', without 'charging'``; empty when there are none."""
    parts = []
    if sub.min_priority:
        parts.append(f"min {PRIORITY_NAMES.get(sub.min_priority, sub.min_priority)}")
    if sub.only_term:
        parts.append(f"only '{sub.only_term}'")
    if sub.without_term:
        parts.append(f"without '{sub.without_term}'")
    return ", ".join(parts)


def filter_footer(subs: Iterable[Subscription]) -> str | None:
    """The footer line that tells a channel its filters shaped this message."""
    described = [f"{s.watchlist} {describe_filters(s)}" for s in subs if has_filters(s)]
    if not described:
        return None
    return "Filtered in this channel: " + "; ".join(described) + " (see `filters`)"


def describe_pause(sub: Subscription, now: datetime) -> str | None:
    """``PAUSED until 2026-12-02 09:00 UTC`` while a pause is in force, else None."""
    if not sub.paused(now):
        return None
    if sub.paused_until is None:
        return f"PAUSED (resume with `resume {sub.watchlist}`)"
    return f"PAUSED until {sub.paused_until:%Y-%m-%d %H:%M} UTC"


def with_footer(existing: str | None, extra: str | None) -> str | None:
    """Join footer parts with "; " (" · " is reserved for the adapters' page marks)."""
    return "; ".join(p for p in (existing, extra) if p) or None
