"""Channel controls through the core on real SQLite: pause and resume, per-channel
filters, and what digests and alerts do with them (frozen clock)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.caller import Caller
from bot.channels import mentions
from bot.commands import grammar as g
from bot.core import PolicyWatch
from bot.digests.sender import OutboxSender, Pacing
from bot.models import Item
from bot.replies import Reply
from bot.runner import Jobs
from bot.store.records import StoredItem
from tests.recording_adapter import RecordingAdapter

FAST = Pacing(global_per_second=1000, channel_interval=0)

CHANNEL = Caller(platform="console", workspace="W1", channel="C7", user="U1")
TODAY = datetime(2026, 11, 25, 12, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def core(core: PolicyWatch) -> PolicyWatch:
    core.clock = lambda: TODAY
    return core


def news(n: int, title: str, when: datetime, summary: str = "") -> Item:
    return Item(
        id=f"c{n}",
        title=title,
        summary=summary,
        url=f"https://news.example/c{n}",
        source="Reuters",
        published=when,
    )


async def ask(core: PolicyWatch, text: str, at: datetime = TODAY) -> str:
    """Run a command as if it were ``at``; the reply as text (errors fail the test)."""
    before, core.clock = core.clock, lambda: at
    try:
        reply = await core.handle(CHANNEL, text)
    finally:
        core.clock = before
    assert not reply.is_error, reply.to_text()
    return reply.to_text()


async def refused(core: PolicyWatch, text: str) -> str:
    reply = await core.handle(CHANNEL, text)
    assert reply.is_error, reply.to_text()
    return reply.to_text()


# ------------------------------------------------------------------ grammar


def test_pause_resume_and_filter_grammar() -> None:
    assert g.parse("pause") == g.Pause("all", None)
    assert g.parse("pause for 7d") == g.Pause("all", 7)
    assert g.parse("pause EV-Tariffs for 2d") == g.Pause("ev-tariffs", 2)
    assert g.parse("resume") == g.Pause("all", None, paused=False)
    assert g.parse("resume ev-tariffs") == g.Pause("ev-tariffs", None, paused=False)
    sub = g.parse('subscribe ev-tariffs instant min high only "battery plant" without charging')
    assert isinstance(sub, g.Subscribe)
    assert (sub.cadence, sub.min_priority, sub.only, sub.without) == (
        "instant",
        2,
        "battery plant",
        "charging",
    )
    for bad, reason in [
        ("pause for 0d", "a pause lasts 1d to 365d"),
        ("pause ev-tariffs tomorrow", "unexpected 'ev-tariffs tomorrow'"),
        ("pause ev-tariffs 7d", "write the length with 'for': `pause ... for 7d`"),
        ("resume ev-tariffs for 2d", "unexpected"),
        ("subscribe ev-tariffs min urgent", "min must be high or normal, got 'urgent'"),
        ("subscribe ev-tariffs only a only b", "'only' is given twice"),
        ("subscribe ev-tariffs without", "'without' needs a value"),
        ("subscribe ev-tariffs only !!!", "the filter term '!!!' has no letters or digits"),
    ]:
        with pytest.raises(g.ParseError) as caught:
            g.parse(bad)
        assert reason in caught.value.message, bad
        assert caught.value.spec is not None


# ------------------------------------------------------------------ pause and resume


async def test_a_paused_digest_is_skipped_and_resumes_with_what_is_new_since(
    core: PolicyWatch,
) -> None:
    await ask(core, "subscribe ev-tariffs daily at 09:00", utc(2026, 11, 24, 12))
    text = await ask(core, "pause ev-tariffs for 2d", utc(2026, 11, 24, 13))
    assert "until 2026-11-26 13:00 UTC" in text
    listed = await ask(core, "subscriptions", utc(2026, 11, 25, 8))
    assert "ev-tariffs — daily at 09:00 UTC — PAUSED until 2026-11-26 13:00 UTC" in listed
    await core.ingest([news(1, "US raises tariffs on Chinese EVs", utc(2026, 11, 25, 10))])
    assert await core.run_digests(utc(2026, 11, 26, 9, 0)) == []  # paused: skipped
    assert await core.store.outbox() == []
    # The pause ends by itself; what came in during it is not saved up.
    assert "PAUSED" not in await ask(core, "subscriptions", utc(2026, 11, 26, 14))
    await core.ingest(
        [news(2, "USTR widens tariffs on Chinese EV batteries", utc(2026, 11, 26, 15))]
    )
    [built] = await core.run_digests(utc(2026, 11, 27, 9, 0))
    assert [i.title for i in built.reply.all_items()] == [
        "USTR widens tariffs on Chinese EV batteries"
    ]


async def test_pause_all_holds_instant_alerts_until_resume(core: PolicyWatch) -> None:
    await ask(core, "subscribe ev-tariffs instant", utc(2026, 11, 24, 12))
    await ask(core, "subscribe catl-licensing instant", utc(2026, 11, 24, 12))
    text = await ask(core, "pause")
    assert "Paused all in this channel until you `resume`" in text and "2 subscriptions" in text
    await core.ingest([news(1, "US raises tariffs on Chinese EVs", utc(2026, 11, 25, 10))])
    assert await core.run_digests(utc(2026, 11, 25, 12, 1)) == []
    listed = await ask(core, "subscriptions")
    assert listed.count("PAUSED (resume with") == 2
    assert "Resumed all" in await ask(core, "resume")
    assert await core.run_digests(utc(2026, 11, 25, 12, 2)) == []  # skipped, not saved up
    await core.ingest(
        [news(2, "USTR widens tariffs on Chinese EV batteries", utc(2026, 11, 25, 12))]
    )
    [alert] = await core.run_digests(utc(2026, 11, 25, 12, 3))
    assert alert.kind == "alert"


async def test_pause_refusals(core: PolicyWatch) -> None:
    assert "no subscriptions to pause" in await refused(core, "pause")
    await ask(core, "subscribe ev-tariffs")
    assert "not subscribed to 'catl-licensing'" in await refused(core, "pause catl-licensing")
    assert "Nothing is paused here" in await refused(core, "resume")
    assert "Usage: pause [WATCHLIST|all] [for Nd]" in await refused(core, "pause for 9999d")


# ------------------------------------------------------------------ filters


async def test_filters_shape_digests_and_say_so_in_the_footer(core: PolicyWatch) -> None:
    # Stored first: a new filter is checked against the watchlist's newest items.
    await core.ingest(
        [
            news(1, "US raises tariffs on Chinese EVs", utc(2026, 11, 25, 10)),
            news(2, "Canada matches US tariffs on Chinese EVs", utc(2026, 11, 25, 10, 30)),
            news(3, "Section 301 duty on Chinese electric cars stays", utc(2026, 11, 25, 11)),
        ]
    )
    text = await ask(
        core,
        "subscribe ev-tariffs daily at 09:00 only tariffs without Canada",
        utc(2026, 11, 24, 12),
    )
    assert "filters: only 'tariffs', without 'Canada'" in text
    assert "ev-tariffs — only 'tariffs', without 'Canada'" in await ask(core, "filters")
    # A first digest also carries what was stored in the day before it (here
    # sample items too): the filters decide among all of it.
    kept = "US raises tariffs on Chinese EVs"
    dropped = {
        "Canada matches US tariffs on Chinese EVs",
        "Section 301 duty on Chinese electric cars stays",
    }
    preview = await core.handle(CHANNEL, "digest")
    titles = [i.title for i in preview.all_items()]
    assert kept in titles and not dropped & set(titles)
    [built] = await core.run_digests(utc(2026, 11, 26, 9, 0))
    titles = [i.title for i in built.reply.all_items()]
    assert kept in titles and not dropped & set(titles)
    assert built.reply.footer is not None
    assert "Filtered in this channel: ev-tariffs only 'tariffs', without 'Canada'" in (
        built.reply.footer
    )


async def test_a_folded_burst_of_alerts_names_the_filters_too(core: PolicyWatch) -> None:
    await ask(core, "subscribe ev-tariffs instant without Canada", utc(2026, 11, 24, 12))
    core.digests.policy = type(core.digests.policy)(burst_limit=1)
    await core.ingest(
        [
            news(
                1,
                "Commerce opens Section 232 probe into Chinese EV parts imports to the US",
                utc(2026, 11, 25, 10),
            ),
            news(
                2,
                "Customs detains Chinese-made electric vehicles over US tariff evasion",
                utc(2026, 11, 25, 10, 1),
            ),
            news(3, "Canada matches US tariffs on Chinese EVs", utc(2026, 11, 25, 10, 2)),
        ]
    )
    [folded] = await core.run_digests(utc(2026, 11, 25, 11))
    assert folded.kind == "digest" and len(folded.reply.all_items()) == 2
    assert folded.reply.footer is not None
    assert "Filtered in this channel: ev-tariffs without 'Canada'" in folded.reply.footer


async def test_min_priority_filters_by_the_items_highest_watchlist(core: PolicyWatch) -> None:
    # ev-tax-credits is a normal-priority watchlist: `min high` keeps only its items
    # that also matched a high-priority one (here: CATL licensing).
    await ask(core, "subscribe ev-tax-credits instant min high", utc(2026, 11, 24, 12))
    await core.ingest(
        [
            news(1, "IRS updates clean vehicle credit FAQs", utc(2026, 11, 25, 10)),
            news(
                2,
                "Ford's CATL licensing deal keeps its clean vehicle credit",
                utc(2026, 11, 25, 10, 5),
                summary="The 45X production tax credit survives for the Marshall LFP plant.",
            ),
        ]
    )
    built = await core.run_digests(utc(2026, 11, 25, 11))
    titles = [i.title for b in built for i in b.reply.all_items()]
    assert "IRS updates clean vehicle credit FAQs" not in titles
    assert all(b.reply.footer and "ev-tax-credits min high" in b.reply.footer for b in built)


async def test_a_filter_that_would_drop_everything_is_refused(core: PolicyWatch) -> None:
    text = await refused(core, "subscribe ev-tariffs only zeppelin")
    assert "That filter would drop everything" in text
    assert "newest ev-tariffs items passes the filter (only 'zeppelin')" in text
    assert "Usage: subscribe WATCHLIST|all" in text
    assert await core.store.channel_subscriptions(*CHANNEL.channel_key) == []
    assert "No filters in this channel" in await ask(core, "filters")


# ------------------------------------------------------------------ test send


async def test_send_test_goes_through_the_outbox_and_moves_no_cursor(core: PolicyWatch) -> None:
    await ask(core, "subscribe ev-tariffs daily at 09:00 without Canada", utc(2026, 11, 24, 12))
    [before] = await core.store.channel_subscriptions(*CHANNEL.channel_key)
    text = await ask(core, "digest send-test")
    assert "Test digest on its way" in text
    [row] = await core.store.outbox()
    assert (row.entry.kind, row.entry.channel, row.status) == ("digest", "C7", "pending")
    sample = Reply.from_json(row.entry.payload)
    assert sample.title.startswith("TEST digest")
    assert [heading for heading, _ in sample.sections] == ["EV tariffs"]
    assert sample.footer is not None and "Test send" in sample.footer
    assert "ev-tariffs without 'Canada'" in sample.footer
    [after] = await core.store.channel_subscriptions(*CHANNEL.channel_key)
    assert (after.cursor_pk, after.last_due_at) == (before.cursor_pk, before.last_due_at)
    # A double click in the same minute queues one message, and says so.
    assert "already sent to this channel this minute" in await refused(core, "digest send-test")
    platform = RecordingAdapter(core, core.settings)
    assert (await OutboxSender(core.store, {"console": platform}, FAST).drain()).sent == 1
    assert platform.sent[0].reply.title == sample.title
    assert "digest send-test" in await refused(core, "digest send-tset")


async def test_a_running_bot_sends_a_test_digest_at_once(core: PolicyWatch) -> None:
    platform = RecordingAdapter(core, core.settings)
    jobs = Jobs(core, [platform], pacing=FAST)
    jobs.start()
    try:
        tick = jobs.scheduler.get_job("digests")
        assert tick is not None
        for _ in range(100):  # the first tick runs at start: let it pass
            if tick.next_run_time > datetime.now(UTC) + timedelta(seconds=20):
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        await ask(core, "digest send-test")
        for _ in range(100):  # well under the 30 s tick: only `send_now` can explain it
            if platform.sent:
                break
            await asyncio.sleep(0.05)
        assert [d.reply.title[:11] for d in platform.sent] == ["TEST digest"]
    finally:
        jobs.stop()
        await jobs.leadership.stop()


# ------------------------------------------------------------------ mentions


def test_alert_mention_grammar_never_allows_everyone() -> None:
    assert g.parse("alert mention <!subteam^S0AB1|@policy>") == g.AlertMention(
        "<!subteam^S0AB1|@policy>"
    )
    assert g.parse("alert mention <@&112233445566>") == g.AlertMention("<@&112233445566>")
    assert g.parse("alert mention OFF") == g.AlertMention(None)
    for everyone in ("@everyone", "@here", "@channel", "<!channel>", "<!here|here>", "<!everyone>"):
        with pytest.raises(g.ParseError) as caught:
            g.parse(f"alert mention {everyone}")
        assert "never mentions everyone" in caught.value.message, everyone
    for other in ("<@U123ABC>", "policy-team", "<#C123|general>"):
        with pytest.raises(g.ParseError) as caught:
            g.parse(f"alert mention {other}")
        assert "is not a Slack user group or a Discord role" in caught.value.message


async def test_mentions_go_on_high_priority_alerts_only(core: PolicyWatch) -> None:
    admin = Caller(platform="console", workspace="W1", channel="C7", user="U_ADMIN")
    denied = await core.handle(CHANNEL, "alert mention <@&112233445566>")
    assert denied.is_error and "Only admins" in denied.title
    slack_admin = Caller(platform="slack", workspace="W1", channel="C7", user="U_ADMIN")
    wrong = await core.handle(slack_admin, "alert mention <@&112233445566>")
    assert wrong.is_error and "belongs to another platform" in wrong.title
    done = await core.handle(admin, "alert mention <@&112233445566>")
    assert "will mention <@&112233445566>" in done.title
    assert await core.store.channel_mention(CHANNEL.channel_key) == "<@&112233445566>"
    [entry, *_] = await core.store.recent_audit(5)
    assert (entry.action, entry.detail, entry.outcome) == (
        "alert mention",
        "alert mention <@&112233445566>",
        "ok",
    )
    await ask(core, "subscribe ev-tariffs instant", utc(2026, 11, 24, 12))  # high priority
    await ask(core, "subscribe ev-tax-credits instant", utc(2026, 11, 24, 12))  # normal
    await core.ingest(
        [
            news(1, "US raises tariffs on Chinese EVs", utc(2026, 11, 25, 10)),
            news(2, "IRS updates clean vehicle credit FAQs", utc(2026, 11, 25, 10, 5)),
        ]
    )
    built = await core.run_digests(utc(2026, 11, 25, 11))
    by_title = {b.reply.items[0].title: b.reply for b in built}
    assert by_title["US raises tariffs on Chinese EVs"].mention == "<@&112233445566>"
    assert by_title["IRS updates clean vehicle credit FAQs"].mention is None
    listed = await ask(core, "subscriptions")
    assert "High-priority instant alerts here mention <@&112233445566>." in listed
    [row] = [r for r in await core.store.outbox() if "tariffs" in r.entry.payload]
    assert Reply.from_json(row.entry.payload).mention == "<@&112233445566>"  # survives the outbox
    assert (
        "Alerts in this channel mention nobody now"
        in (await core.handle(admin, "alert mention off")).title
    )
    assert await core.store.channel_mention(CHANNEL.channel_key) is None


def test_a_filter_term_reads_endings_as_watchlist_phrases_do() -> None:
    def row(title: str) -> StoredItem:
        return StoredItem(pk=1, item=news(9, title, TODAY), fetched_at=TODAY)

    assert mentions(row("US raises tariffs on Chinese EVs"), "tariff")
    assert mentions(row("China’s new battery rules"), "China")
    assert not mentions(row("Tariffication of quotas"), "tariff")
    assert not mentions(row("US keeps 100% tariff"), "tariffs")  # a plural term is a plural
