"""How values cross into the database: UTC timestamps as sortable ISO text."""

from __future__ import annotations

from datetime import UTC, datetime


def to_db(moment: datetime | None) -> str | None:
    """Seconds precision, always ``+00:00``, so text order equals time order."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def from_db(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
