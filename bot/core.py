"""The facade adapters talk to: one object that owns the store, the watchlist
registry and the matcher, and turns chat text into a :class:`Reply`."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources

from bot.caller import Caller
from bot.commands.handlers import REMATCH_LIMIT, execute
from bot.commands.render import reply_items
from bot.config import Settings
from bot.models import Item
from bot.registry import Registry
from bot.replies import Reply, ReplyKind
from bot.store import Store, open_store
from bot.store.records import AuditEntry
from bot.watchlists import WatchlistEdit, load_catalog, shipped_watchlists_dir

log = logging.getLogger("policywatch.core")
PREVIEW_DAYS = 7


@dataclass(frozen=True)
class IngestResult:
    new: int
    duplicates: int
    new_keys: tuple[int, ...] = ()


def sample_items() -> list[Item]:
    """The bundled sample corpus (bot/sample/items.jsonl)."""
    text = resources.files("bot").joinpath("sample/items.jsonl").read_text(encoding="utf-8")
    return [Item.from_json(json.loads(line)) for line in text.splitlines() if line.strip()]


class PolicyWatch:
    def __init__(self, settings: Settings, store: Store, registry: Registry) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry

    @classmethod
    async def open(cls, settings: Settings) -> PolicyWatch:
        """Open (and migrate) the store, load watchlists and replay admin edits."""
        folder = settings.watchlists_dir or shipped_watchlists_dir()
        base = load_catalog(folder)
        store = await open_store(settings.database_url)
        registry = Registry(base, await store.edits())
        return cls(settings, store, registry)

    async def close(self) -> None:
        await self.store.close()

    # ------------------------------------------------------------ chat

    def is_admin(self, caller: Caller) -> bool:
        return caller.platform_admin or caller.user in self.settings.admins

    async def handle(self, caller: Caller, text: str) -> Reply:
        """Run one chat command; never raises for bad input, only returns an error reply."""
        try:
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
        """Match and store items; duplicates (same URL or headline+source) are skipped."""
        batch = list(items)
        matcher = self.registry.matcher
        keys = await self.store.add_items([(item, matcher.match(item)) for item in batch])
        return IngestResult(new=len(keys), duplicates=len(batch) - len(keys), new_keys=tuple(keys))

    async def load_sample(self) -> int:
        return (await self.ingest(sample_items())).new

    async def apply_edit(self, edit: WatchlistEdit, entry: AuditEntry) -> None:
        """Record an admin edit, rebuild the registry, and re-match recent items
        so the change shows in answers at once."""
        await self.store.add_edit(edit, entry)
        self.registry.rebuild(await self.store.edits())
        count = await self.store.item_count()
        recent = await self.store.items_since(max(0, count - REMATCH_LIMIT), REMATCH_LIMIT)
        matcher = self.registry.matcher
        await self.store.replace_matches([(row.pk, matcher.match(row.item)) for row in recent])

    # ------------------------------------------------------------ digests, sources, stories

    async def preview_digest(self, caller: Caller) -> Reply:
        subs = await self.store.channel_subscriptions(
            caller.platform, caller.workspace, caller.channel
        )
        active = [s for s in subs if s.disabled_reason is None]
        if not active:
            return Reply(
                title="This channel has no active subscriptions",
                lines=("Try `subscribe ev-tariffs`.",),
            )
        sections = []
        for sub in active:
            since = sub.last_digest_at or datetime.now(UTC) - timedelta(days=PREVIEW_DAYS)
            rows = await self.store.items_matching("watchlist", sub.watchlist, since, 20)
            if rows:
                name = self.registry.catalog.watchlists.get(sub.watchlist)
                sections.append(
                    (
                        name.name if name else sub.watchlist,
                        reply_items(rows, self.registry.catalog, sub.watchlist),
                    )
                )
        if not sections:
            return Reply(title="Nothing new for this channel's next digest")
        return Reply(title="Preview of this channel's next digest", sections=tuple(sections))

    async def sources_reply(self) -> Reply:
        return Reply(title="No sources are configured yet")

    async def story_reply(self, story_id: str) -> Reply:
        return Reply(title=f"No story '{story_id}'", kind=ReplyKind.ERROR, ephemeral=True)
