"""When a subscription is due, in its own time zone.

The database is the source of truth: a subscription remembers the scheduled
moment it last handled (``last_due_at``). A digest is due when the latest
scheduled moment at or before *now* is later than that. However long the bot
was down, this yields one catch-up digest, never one per missed interval, and
a restart needs no job store.

Local times use :mod:`zoneinfo`. A wall-clock time that does not exist on a
spring-forward day (02:30 in New York) runs at the moment the clocks skip to;
one that happens twice on a fall-back day runs at the first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.store.records import Subscription


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo("UTC" if name.upper() == "UTC" else name)


def _local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``day`` at ``at`` in ``zone``, as UTC; nonexistent times move forward."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone, fold=0)
    utc = aware.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != naive:
        # In a spring-forward gap: run when the clock reaches the other side.
        later = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
        utc = min(utc, later)
        while utc.astimezone(zone).replace(tzinfo=None) < naive:
            utc += timedelta(minutes=1)
    return utc


def parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def latest_slot(sub: Subscription, now: datetime) -> datetime:
    """The latest scheduled moment at or before ``now`` (UTC)."""
    zone = _zone(sub.tz)
    at = parse_hhmm(sub.at)
    local_today = now.astimezone(zone).date()
    for back in range(0, 9):
        day = local_today - timedelta(days=back)
        if sub.cadence == "weekly" and day.weekday() != sub.weekday:
            continue
        moment = _local_moment(day, at, zone)
        if moment <= now:
            return moment
    raise AssertionError("a slot always exists within 8 days")


def next_slot(sub: Subscription, now: datetime) -> datetime:
    """The first scheduled moment after ``now`` (for showing users and tests)."""
    zone = _zone(sub.tz)
    at = parse_hhmm(sub.at)
    local_today = now.astimezone(zone).date()
    for ahead in range(0, 9):
        day = local_today + timedelta(days=ahead)
        if sub.cadence == "weekly" and day.weekday() != sub.weekday:
            continue
        moment = _local_moment(day, at, zone)
        if moment > now:
            return moment
    raise AssertionError("a slot always exists within 8 days")


def due_slot(sub: Subscription, now: datetime) -> datetime | None:
    """The slot to run now, or None. Instant subscriptions are always due."""
    if sub.disabled_reason:
        return None
    if sub.cadence == "instant":
        return now
    slot = latest_slot(sub, now)
    if sub.last_due_at is not None and slot <= sub.last_due_at:
        return None
    return slot


def in_quiet_hours(sub: Subscription, now: datetime) -> bool:
    """Whether ``now`` falls in the subscription's local quiet hours (may wrap midnight)."""
    if not (sub.quiet_start and sub.quiet_end):
        return False
    local = now.astimezone(_zone(sub.tz)).time()
    start, end = parse_hhmm(sub.quiet_start), parse_hhmm(sub.quiet_end)
    if start <= end:
        return start <= local < end
    return local >= start or local < end
