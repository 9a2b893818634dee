"""Database rows to records, written once for every SQL backend.

``aiosqlite.Row`` and ``asyncpg.Record`` both index by column name and by
position; only how timestamps and string lists come back differs, and the
backend's :class:`~bot.store.dialect.Dialect` decodes those.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from bot.matcher import MatchResult
from bot.models import Item
from bot.store.dialect import Dialect
from bot.store.records import (
    AuditEntry,
    OutboxEntry,
    OutboxRow,
    SourceState,
    StoredItem,
    StoryRecord,
    Subscription,
)

T = TypeVar("T")

ITEM_COLUMNS = (
    "i.pk, i.id, i.title, i.summary, i.url, i.source, i.source_kind, i.published, i.fetched_at, "
    "i.story_id, i.event_type, i.event_reason"
)
OUTBOX_COLUMNS = (
    "id, dedupe_key, kind, platform, workspace, channel, payload, status, attempts, created_at, "
    "message_id, last_error"
)
STORY_COLUMNS = "id, headline, first_seen, last_seen, event_type, answers, related"


def match_rows(pk: int, sort_at: T, result: MatchResult) -> list[tuple[str, str, int, T, str]]:
    """``matches`` rows (kind, target, item_pk, sort_at, why) for one item's result."""
    rows = [("watchlist", w, pk, sort_at, result.why(w)) for w in result.watchlists]
    rows += [("company", c, pk, sort_at, result.why(c)) for c in result.companies]
    return rows


def stored_items(rows: Sequence[Any], found: Sequence[Any], d: Dialect) -> list[StoredItem]:
    """Items selected with ``ITEM_COLUMNS``, with their ``matches`` rows
    (item_pk, kind, target, why) attached."""
    matches: dict[int, list[tuple[str, str, str]]] = {int(r["pk"]): [] for r in rows}
    for m in found:
        matches[int(m[0])].append((m[1], m[2], m[3]))
    out: list[StoredItem] = []
    for row in rows:
        hits = matches[int(row["pk"])]
        item = Item(
            id=row["id"],
            title=row["title"],
            summary=row["summary"],
            url=row["url"],
            source=row["source"],
            published=d.read_time(row["published"]),
            source_kind=row["source_kind"],
        )
        out.append(
            StoredItem(
                pk=int(row["pk"]),
                item=item,
                fetched_at=d.required_time(row["fetched_at"]),
                watchlists=tuple(sorted(t for k, t, _ in hits if k == "watchlist")),
                companies=tuple(sorted(t for k, t, _ in hits if k == "company")),
                why={t: w for _, t, w in hits},
                story_id=row["story_id"],
                event_type=row["event_type"],
                event_reason=row["event_reason"],
            )
        )
    return out


def story(r: Any, d: Dialect) -> StoryRecord:
    """A ``stories`` row selected with ``STORY_COLUMNS``."""
    return StoryRecord(
        r[0],
        r[1],
        d.required_time(r[2]),
        d.required_time(r[3]),
        r[4],
        r[5],
        d.read_strings(r[6]),
    )


def subscription(r: Any, d: Dialect) -> Subscription:
    """A whole ``subscriptions`` row."""
    return Subscription(
        id=int(r["id"]),
        platform=r["platform"],
        workspace=r["workspace"],
        channel=r["channel"],
        watchlist=r["watchlist"],
        cadence=r["cadence"],
        at=r["at"],
        tz=r["tz"],
        weekday=r["weekday"],
        min_priority=r["min_priority"],
        created_by=r["created_by"],
        created_at=d.read_time(r["created_at"]),
        last_digest_at=d.read_time(r["last_digest_at"]),
        disabled_reason=r["disabled_reason"],
        quiet_start=r["quiet_start"],
        quiet_end=r["quiet_end"],
        last_due_at=d.read_time(r["last_due_at"]),
        cursor_pk=int(r["cursor_pk"]),
    )


def outbox_row(r: Any, d: Dialect) -> OutboxRow:
    """An ``outbox`` row selected with ``OUTBOX_COLUMNS``."""
    return OutboxRow(
        id=int(r[0]),
        entry=OutboxEntry(
            dedupe_key=r[1], kind=r[2], platform=r[3], workspace=r[4], channel=r[5], payload=r[6]
        ),
        status=r[7],
        attempts=r[8],
        created_at=d.required_time(r[9]),
        message_id=r[10],
        last_error=r[11],
    )


def source_state(r: Any, d: Dialect) -> SourceState:
    """A whole ``source_state`` row."""
    return SourceState(
        source_id=r["source_id"],
        etag=r["etag"],
        last_modified=r["last_modified"],
        last_success=d.read_time(r["last_success"]),
        last_error=r["last_error"],
        last_error_at=d.read_time(r["last_error_at"]),
        item_count=r["item_count"],
        consecutive_failures=r["consecutive_failures"],
        next_fetch_at=d.read_time(r["next_fetch_at"]),
    )


def audit_entry(r: Any, d: Dialect) -> AuditEntry:
    """An ``audit_log`` row (at, platform, workspace, user, action, detail, outcome)."""
    return AuditEntry(d.required_time(r[0]), r[1], r[2], r[3], r[4], r[5], r[6])
