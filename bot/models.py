"""Plain data types shared by ingestion, matching, storage and replies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def parse_timestamp(value: str | None) -> datetime | None:
    """Read an ISO 8601 timestamp (``Z`` allowed); naive times are taken as UTC."""
    if not value:
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class EventGuess:
    """The chosen event type and a short human reason (shown to users).

    Plain data, so the matcher can report it without depending on the
    stories layer whose rules (:mod:`bot.stories.events`) produce it."""

    event_type: str
    reason: str


# What a matcher built without event rules reports.
NOT_TYPED = EventGuess("other", "other: event typing is off")


@dataclass(frozen=True, slots=True)
class Item:
    """One news item, filing, rule or letter, already normalised.

    ``source_kind`` says where it came from (``news``, ``committee``,
    ``federal_register``, ``congress``, ``sec``, ``agency``) because the kind of
    source is evidence for the event type (a Federal Register document is a rule).
    """

    id: str
    title: str
    summary: str = ""
    url: str | None = None
    source: str | None = None
    published: datetime | None = None
    source_kind: str = "news"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Item:
        """Build from the JSONL input format of INTERFACE.md; raises ValueError when unusable."""
        if not isinstance(data, dict):
            raise ValueError("each line must be a JSON object")
        item_id = data.get("id")
        title = data.get("title")
        if item_id is None or str(item_id).strip() == "":
            raise ValueError("missing 'id'")
        if not isinstance(title, str) or not title.strip():
            raise ValueError("missing 'title'")
        published = data.get("published")
        return cls(
            id=str(item_id),
            title=title.strip(),
            summary=str(data.get("summary") or ""),
            url=data.get("url") or None,
            source=data.get("source") or None,
            published=parse_timestamp(published) if isinstance(published, str) else None,
            source_kind=str(data.get("source_kind") or "news"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "summary": self.summary,
            "url": self.url,
            "source": self.source,
            "published": self.published.isoformat() if self.published else None,
            "source_kind": self.source_kind,
        }


@dataclass(frozen=True, slots=True)
class Hit:
    """Where one phrase was found: the evidence behind a match."""

    phrase: str
    field: str
    start: int
    end: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "phrase": self.phrase,
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }
