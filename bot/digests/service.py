"""Turning due subscriptions into outbox messages.

For each channel, subscriptions due at the same slot become ONE digest (one
section per watchlist). The digest and the cursor moves of its subscriptions
are written in one transaction with a dedupe key made of the channel and the
slot, so running this twice (a restart, a second replica, an operator's
``policywatch digest``) builds each digest once.

Instant subscriptions send one alert per new story, up to a burst limit per
channel and window. A larger burst, or anything held back by the limit or by
quiet hours, goes out as one folded message instead of a flood.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import channels
from bot.commands.render import group_stories
from bot.digests.build import build_digest
from bot.digests.schedule import due_slot, in_quiet_hours
from bot.replies import Action, Reply
from bot.store import Store
from bot.store.records import CursorUpdate, OutboxEntry, StoredItem, Subscription
from bot.storylines import claim_notes
from bot.watchlists import PRIORITIES, Catalog

ChannelKey = tuple[str, str, str]
MAX_ITEMS_PER_RUN = 500
URGENT_ENOUGH = PRIORITIES["high"]  # an alert this important carries the channel's mention

#: What a channel's first digest covers: what the bot stored in the last day
#: (daily) or week (weekly) before it is due, rather than nothing.
FIRST_DIGEST_WINDOW = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


async def first_digest_cursor(store: Store, sub: Subscription, due: datetime) -> int:
    """The cursor a subscription's digest due at ``due`` starts from: its own,
    or for a channel that never received a digest of it, the start of the
    first digest's window (whichever reaches further back)."""
    window = FIRST_DIGEST_WINDOW.get(sub.cadence)
    if window is None or sub.last_digest_at is not None:
        return sub.cursor_pk
    return min(sub.cursor_pk, await store.last_pk_before(due - window))


@dataclass(frozen=True)
class DigestPolicy:
    send_empty: bool = False
    burst_limit: int = 5
    burst_window: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class Built:
    """A message this run produced (queued, or only shown in a dry run)."""

    channel: ChannelKey
    kind: str
    reply: Reply
    outbox_id: int | None


def digest_title(subs: Sequence[Subscription], slot: datetime) -> str:
    """ "Daily digest, Tue 8 Dec": the day in the channel's own zone, which also
    tells two digests of one channel apart."""
    sub = subs[0]
    local = slot.astimezone(ZoneInfo("UTC" if sub.tz.upper() == "UTC" else sub.tz))
    cadence = "Weekly" if all(s.cadence == "weekly" for s in subs) else "Daily"
    return f"{cadence} digest, {local:%a} {local.day} {local:%b}"


class DigestService:
    def __init__(
        self, store: Store, catalog: Callable[[], Catalog], policy: DigestPolicy | None = None
    ) -> None:
        self.store = store
        self.catalog = catalog  # a callable: admin edits replace the catalog at run time
        self.policy = policy or DigestPolicy()

    async def run_due(
        self, now: datetime, *, channel: str | None = None, dry_run: bool = False
    ) -> list[Built]:
        subs = [
            s
            for s in await self.store.all_subscriptions()
            if channel is None or s.channel == channel
        ]
        paused = [s for s in subs if s.paused(now)]
        if paused and not dry_run:
            await self._skip_paused(paused, now)
        by_channel: dict[ChannelKey, list[Subscription]] = defaultdict(list)
        for sub in (s for s in subs if not s.paused(now)):
            by_channel[sub.channel_key].append(sub)
        built: list[Built] = []
        for key, channel_subs in by_channel.items():
            built += await self._digests(
                key, [s for s in channel_subs if s.cadence != "instant"], now, dry_run
            )
            built += await self._alerts(
                key, [s for s in channel_subs if s.cadence == "instant"], now, dry_run
            )
        return built

    async def _skip_paused(self, paused: Sequence[Subscription], now: datetime) -> None:
        """Move paused subscriptions past what came in, slot by slot, so a pause
        skips those items instead of saving them up for the day it ends.

        A skipped slot counts as a digest the channel had (``delivered``): the
        first-digest window (:func:`first_digest_cursor`) reaches back only for
        a channel that never had one, and must not bring back what a pause skipped."""
        newest = await self.store.max_item_pk()
        updates = []
        for sub in paused:
            slot = due_slot(sub, now)
            if slot is not None and (sub.cadence != "instant" or newest > sub.cursor_pk):
                updates.append(CursorUpdate(sub.id or 0, newest, slot, True))
        if updates:
            await self.store.enqueue([], updates)

    async def _fresh(
        self, sub: Subscription, due: datetime | None = None
    ) -> tuple[list[StoredItem], int]:
        """New items for a subscription, without the stories its channel muted
        or its filters leave out, and the key the cursor may move to (past
        those items too). ``due``: the digest slot, which places a first
        digest's window."""
        catalog = self.catalog()
        if sub.watchlist not in catalog.watchlists:
            return [], sub.cursor_pk
        start = await first_digest_cursor(self.store, sub, due) if due else sub.cursor_pk
        rows = await self.store.new_matches(sub.watchlist, start, MAX_ITEMS_PER_RUN)
        last = max((r.pk for r in rows), default=sub.cursor_pk)
        muted = await self.store.muted_stories(sub.channel_key)
        kept = [r for r in rows if r.story_id not in muted] if muted else rows
        return channels.apply_filters(kept, sub, catalog)[0], last

    async def _digests(
        self, key: ChannelKey, subs: Sequence[Subscription], now: datetime, dry_run: bool
    ) -> list[Built]:
        by_slot: dict[datetime, list[Subscription]] = defaultdict(list)
        for sub in subs:
            slot = due_slot(sub, now)
            if slot is not None:
                by_slot[slot].append(sub)
        out: list[Built] = []
        for slot, due in sorted(by_slot.items()):
            fresh = {sub.id: await self._fresh(sub, slot) for sub in due}
            batch = [(sub, fresh[sub.id][0]) for sub in due]
            reply = await self.build(batch, title=digest_title(due, slot))
            if reply is not None:
                footer = channels.with_footer(reply.footer, channels.filter_footer(due))
                reply = replace(reply, footer=footer)
            if reply is None and self.policy.send_empty:
                reply = Reply(
                    title="policywatch digest: nothing new",
                    lines=("No new items since the last digest.",),
                )
            updates = [
                CursorUpdate(sub.id or 0, fresh[sub.id][1], slot, reply is not None) for sub in due
            ]
            if dry_run:
                if reply is not None:
                    out.append(Built(key, "digest", reply, None))
                continue
            entries = (
                [_entry(f"digest:{_key_text(key)}:{slot.isoformat()}", "digest", key, reply)]
                if reply
                else []
            )
            ids = await self.store.enqueue(entries, updates)
            if reply is not None:
                out.append(Built(key, "digest", reply, ids[0] if ids else None))
        return out

    async def build(
        self,
        batch: Sequence[tuple[Subscription, Sequence[StoredItem]]],
        *,
        title: str = "policywatch digest",
        lines: Sequence[str] = (),
    ) -> Reply | None:
        """A digest of ``batch`` with claims and their answers threaded, as ``company`` shows them."""
        catalog = self.catalog()
        stories = {row.story_id for _, rows in batch for row in rows if row.story_id}
        notes = await claim_notes(self.store, catalog, stories)
        return build_digest(batch, catalog, title=title, notes=notes, lines=lines)

    async def _alerts(
        self, key: ChannelKey, subs: Sequence[Subscription], now: datetime, dry_run: bool
    ) -> list[Built]:
        catalog = self.catalog()
        awake = [sub for sub in subs if not in_quiet_hours(sub, now) and not sub.disabled_reason]
        fresh = {sub.id: await self._fresh(sub) for sub in awake}
        moved = [sub for sub in awake if fresh[sub.id][1] > sub.cursor_pk]
        waiting = [(sub, fresh[sub.id][0]) for sub in moved if fresh[sub.id][0]]
        if not waiting:
            if moved and not dry_run:  # only muted stories came in: move past them quietly
                await self.store.enqueue(
                    [], [CursorUpdate(s.id or 0, fresh[s.id][1], now, False) for s in moved]
                )
            return []
        stories: list[tuple[str, Reply]] = []  # (story key, one-story alert)
        seen: set[str] = set()
        for sub, rows in waiting:
            for story in group_stories(rows, catalog, sub.watchlist):
                story_key = story.story_id or story.url or story.title
                if story_key not in seen:
                    seen.add(story_key)
                    title = (
                        f"Alert · {catalog.watchlists[sub.watchlist].name}"
                        if sub.watchlist in catalog.watchlists
                        else "Alert"
                    )
                    mute = (
                        (Action("Mute this story", f"mute {story.story_id}"),)
                        if story.story_id
                        else ()
                    )
                    footer = channels.filter_footer([sub])
                    stories.append(
                        (story_key, Reply(title=title, items=(story,), actions=mute, footer=footer))
                    )
        mention = await self.store.channel_mention(key)
        if mention:  # pings are for high-priority alerts only, never for the rest
            stories = [
                (k, replace(r, mention=mention) if r.items[0].priority >= URGENT_ENOUGH else r)
                for k, r in stories
            ]
        used = await self.store.alerts_since(*key, now - self.policy.burst_window)
        budget = self.policy.burst_limit - used
        if budget <= 0:
            return []  # held: folded into one message once the window frees up
        updates = [CursorUpdate(sub.id or 0, fresh[sub.id][1], now, True) for sub in moved]
        last_pk = max(u.cursor_pk for u in updates)
        if len(stories) <= budget:
            messages = [
                (f"alert:{_key_text(key)}:{story_key}", "alert", reply)
                for story_key, reply in stories
            ]
        else:
            folded = await self.build(waiting, title="policywatch burst")
            assert folded is not None
            filtered = channels.filter_footer(sub for sub, _ in waiting)
            folded = replace(folded, footer=channels.with_footer(folded.footer, filtered))
            messages = [(f"burst:{_key_text(key)}:{last_pk}", "digest", folded)]
        if dry_run:
            return [Built(key, kind, reply, None) for _, kind, reply in messages]
        entries = [_entry(dedupe, kind, key, reply) for dedupe, kind, reply in messages]
        ids = await self.store.enqueue(entries, updates)
        return [Built(key, kind, reply, None) for _, kind, reply in messages][
            : len(ids) or len(messages)
        ]


def _key_text(key: ChannelKey) -> str:
    return "/".join(key)


def _entry(dedupe: str, kind: str, key: ChannelKey, reply: Reply) -> OutboxEntry:
    platform, workspace, channel = key
    return OutboxEntry(
        dedupe_key=dedupe[:500],
        kind=kind,
        platform=platform,
        workspace=workspace,
        channel=channel,
        payload=reply.to_json(),
    )
