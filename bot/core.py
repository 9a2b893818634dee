"""The facade adapters talk to: one object that owns the store, the watchlist
registry and the matcher, and turns chat text into a :class:`Reply`."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from bot import channels
from bot.caller import Caller
from bot.commands.handlers import REMATCH_LIMIT, execute
from bot.config import Settings
from bot.digests.schedule import next_slot
from bot.digests.service import (
    MAX_ITEMS_PER_RUN,
    Built,
    DigestPolicy,
    DigestService,
    first_digest_cursor,
)
from bot.digests.trial import queue_test_digest
from bot.models import Item
from bot.ops import METRICS
from bot.registry import Registry
from bot.replies import Reply, ReplyKind
from bot.sources import (
    FetchReport,
    Ingestor,
    SourceConfig,
    SourceConfigError,
    SourceState,
    disabled_reason,
    load_sources,
    mask_url,
)
from bot.sources.config import source_config
from bot.store import Store, open_store
from bot.store.records import AuditEntry, Ingested, StoredItem, StoryRecord
from bot.stories import StoryIndex, index_for
from bot.storylines import thread_reply
from bot.text import title_key
from bot.watchlists import WatchlistEdit, load_catalog, shipped_watchlists_dir

log = logging.getLogger("policywatch.core")
STORY_REBUILD_LIMIT = 50_000
HANDLED_EVENTS_KEPT = timedelta(hours=1)  # Slack stops retrying an event within minutes


@dataclass(frozen=True)
class IngestResult:
    new: int
    duplicates: int


def wall_clock() -> datetime:
    return datetime.now(UTC)


_ID_LETTERS = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base 32: no i, l, o, u


def new_story_id() -> str:
    """A random story id such as ``s7k2m9q4xd1``: 50 bits, because a repeated id
    would silently merge two stories (8 hex digits would repeat about five
    times in the first 200,000 stories), in characters that read back
    unambiguously from a chat message."""
    bits = secrets.randbits(50)
    return "s" + "".join(_ID_LETTERS[(bits >> shift) & 31] for shift in range(45, -1, -5))


def sample_items() -> list[Item]:
    """The bundled sample corpus (bot/sample/items.jsonl)."""
    text = resources.files("bot").joinpath("sample/items.jsonl").read_text(encoding="utf-8")
    return [Item.from_json(json.loads(line)) for line in text.splitlines() if line.strip()]


class PolicyWatch:
    #: What "now" is for ingestion, new subscriptions, day windows and digest
    #: runs. Tests that pretend it is a given day set it, so that they do not
    #: start failing once the wall clock passes that day.
    clock: Callable[[], datetime] = staticmethod(wall_clock)

    def __init__(self, settings: Settings, store: Store, registry: Registry) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry
        self.stories = self._new_index()
        self._index_pk = 0  # the newest stored item the story index has taken in
        self._own_keys: set[int] = set()  # what this process stored since then
        # Set by the running bot's jobs: asks the outbox sender to run now
        # rather than at its next tick (a test digest should show at once).
        self.outbox_waiting: Callable[[], None] | None = None
        self.digests = DigestService(
            store,
            lambda: self.registry.catalog,
            DigestPolicy(send_empty=settings.send_empty_digests),
        )

    @classmethod
    async def open(cls, settings: Settings) -> PolicyWatch:
        """Open (and migrate) the store, load watchlists and replay admin edits."""
        folder = settings.watchlists_dir or shipped_watchlists_dir()
        base = load_catalog(folder)
        store = await open_store(settings.database_url)
        registry = Registry(base, await store.edits())
        core = cls(settings, store, registry)
        await core._load_stories()
        return core

    async def close(self) -> None:
        await self.store.close()

    # ------------------------------------------------------------ chat

    def is_admin(self, caller: Caller) -> bool:
        return caller.platform_admin or caller.user in self.settings.admins

    async def handle(self, caller: Caller, text: str) -> Reply:
        """Run one chat command; never raises for bad input, only returns an error reply."""
        METRICS.inc("policywatch_commands_total")
        try:
            await self.sync_watchlists()
            return await execute(self, caller, text)
        except Exception:
            log.exception("command failed: %r", text[:200])
            return Reply(
                title="Something went wrong on our side; the error was logged.",
                kind=ReplyKind.ERROR,
                ephemeral=True,
            )

    def complete(self, field: str, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        return self.registry.completions(field, prefix, limit)

    # ------------------------------------------------------------ items

    async def ingest(self, items: Iterable[Item]) -> IngestResult:
        """Match, type, group and store items. Duplicates (same id, URL, or
        headline from the same source) are skipped before they can touch a story.
        Items are taken oldest first, so a claim is seen before its answers."""
        batch = list(items)
        await self.sync_watchlists()
        await self._catch_up()
        fresh = _unique(await self.store.unseen(batch))
        now = self.clock()
        fresh.sort(key=lambda item: item.published or now)
        matcher = self.registry.matcher
        rows: list[Ingested] = []
        touched: dict[str, StoryRecord] = {}
        for item in fresh:
            match = matcher.match(item)
            event = match.event
            placed = self.stories.assign(
                item, match.companies, match.watchlists, event, seen_at=now, concepts=match.concepts
            )
            rows.append(Ingested(item, match, placed.story_id, event.event_type, event.reason))
            touched[placed.story_id] = _story_record(
                self.stories, placed.story_id, placed.also_related
            )
        keys = await self.store.add_items(rows, list(touched.values()))
        self._own_keys.update(keys)
        METRICS.inc("policywatch_items_ingested_total", len(keys))
        METRICS.inc(
            "policywatch_matches_total",
            sum(len(r.match.watchlists) + len(r.match.companies) for r in rows),
        )
        self.stories.forget_before(now - self.stories.answer_window)
        return IngestResult(new=len(keys), duplicates=len(batch) - len(keys))

    async def _load_stories(self) -> None:
        """Rebuild the in-memory story index from recent stored items, a page at
        a time: holding all of them at once made this start-up's peak."""
        self.stories = self._new_index()
        newest = await self.store.max_item_pk()  # first: what is stored later is caught up
        since = self.clock() - self.stories.answer_window
        async for rows in self.store.recent_item_pages(since, STORY_REBUILD_LIMIT):
            await self._replay([row for row in rows if row.pk <= newest])
        self._index_pk, self._own_keys = newest, set()

    def _new_index(self) -> StoryIndex:
        """An empty story index that knows the catalog's topic words."""
        return index_for(self.registry.catalog, new_story_id)

    async def _catch_up(self) -> None:
        """Take into the story index what other processes stored since it last
        looked: the replica that led before this one, or an operator's
        `policywatch ingest`. Otherwise this index would not know their stories,
        and the next report of the same event would start a second one."""
        newest = await self.store.max_item_pk()
        gap = newest - self._index_pk
        if gap > len(self._own_keys):  # not all of it was ours
            if gap > STORY_REBUILD_LIMIT:
                await self._load_stories()
                return
            rows = await self.store.items_since(self._index_pk, gap)
            theirs = [row for row in rows if row.pk <= newest and row.pk not in self._own_keys]
            theirs.sort(key=lambda row: (row.item.published or row.fetched_at, row.pk))
            await self._replay(theirs)
        self._index_pk, self._own_keys = newest, set()

    async def _replay(self, rows: list[StoredItem]) -> None:
        """Put stored items back into their stories, in publication order."""
        ids = list(dict.fromkeys(row.story_id for row in rows if row.story_id))
        records = {record.id: record for record in await self.store.stories(ids)}
        matcher = self.registry.matcher  # concepts are not stored: find them again
        for row in rows:
            if not row.story_id:
                continue
            record = records.get(row.story_id)
            self.stories.add_existing(
                row.story_id,
                row.item,
                row.companies,
                row.watchlists,
                row.event_type or "other",
                row.fetched_at,
                answers=record.answers if record else None,
                concepts=matcher.match(row.item).concepts,
            )

    async def load_sample(self) -> int:
        return (await self.ingest(sample_items())).new

    async def apply_edit(self, edit: WatchlistEdit, entry: AuditEntry) -> None:
        """Record an admin edit, rebuild the registry, and re-match recent items
        so the change shows in answers at once."""
        await self.store.add_edit(edit, entry)
        await self.sync_watchlists()
        newest = await self.store.max_item_pk()  # keys can have gaps: count from the newest
        recent = await self.store.items_since(max(0, newest - REMATCH_LIMIT), REMATCH_LIMIT)
        matcher = self.registry.matcher
        await self.store.replace_matches([(row.pk, matcher.match(row.item)) for row in recent])

    async def first_handling(self, key: str) -> bool:
        """Whether this is the first time any replica handles the platform event
        ``key``: Slack re-sends an event it thinks was lost, perhaps to another
        replica behind the load balancer, and it must be answered once."""
        return await self.store.first_handling(key, self.clock(), HANDLED_EVENTS_KEPT)

    async def sync_watchlists(self) -> None:
        """Apply the admin edits another replica recorded since this one last
        looked (one count query when there are none), so that every replica
        matches, answers and builds digests with the same watchlists."""
        if await self.store.edit_count() != self.registry.edit_count:
            self.registry.rebuild(await self.store.edits())

    # ------------------------------------------------------------ digests

    async def preview_digest(self, caller: Caller) -> Reply:
        """What this channel's next digest would say if it were sent now, and
        when it is due; a channel that never had one sees its first digest."""
        subs = await self.store.channel_subscriptions(
            caller.platform, caller.workspace, caller.channel
        )
        now = self.clock()
        active = [s for s in subs if s.disabled_reason is None and not s.paused(now)]
        if not active:
            paused = " (the rest are paused: see `subscriptions`)" if subs else ""
            return Reply(
                title=f"This channel has no active subscriptions{paused}",
                lines=("Try `subscribe ev-tariffs`.",),
            )
        now = self.clock()
        scheduled = [s for s in active if s.cadence != "instant"]
        soonest = min(scheduled, key=lambda s: next_slot(s, now), default=None)
        first = any(s.last_digest_at is None for s in scheduled)
        when = (
            f"{'First' if first else 'Next'} digest due "
            f"{_moment(next_slot(soonest, now), soonest.tz)}."
            if soonest
            else "Instant alerts only: stories are posted as they come in."
        )
        catalog = self.registry.catalog
        batch = [
            (
                sub,
                channels.apply_filters(
                    await self.store.new_matches(
                        sub.watchlist,
                        await first_digest_cursor(self.store, sub, next_slot(sub, now))
                        if sub.cadence != "instant"
                        else sub.cursor_pk,
                        MAX_ITEMS_PER_RUN,
                    ),
                    sub,
                    catalog,
                )[0],
            )
            for sub in active
        ]
        title = "Preview of the first digest" if first else "Preview of the next digest"
        reply = await self.digests.build(batch, title=title, lines=(when,))
        if reply is None:
            nothing = "Nothing stored yet for it" if first else "Nothing new since the last digest"
            return Reply(title=f"{nothing}. {when}")
        return replace(
            reply, footer=channels.with_footer(reply.footer, channels.filter_footer(active))
        )

    async def send_test_digest(self, caller: Caller) -> tuple[Reply, bool]:
        """Queue a marked sample digest for the caller's channel (see
        :mod:`bot.digests.trial`) and wake the sender; (the digest, queued?)."""
        now = self.clock()
        subs = await self.store.channel_subscriptions(*caller.channel_key)
        active = [s for s in subs if s.disabled_reason is None and not s.paused(now)]
        reply, queued = await queue_test_digest(
            self.store, self.registry.catalog, caller.channel_key, active, now
        )
        if queued and self.outbox_waiting is not None:
            self.outbox_waiting()
        return reply, queued

    async def run_digests(
        self, now: datetime | None = None, *, channel: str | None = None, dry_run: bool = False
    ) -> list[Built]:
        await self.sync_watchlists()
        return await self.digests.run_due(now or self.clock(), channel=channel, dry_run=dry_run)

    # ------------------------------------------------------------ sources

    def sources(self) -> list[SourceConfig]:
        """The sources file's sources (shipped, or the operator's)."""
        return load_sources(self.settings.sources_file)

    async def chat_source_names(self) -> list[str]:
        """Names of the sources added in chat (Discord autocompletes them)."""
        return [s.id for s in await self.store.chat_sources()]

    async def all_sources(self) -> list[SourceConfig]:
        """What the ingest tick fetches: the file's sources and those added in chat."""
        return self.sources() + [source_config(s) for s in await self.store.chat_sources()]

    def ingestor(self) -> Ingestor:
        return Ingestor(self.settings, self.store, congress_api_key=self.settings.congress_api_key)

    async def fetch_and_store(
        self, sources: list[SourceConfig], *, only_due: bool
    ) -> list[tuple[FetchReport, IngestResult]]:
        """Fetch sources, then match and store what they returned; one bad source never stops the others."""
        async with self.ingestor() as ingestor:
            reports = await ingestor.fetch_all(sources, only_due=only_due)
        METRICS.inc(
            "policywatch_fetch_errors_total", sum(1 for r in reports if r.status == "error")
        )
        return [(report, await self.ingest(report.items)) for report in reports]

    async def sources_reply(self) -> Reply:
        try:
            configured = self.sources()
        except SourceConfigError as exc:
            return Reply(
                title="The sources file has a problem", lines=(str(exc),), kind=ReplyKind.ERROR
            )
        states = {s.source_id: s for s in await self.store.all_states()}
        key = self.settings.congress_api_key
        lines = [describe_source(s, states.get(s.id), disabled_reason(s, key)) for s in configured]
        chat = await self.store.chat_sources()
        if chat:
            lines += ["", "Added in chat:"]
            lines += [
                describe_source(
                    source_config(s),
                    states.get(s.id),
                    f"paused in chat (`source resume {s.id}`)" if s.paused else None,
                )
                + f" · {mask_url(s.url)} · added by {s.added_by}"
                for s in chat
            ]
        everything = [*configured, *map(source_config, chat)]
        healthy = sum(
            1
            for s in everything
            if (st := states.get(s.id)) is not None and st.healthy and st.last_success
        )
        return Reply(title=f"{len(everything)} sources, {healthy} healthy", lines=tuple(lines))

    async def story_reply(self, story_id: str) -> Reply:
        return await thread_reply(self.store, self.registry.catalog, story_id)


def _moment(moment: datetime, tz: str) -> str:
    """ "Tue 8 Dec 09:00 America/New_York": when a digest is due, in the
    zone the channel subscribed in."""
    local = moment.astimezone(ZoneInfo(tz))
    return f"{local:%a} {local.day} {local:%b %H:%M} {tz}"


def describe_source(source: SourceConfig, state: SourceState | None, disabled: str | None) -> str:
    """One line for the ``sources`` command: health, last success, last error, items."""
    if disabled:
        return f"{source.id} — {source.name}: {disabled}"
    if state is None:
        return f"{source.id} — {source.name}: not fetched yet"
    when = f"{state.last_success:%Y-%m-%d %H:%M} UTC" if state.last_success else "never"
    line = f"{source.id} — {source.name}: {'ok' if state.healthy else 'FAILING'}; last success {when}; {state.item_count} items"
    if state.notes:
        line += f" ({state.notes})"
    if state.last_error:
        at = f" at {state.last_error_at:%Y-%m-%d %H:%M} UTC" if state.last_error_at else ""
        line += f"; last error{at}: {state.last_error}"
    return line


def _unique(items: list[Item]) -> list[Item]:
    """Drop repeats within one batch (same id, URL, or headline from the same source)."""
    seen: set[str] = set()
    out = []
    for item in items:
        keys = {f"id:{item.id}", f"key:{title_key(item.title, item.source)}"}
        if item.url:
            keys.add(f"url:{item.url}")
        if keys & seen:
            continue
        seen |= keys
        out.append(item)
    return out


def _story_record(index: StoryIndex, story_id: str, related: tuple[str, ...]) -> StoryRecord:
    ref = index.get(story_id)
    assert ref is not None
    return StoryRecord(
        id=ref.story_id,
        headline=ref.headline,
        first_seen=ref.first_seen,
        last_seen=ref.last_seen,
        event_type=ref.event_type,
        answers=ref.answers,
        related=related,
    )
