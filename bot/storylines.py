"""Stories as users see them: claims marked with their answers ("denied by
Ford, 31 Jan") and follow-ups ("+2 follow-ups"), and the ``story ID`` thread in
time order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.replies import Action, Reply, ReplyItem, ReplyKind, event_label
from bot.store import Store, StoredItem
from bot.store.records import StoryRecord
from bot.text import fold
from bot.watchlists import Catalog

# Answers that are one exchange with their claim: shown on the claim's line.
FOLDED = ("denial", "deal_confirmed")
VERBS = {
    "denial": "denied",
    "deal_confirmed": "confirmed",
    "letter": "letter",
    "hearing": "hearing",
}


def _subject(row: StoredItem, catalog: Catalog) -> str | None:
    """The company a title opens with ("Ford tells China panel …", "CATL:
    …"): who speaks or acts. None when it opens with anyone else ("Lawmakers
    press Ford …"), so a letter *to* Ford is never called one from Ford."""
    title = fold(row.item.title)[0]
    for company in row.companies:
        spec = catalog.companies.get(company)
        if spec is None:
            continue
        for alias in (*spec.aliases, *spec.weak_aliases):
            name = fold(alias)[0]
            if name and title.startswith(name) and not title[len(name) : len(name) + 1].isalnum():
                return company
    return None


def _short_name(catalog: Catalog, company: str | None) -> str | None:
    spec = catalog.companies.get(company) if company else None
    return spec.short_name if spec else None


def _named(rows: list[StoredItem], prefer: set[str]) -> str | None:
    """One of the claim's companies the answer names, else the first it names."""
    companies = [c for row in rows for c in row.companies]
    return next((c for c in companies if c in prefer), companies[0] if companies else None)


@dataclass(frozen=True)
class ClaimNotes:
    """``notes``: claim story id -> "denied by Ford, 31 Jan; +2 follow-ups".
    ``answered_by``: denial or confirmation story id -> the claim it answers,
    so a reply can fold it into the claim's line ("denied by Ford") instead of
    listing one exchange as two unrelated lines. Letters, hearings and
    follow-ups are events of their own: they keep their lines and are only
    noted on the story they concern, so a wrong link never hides news.
    ``follow_ups``: story id -> how many linked stories are follow-ups (later
    events about it, not answers)."""

    notes: dict[str, str] = field(default_factory=dict)
    answered_by: dict[str, str] = field(default_factory=dict)
    follow_ups: dict[str, int] = field(default_factory=dict)


async def claim_notes(store: Store, catalog: Catalog, story_ids: Iterable[str]) -> ClaimNotes:
    """For each story that was answered or followed up, a short note: each
    answer named ("denied by Ford, 31 Jan"), follow-ups counted ("+2
    follow-ups": a reaction, a filing, a final rule; ``story ID`` lists them)."""
    ids = sorted(set(story_ids))
    answers = await store.answering(ids)
    if not answers:
        return ClaimNotes()
    answer_items = await store.story_items([a.id for a in answers])
    claim_items = await store.story_items(sorted({a.answers for a in answers if a.answers}))
    notes: dict[str, list[str]] = {}
    follow_ups: dict[str, int] = {}
    for answer in answers:
        if answer.answers is None:
            continue
        if answer.event_type not in VERBS:
            follow_ups[answer.answers] = follow_ups.get(answer.answers, 0) + 1
            continue
        claim_companies = {
            c for row in claim_items if row.story_id == answer.answers for c in row.companies
        }
        members = sorted(
            (row for row in answer_items if row.story_id == answer.id),
            key=lambda r: (r.item.published or r.fetched_at, r.pk),
        )
        # Who answered: the company its first report opens with; a denial or
        # confirmation that opens otherwise is named by the companies it names.
        subject = _subject(members[0], catalog) if members else None
        verb = VERBS[answer.event_type]
        if answer.event_type in ("letter", "hearing"):
            # A letter is from the company that opens its title, or unnamed.
            sender = _short_name(catalog, subject)
            text = f"{verb} from {sender}" if sender and answer.event_type == "letter" else verb
        else:
            who = _short_name(catalog, subject or _named(members, claim_companies))
            text = f"{verb} by {who}" if who else verb
        notes.setdefault(answer.answers, []).append(f"{text}, {answer.first_seen:%-d %b}")
    for claim, count in follow_ups.items():
        notes.setdefault(claim, []).append(f"+{count} follow-up{'' if count == 1 else 's'}")
    return ClaimNotes(
        notes={claim: "; ".join(parts) for claim, parts in notes.items()},
        answered_by={a.id: a.answers for a in answers if a.answers and a.event_type in FOLDED},
        follow_ups=follow_ups,
    )


def _picked_for(rows: list[StoredItem], catalog: Catalog) -> str | None:
    """Why the thread reached a channel's digest, shown when a reader opens it:
    the watchlists the first report matched and on what ("CATL licensing:
    matched "CATL" in title")."""
    if not rows:
        return None
    first = min(rows, key=lambda r: (r.item.published or r.fetched_at, r.pk))
    reasons = [
        f"{catalog.watchlists[key].name}: {why}"
        for key, why in first.why.items()
        if why and key in catalog.watchlists
    ]
    return "Picked for " + "; ".join(reasons) + "." if reasons else None


async def thread_reply(store: Store, catalog: Catalog, story_id: str) -> Reply:
    """The claim, its answers and follow-ups, every item in time order."""
    story = await store.story(story_id)
    if story is None:
        return Reply(
            title=f"No story '{story_id}'",
            lines=("Story ids appear in replies, e.g. `story s7k2m9q4xd1`.",),
            kind=ReplyKind.ERROR,
            ephemeral=True,
        )
    root = story
    climbed = {root.id}
    while root.answers and root.answers not in climbed:  # climb to the original claim
        parent = await store.story(root.answers)
        if parent is None:
            break
        climbed.add(parent.id)
        root = parent
    seen = {root.id}
    thread: list[StoryRecord] = [root]
    frontier = [root.id]
    while frontier:  # answers, and answers to answers
        found = [s for s in await store.answering(frontier) if s.id not in seen]
        seen.update(s.id for s in found)
        thread += found
        frontier = [s.id for s in found]
    rows = await store.story_items([s.id for s in thread])
    by_story = {s.id: s for s in thread}
    items = []
    for row in sorted(rows, key=lambda r: (r.item.published or r.fetched_at, r.pk)):
        record = by_story[row.story_id or ""]
        kind = (event_label(row.event_type or record.event_type) or "").lower()
        if record.id == root.id:
            # A report others answer is a claim; a letter or a rule is what it is.
            claim = record.event_type in ("deal_report", "other")
            role = "claim" if claim else kind or "story"
        elif record.event_type in VERBS:
            role = kind
        else:
            role = f"follow-up ({kind})" if kind else "follow-up"
        items.append(
            ReplyItem(
                title=row.item.title,
                url=row.item.url,
                source=row.item.source,
                published=row.item.published or row.fetched_at,
                why=row.event_reason or "",
                story_id=record.id,
                note=role,  # the kind of event, in words: no second label beside it
            )
        )
    lines = [
        f"{len(thread)} linked stor{'y' if len(thread) == 1 else 'ies'}, {len(rows)} items, oldest first."
    ]
    picked = _picked_for(rows, catalog)
    if picked:
        lines.append(picked)
    related = sorted({r for s in thread for r in s.related} - seen)
    if related:
        lines.append(
            "Possibly related, not merged: " + ", ".join(f"`story {r}`" for r in related[:5])
        )
    return Reply(
        title=f"Story {root.id}: {root.headline}",
        lines=tuple(lines),
        items=tuple(items),
        actions=(Action("Mute this story", f"mute {story.id}"),),
    )
