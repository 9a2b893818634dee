"""Per-source fetch state: validators for conditional GET, health and schedule.

The store is a Protocol so the core can keep state in SQLite while tests and the
benchmark use memory; the Ingestor only ever reads and writes whole records.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass
class SourceState:
    """What we remember about one source between fetches."""

    source_id: str
    etag: str | None = None
    last_modified: str | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    item_count: int = 0
    consecutive_failures: int = 0
    next_fetch_at: datetime | None = None

    @property
    def healthy(self) -> bool:
        """A source is unhealthy while its latest fetch failed."""
        return self.consecutive_failures == 0

    def is_due(self, now: datetime) -> bool:
        return self.next_fetch_at is None or self.next_fetch_at <= now


class SourceStateStore(Protocol):
    """Persistence for SourceState; implemented on SQLite by the core."""

    async def get_state(self, source_id: str) -> SourceState | None: ...

    async def save_state(self, state: SourceState) -> None: ...

    async def all_states(self) -> list[SourceState]: ...

    async def claim_source(self, source_id: str, owner: str, until: datetime) -> bool:
        """Lease a source to one fetcher (one replica at a time)."""
        ...

    async def release_source(self, source_id: str, owner: str) -> None: ...


class MemorySourceStateStore:
    """In-memory store for tests, the benchmark and one-shot CLI runs."""

    def __init__(self) -> None:
        self._states: dict[str, SourceState] = {}

    async def get_state(self, source_id: str) -> SourceState | None:
        state = self._states.get(source_id)
        return dataclasses.replace(state) if state else None

    async def save_state(self, state: SourceState) -> None:
        self._states[state.source_id] = dataclasses.replace(state)

    async def all_states(self) -> list[SourceState]:
        return [dataclasses.replace(s) for s in self._states.values()]

    async def claim_source(self, source_id: str, owner: str, until: datetime) -> bool:
        return True  # one process: nobody to share with

    async def release_source(self, source_id: str, owner: str) -> None:
        return None
