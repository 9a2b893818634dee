"""Where per-source fetch state is kept (the record itself,
:class:`~bot.store.records.SourceState`, belongs to the store, which persists it).

The store is a Protocol so the core can keep state in SQLite while tests and the
benchmark use memory; the Ingestor only ever reads and writes whole records.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Protocol

from bot.store.records import SourceState


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
