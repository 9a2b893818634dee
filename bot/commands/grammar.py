"""The chat grammar: text in, a typed command out (or a :class:`ParseError`
that knows the usage line and the closest correct command).

The table :data:`SPECS` is the single source of the grammar: help text, usage
lines and suggestions are all derived from it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rapidfuzz import fuzz, process

from bot.text import fold_phrase


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
    Spec(
        "watchlist delete",
        "watchlist delete ID [confirm]",
        "delete a watchlist (asks first; its subscriptions pause)",
        admin=True,
    ),
    Spec(
        "watchlist restore",
        "watchlist restore ID",
        "bring back a deleted watchlist and resume its subscriptions",
        admin=True,
    ),
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
_DAYS = re.compile(r"^(\d{1,4})d$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})


class ParseError(Exception):
    """Bad input: ``message`` says what was wrong; ``spec`` is the command meant, if known."""

    def __init__(
        self, message: str, spec: Spec | None = None, suggestion: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.spec = spec
        self.suggestion = suggestion


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
    """An admin edit; ``action`` is create/add/exclude/remove/delete/restore/alias.
    A delete's ``value`` is "confirm" once the admin repeated it."""

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


Parser = Callable[[list[str]], Command]  # the words after a command's first word


def is_admin_command(command: Command) -> bool:
    return isinstance(command, (WatchlistChange, AuditQuery))


# ------------------------------------------------------------------ parsing


def tokenize(text: str) -> list[str]:
    try:
        return shlex.split(text.translate(_QUOTES))
    except ValueError as exc:
        raise ParseError(f"could not read that: {exc} (check your quotes)") from exc


def closest_command(word: str) -> Spec | None:
    """The command ``word`` is a typo of, if any. Plain edit similarity: the
    default scorer also rewards a shared fragment, and suggested `mute` for
    "frobnicate"."""
    firsts = list(SPEC_BY_FIRST_WORD)
    best = process.extractOne(word.lower(), firsts, scorer=fuzz.ratio, score_cutoff=60)
    return SPEC_BY_FIRST_WORD[best[0]] if best else None


def parse(text: str) -> Command:
    tokens = tokenize(text.strip())
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
    if args and (m := _DAYS.match(args[-1].lower())):
        days = int(m.group(1))
        if not 1 <= days <= MAX_DAYS:
            raise ParseError(f"days must be between 1 and {MAX_DAYS}, got {days}", spec)
        return args[:-1], days
    return args, None


def _parse_help(args: list[str]) -> Command:
    return Help(" ".join(args).lower() or None)


def _parse_company(args: list[str]) -> Command:
    if args and args[0].lower() == "alias":
        spec = SPEC_BY_WORDS["company alias"]
        if len(args) < 3:
            raise ParseError("company alias needs a company id and the alias", spec)
        return WatchlistChange("alias", args[1].lower(), " ".join(args[2:]))
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
    if not args:
        raise ParseError(
            "search needs some words, e.g. `search LFP Marshall`", SPEC_BY_WORDS["search"]
        )
    return Search(" ".join(args))


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


def _parse_subscribe(args: list[str]) -> Command:
    spec = SPEC_BY_WORDS["subscribe"]
    if not args:
        raise ParseError("subscribe needs a watchlist id or 'all'", spec)
    watchlist, rest = args[0].lower(), [a.lower() for a in args[1:]]
    cadence, at, tz, weekday = "daily", "09:00", "UTC", 0
    quiet: tuple[str, str] | None = None
    original = args[1:]
    index = 0
    while index < len(rest):
        word = rest[index]
        if word in CADENCES:
            cadence = word
        elif word in ("at", "tz", "on", "quiet"):
            if index + 1 >= len(rest):
                raise ParseError(f"'{word}' needs a value", spec)
            value = original[index + 1]
            if word == "at":
                hh_mm = _hh_mm(value)
                if hh_mm is None:
                    raise ParseError(f"time must be HH:MM (24-hour), got '{value}'", spec)
                at = hh_mm
            elif word == "tz":
                tz = _valid_zone(value, spec)
            elif word == "quiet":
                quiet = _quiet_hours(value, spec)
            else:
                weekday = _weekday(value, spec)
                cadence = "weekly"
            index += 1
        else:
            raise ParseError(f"unexpected '{original[index]}'", spec)
        index += 1
    return Subscribe(watchlist, cadence, at, tz, weekday, quiet)


def _hh_mm(value: str) -> str | None:
    """``value`` as zero-padded HH:MM (``7:30`` -> ``07:30``), or None if it is no time."""
    m = _TIME.match(value)
    return f"{int(m.group(1)):02d}:{m.group(2)}" if m else None


def _quiet_hours(value: str, spec: Spec) -> tuple[str, str]:
    start, _, end = value.partition("-")
    first, last = _hh_mm(start), _hh_mm(end)
    if first is None or last is None or start == end:
        raise ParseError(f"quiet hours must look like 22:00-07:00, got '{value}'", spec)
    return first, last


def _valid_zone(value: str, spec: Spec) -> str:
    if value.upper() == "UTC":
        return "UTC"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParseError(
            f"unknown time zone '{value}': use an IANA name like America/New_York", spec
        ) from None
    return value


def _weekday(value: str, spec: Spec) -> int:
    for index, name in enumerate(WEEKDAYS):
        if len(value) >= 3 and name.startswith(value.lower()):
            return index
    raise ParseError(f"unknown day '{value}': use monday ... sunday", spec)


def _parse_watchlist(args: list[str]) -> Command:
    actions = ("create", "add", "exclude", "remove", "delete", "restore")
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
    if action == "restore":
        if len(args) != 2:
            raise ParseError("watchlist restore needs exactly one watchlist id", spec)
        return WatchlistChange("restore", args[1].lower())
    if action == "delete":
        if len(args) == 3 and args[2].lower() == "confirm":
            return WatchlistChange("delete", args[1].lower(), "confirm")
        if len(args) != 2:
            raise ParseError("watchlist delete needs one watchlist id (then `confirm`)", spec)
        return WatchlistChange("delete", args[1].lower())
    if len(args) < 3:
        need = "a name" if action == "create" else "a term"
        raise ParseError(f"watchlist {action} needs a watchlist id and {need}", spec)
    value = " ".join(args[2:]).strip()
    if len(value) > 100:
        raise ParseError("a term or name may be at most 100 characters", spec)
    if action != "create" and not fold_phrase(value):
        raise ParseError("the term has no letters or digits", spec)
    return WatchlistChange(action, args[1].lower(), value)


def _parse_audit(args: list[str]) -> Command:
    spec = SPEC_BY_WORDS["audit"]
    if not args:
        return AuditQuery()
    if len(args) != 1 or not args[0].isdigit() or not 1 <= int(args[0]) <= 200:
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
    "story": _one_arg("story", "one story id, e.g. `story s7k2m9q4xd1`", StoryQuery),
    "mute": _one_arg("mute", "one story id, e.g. `mute s7k2m9q4xd1`", Mute),
    "unmute": _one_arg(
        "unmute", "one story id, e.g. `unmute s7k2m9q4xd1`", lambda arg: Mute(arg, muted=False)
    ),
    "watchlist": _parse_watchlist,
    "audit": _parse_audit,
}
