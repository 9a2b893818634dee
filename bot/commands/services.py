"""What the command handlers need from the rest of the bot, as one narrow
interface. The facade (:class:`bot.core.PolicyWatch`) provides it; handlers
depend on this protocol instead of the facade, so the command layer sits
below the facade and can be tested against anything that provides these."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.caller import Caller
from bot.registry import Registry
from bot.replies import Reply
from bot.store import Store
from bot.store.records import AuditEntry
from bot.watchlists import WatchlistEdit


class Services(Protocol):
    """Storage, the live watchlists, the clock, and the few facade operations
    that span several parts (an admin edit re-matches stored items; previews
    and source health read the digest and ingestion machinery)."""

    @property
    def store(self) -> Store: ...

    @property
    def registry(self) -> Registry: ...

    def clock(self) -> datetime: ...

    def is_admin(self, caller: Caller) -> bool: ...

    async def apply_edit(self, edit: WatchlistEdit, entry: AuditEntry) -> None: ...

    async def preview_digest(self, caller: Caller) -> Reply: ...

    async def sources_reply(self) -> Reply: ...

    async def story_reply(self, story_id: str) -> Reply: ...
