"""The chat grammar, including malformed input."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from bot.commands import grammar as g
from bot.commands.tokens import line_count, quote, tokenize


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
        ("company alias ford Blue Oval", g.WatchlistChange("alias", "ford", "Blue Oval")),
        ("audit", g.AuditQuery()),
        ("audit 5", g.AuditQuery(5)),
        # Apostrophes are letters, straight or curly.
        ("search Ford's Marshall", g.Search("Ford's Marshall")),
        ("search Ford’s Marshall", g.Search("Ford’s Marshall")),
        ("company ford's", g.CompanyQuery("ford's")),
        ("search O'Brien automakers' plans", g.Search("O'Brien automakers' plans")),
        ("search '90s battery", g.Search("90s battery")),  # an open quote takes the rest
        # Straight, curly and single quotes group words; a quoted word is never a keyword.
        ("search 'battery plant' Ford's", g.Search("battery plant Ford's")),
        ("search ‘battery plant’ now", g.Search("battery plant now")),
        ("search “Ford’s plant” now", g.Search("Ford’s plant now")),
        ('company "7d"', g.CompanyQuery("7d")),
        ('company "alias" 3d', g.CompanyQuery("alias", 3)),
        (
            "company alias ford 'F-150 Lightning'",
            g.WatchlistChange("alias", "ford", "F-150 Lightning"),
        ),
        # An unbalanced quote takes the rest of the line.
        ('search "battery plant', g.Search("battery plant")),
        (
            "watchlist add ev-tariffs “Section 232",
            g.WatchlistChange("add", "ev-tariffs", "Section 232"),
        ),
        # One rule for windows: Nd, 1 to MAX_DAYS.
        ("company ford 3650d", g.CompanyQuery("ford", 3650)),
        ("company ford 007d", g.CompanyQuery("ford", 7)),
        # Case-insensitive story ids (and Crockford's I/L/O), watchlist ids and zones.
        ("story S7K2M9Q4XD1", g.StoryQuery("s7k2m9q4xd1")),
        ("mute S7K2M9Q4XDL", g.Mute("s7k2m9q4xd1")),
        ("topic EV-Tariffs", g.TopicQuery("ev-tariffs")),
        ("unsubscribe EV-TARIFFS", g.Unsubscribe("ev-tariffs")),
        (
            "subscribe ev-tariffs tz america/new_york",
            g.Subscribe("ev-tariffs", tz="America/New_York"),
        ),
        ("subscribe ev-tariffs tz utc", g.Subscribe("ev-tariffs")),
        ("subscribe ev-tariffs on monday", g.Subscribe("ev-tariffs", "weekly")),
        ("subscribe ev-tariffs weekly at 8:00", g.Subscribe("ev-tariffs", "weekly", "08:00")),
        ("  company   ford  \n", g.CompanyQuery("ford")),
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
        ("company ford 0d", "from 1 to 3650 days (Nd, e.g. 30d); got '0d'", "company NAME [Nd]"),
        (
            "company ford 99999d",
            "from 1 to 3650 days (Nd, e.g. 30d); got '99999d'",
            "company NAME [Nd]",
        ),
        ("company ford -3d", "from 1 to 3650 days (Nd, e.g. 30d); got '-3d'", "company NAME [Nd]"),
        ("company ford 30", "write the time window as Nd, e.g. 30d", "company NAME [Nd]"),
        ("company ford 30 days", "got '30 days'", "company NAME [Nd]"),
        ("company ford 30days", "got '30days'", "company NAME [Nd]"),
        (
            "topic ev-tariffs 0d",
            "the time window must be from 1 to 3650 days",
            "topic WATCHLIST [Nd]",
        ),
        (
            "company ford " + "9" * 5000 + "d",
            "the time window must be from 1 to 3650 days",
            "company NAME [Nd]",
        ),
        ("search ''", "search needs some words", "search WORDS"),
        (
            "subscribe ev-tariffs instant at 09:00",
            "instant alerts go out as news arrives, so 'at HH:MM' does not apply",
            "subscribe",
        ),
        ("subscribe ev-tariffs instant on fri", "'on DAY' does not apply", "subscribe"),
        ("subscribe ev-tariffs daily on monday", "'on DAY' is for weekly digests", "subscribe"),
        ("subscribe ev-tariffs quiet 22:00-07:00", "quiet hours hold instant alerts", "subscribe"),
        (
            "subscribe ev-tariffs daily weekly",
            "choose one of daily, weekly or instant",
            "subscribe",
        ),
        ("subscribe ev-tariffs at 08:00 at 09:00", "'at' is given twice", "subscribe"),
        ("subscribe ev-tariffs tz EST", "use America/New_York (US Eastern)", "subscribe"),
        ("subscribe ev-tariffs tz pst", "use America/Los_Angeles", "subscribe"),
        ("subscribe ev-tariffs tz UTC+5", "is a fixed offset", "subscribe"),
        ("subscribe ev-tariffs tz Etc/GMT-5", "is a fixed offset", "subscribe"),
        ("subscribe ev-tariffs tz EST5EDT", "old alias or a fixed offset", "subscribe"),
        ("subscribe ev-tariffs tz new_york", "did you mean America/New_York?", "subscribe"),
        ("subscribe ev-tariffs “at” 09:00", "unexpected 'at'", "subscribe"),
        ("topic", "topic needs one watchlist", "topic WATCHLIST [Nd]"),
        ("subscribe", "needs a watchlist", "subscribe"),
        ("subscribe ev-tariffs at 25:00", "time must be HH:MM", "subscribe"),
        ("subscribe ev-tariffs tz Mars/Olympus", "unknown time zone", "subscribe"),
        ("subscribe ev-tariffs hourly", "unexpected 'hourly'", "subscribe"),
        ("subscribe ev-tariffs at", "'at' needs a value", "subscribe"),
        ("subscribe ev-tariffs instant quiet 22:00", "quiet hours must look like", "subscribe"),
        ("watchlist ad ev-tariffs x", "unknown watchlist action", "watchlist add ID TERM"),
        ("watchlist add ev-tariffs", "needs a watchlist id and a term", "watchlist add ID TERM"),
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


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a  b\tc", ["a", "b", "c"]),
        ("Ford's Ford’s O'Brien EVs'", ["Ford's", "Ford’s", "O'Brien", "EVs'"]),
        ('"a b" “c d” ”e f“ ‘g h’', ["a b", "c d", "e f", "g h"]),
        ("'Ford's plant' x", ["Ford's plant", "x"]),
        ("'90s cars", ["90s cars"]),
        ("rock 'n' roll", ["rock", "n", "roll"]),
        ('"New York"\'s x', ["New York's", "x"]),
        ('x "" y', ["x", "", "y"]),
        ('12" screen', ['12"', "screen"]),
        ('"open to the end  ', ["open to the end  "]),
        ("‘open single", ["open single"]),
        ("x ’90s", ["x", "’90s"]),
    ],
)
def test_tokenizer(text: str, words: list[str]) -> None:
    assert tokenize(text) == words


def test_a_second_line_is_refused_not_run() -> None:
    for text in ("company ford\nsearch LFP", "company ford\r\nwatchlist delete ev-tariffs"):
        with pytest.raises(g.ParseError) as caught:
            g.parse(text)
        assert caught.value.brief
        assert caught.value.message.startswith("one command per message: this message has 2 lines")


def test_quoted_words_are_never_keywords() -> None:
    quoted_zone = g.parse('subscribe ev-tariffs tz "America/New_York"')
    assert quoted_zone == g.Subscribe("ev-tariffs", tz="America/New_York")
    with pytest.raises(g.ParseError, match="unexpected 'weekly'"):
        g.parse("subscribe ev-tariffs 'weekly'")


@pytest.mark.parametrize("word", ["xyzzy", "frobnicate", "sub"])
def test_gibberish_has_no_suggestion(word: str) -> None:
    with pytest.raises(g.ParseError) as caught:
        g.parse(word)
    assert caught.value.spec is None


# ------------------------------------------------------------------ properties

# Text that exercises the grammar: command words, keywords, quotes of every
# kind, apostrophes, digits, times, zones and arbitrary Unicode.
_PIECES = st.sampled_from(
    [
        *g.SPEC_BY_FIRST_WORD,
        "alias",
        "add",
        "exclude",
        "create",
        "remove",
        "delete",
        "all",
        *g.CADENCES,
        "on",
        "at",
        "tz",
        "quiet",
        "monday",
        "fri",
        "7d",
        "0d",
        "-3d",
        "99999d",
        "30",
        "days",
        "09:00",
        "7:30",
        "22:00-07:00",
        "UTC",
        "EST",
        "america/new_york",
        "Europe/London",
        "UTC+5",
        "ford",
        "Ford's",
        "Ford’s",
        "ev-tariffs",
        "S7K2M9Q4XD1",
        "'",
        '"',
        "“",
        "”",
        "‘",
        "’",
        " ",
        "  ",
        "\t",
        "\u200b",
        "\u202e",
    ]
)
COMMAND_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=12).map(" ".join)


@given(COMMAND_TEXT)
@example("search Ford's Marshall")
@example('company alias ford "a')
@example("search 'x' \"y' z\"")
def test_any_text_parses_or_says_why(text: str) -> None:
    try:
        command = g.parse(text)
    except g.ParseError as exc:
        assert exc.message
        return
    assert isinstance(command, g.Command)


@given(COMMAND_TEXT)
@example("company alias x")
@example('company "alias x"')
@example("search a' '\"b  c'")
@example('company ford "30" days')
@example('watchlist add x "a  b"')
def test_a_command_that_parses_renders_back_to_itself(text: str) -> None:
    try:
        command = g.parse(text)
    except g.ParseError:
        return
    assert g.parse(g.to_text(command)) == command


@given(st.text(max_size=30))
@example("0\"'")
def test_quote_spells_any_word_the_tokenizer_can_produce(text: str) -> None:
    assume(line_count(text) <= 1)
    for word in tokenize(text):
        assert tokenize(quote(word, force=True)) == [word]
