"""The platform-neutral reply every command returns.

Adapters render a :class:`Reply` as plain text, Block Kit or embeds. Buttons are
:class:`Action` objects carrying the chat command they run, so a click is just
another command through the same path as typed text.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ReplyKind(StrEnum):
    OK = "ok"
    ERROR = "error"  # unknown command, bad argument
    DENIED = "denied"  # not allowed (admin-only command)


@dataclass(frozen=True, slots=True)
class ReplyItem:
    """One result line: a story or item with the evidence for why it is shown."""

    title: str
    url: str | None = None
    source: str | None = None
    published: datetime | None = None
    why: str = ""
    story_id: str | None = None
    note: str | None = None  # e.g. "3 sources" or "denied by Ford, 31 Jan"
    priority: int = 0  # highest priority of the watchlists it matched (0-3)
    sources: tuple[str, ...] = ()  # every outlet carrying the story, the first report's first
    event_type: str | None = None
    highlight: bool = False  # one of the few stories a digest marks as most important


#: Event types as a reader says them; ``other`` says nothing.
EVENT_LABELS = {
    "deal_report": "Deal report",
    "deal_confirmed": "Deal confirmed",
    "denial": "Denial",
    "letter": "Letter",
    "hearing": "Hearing",
    "bill": "Bill",
    "rule": "Rule",
    "study": "Study",
    "filing": "Filing",
    "tariff_action": "Tariff action",
    "tax_guidance": "Tax guidance",
    "financial": "Financial results",
}


def event_label(event_type: str | None) -> str | None:
    """ "Tax guidance" for ``tax_guidance``; None for ``other`` and unknown
    types, which would only tell a reader that the typing found no cue."""
    return EVENT_LABELS.get(event_type or "")


def outlets_text(item: ReplyItem, shown: int = 3) -> str:
    """ "Reuters, CNBC and 2 more": the item's own outlet first, each outlet once."""
    outlets = list(dict.fromkeys([item.source or "unknown source", *item.sources]))
    text = ", ".join(outlets[:shown])
    if len(outlets) > shown:
        text += f" and {len(outlets) - shown} more"
    return text


def short_date(moment: datetime | None) -> str:
    """ "31 Jan 2026": the day of the first report, unambiguous anywhere."""
    return f"{moment.day} {moment:%b %Y}" if moment else "undated"


@dataclass(frozen=True, slots=True)
class Action:
    """A button: ``command`` is chat text executed as the clicking user."""

    label: str
    command: str
    style: str = "default"  # "primary", "danger" or "default"


@dataclass(frozen=True, slots=True)
class Reply:
    title: str
    lines: tuple[str, ...] = ()
    items: tuple[ReplyItem, ...] = ()
    actions: tuple[Action, ...] = ()
    kind: ReplyKind = ReplyKind.OK
    ephemeral: bool = False  # errors and help are shown only to the caller
    footer: str | None = None
    sections: tuple[tuple[str, tuple[ReplyItem, ...]], ...] = field(default=())
    # Who a high-priority instant alert pings (`alert mention`): a Slack user group
    # (``<!subteam^ID>``) or a Discord role (``<@&ID>``), never everyone.
    mention: str | None = None

    @property
    def is_error(self) -> bool:
        return self.kind is not ReplyKind.OK

    def all_items(self) -> tuple[ReplyItem, ...]:
        """Items of the reply, flattening digest sections in order."""
        out = list(self.items)
        for _, section_items in self.sections:
            out.extend(section_items)
        return tuple(out)

    def to_json(self) -> str:
        """Serialise for the outbox, so a queued digest survives a restart unchanged."""
        return json.dumps(asdict(self), default=_encode, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Reply:
        data = json.loads(text)
        return cls(
            title=data["title"],
            lines=tuple(data["lines"]),
            items=tuple(_item_from(i) for i in data["items"]),
            actions=tuple(Action(**a) for a in data["actions"]),
            kind=ReplyKind(data["kind"]),
            ephemeral=data["ephemeral"],
            footer=data["footer"],
            sections=tuple(
                (h, tuple(_item_from(i) for i in items)) for h, items in data["sections"]
            ),
            mention=data.get("mention"),
        )

    def to_text(self) -> str:
        """Plain text as the console adapter and ``policywatch ask`` print it."""
        out = [f"{self.mention} {self.title}" if self.mention else self.title]
        out.extend(self.lines)
        for number, item in enumerate(self.items, 1):
            out.extend(_item_text(number, item))
        for heading, section_items in self.sections:
            out.append("")
            out.append(f"== {heading} ==")
            for number, item in enumerate(section_items, 1):
                out.extend(_item_text(number, item))
        if self.actions:
            out.append("")
            out.append("Actions: " + " | ".join(f"[{a.label}: {a.command}]" for a in self.actions))
        if self.footer:
            out.append(self.footer)
        return "\n".join(out)


def _item_text(number: int, item: ReplyItem) -> list[str]:
    head = f"{number}. {'[top] ' if item.highlight else ''}{item.title}"
    if item.note:
        head += f"  [{item.note}]"
    meta = [outlets_text(item), short_date(item.published)]
    if label := event_label(item.event_type):
        meta.append(label)
    if item.story_id:
        meta.append(f"story {item.story_id}")
    lines = [head, "   " + " · ".join(meta)]
    if item.url:
        lines.append(f"   {item.url}")
    if item.why:
        lines.append(f"   why: {item.why}")
    return lines


def _encode(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _item_from(data: dict[str, Any]) -> ReplyItem:
    published = data.get("published")
    return ReplyItem(
        **{
            **data,
            "published": datetime.fromisoformat(published) if published else None,
            "sources": tuple(data.get("sources") or ()),
        }
    )
