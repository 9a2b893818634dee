"""The chat grammar, including malformed input."""

from __future__ import annotations

import pytest

from bot.commands import grammar as g


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", g.Help()),
        ("help subscribe", g.Help("subscribe")),
        ("company ford", g.CompanyQuery("ford")),
        ("company General Motors 7d", g.CompanyQuery("General Motors", 7)),
        ("COMPANY ford 30D", g.CompanyQuery("ford", 30)),
        ("topic ev-tariffs 14d", g.TopicQuery("ev-tariffs", 14)),
        ("search LFP Marshall", g.Search("LFP Marshall")),
        ("watchlists", g.ListWatchlists()),
        ("subscribe ev-tariffs", g.Subscribe("ev-tariffs")),
        (
            "subscribe all weekly on fri at 7:30 tz America/New_York",
            g.Subscribe("all", "weekly", "07:30", "America/New_York", 4),
        ),
        ("subscribe ev-tariffs instant", g.Subscribe("ev-tariffs", "instant")),
        (
            "subscribe ev-tariffs instant quiet 22:00-7:00 tz Europe/London",
            g.Subscribe("ev-tariffs", "instant", tz="Europe/London", quiet=("22:00", "07:00")),
        ),
        ("unsubscribe all", g.Unsubscribe("all")),
        ("subscriptions", g.ListSubscriptions()),
        ("digest", g.DigestPreview()),
        ("sources", g.ListSources()),
        ("story 12", g.StoryQuery("12")),
        ("mute s7k2m9q4xd1", g.Mute("s7k2m9q4xd1")),
        ("unmute s7k2m9q4xd1", g.Mute("s7k2m9q4xd1", muted=False)),
        (
            "watchlist create lfp-plants LFP battery plants",
            g.WatchlistChange("create", "lfp-plants", "LFP battery plants"),
        ),
        (
            'watchlist add ev-tariffs "Section 232"',
            g.WatchlistChange("add", "ev-tariffs", "Section 232"),
        ),
        (
            "watchlist add ev-tariffs “Section 232”",
            g.WatchlistChange("add", "ev-tariffs", "Section 232"),
        ),
        (
            "watchlist exclude ev-tariffs charging tariff",
            g.WatchlistChange("exclude", "ev-tariffs", "charging tariff"),
        ),
        ("watchlist remove ev-tariffs levy", g.WatchlistChange("remove", "ev-tariffs", "levy")),
        ("watchlist delete lfp-plants", g.WatchlistChange("delete", "lfp-plants")),
        (
            "watchlist delete lfp-plants confirm",
            g.WatchlistChange("delete", "lfp-plants", "confirm"),
        ),
        ("watchlist restore lfp-plants", g.WatchlistChange("restore", "lfp-plants")),
        ("company alias ford Blue Oval", g.WatchlistChange("alias", "ford", "Blue Oval")),
        ("audit", g.AuditQuery()),
        ("audit 5", g.AuditQuery(5)),
    ],
)
def test_parses(text: str, expected: g.Command) -> None:
    assert g.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message", "usage"),
    [
        ("compnay ford", "Unknown command 'compnay'", "company NAME [Nd]"),
        ("subscrbe ev-tariffs", "Unknown command", "subscribe WATCHLIST|all"),
        ("watchlst add x y", "Did you mean `watchlist create", "watchlist create ID"),
        ("company", "company needs a name", "company NAME [Nd]"),
        ("company ford 0d", "days must be between", "company NAME [Nd]"),
        ("topic", "topic needs one watchlist", "topic WATCHLIST [Nd]"),
        ("subscribe", "needs a watchlist", "subscribe"),
        ("subscribe ev-tariffs at 25:00", "time must be HH:MM", "subscribe"),
        ("subscribe ev-tariffs tz Mars/Olympus", "unknown time zone", "subscribe"),
        ("subscribe ev-tariffs hourly", "unexpected 'hourly'", "subscribe"),
        ("subscribe ev-tariffs at", "'at' needs a value", "subscribe"),
        ("subscribe ev-tariffs instant quiet 22:00", "quiet hours must look like", "subscribe"),
        ("watchlist ad ev-tariffs x", "unknown watchlist action", "watchlist add ID TERM"),
        ("watchlist add ev-tariffs", "needs a watchlist id and a term", "watchlist add ID TERM"),
        ("watchlist add ev-tariffs ---", "no letters or digits", "watchlist add ID TERM"),
        ("audit lots", "audit takes one number", "audit [N]"),
        ("mute", "mute needs one story id", "mute STORY"),
        ("unmute a b", "unmute needs one story id, e.g. `unmute s7k2m9q4xd1`", "unmute STORY"),
        ("story", "story needs one story id, e.g. `story s7k2m9q4xd1`", "story ID"),
        ("unsubscribe", "unsubscribe needs one watchlist id or 'all'", "unsubscribe"),
        ("watchlists now", "takes no arguments", "watchlists"),
    ],
)
def test_malformed_input_says_what_was_wrong(text: str, message: str, usage: str) -> None:
    with pytest.raises(g.ParseError) as caught:
        g.parse(text)
    assert message in caught.value.message
    assert caught.value.spec is not None
    assert caught.value.spec.usage.startswith(usage)


def test_unbalanced_quote_is_a_clear_error() -> None:
    with pytest.raises(g.ParseError, match="check your quotes"):
        g.parse('search "battery')


@pytest.mark.parametrize("word", ["xyzzy", "frobnicate", "sub"])
def test_gibberish_has_no_suggestion(word: str) -> None:
    with pytest.raises(g.ParseError) as caught:
        g.parse(word)
    assert caught.value.spec is None
