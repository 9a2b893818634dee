"""Subscriptions, schedules, digest content and the outbox, with a frozen clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.caller import Caller
from bot.core import PolicyWatch
from bot.digests.build import build_digest
from bot.digests.schedule import due_slot, in_quiet_hours, latest_slot, next_slot
from bot.digests.sender import OutboxSender, Pacing
from bot.models import Item
from bot.store.records import StoredItem, Subscription
from bot.watchlists import load_catalog, shipped_watchlists_dir
from tests.recording_adapter import RecordingAdapter

FAST = Pacing(global_per_second=1000, channel_interval=0)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# ------------------------------------------------------------------ schedules


def test_daily_slot_follows_daylight_saving_time() -> None:
    sub = Subscription("console", "W", "C", "ev-tariffs", "daily", "09:00", "America/New_York")
    assert latest_slot(sub, utc(2026, 3, 6, 20)) == utc(2026, 3, 6, 14)  # EST: UTC-5
    assert latest_slot(sub, utc(2026, 3, 9, 20)) == utc(2026, 3, 9, 13)  # EDT: UTC-4
    assert next_slot(sub, utc(2026, 10, 31, 20)) == utc(2026, 11, 1, 14)  # back to EST


def test_times_that_do_not_exist_or_repeat_run_once() -> None:
    gap = Subscription("console", "W", "C", "x", "daily", "02:30", "America/New_York")
    assert latest_slot(gap, utc(2026, 3, 8, 12)) == utc(2026, 3, 8, 7)  # when clocks jump to 03:00
    twice = Subscription("console", "W", "C", "x", "daily", "01:30", "America/New_York")
    assert latest_slot(twice, utc(2026, 11, 1, 12)) == utc(2026, 11, 1, 5, 30)  # the first 01:30


def test_weekly_slot() -> None:
    sub = Subscription("console", "W", "C", "x", "weekly", "08:00", "Europe/Berlin", weekday=0)
    # Wednesday 25 Nov 2026: the latest Monday 08:00 Berlin (UTC+1) was 23 Nov.
    assert latest_slot(sub, utc(2026, 11, 25, 12)) == utc(2026, 11, 23, 7)
    assert next_slot(sub, utc(2026, 11, 25, 12)) == utc(2026, 11, 30, 7)


def test_missed_runs_are_caught_up_once() -> None:
    sub = Subscription(
        "console", "W", "C", "x", "daily", "09:00", "UTC", last_due_at=utc(2026, 11, 20, 9)
    )
    # Down for five days: one catch-up slot, the latest one.
    assert due_slot(sub, utc(2026, 11, 25, 10)) == utc(2026, 11, 25, 9)
    handled = Subscription(
        "console", "W", "C", "x", "daily", "09:00", "UTC", last_due_at=utc(2026, 11, 25, 9)
    )
    assert due_slot(handled, utc(2026, 11, 25, 23)) is None


def test_quiet_hours_wrap_midnight() -> None:
    sub = Subscription(
        "console",
        "W",
        "C",
        "x",
        "instant",
        tz="Europe/London",
        quiet_start="22:00",
        quiet_end="07:00",
    )
    assert in_quiet_hours(sub, utc(2026, 11, 25, 23))
    assert in_quiet_hours(sub, utc(2026, 11, 26, 6, 30))
    assert not in_quiet_hours(sub, utc(2026, 11, 26, 7, 0))


# ------------------------------------------------------------------ digests end to end

CHANNEL = Caller(platform="console", workspace="W1", channel="C9", user="U1")
# When these tests' news is fetched: the day after they subscribe.
TODAY = utc(2026, 11, 25, 12)


@pytest.fixture
def core(core: PolicyWatch) -> PolicyWatch:
    """The shared core with its clock on :data:`TODAY`, whatever the wall clock says."""
    core.clock = lambda: TODAY
    return core


def _news(n: int, title: str, source: str, when: datetime) -> Item:
    return Item(
        id=f"n{n}", title=title, url=f"https://news.example/{n}", source=source, published=when
    )


# The new item most tests need: an ev-tariffs match, published 25 Nov 10:00 UTC.
EV_TARIFFS_NEWS = _news(1, "US raises tariffs on Chinese EVs", "Reuters", utc(2026, 11, 25, 10))


async def _subscribe(core: PolicyWatch, text: str, at: datetime) -> None:
    """Subscribe as if it were ``at``: no slot before then is due."""
    today, core.clock = core.clock, lambda: at
    try:
        reply = await core.handle(CHANNEL, text)
    finally:
        core.clock = today
    assert not reply.is_error, reply.title


async def _queue_daily_digest(core: PolicyWatch) -> None:
    """What the outbox tests start from: a daily ev-tariffs digest with one new
    item, built for the 26 Nov 09:00 slot and waiting in the outbox, unsent."""
    await _subscribe(core, "subscribe ev-tariffs daily at 09:00", utc(2026, 11, 24, 12))
    await core.ingest(
        [_news(1, "US keeps Section 301 tariffs on Chinese EVs", "Reuters", utc(2026, 11, 25, 10))]
    )
    await core.run_digests(utc(2026, 11, 26, 9, 0))


async def test_digest_has_only_new_items_grouped_and_is_built_once(core: PolicyWatch) -> None:
    start = utc(2026, 11, 24, 12)
    await _subscribe(core, "subscribe ev-tariffs daily at 09:00 tz UTC", start)
    # The first digest covers what the bot stored in the day before it was due
    # (here the sample corpus; the wall clock stored it); the next only what is new.
    stored = await core.store.items_matching("watchlist", "ev-tariffs", None, 200)
    [first] = await core.run_digests(utc(2026, 11, 25, 9, 1))
    assert stored and len(first.reply.all_items()) == len({row.story_id for row in stored})
    await core.ingest(
        [
            _news(1, "US raises tariffs on Chinese EVs to 125%", "Reuters", utc(2026, 11, 25, 10)),
            _news(
                2, "US raises tariffs on Chinese EVs to 125%", "Bloomberg", utc(2026, 11, 25, 10, 5)
            ),
            _news(3, "Doug Ford blasts US tariffs", "CBC", utc(2026, 11, 25, 11)),
        ]
    )
    built = await core.run_digests(utc(2026, 11, 26, 9, 0))
    assert len(built) == 1
    reply = built[0].reply
    assert [heading for heading, _ in reply.sections] == ["EV tariffs"]
    [(_, stories)] = reply.sections
    # Two outlets, one event: one line, both sources listed.
    assert [i.title for i in stories] == ["US raises tariffs on Chinese EVs to 125%"]
    assert stories[0].sources == ("Reuters", "Bloomberg")
    assert stories[0].note is None  # the outlets are listed; no "2 sources" besides
    titles = [i.title for i in stories]
    assert all("Doug Ford" not in t for t in titles)
    # Running the same slot again (a restart, a second replica) builds nothing new.
    assert await core.run_digests(utc(2026, 11, 26, 9, 5)) == []
    assert len(await core.store.outbox()) == 2
    # The next day has nothing new: empty digests are skipped.
    assert await core.run_digests(utc(2026, 11, 27, 9, 0)) == []


def test_a_long_digest_keeps_every_story_and_marks_only_a_few() -> None:
    catalog = load_catalog(shipped_watchlists_dir())
    sub = Subscription("console", "W1", "C9", "ev-tariffs", "weekly", "09:00", "UTC", id=1)
    rows = [
        StoredItem(
            pk=n,
            item=_news(n, f"Tariff news {n}", "Reuters", utc(2026, 11, 20) + timedelta(hours=n)),
            fetched_at=utc(2026, 11, 20) + timedelta(hours=n),
            watchlists=("ev-tariffs",),
            story_id=f"s{n}",
            event_type="tariff_action" if n == 7 else "other",
        )
        for n in range(1, 61)
    ]
    # Story 5 is told by three outlets: it stands out.
    rows += [
        replace(rows[4], pk=100 + n, item=replace(rows[4].item, id=f"x{n}", source=outlet))
        for n, outlet in enumerate(("CNBC", "Bloomberg"))
    ]
    reply = build_digest([(sub, rows)], catalog)
    assert reply is not None
    [(_, shown)] = reply.sections
    assert len(shown) == 60  # the cursor moves past all of them: none may be left out
    assert reply.footer is None
    marked = [line.title for line in shown if line.highlight]
    assert marked == ["Tariff news 5", "Tariff news 7"]  # marked, and listed first
    assert [line.title for line in shown[:2]] == marked
    assert all(line.why == "" for line in shown)  # no debugging reasons in a digest
    [five] = [line for line in shown if line.title == "Tariff news 5"]
    assert five.sources == ("Reuters", "CNBC", "Bloomberg")
    assert five.published == utc(2026, 11, 20, 5)  # dated by its first report


async def test_outbox_sends_once_and_survives_a_lost_acknowledgement(core: PolicyWatch) -> None:
    await _queue_daily_digest(core)
    platform = RecordingAdapter(core, core.settings)
    sender = OutboxSender(core.store, {"console": platform}, FAST)
    assert (await sender.drain()).sent == 1
    assert (await sender.drain()).sent == 0
    assert len(platform.sent) == 1
    [row] = await core.store.outbox()
    assert row.status == "sent" and row.message_id == "m1"


async def test_resend_after_crash_checks_the_platform_first(core: PolicyWatch) -> None:
    await _queue_daily_digest(core)
    platform = RecordingAdapter(core, core.settings)
    # Simulate "the platform accepted, then we crashed before recording":
    # claim the row, deliver it, and do not mark it sent.
    [row] = await core.store.claim_outbox(datetime.now(UTC), 10, timedelta(seconds=0))
    from bot.delivery import Delivery
    from bot.replies import Reply

    await platform.deliver(
        Delivery(row.id, row.entry.workspace, row.entry.channel, Reply.from_json(row.entry.payload))
    )
    sender = OutboxSender(core.store, {"console": platform}, FAST)
    report = await sender.drain()
    assert report.sent == 1
    assert len(platform.sent) == 1  # found on the platform, not sent twice
    [row] = await core.store.outbox()
    assert row.status == "sent"


async def test_a_digest_cut_short_resumes_with_the_parts_not_yet_sent(
    core: PolicyWatch,
) -> None:
    await _queue_daily_digest(core)
    platform = RecordingAdapter(core, core.settings)
    platform.parts, platform.busy_at_part = 3, 2  # Slack says "later" before the last part
    sender = OutboxSender(core.store, {"console": platform}, FAST)
    first = await sender.drain()
    assert first.retried == 1 and [d.part for d in platform.sent] == [0, 1]
    [row] = await core.store.outbox()
    await core.store.mark_retry(row.id, "try now", datetime.now(UTC))  # the backoff is over
    assert (await sender.drain()).sent == 1
    assert [d.part for d in platform.sent] == [0, 1, 2]  # parts 0 and 1 found, not resent
    [row] = await core.store.outbox()
    assert row.status == "sent" and row.message_id == "m1"  # the first part's id


async def test_retry_then_permanent_failure_disables_the_subscription(core: PolicyWatch) -> None:
    await _queue_daily_digest(core)
    platform = RecordingAdapter(core, core.settings)
    platform.busy_answers = 1
    sender = OutboxSender(core.store, {"console": platform}, FAST)
    first = await sender.drain()
    assert first.retried == 1 and not platform.sent
    [row] = await core.store.outbox()
    assert row.status == "pending" and row.last_error == "rate limited"
    platform.gone_channels.add(CHANNEL.channel)
    later = await sender.drain(now=datetime.now(UTC) + timedelta(hours=1))
    assert later.failed == 1
    listed = await core.handle(CHANNEL, "subscriptions")
    assert "PAUSED: channel_not_found" in listed.lines[0]
    # A paused subscription builds no more digests.
    await core.ingest(
        [_news(2, "US widens tariffs on Chinese batteries", "Reuters", utc(2026, 11, 26, 10))]
    )
    assert await core.run_digests(utc(2026, 11, 27, 9, 0)) == []


async def test_instant_alerts_burst_limit_folds_the_overflow(core: PolicyWatch) -> None:
    await _subscribe(core, "subscribe ev-tariffs instant", utc(2026, 11, 24, 12))
    core.digests.policy = type(core.digests.policy)(burst_limit=3)
    await core.ingest([EV_TARIFFS_NEWS])
    first = await core.run_digests(utc(2026, 11, 25, 10, 1))
    assert [b.kind for b in first] == ["alert"]
    headlines = [  # five different events (checked: five stories)
        "Commerce opens Section 232 probe into Chinese EV parts imports to the US",
        "USTR adds graphite anodes from China to its tariff list for batteries",
        "Customs detains Chinese-made electric vehicles over US tariff evasion",
        "White House weighs new duties on Chinese battery storage systems",
        "Automakers lobby Washington for tariff relief on Chinese lithium battery parts",
    ]
    burst = [
        _news(10 + n, title, "Reuters", utc(2026, 11, 25, 11, n))
        for n, title in enumerate(headlines)
    ]
    await core.ingest(burst)
    folded = await core.run_digests(datetime.now(UTC))
    # Five stories > two left in the budget: one folded message, not a flood.
    assert [b.kind for b in folded] == ["digest"]
    assert len(folded[0].reply.all_items()) == 5
    assert await core.run_digests(datetime.now(UTC)) == []  # nothing left over, nothing repeated


async def test_instant_alerts_wait_out_quiet_hours(core: PolicyWatch) -> None:
    await _subscribe(core, "subscribe ev-tariffs instant", utc(2026, 11, 24, 12))
    [sub] = await core.store.channel_subscriptions(*CHANNEL.channel_key)
    from dataclasses import replace

    await core.store.save_subscription(replace(sub, quiet_start="00:00", quiet_end="23:59"))
    await core.ingest([EV_TARIFFS_NEWS])
    assert await core.run_digests(utc(2026, 11, 25, 12)) == []
    await core.store.save_subscription(replace(sub, quiet_start=None, quiet_end=None))
    assert len(await core.run_digests(utc(2026, 11, 25, 12))) == 1


async def test_preview_shows_the_first_digest_then_what_is_new(core: PolicyWatch) -> None:
    assert "no active subscriptions" in (await core.handle(CHANNEL, "digest")).title
    now = datetime.now(UTC)  # the sample corpus was stored by the wall clock
    await _subscribe(core, "subscribe ev-tariffs daily at 09:00 tz UTC", now)
    core.clock = lambda: now
    first = await core.handle(CHANNEL, "digest")
    # Never had a digest: the preview is the first one, with what the bot stored
    # in the day before it is due, and says when that is.
    assert first.title.startswith("Preview of the first digest: ")
    assert first.lines[0].startswith("First digest due ")
    assert first.lines[0].endswith(" 09:00 UTC.")
    previewed = {item.title for item in first.all_items()}
    assert previewed
    [sent] = await core.run_digests(now + timedelta(days=1))
    assert {item.title for item in sent.reply.all_items()} == previewed
    core.clock = lambda: now + timedelta(days=1, minutes=1)
    after = await core.handle(CHANNEL, "digest")
    assert after.title.startswith("Nothing new since the last digest. Next digest due ")
    await core.ingest([EV_TARIFFS_NEWS])
    preview = await core.handle(CHANNEL, "digest")
    assert preview.title.startswith("Preview of the next digest")
    assert [item.title for item in preview.all_items()] == ["US raises tariffs on Chinese EVs"]
    assert len(await core.store.outbox()) == 1  # previews send nothing


@pytest.mark.parametrize("dry_run", [True, False])
async def test_channel_filter_and_dry_run(core: PolicyWatch, dry_run: bool) -> None:
    await _subscribe(core, "subscribe ev-tariffs daily at 09:00", utc(2026, 11, 24, 12))
    await core.ingest([EV_TARIFFS_NEWS])
    assert await core.run_digests(utc(2026, 11, 26, 9, 1), channel="other") == []
    built = await core.run_digests(
        utc(2026, 11, 26, 9, 1), channel=CHANNEL.channel, dry_run=dry_run
    )
    assert len(built) == 1
    assert len(await core.store.outbox()) == (0 if dry_run else 1)


async def test_a_muted_story_stays_out_of_alerts_and_digests(core: PolicyWatch) -> None:
    await _subscribe(core, "subscribe ev-tariffs instant", utc(2026, 11, 24, 12))
    await core.ingest([EV_TARIFFS_NEWS])
    [alert] = await core.run_digests(utc(2026, 11, 25, 10, 1))
    [story] = alert.reply.items
    assert alert.reply.actions[0].command == f"mute {story.story_id}"
    muted = await core.handle(CHANNEL, alert.reply.actions[0].command)  # the button
    assert not muted.is_error and "Muted" in muted.title
    # Another outlet's take on the same story: joins it, and is left out.
    await core.ingest(
        [_news(2, "US raises tariffs on Chinese EVs, again", "Bloomberg", utc(2026, 11, 25, 10, 5))]
    )
    assert await core.run_digests(utc(2026, 11, 25, 10, 6)) == []
    [sub] = await core.store.channel_subscriptions(*CHANNEL.channel_key)
    assert sub.cursor_pk == await core.store.max_item_pk()  # moved past the muted item
    other = Caller(platform="console", workspace="W1", channel="C10", user="U1")
    assert await core.store.muted_stories(other.channel_key) == set()  # per channel
    assert "Unmuted" in (await core.handle(CHANNEL, f"unmute {story.story_id}")).title
    assert (await core.handle(CHANNEL, "mute nope")).is_error


async def test_a_claim_and_its_denial_are_one_digest_line(core: PolicyWatch) -> None:
    """The sample's Ford-Xiaomi report and Ford's denial, in one first digest:
    one line, the denial marked on it as `company ford` shows it."""
    now = datetime.now(UTC)  # the sample corpus was stored by the wall clock
    await _subscribe(core, "subscribe all daily at 09:00 tz UTC", now)
    [built] = await core.run_digests(now + timedelta(days=1))
    lines = built.reply.all_items()
    [claim] = [line for line in lines if "Xiaomi" in line.title]
    assert claim.note is not None and claim.note.startswith("denied by Ford, ")
    assert not any("completely false" in line.title.lower() for line in lines)
    company = await core.handle(CHANNEL, "company ford")
    [same] = [item for item in company.items if item.story_id == claim.story_id]
    assert same.note == claim.note
