"""The chat grammar: text in, a typed command out (or a :class:`ParseError`
that knows the usage line and the closest correct command).

The table :data:`SPECS` is the single source of the grammar: help text, usage
lines and suggestions are all derived from it. Every message is split into
words by :mod:`bot.commands.tokens`; each command's words are then read by its
entry in :data:`_PARSERS` and written back by its entry in :data:`_RENDERERS`
(``parse(to_text(command)) == command``). An argument is either understood or
refused with the reason; nothing is dropped or guessed at silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from bot.commands.tokens import TokenError, is_quoted, keyword, quote, quote_words, tokenize
from bot.commands.zones import ZoneError, resolve_zone


@dataclass(frozen=True)
class Spec:
    words: str  # the command words, e.g. "watchlist add"
    usage: str
    summary: str
    admin: bool = False


SPECS: tuple[Spec, ...] = (
    Spec("help", "help [COMMAND]", "this list, or one command's usage"),
    Spec("company", "company NAME [Nd]", "recent stories about a company, newest first"),
    Spec("topic", "topic WATCHLIST [Nd]", "recent stories for a watchlist"),
    Spec("search", "search WORDS", "full-text search over stored items"),
    Spec("watchlists", "watchlists", "list watchlists with one-line descriptions"),
    Spec(
        "subscribe",
        "subscribe WATCHLIST|all [daily|weekly|instant] [on DAY] [at HH:MM] [tz AREA/CITY] [quiet HH:MM-HH:MM]",
        "send this channel a watchlist's digest",
    ),
    Spec("unsubscribe", "unsubscribe WATCHLIST|all", "stop a digest in this channel"),
    Spec("subscriptions", "subscriptions", "what this channel is subscribed to"),
    Spec("digest", "digest", "preview this channel's next digest now"),
    Spec("sources", "sources", "configured sources and their health"),
    Spec("story", "story ID", "one story's thread: the claim, answers and follow-ups"),
    Spec("mute", "mute STORY", "leave a story out of this channel's digests and alerts"),
    Spec("unmute", "unmute STORY", "bring a muted story back"),
    Spec(
        "watchlist create", "watchlist create ID NAME...", "create an empty watchlist", admin=True
    ),
    Spec("watchlist add", "watchlist add ID TERM", "add a phrase to a watchlist", admin=True),
    Spec(
        "watchlist exclude",
        "watchlist exclude ID TERM",
        "never match items with this phrase",
        admin=True,
    ),
    Spec(
        "watchlist remove", "watchlist remove ID TERM", "remove a phrase or exclusion", admin=True
    ),
    Spec("watchlist delete", "watchlist delete ID", "delete a watchlist", admin=True),
    Spec(
        "company alias",
        "company alias ID ALIAS",
        "teach the bot another name for a company",
        admin=True,
    ),
    Spec("audit", "audit [N]", "the last N admin changes (who, when, what)", admin=True),
)
SPEC_BY_WORDS = {s.words: s for s in SPECS}
# A command's first word -> its first spec ("watchlist" -> `watchlist create`).
SPEC_BY_FIRST_WORD: dict[str, Spec] = {}
for _spec in SPECS:
    SPEC_BY_FIRST_WORD.setdefault(_spec.words.split()[0], _spec)
CADENCES = ("daily", "weekly", "instant")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_DAYS = 3650
# A word that is meant as a time window: "30d", and the near misses "30",
# "30days", "-3d", "+3d" that are refused with the rule rather than read as a name.
_WINDOW = re.compile(r"^([+\-\u2212]?)([0-9]+)(d|days?)?$", re.IGNORECASE)
_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
# Story ids are written in Crockford's base 32, which reads I and L as 1 and O as 0.
_STORY_ID = re.compile(r"^s[0-9a-z]{10}$")
_CROCKFORD = str.maketrans("ilo", "110")


class ParseError(Exception):
    """Bad input: ``message`` says what was wrong; ``spec`` is the command meant, if known."""

    def __init__(
        self,
        message: str,
        spec: Spec | None = None,
        suggestion: str | None = None,
        *,
        brief: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.spec = spec
        self.suggestion = suggestion
        self.brief = brief  # the message says it all: no help listing under it


# ------------------------------------------------------------------ commands


@dataclass(frozen=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True)
class CompanyQuery:
    name: str
    days: int | None = None


@dataclass(frozen=True)
class TopicQuery:
    watchlist: str
    days: int | None = None


@dataclass(frozen=True)
class Search:
    words: str


@dataclass(frozen=True)
class ListWatchlists:
    pass


@dataclass(frozen=True)
class Subscribe:
    watchlist: str
    cadence: str = "daily"
    at: str = "09:00"
    tz: str = "UTC"
    weekday: int = 0
    quiet: tuple[str, str] | None = None  # local quiet hours for instant alerts


@dataclass(frozen=True)
class Unsubscribe:
    watchlist: str


@dataclass(frozen=True)
class ListSubscriptions:
    pass


@dataclass(frozen=True)
class DigestPreview:
    pass


@dataclass(frozen=True)
class ListSources:
    pass


@dataclass(frozen=True)
class StoryQuery:
    story_id: str


@dataclass(frozen=True)
class Mute:
    story_id: str
    muted: bool = True


@dataclass(frozen=True)
class WatchlistChange:
    """An admin edit; ``action`` is create/add/exclude/remove/delete/alias."""

    action: str
    target: str
    value: str = ""


@dataclass(frozen=True)
class AuditQuery:
    limit: int = 20


Command = (
    Help
    | CompanyQuery
    | TopicQuery
    | Search
    | ListWatchlists
    | Subscribe
    | Unsubscribe
    | ListSubscriptions
    | DigestPreview
    | ListSources
    | StoryQuery
    | Mute
    | WatchlistChange
    | AuditQuery
)


# A command's parser gets the words after its first word, as tokenize() made
# them: test for a keyword with tokens.keyword(word), which is None for a
# quoted word, so that quoting always makes a word literal.
Parser = Callable[[list[str]], Command]


def is_admin_command(command: Command) -> bool:
    return isinstance(command, (WatchlistChange, AuditQuery))


# ------------------------------------------------------------------ parsing


def closest_command(word: str) -> Spec | None:
    """The command ``word`` is a typo of, if any. Plain edit similarity: the
    default scorer also rewards a shared fragment, and suggested `mute` for
    "frobnicate"."""
    firsts = list(SPEC_BY_FIRST_WORD)
    best = process.extractOne(word.lower(), firsts, scorer=fuzz.ratio, score_cutoff=60)
    return SPEC_BY_FIRST_WORD[best[0]] if best else None


def parse(text: str) -> Command:
    """The command ``text`` means, or :class:`ParseError` saying what is wrong."""
    try:
        tokens = tokenize(text.strip())
    except TokenError as exc:
        raise ParseError(f"{exc}. Send each command as its own message.", brief=True) from None
    if not tokens:
        return Help()
    head, args = tokens[0].lower(), tokens[1:]
    parser = _PARSERS.get(head)
    if parser is None:
        guess = closest_command(head)
        hint = f" Did you mean `{guess.usage}`?" if guess else ""
        raise ParseError(
            f"Unknown command '{tokens[0]}'.{hint}", guess, guess.words if guess else None
        )
    return parser(args)


def _days(args: list[str], spec: Spec) -> tuple[list[str], int | None]:
    """Split a trailing time window off ``args``. One rule: a window is ``Nd``,
    a whole number of days from 1 to :data:`MAX_DAYS`. Anything else that is
    plainly meant as one ("99999d", "-3d", "0d", "30", "30 days") is refused
    with that rule; a quoted word is never a window."""
    if not args or is_quoted(args[-1]):
        return args, None
    last = args[-1]
    if (
        last.lower() in ("day", "days")
        and len(args) > 1
        and not is_quoted(args[-2])
        and _WINDOW.match(args[-2])
    ):
        last = f"{args[-2]} {last}"
    elif not (m := _WINDOW.match(last)):
        return args, None
    elif m.group(3) and m.group(3).lower() == "d":
        digits = m.group(2).lstrip("0")
        in_range = digits and len(digits) <= len(str(MAX_DAYS)) and int(digits) <= MAX_DAYS
        if in_range and not m.group(1):
            return args[:-1], int(digits)
        raise ParseError(
            f"the time window must be from 1 to {MAX_DAYS} days (Nd, e.g. 30d); got '{last}'",
            spec,
        )
    raise ParseError(
        f"write the time window as Nd, e.g. 30d (1 to {MAX_DAYS} days); got '{last}'. "
        "Put a name that ends in a number in quotes",
        spec,
    )


def _parse_help(args: list[str]) -> Command:
    return Help(" ".join(args).lower() or None)


def _parse_company(args: list[str]) -> Command:
    if args and keyword(args[0]) == "alias":
        spec = SPEC_BY_WORDS["company alias"]
        if len(args) < 3:
            raise ParseError("company alias needs a company id and the alias", spec)
        return WatchlistChange("alias", args[1].lower(), " ".join(args[2:]).strip())
    spec = SPEC_BY_WORDS["company"]
    rest, days = _days(args, spec)
    if not rest:
        raise ParseError("company needs a name, e.g. `company ford`", spec)
    return CompanyQuery(" ".join(rest), days)


def _parse_topic(args: list[str]) -> Command:
    spec = SPEC_BY_WORDS["topic"]
    rest, days = _days(args, spec)
    if len(rest) != 1:
        raise ParseError("topic needs one watchlist id, e.g. `topic ev-tariffs`", spec)
    return TopicQuery(rest[0].lower(), days)


def _parse_search(args: list[str]) -> Command:
    words = " ".join(args)
    if not words.strip():
        raise ParseError(
            "search needs some words, e.g. `search LFP Marshall`", SPEC_BY_WORDS["search"]
        )
    return Search(words)


def _no_args(command: Command, words: str) -> Parser:
    """A parser for a command that takes nothing after its words."""

    def parser(args: list[str]) -> Command:
        if args:
            raise ParseError(f"{words} takes no arguments", SPEC_BY_WORDS[words])
        return command

    return parser


def _one_arg(words: str, needs: str, build: Callable[[str], Command]) -> Parser:
    """A parser for a command that takes exactly one argument, so that every
    such command words its error alike: ``needs`` ends it, e.g. "one story id"
    gives "story needs one story id"; ``build`` makes the command from the argument."""

    def parser(args: list[str]) -> Command:
        if len(args) != 1:
            raise ParseError(f"{words} needs {needs}", SPEC_BY_WORDS[words])
        return build(args[0])

    return parser


def story_id(text: str) -> str:
    """A story id as typed, in the form ids are stored: lower case, and for
    current ids (``s`` + 10 characters) Crockford's reading of I, L and O."""
    key = text.strip().lower()
    return key.translate(_CROCKFORD) if _STORY_ID.match(key) else key


# ------------------------------------------------------------------ subscribe


def _hh_mm(value: str) -> str | None:
    """``value`` as zero-padded HH:MM (``7:30`` -> ``07:30``), or None if it is no time."""
    m = _TIME.match(value)
    return f"{int(m.group(1)):02d}:{m.group(2)}" if m else None


def _at(value: str, spec: Spec) -> str:
    hh_mm = _hh_mm(value)
    if hh_mm is None:
        raise ParseError(f"time must be HH:MM (24-hour), got '{value}'", spec)
    return hh_mm


def _quiet_hours(value: str, spec: Spec) -> tuple[str, str]:
    start, _, end = value.partition("-")
    first, last = _hh_mm(start), _hh_mm(end)
    if first is None or last is None or first == last:
        raise ParseError(f"quiet hours must look like 22:00-07:00, got '{value}'", spec)
    return first, last


def _zone(value: str, spec: Spec) -> str:
    try:
        return resolve_zone(value)
    except ZoneError as exc:
        raise ParseError(str(exc), spec) from None


def _weekday(value: str, spec: Spec) -> int:
    for index, name in enumerate(WEEKDAYS):
        if len(value) >= 3 and name.startswith(value.lower()):
            return index
    raise ParseError(f"unknown day '{value}': use monday ... sunday", spec)


# A subscribe option word -> the Subscribe field it sets and how its value is read.
_SUBSCRIBE_OPTIONS: dict[str, tuple[str, Callable[[str, Spec], Any]]] = {
    "on": ("weekday", _weekday),
    "at": ("at", _at),
    "tz": ("tz", _zone),
    "quiet": ("quiet", _quiet_hours),
}


def _parse_subscribe(args: list[str]) -> Command:
    spec = SPEC_BY_WORDS["subscribe"]
    if not args:
        raise ParseError("subscribe needs a watchlist id or 'all'", spec)
    cadence: str | None = None
    given: dict[str, Any] = {}
    words = args[1:]
    index = 0
    while index < len(words):
        word = keyword(words[index])
        if word in CADENCES:
            if cadence is not None:
                raise ParseError(
                    f"choose one of daily, weekly or instant, not '{cadence}' and '{word}'", spec
                )
            cadence = word
        elif word in _SUBSCRIBE_OPTIONS:
            field, read = _SUBSCRIBE_OPTIONS[word]
            if index + 1 >= len(words):
                raise ParseError(f"'{word}' needs a value", spec)
            if field in given:
                raise ParseError(f"'{word}' is given twice", spec)
            given[field] = read(words[index + 1], spec)
            index += 1
        else:
            options = ", ".join((*CADENCES, *_SUBSCRIBE_OPTIONS))
            raise ParseError(f"unexpected '{words[index]}': expected one of {options}", spec)
        index += 1
    cadence = _check_cadence(cadence, given, args[0].lower(), spec)
    return Subscribe(args[0].lower(), cadence, **given)


def _check_cadence(cadence: str | None, given: dict[str, Any], target: str, spec: Spec) -> str:
    """The cadence, once every option given fits it. ``on DAY`` alone means
    weekly; an option that would do nothing for the cadence is refused."""
    if cadence is None:
        cadence = "weekly" if "weekday" in given else "daily"
    if cadence == "instant" and ("at" in given or "weekday" in given):
        word = "at HH:MM" if "at" in given else "on DAY"
        raise ParseError(
            f"instant alerts go out as news arrives, so '{word}' does not apply: "
            f"drop it, or choose `subscribe {target} daily` or `weekly`",
            spec,
        )
    if cadence == "daily" and "weekday" in given:
        raise ParseError(
            f"'on DAY' is for weekly digests: `subscribe {target} weekly on ...`", spec
        )
    if cadence != "instant" and "quiet" in given:
        raise ParseError(
            "quiet hours hold instant alerts; a daily or weekly digest is sent at its time: "
            f"`subscribe {target} instant quiet ...`",
            spec,
        )
    return cadence


# ------------------------------------------------------------------ admin


def _parse_watchlist(args: list[str]) -> Command:
    actions = ("create", "add", "exclude", "remove", "delete")
    if not args:
        raise ParseError(
            "watchlist needs an action: " + ", ".join(actions), SPEC_BY_WORDS["watchlist add"]
        )
    action = args[0].lower()
    if action not in actions:
        guess = process.extractOne(action, actions, scorer=fuzz.ratio, score_cutoff=50)
        spec = SPEC_BY_WORDS[f"watchlist {guess[0]}"] if guess else SPEC_BY_WORDS["watchlist add"]
        raise ParseError(f"unknown watchlist action '{args[0]}'", spec, spec.words)
    spec = SPEC_BY_WORDS[f"watchlist {action}"]
    if action == "delete":
        if len(args) != 2:
            raise ParseError("watchlist delete needs exactly one watchlist id", spec)
        return WatchlistChange("delete", args[1].lower())
    if len(args) < 3:
        need = "a name" if action == "create" else "a term"
        raise ParseError(f"watchlist {action} needs a watchlist id and {need}", spec)
    # The term itself is checked where the edit is made (bot.terms), so that a
    # refusal is audited with its reason.
    return WatchlistChange(action, args[1].lower(), " ".join(args[2:]).strip())


def _parse_audit(args: list[str]) -> Command:
    spec = SPEC_BY_WORDS["audit"]
    if not args:
        return AuditQuery()
    if len(args) != 1 or not re.fullmatch(r"[0-9]{1,3}", args[0]) or not 1 <= int(args[0]) <= 200:
        raise ParseError("audit takes one number from 1 to 200", spec)
    return AuditQuery(int(args[0]))


_PARSERS: dict[str, Parser] = {
    "help": _parse_help,
    "company": _parse_company,
    "topic": _parse_topic,
    "search": _parse_search,
    "watchlists": _no_args(ListWatchlists(), "watchlists"),
    "subscribe": _parse_subscribe,
    "unsubscribe": _one_arg(
        "unsubscribe", "one watchlist id or 'all'", lambda arg: Unsubscribe(arg.lower())
    ),
    "subscriptions": _no_args(ListSubscriptions(), "subscriptions"),
    "digest": _no_args(DigestPreview(), "digest"),
    "sources": _no_args(ListSources(), "sources"),
    "story": _one_arg(
        "story", "one story id, e.g. `story s7k2m9q4xd1`", lambda arg: StoryQuery(story_id(arg))
    ),
    "mute": _one_arg(
        "mute", "one story id, e.g. `mute s7k2m9q4xd1`", lambda arg: Mute(story_id(arg))
    ),
    "unmute": _one_arg(
        "unmute",
        "one story id, e.g. `unmute s7k2m9q4xd1`",
        lambda arg: Mute(story_id(arg), muted=False),
    ),
    "watchlist": _parse_watchlist,
    "audit": _parse_audit,
}


# ------------------------------------------------------------------ writing back


def _window_like(word: str) -> bool:
    """A word :func:`_days` would take as (an attempt at) a time window."""
    return bool(_WINDOW.match(word)) or word.lower() in ("day", "days")


def _name_word(word: str) -> bool:
    """A word of a company name that must be quoted to stay part of the name."""
    return _window_like(word) or word.lower() == "alias"


def _render_subscribe(cmd: Subscribe) -> str:
    parts = ["subscribe", quote(cmd.watchlist), cmd.cadence]
    if cmd.cadence == "weekly":
        parts += ["on", WEEKDAYS[cmd.weekday]]
    if cmd.cadence != "instant":
        parts += ["at", cmd.at]
    parts += ["tz", quote(cmd.tz)]
    if cmd.quiet:
        parts += ["quiet", "-".join(cmd.quiet)]
    return " ".join(parts)


def _render_change(cmd: WatchlistChange) -> str:
    head = "company alias" if cmd.action == "alias" else f"watchlist {cmd.action}"
    value = f" {quote_words(cmd.value)}" if cmd.action != "delete" else ""
    return f"{head} {quote(cmd.target)}{value}"


def _with_days(text: str, days: int | None) -> str:
    return f"{text} {days}d" if days else text


_RENDERERS: dict[type, Callable[[Any], str]] = {
    Help: lambda c: f"help {quote_words(c.topic)}" if c.topic else "help",
    CompanyQuery: lambda c: _with_days(f"company {quote_words(c.name, _name_word)}", c.days),
    TopicQuery: lambda c: _with_days(
        f"topic {quote(c.watchlist, force=_window_like(c.watchlist))}", c.days
    ),
    Search: lambda c: f"search {quote_words(c.words)}",
    ListWatchlists: lambda c: "watchlists",
    Subscribe: _render_subscribe,
    Unsubscribe: lambda c: f"unsubscribe {quote(c.watchlist)}",
    ListSubscriptions: lambda c: "subscriptions",
    DigestPreview: lambda c: "digest",
    ListSources: lambda c: "sources",
    StoryQuery: lambda c: f"story {quote(c.story_id)}",
    Mute: lambda c: f"{'mute' if c.muted else 'unmute'} {quote(c.story_id)}",
    WatchlistChange: _render_change,
    AuditQuery: lambda c: f"audit {c.limit}",
}


def to_text(command: Command) -> str:
    """``command`` written as chat text that :func:`parse` reads back as it
    (buttons, logs and tests use it)."""
    return _RENDERERS[type(command)](command)
