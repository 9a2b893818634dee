"""Chat commands end to end through the core, on real SQLite with the sample corpus."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings

from bot.caller import Caller
from bot.core import PolicyWatch
from bot.models import Item
from bot.replies import ReplyKind
from tests.test_grammar import COMMAND_TEXT


async def test_company_ford_finds_the_story_and_no_look_alikes(
    core: PolicyWatch, user: Caller
) -> None:
    reply = await core.handle(user, "company ford")
    assert reply.kind is ReplyKind.OK
    titles = " | ".join(i.title for i in reply.items)
    assert "Xiaomi" in titles
    assert "CATL" in titles
    assert "Moolenaar" in titles or "House China committee" in titles
    for look_alike in (
        "Doug Ford",
        "Harrison Ford",
        "Gerald R. Ford",
        "Ford Foundation",
        "Tom Ford",
    ):
        assert look_alike not in titles
    dates = [i.published for i in reply.items if i.published]
    assert dates == sorted(dates, reverse=True)
    assert all(i.why for i in reply.items)


async def test_company_tolerates_typos_aliases_and_tickers(core: PolicyWatch, user: Caller) -> None:
    typo = await core.handle(user, "company Frod")
    assert typo.title.startswith("Ford Motor Company")
    assert any("closest match to 'Frod'" in line for line in typo.lines)
    for name in ("Contemporary Amperex", "300750.SZ", "blueoval", "general motors"):
        reply = await core.handle(user, f"company {name}")
        assert reply.kind is ReplyKind.OK, name
        assert not any("closest match" in line for line in reply.lines), name
    unknown = await core.handle(user, "company zzzzqqq")
    assert unknown.kind is ReplyKind.ERROR
    assert "Known companies" in unknown.title


async def test_days_window_limits_results(core: PolicyWatch, user: Caller) -> None:
    everything = await core.handle(user, "company ford")
    recent = await core.handle(user, "company ford 1d")
    assert len(everything.items) > 0
    assert len(recent.items) < len(everything.items)


async def test_topic_search_and_watchlists(core: PolicyWatch, user: Caller) -> None:
    topic = await core.handle(user, "topic ev-tariffs")
    assert topic.items and all("ev-tariffs" not in i.title for i in topic.items)
    assert topic.actions[0].command == "subscribe ev-tariffs daily"
    assert any(line.startswith("Scope: US tariffs") for line in topic.lines)
    wrong = await core.handle(user, "topic ev-tarifs")
    assert wrong.kind is ReplyKind.ERROR and "ev-tariffs" in wrong.title
    assert wrong.title == "No watchlist 'ev-tarifs'. Did you mean `topic ev-tariffs`?"
    assert wrong.lines[0] == "Usage: topic WATCHLIST [Nd]"
    found = await core.handle(user, "search Marshall LFP")
    assert found.items and any(
        "Marshall" in (i.title + i.why) or "LFP" in i.title for i in found.items
    )
    listing = await core.handle(user, "watchlists")
    assert len(listing.lines) == 5


async def test_unknown_command_gets_help_with_the_closest_command(
    core: PolicyWatch, user: Caller
) -> None:
    reply = await core.handle(user, "subscrib ev-tariffs")
    assert reply.kind is ReplyKind.ERROR and reply.ephemeral
    assert "Did you mean `subscribe" in reply.title
    gibberish = await core.handle(user, "xyzzy")
    assert gibberish.kind is ReplyKind.ERROR
    assert any(line.startswith("company NAME") for line in gibberish.lines)


async def test_subscribe_list_and_unsubscribe(core: PolicyWatch, user: Caller) -> None:
    reply = await core.handle(
        user, "subscribe ev-tariffs weekly on monday at 08:30 tz America/New_York"
    )
    assert reply.kind is ReplyKind.OK
    listed = await core.handle(user, "subscriptions")
    assert listed.lines == ("ev-tariffs — weekly on Monday at 08:30 America/New_York",)
    other_channel = replace(user, channel="C2")
    assert "no subscriptions" in (await core.handle(other_channel, "subscriptions")).title
    everything = await core.handle(user, "subscribe all instant")
    assert len(everything.lines) == 5
    assert (await core.handle(user, "unsubscribe all")).kind is ReplyKind.OK
    missing = await core.handle(user, "unsubscribe ev-tariffs")
    assert missing.kind is ReplyKind.ERROR
    typo = await core.handle(user, "subscribe ev-tarifs")
    assert typo.title == "No watchlist 'ev-tarifs'. Did you mean `ev-tariffs`?"
    assert typo.lines[0].startswith("Usage: subscribe WATCHLIST|all")


async def test_admin_commands_are_refused_and_audited_for_users(
    core: PolicyWatch, user: Caller, admin: Caller
) -> None:
    refused = await core.handle(user, "watchlist add ev-tariffs Section 232")
    assert refused.kind is ReplyKind.DENIED
    assert (await core.handle(user, "audit")).kind is ReplyKind.DENIED
    log = await core.handle(admin, "audit")
    assert any("U_USER" in line and "refused" in line for line in log.lines)
    platform_admin = Caller("slack", "T1", "C1", "U_OWNER", platform_admin=True)
    assert (await core.handle(platform_admin, "audit 1")).kind is ReplyKind.OK


async def test_admin_edit_takes_effect_at_once(
    core: PolicyWatch, user: Caller, admin: Caller
) -> None:
    before = await core.handle(user, "topic ev-tariffs")
    titles_before = {i.title for i in before.items}
    # Exclude a word that only the newest matching headline carries.
    others = " ".join(t for t in titles_before if t != before.items[0].title).lower()
    word = next(
        w
        for w in before.items[0].title.split()
        if w.isalpha() and len(w) > 4 and w.lower() not in others
    )
    done = await core.handle(admin, f"watchlist exclude ev-tariffs {word}")
    assert done.kind is ReplyKind.OK, done.title
    after = await core.handle(user, "topic ev-tariffs")
    assert {i.title for i in after.items} == titles_before - {before.items[0].title}
    assert (await core.handle(admin, f"watchlist remove ev-tariffs {word}")).kind is ReplyKind.OK
    restored = await core.handle(user, "topic ev-tariffs")
    assert {i.title for i in restored.items} == titles_before
    log = await core.handle(admin, "audit 2")
    assert f"watchlist remove ev-tariffs {word}" in log.lines[0]
    assert "U_ADMIN" in log.lines[0]


async def test_create_add_delete_watchlist_and_alias(
    core: PolicyWatch, admin: Caller, user: Caller
) -> None:
    assert (
        await core.handle(admin, "watchlist create lfp-plants LFP battery plants")
    ).kind is ReplyKind.OK
    assert (await core.handle(admin, "watchlist create lfp-plants again")).kind is ReplyKind.ERROR
    assert (await core.handle(admin, "watchlist add lfp-plants LFP")).kind is ReplyKind.OK
    topic = await core.handle(user, "topic lfp-plants")
    assert topic.items and all("LFP" in (i.title + i.why) for i in topic.items)
    assert (await core.handle(admin, "watchlist add lfp-plants LFP")).kind is ReplyKind.ERROR
    assert (await core.handle(admin, "watchlist delete lfp-plants confirm")).kind is ReplyKind.OK
    assert (await core.handle(user, "topic lfp-plants")).kind is ReplyKind.ERROR
    assert (await core.handle(admin, "company alias nobody Foo")).kind is ReplyKind.ERROR
    assert (await core.handle(admin, "company alias ford Tesla")).kind is ReplyKind.ERROR
    assert (await core.handle(admin, "company alias ford Dearborn automaker")).kind is ReplyKind.OK
    assert (await core.handle(user, "company Dearborn automaker")).title.startswith(
        "Ford Motor Company"
    )


async def test_edits_survive_a_restart(core: PolicyWatch, admin: Caller, user: Caller) -> None:
    await core.handle(admin, "watchlist create lfp-plants LFP battery plants")
    await core.handle(admin, "watchlist add lfp-plants LFP")
    reopened = await PolicyWatch.open(core.settings)
    try:
        assert "lfp-plants" in reopened.registry.catalog.watchlists
        assert (await reopened.handle(user, "topic lfp-plants")).items
    finally:
        await reopened.close()


async def test_edits_reach_a_replica_that_is_already_running(
    core: PolicyWatch, admin: Caller, user: Caller
) -> None:
    replica = await PolicyWatch.open(core.settings)  # another process on the same database
    try:
        assert (await core.handle(admin, "watchlist create lidar-probe Lidar probes")).title
        await core.handle(admin, "watchlist add lidar-probe Hesai")
        await core.handle(admin, "company alias ford Blue Oval")
        assert not (await replica.handle(user, "topic lidar-probe")).is_error
        assert (await replica.handle(user, "company Blue Oval")).title.startswith("Ford Motor")
        await replica.ingest([Item(id="h1", title="Hesai lidar units face new US scrutiny")])
        [row] = await replica.store.items_since(await replica.store.max_item_pk() - 1, 1)
        assert row.watchlists == ("lidar-probe",)
    finally:
        await replica.close()


async def test_autocomplete(core: PolicyWatch) -> None:
    names = core.complete("name", "fo")
    assert ("Ford Motor Company", "ford") in names
    assert len(core.complete("name", "")) <= 25
    assert [v for _, v in core.complete("watchlist", "tar")] == ["ev-tariffs"]


async def test_delete_asks_first_pauses_subscriptions_and_can_be_undone(
    core: PolicyWatch, admin: Caller, user: Caller
) -> None:
    assert (await core.handle(user, "subscribe ev-tariffs daily")).kind is ReplyKind.OK
    await core.handle(admin, "watchlist add ev-tariffs solid-state separator")
    asked = await core.handle(admin, "watchlist delete ev-tariffs")
    assert asked.title == "Delete EV tariffs (ev-tariffs)?"
    assert "1 subscription" in asked.lines[0]
    assert [a.command for a in asked.actions] == ["watchlist delete ev-tariffs confirm"]
    assert "ev-tariffs" in core.registry.catalog.watchlists  # nothing happened yet
    done = await core.handle(admin, asked.actions[0].command)  # the button, or typing it
    assert done.kind is ReplyKind.OK and "1 subscription paused" in done.lines[1]
    assert "ev-tariffs" not in core.registry.catalog.watchlists
    listed = await core.handle(user, "subscriptions")
    assert "PAUSED: watchlist ev-tariffs was deleted" in listed.lines[0]
    assert (await core.handle(admin, "watchlist restore ev-tariffs")).lines[1] == (
        "1 subscription resumed."
    )
    restored = core.registry.catalog.watchlists["ev-tariffs"]
    assert "solid-state separator" in restored.include  # with the edits made before
    assert "PAUSED" not in (await core.handle(user, "subscriptions")).lines[0]
    again = await core.handle(admin, "watchlist restore ev-tariffs")
    assert again.kind is ReplyKind.ERROR and "not deleted" in again.title
    never = await core.handle(admin, "watchlist restore no-such-list")
    assert never.kind is ReplyKind.ERROR and "audit trail" in never.title
    log = await core.handle(admin, "audit 5")
    assert any("watchlist restore ev-tariffs" in line for line in log.lines)
    assert any("watchlist delete ev-tariffs" in line for line in log.lines)


async def test_claim_and_denial_are_one_thread(core: PolicyWatch, user: Caller) -> None:
    reply = await core.handle(user, "company ford")
    claim = next(
        i for i in reply.items if "Xiaomi" in i.title and "denied by Ford" in (i.note or "")
    )
    assert claim.story_id
    # The denial is folded into the claim rather than listed as another event.
    assert not any("completely false" in i.title for i in reply.items)
    thread = await core.handle(user, f"story {claim.story_id}")
    assert thread.kind is ReplyKind.OK
    roles = [i.note for i in thread.items]
    assert roles[0] == "claim" and "denial" in roles
    assert roles.index("denial") > max(n for n, role in enumerate(roles) if role == "claim")
    times = [i.published for i in thread.items]
    assert times == sorted(times)  # type: ignore[type-var]
    # Asking by the denial's id shows the same thread.
    denial_story = next(i.story_id for i in thread.items if i.note == "denial")
    again = await core.handle(user, f"story {denial_story}")
    assert [i.title for i in again.items] == [i.title for i in thread.items]
    missing = await core.handle(user, "story nope")
    assert missing.kind is ReplyKind.ERROR


def _byd_gm_story(now: datetime) -> tuple[Item, Item, Item]:
    """A fresh claim, its re-report by another outlet, and the denial, an hour apart."""
    claim = Item(
        id="claim",
        title="BYD held talks with General Motors over a Michigan battery venture",
        source="Financial Times",
        published=now - timedelta(hours=3),
    )
    re_report = Item(
        id="re-report",
        title="General Motors and BYD discussed Michigan battery venture, FT says",
        source="Reuters",
        published=now - timedelta(hours=2),
    )
    denial = Item(
        id="denial",
        title="GM says report of BYD battery venture talks is 'completely false'",
        source="Reuters",
        published=now - timedelta(hours=1),
    )
    return claim, re_report, denial


@pytest.mark.parametrize("rebuild_limit", [50_000, 1])
async def test_stories_stored_by_another_process_are_joined(
    core: PolicyWatch, user: Caller, monkeypatch: pytest.MonkeyPatch, rebuild_limit: int
) -> None:
    """A follower that becomes leader (or an operator's `policywatch ingest`)
    takes in what the other process stored before grouping its own items; after
    a gap longer than the rebuild limit it rebuilds its index instead."""
    import bot.core

    monkeypatch.setattr(bot.core, "STORY_REBUILD_LIMIT", rebuild_limit)
    now = datetime.now(UTC)
    claim, re_report, denial = _byd_gm_story(now)
    follower = await PolicyWatch.open(core.settings)  # started before the leader's ingest
    try:
        older = Item(
            id="older",
            title="Senate panel schedules vote on port fees",
            source="AP",
            published=now - timedelta(hours=5),
        )
        await core.ingest([older, claim])  # two items: more than a rebuild limit of 1
        [first] = (await core.handle(user, "company byd 1d")).items
        await follower.ingest([re_report, denial])
        [story] = (await follower.handle(user, "company byd 1d")).items
        assert story.story_id == first.story_id
        assert story.sources == ("Financial Times", "Reuters")
        [answer] = await follower.store.answering([first.story_id or ""])
        assert answer.answers == first.story_id
        # Its own items are not taken in twice when it ingests again.
        await follower.ingest([])
        ref = follower.stories.get(first.story_id or "")
        assert ref is not None and ref.item_ids == [claim.id, re_report.id]
    finally:
        await follower.close()


async def test_stories_survive_a_restart(core: PolicyWatch, user: Caller) -> None:
    claim, re_report, denial = _byd_gm_story(datetime.now(UTC))
    await core.ingest([claim, denial])
    [first] = (await core.handle(user, "company byd 1d")).items
    [answer] = await core.store.answering([first.story_id or ""])
    reopened = await PolicyWatch.open(core.settings)  # the index is rebuilt from the database
    try:
        rebuilt = reopened.stories.get(answer.id)
        assert rebuilt is not None and rebuilt.answers == first.story_id  # the link survives
        await reopened.ingest([re_report])
        [story] = (await reopened.handle(user, "company byd 1d")).items
        assert story.story_id == first.story_id
        assert story.sources == ("Financial Times", "Reuters")
    finally:
        await reopened.close()


# ------------------------------------------------------------------ real text


async def test_apostrophes_find_the_marshall_plant(core: PolicyWatch, user: Caller) -> None:
    for text in ("search Ford's Marshall", "search Ford’s Marshall", "search “Ford’s Marshall"):
        reply = await core.handle(user, text)
        assert reply.kind is ReplyKind.OK, text
        assert any("Marshall battery plant" in i.title for i in reply.items), text
    ford = await core.handle(user, "company ford’s")
    assert ford.title.startswith("Ford Motor Company")
    assert not any("closest match" in line for line in ford.lines)


async def test_story_ids_are_read_whatever_their_case(core: PolicyWatch, user: Caller) -> None:
    found = await core.handle(user, "search Marshall")
    story = found.items[0].story_id
    assert story
    thread = await core.handle(user, f"story {story.upper()}")
    assert thread.kind is ReplyKind.OK and story in thread.title + " ".join(thread.lines)
    muted = await core.handle(user, f"mute {story.upper()}")
    assert muted.title == f"Muted story {story} in this channel"


async def test_a_second_line_runs_nothing(core: PolicyWatch, user: Caller) -> None:
    reply = await core.handle(user, "subscribe ev-tariffs\nunsubscribe all")
    assert reply.kind is ReplyKind.ERROR
    assert reply.title.startswith("one command per message: this message has 2 lines")
    assert reply.lines == ("Type `help` for all commands.",)
    assert "no subscriptions" in (await core.handle(user, "subscriptions")).title


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("watchlist add ev-tariffs e", "'e' is too short: a term needs at least 3 letters"),
        ("watchlist add ev-tariffs ev", "'ev' is too short"),
        (
            "watchlist add ev-tariffs \u200b",
            "'<U+200B>' contains an invisible character, U+200B (ZERO WIDTH SPACE)",
        ),
        (
            "watchlist add ev-tariffs \u202etariff",
            "contains a bidi control character, U+202E (RIGHT-TO-LEFT OVERRIDE)",
        ),
        ("watchlist exclude ev-tariffs *", "'*' has no letter or digit"),
        ("company alias ford a", "'a' is too short: an alias needs"),
        ("watchlist add ev-tariffs " + "x" * 101, "a term may be at most 100 characters"),
        ("watchlist create odd-one My \u2066list", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
    ],
)
async def test_unusable_terms_are_refused_with_the_reason_and_audited(
    core: PolicyWatch, admin: Caller, text: str, reason: str
) -> None:
    before = core.registry.edit_count
    reply = await core.handle(admin, text)
    assert reply.kind is ReplyKind.ERROR
    assert reason in reply.title
    assert reply.lines[0].startswith("Usage: ")
    assert core.registry.edit_count == before
    [entry] = await core.store.recent_audit(1)
    assert entry.outcome.startswith("rejected: ") and reason in entry.outcome
    assert "\u200b" not in entry.detail and "\u202e" not in entry.detail


async def test_a_term_that_would_match_most_items_is_refused_with_the_count(
    core: PolicyWatch, admin: Caller
) -> None:
    stored = await core.store.item_count()
    with_the = sum(
        1
        for row in await core.store.items_since(0, stored)
        if " the " in f" {row.item.title} {row.item.summary} ".lower()
    )
    assert with_the > stored / 2  # the sample corpus is English
    reply = await core.handle(admin, "watchlist add ev-tariffs the")
    assert reply.kind is ReplyKind.ERROR
    assert reply.title.startswith("'the' would match ")
    matched = int(reply.title.split()[3].replace(",", ""))
    assert with_the <= matched <= stored and reply.title.endswith(
        f"of {stored} recent items; use a longer or more specific phrase"
    )
    excluded = await core.handle(admin, "watchlist exclude ev-tariffs The")
    assert "would match" in excluded.title
    alias = await core.handle(admin, "company alias ford THE")
    assert "would match" in alias.title
    [entry] = await core.store.recent_audit(1)
    assert "would match" in entry.outcome
    narrow = await core.handle(admin, "watchlist add ev-tariffs countervailing duty")
    assert narrow.kind is ReplyKind.OK, narrow.title


@settings(
    max_examples=60,
    deadline=None,
    # One core serves every example: state carried between them is more input.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=COMMAND_TEXT)
@example(text="watchlist add ev-tariffs 'x")
@example(text="subscribe all weekly on sun at 23:59 tz asia/tokyo")
@example(text='company "ford 7d')
async def test_any_text_gets_a_reply_never_a_traceback(
    core: PolicyWatch, admin: Caller, text: str
) -> None:
    reply = await core.handle(admin, text)
    assert reply.title
    assert not reply.title.startswith("Something went wrong on our side"), text


async def test_a_thread_names_a_letter_a_letter_not_a_claim(
    core: PolicyWatch, user: Caller
) -> None:
    found = await core.handle(user, "search Moolenaar Presses Ford")
    [letter] = [i for i in found.items if i.title.startswith("Chairman Moolenaar Presses Ford")]
    assert letter.story_id
    thread = await core.handle(user, f"story {letter.story_id}")
    assert thread.items[0].note == "letter"
    assert "claim" not in [i.note for i in thread.items]
    # Opening the thread is how a reader asks why it reached the channel.
    assert any(
        line.startswith("Picked for ") and "House China Committee: matched" in line
        for line in thread.lines
    )


async def test_follow_up_is_linked_counted_and_threaded(core: PolicyWatch, user: Caller) -> None:
    claim, re_report, _ = _byd_gm_story(datetime.now(UTC))
    reaction = Item(
        id="reaction",
        title="Michigan governor welcomes possible BYD and General Motors battery venture",
        source="Detroit Free Press",
        published=datetime.now(UTC) - timedelta(minutes=30),
    )
    await core.ingest([claim, re_report, reaction])
    # The claim's line counts the follow-up; the reaction, an event of its own,
    # keeps its line (a wrong link must never hide news).
    lines = (await core.handle(user, "company byd 1d")).items
    [story] = [i for i in lines if i.title == claim.title]
    assert "+1 follow-up" in (story.note or "")
    assert reaction.title in [i.title for i in lines]
    # The thread lists it after the claim, in time order, marked as a follow-up.
    thread = await core.handle(user, f"story {story.story_id}")
    roles = [(i.title, i.note) for i in thread.items]
    assert roles[-1] == (reaction.title, "follow-up")  # "other" is no type to show
    assert [note for _, note in roles[:-1]] == ["claim", "claim"]


async def test_a_companys_reply_to_a_letter_is_its_own_line_noted_on_the_letter(
    core: PolicyWatch, user: Caller
) -> None:
    letter, reply_item = (
        Item(item_id, title, summary, source=source, published=published, source_kind=kind)
        for item_id, title, summary, source, published, kind in (
            (
                "r1",
                "Moolenaar writes to Farley after Ford expands CATL-licensed battery line",
                "The China committee chair asks Ford how many CATL staff will work on it.",
                "Select Committee",
                datetime(2026, 12, 1, 15, tzinfo=UTC),
                "committee",
            ),
            (
                "r2",
                "Ford tells China panel the Marshall expansion adds no new CATL rights",
                "In a letter to Moolenaar, Ford says CATL staff at Marshall remain advisers.",
                "Reuters",
                datetime(2026, 12, 3, 15, tzinfo=UTC),
                "news",
            ),
        )
    )
    await core.ingest([letter, reply_item])
    reply = await core.handle(user, "company ford")
    lines = {i.title: i for i in reply.items}
    # Both events are listed; the letter says who answered it (the company the
    # reply's title opens with, not the first company it names: CATL).
    assert reply_item.title in lines
    assert (lines[letter.title].note or "").startswith("letter from Ford, 3 Dec")
