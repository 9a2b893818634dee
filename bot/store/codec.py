"""How values cross into the database: UTC timestamps as sortable ISO text."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_seconds(moment: datetime | None) -> datetime | None:
    """Whole seconds in UTC (a naive moment is taken as UTC).

    Both backends store moments like this (SQLite as text, PostgreSQL as
    ``timestamptz``), so they compare, order and dedupe alike.
    """
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def to_db(moment: datetime | None) -> str | None:
    """Seconds precision, always ``+00:00``, so text order equals time order."""
    seconds = utc_seconds(moment)
    return None if seconds is None else seconds.isoformat()


def from_db(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
