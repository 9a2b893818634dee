"""What a digest says: per-watchlist sections, one line per story (with every
outlet carrying it), the few most important stories marked, and a story shown
once even when it matched several watchlists.

Every story is kept: the subscription's cursor moves past everything a digest
was built from, so a story left out here would never reach the channel. How a
long digest is split into messages is the adapters' business (their limits).

A claim and its answer in the same digest are one line: the answer is folded
into the claim, which carries the note ``company`` shows ("denied by Ford,
31 Jan"). Reasons meant for debugging (which phrase matched, why an event type
was chosen) stay out; ``story ID`` (a button on Slack) shows them on request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from statistics import median

from bot.commands.render import group_stories, story_key
from bot.replies import Action, Reply, ReplyItem
from bot.store.records import StoredItem, Subscription
from bot.storylines import ClaimNotes
from bot.watchlists import PRIORITIES, Catalog

#: At most this many stories per digest are marked as the ones to read first.
MAX_HIGHLIGHTS = 3
#: Event types that are news in themselves (a decision, an answer, a rule).
_WEIGHTY_EVENTS = frozenset(
    {"denial", "deal_confirmed", "tariff_action", "tax_guidance", "rule", "bill", "hearing"}
)


def importance(item: ReplyItem) -> int:
    """How much a story deserves a reader's attention, for choosing the few to
    mark: the watchlist's priority, how many outlets carry it, whether it is a
    decision or an answer rather than a report."""
    outlets = len(set(item.sources) | {item.source or ""})
    return (
        item.priority
        + min(outlets, 4)
        - 1
        + (1 if item.event_type in _WEIGHTY_EVENTS else 0)
        + (1 if item.note else 0)
    )


def _highlighted(items: Sequence[ReplyItem]) -> set[int]:
    """Indexes of the stories to mark: the most important few, and only those
    that stand out (above the digest's median), so that a mark means something."""
    if not items:
        return set()
    scores = [importance(item) for item in items]
    bar = median(scores)
    ranked = sorted(range(len(items)), key=lambda i: -scores[i])
    return {i for i in ranked[:MAX_HIGHLIGHTS] if scores[i] > bar}


def build_digest(
    batch: Sequence[tuple[Subscription, Sequence[StoredItem]]],
    catalog: Catalog,
    *,
    title: str = "policywatch digest",
    notes: ClaimNotes | None = None,
    lines: Sequence[str] = (),
) -> Reply | None:
    """A digest for one channel, or None when there is nothing new. ``notes``
    (from :func:`bot.storylines.claim_notes`) thread answers into their claims;
    ``lines`` go under the title, before the summary of sections."""
    notes = notes or ClaimNotes()
    ordered = sorted(
        batch,
        key=lambda pair: (
            -PRIORITIES[catalog.watchlists[pair[0].watchlist].priority]
            if pair[0].watchlist in catalog.watchlists
            else 0
        ),
    )
    present = {r.story_id for _, rows in batch for r in rows if r.story_id}
    seen: set[str] = set()
    grouped: list[tuple[str, list[ReplyItem]]] = []
    for sub, rows in ordered:
        fresh = [
            r
            for r in rows
            if story_key(r) not in seen and notes.answered_by.get(r.story_id or "") not in present
        ]
        seen.update(story_key(r) for r in fresh)
        stories = group_stories(fresh, catalog, sub.watchlist, notes=notes.notes)
        if stories:
            spec = catalog.watchlists.get(sub.watchlist)
            grouped.append((spec.name if spec else sub.watchlist, stories))
    if not grouped:
        return None
    everything = [item for _, stories in grouped for item in stories]
    marked = _highlighted(everything)
    sections: list[tuple[str, tuple[ReplyItem, ...]]] = []
    position = 0
    for name, stories in grouped:
        shown = [
            replace(item, why="", highlight=position + n in marked)
            for n, item in enumerate(stories)
        ]
        position += len(stories)
        # The marked first, most important first; the rest keep their order (sort is stable).
        shown.sort(key=lambda item: -importance(item) if item.highlight else 1)
        sections.append((name, tuple(shown)))
    total = len(everything)
    summary = ", ".join(f"{len(items)} in {name}" for name, items in sections)
    return Reply(
        title=f"{title}: {total} new stor{'y' if total == 1 else 'ies'}",
        lines=(*lines, summary) if len(sections) > 1 else tuple(lines),
        sections=tuple(sections),
        actions=(Action("Subscriptions", "subscriptions"),),
    )
