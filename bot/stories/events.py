"""Event typing: what kind of event an item reports, with the reason why.

Users want "the claim, the denial and the letter", so every item gets one id
from :data:`EVENT_TYPES`. Typing is rule based on purpose: the rules are short
general phrases a reviewer can read and argue with, and each decision carries a
human reason.

Typing shares the matcher's scan: a :class:`~bot.matcher.Matcher` built with
``events=EVENT_RULES`` puts the cue and blocking phrases below into its one
Aho-Corasick automaton, next to the watchlist and company phrases, so they
match the same way (folded text, whole words, plural and possessive endings
tolerated) and cost no scan of their own. :meth:`EventRules.decide` applies the
rules below to the few cue hits, and ``MatchResult.event`` carries the result;
:func:`classify_event` types a lone item with an events-only matcher.

How a type is chosen
--------------------
1. **Source kind first.** An SEC item is a ``filing``; a Federal Register
   document is a ``rule`` (rules and notices). Publishers of record say what a
   document is better than its wording.
2. **The title, then the summary.** The headline states the event; the summary
   often mentions the earlier claim ("the FT said the two had discussed ..."), so
   the summary is only read when the title says nothing. Generic cues
   ("talks", "signs", "loss", "press") are trusted in titles only.
3. **Precedence inside a field** (first rule that fires wins):
   ``filing`` ("8-K") > ``denial`` > ``hearing`` > ``letter`` > ``bill`` >
   ``tax_guidance`` > ``rule`` > ``study`` > ``tariff_action`` > ``financial``
   (words) > ``deal_confirmed`` > ``deal_report`` > ``financial`` (a dollar
   amount only). The reasons: a denial headline names the claim it denies
   ("rejects report on Xiaomi talks"), a hearing or letter names the deal it
   questions, a tariff item may mention "talks" or a "deal", and a deal story may
   quote a dollar figure.
4. **Source-kind fallbacks**: a Congress.gov item is a ``hearing`` when its
   title says so and a ``bill`` otherwise (bill titles say "to deny ..."
   without denying anything); an agency item about a tax credit with no other
   cue is ``tax_guidance``. Otherwise ``other``.

Some cues need a partner in the same field: a tariff word ("tariff", "duties")
with an action ("raises", "keeps", "higher", "review"; not "weighs": a
tariff cut under study is a report of a plan, and the labelled sets type it
``deal_report``); a tax authority or
tax-credit term with a guidance word ("guidance", "notice", "rules"); "rejects"
or "dismissed" with "report"/"story"/"talk". Blocking phrases cancel the cue they
overlap: "after talks" is not a deal report, "charging tariff" is an
electricity rate, "rules out" is not a rule, "signed off" is an approval,
"press release" is not pressing anyone. ("Declined to comment" needs no blocker:
no denial cue is part of it; a test keeps it that way.)

Bill numbers ("H.R. 5128", "S. 311") and dollar amounts are cues too: their
prefixes ("h.r.", "s.", "$", ...) are phrases, and the full pattern is only
tried where one of them hit. A hit counts for the title when it starts before
the end of the (folded) title.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.matcher import Matcher
from bot.models import NOT_TYPED, EventGuess, Item
from bot.watchlists import Catalog

# EventGuess and NOT_TYPED are plain data in bot.models (the matcher reports
# them); they are part of this module's interface too.
__all__ = ["EVENT_RULES", "EVENT_TYPES", "NOT_TYPED", "EventGuess", "EventRules", "classify_event"]

EVENT_TYPES: tuple[str, ...] = (
    "deal_report",
    "deal_confirmed",
    "denial",
    "letter",
    "hearing",
    "bill",
    "rule",
    "study",
    "filing",
    "tariff_action",
    "tax_guidance",
    "financial",
    "other",
)


# Cue tags. A tag ending in "!" counts in titles only (too generic for summaries).
# Tags without a type of their own ("tariff_noun", "reject_verb", ...) only
# count together with a partner tag, see _decide_field. A phrase also matches
# with a plural or possessive ending ("tariff" finds "tariffs"), so only irregular
# forms ("duties", "denied") are listed beside it.
_CUES: dict[str, tuple[str, ...]] = {
    "filing": ("8-k", "10-k", "10-q", "form 8", "sec filing"),
    "denial": (
        "completely false",
        "false report",
        "not true",
        "untrue",
        "baseless",
        "no plans to",
        "no plan to",
        "has no plans",
        "no plans for",
        "no intention",
        "no talks",
        "no such talks",
        "no such discussions",
        "dismissed talk",
        "dismisses talk",
        "dismissed speculation",
        "denied the report",
        "not in talks",
        "no longer in talks",
        "not negotiating",
        "isn't negotiating",
        "is not negotiating",
        "not on the table",
        "no deal to",
        "has not asked",
        "not reviewing",
        "no extension",
        "not finalized",
        "no change to",
        "shoots down",
        "shot down",
        "inaccurate",
    ),
    "denial!": (
        "denies",
        "denied",
        "rules out",
        "ruled out",
        "rule out",
        "refutes",
        "disputes",
        "disputed",
    ),
    "reject_verb": ("rejects", "rejected", "dismisses", "dismissed", "pushes back", "pushed back"),
    "claim_noun": ("report", "story", "talk", "claim", "speculation"),
    "hearing": (
        "hearing",
        "testify",
        "testifies",
        "testimony",
        "panel examines",
        "panel hears",
        "grill",
    ),
    "letter": (
        "letter",
        "writes to",
        "wrote to",
        "presses",
        "urges",
        "demands briefing",
        "seeks answers",
        "seeking details",
        "seeks details",
        "wants documents",
        "demands documents",
        "requests documents",
        "requests information",
        "calls for briefing",
        "seeks briefing",
        "tells lawmakers",
        "tells house",
    ),
    "letter!": ("press", "urge", "questions", "demands", "asks", "answers"),
    "bill": (
        "bill",
        "h.r.",
        "legislation",
        "tax proposal",
        "budget law",
        "tax law",
        "final law",
        "introduces",
        "introduced",
        "reconciliation",
    ),
    # Where a bill number ("H.R. 5128", "S. 311") may start: _BILL_NUMBER is
    # tried at these hits only.
    "bill_number": ("h.r.", "h. r.", "h.res.", "h. res.", "s."),
    "tax_authority": ("irs", "treasury", "internal revenue"),
    "credit_term": ("feoc", "foreign entity of concern", "30d", "25e", "45w", "45x", "credit"),
    "tax_doc": ("guidance", "notice", "faq", "rules"),
    "tax_say": ("says", "spells out", "releases", "issues", "clarifies"),
    "rule": (
        "final rule",
        "proposed rule",
        "interim rule",
        "rule",
        "rulemaking",
        "regulation",
        "notice of",
        "request for comments",
    ),
    "study": (
        "study finds",
        "study shows",
        "study says",
        "new study",
        "annual report",
        "staff report",
        "committee report",
        "panel report",
        "congressional report",
        "releases report",
        "issues report",
        "report finds",
        "survey",
        "sales fall",
        "sales fell",
        "sales slump",
        "sales slid",
        "sales drop",
        "sales decline",
        "ev share",
        "market share",
        "sales hit",
        "sales tumble",
        "sales rise",
        "sales jump",
        "sales surge",
        "record quarter",
        "best quarter",
        "buying spree",
    ),
    "tariff_noun": ("tariff", "duty", "duties", "surtax", "countervailing", "levy", "levies"),
    "tariff_verb": (
        "raise",
        "raised",
        "impose",
        "imposed",
        "keep",
        "kept",
        "stay",
        "remain",
        "hike",
        "higher",
        "increase",
        "jumps",
        "rises",
        "ease",
        "eased",
        "lower",
        "cut",
        "trims",
        "extends",
        "review",
        "face",
        "slaps",
        "quota",
        "lifts",
        "adds",
        "widens",
        "caught",
        "exclusion",
        "exempt",
        "seek",
        "file",
        "loses",
    ),
    "financial!": (
        "profit",
        "loss",
        "earnings",
        "quarterly results",
        "results",
        "revenue",
        "writes down",
        "write down",
        "writedown",
        "impairment",
        "charges",
        "books",
    ),
    "deal_confirmed!": (
        "confirm",
        "confirmed",
        "signs",
        "signed",
        "agreed",
        "agrees",
        "confirms deal",
        "deepens",
        "finalizes",
        "finalises",
        "seals",
        "completes deal",
        "greenlight",
        "memorandum of understanding",
        "agreement",
        "to launch",
        "after all",
    ),
    "deal_report": (
        "in talks",
        "held talks",
        "holds talks",
        "people familiar",
        "people briefed",
        "according to people",
        "sources say",
        "people say",
        "said to be",
        "report says",
        "reports say",
        "media say",
        "analysts say",
        "reportedly",
    ),
    "deal_report!": (
        "talks",
        "discussed",
        "discussing",
        "discussions",
        "weighs",
        "weighed",
        "weighing",
        "eye",
        "eyeing",
        "plans to",
        "examining",
        "nears",
        "near deal",
        "explores",
        "explored",
        "explore",
        "considers",
        "considering",
        "could consider",
        "mulls",
        "sounded out",
        "pitches",
    ),
    # Where a dollar amount may start: _MONEY is tried at these hits only.
    "money!": ("$",),
}

# Phrases that cancel the cue tags they overlap.
_BLOCKS: dict[str, tuple[str, ...]] = {
    "after talks": ("deal_report",),
    "charging tariff": ("tariff_noun",),
    "electricity tariff": ("tariff_noun",),
    "signed off": ("deal_confirmed",),
    "press release": ("letter",),
    "press conference": ("letter",),
    "rules out": ("rule", "tax_doc"),
    "ruled out": ("rule", "tax_doc"),
    "rule out": ("rule", "tax_doc"),
    "credit card": ("credit_term",),
}

# Source kinds that decide the type on their own.
_SOURCE_TYPES = {"sec": "filing", "federal_register": "rule"}
_BILL_NUMBER = re.compile(r"\b(?:h\.\s?r\.|s\.|h\.\s?res\.)\s?\d{1,5}\b")
_MONEY = re.compile(r"\$\s?\d[\d.,]*\s?(?:billion|million|bn|b\b|m\b)")

# Guesses that quote no phrase, built once.
_OTHER = EventGuess("other", "other: no event cue")
_CONGRESS_BILL = EventGuess("bill", "bill: source is congress and no hearing cue")
_AGENCY_CREDIT = EventGuess("tax_guidance", "tax_guidance: agency item about a tax credit")
_BY_SOURCE = {kind: EventGuess(t, f"{t}: source is {kind}") for kind, t in _SOURCE_TYPES.items()}
_WITHOUT_CUES = {**_BY_SOURCE, "congress": _CONGRESS_BILL}

Span = tuple[int, int]  # (start, end) of a hit in the matcher's folded title + separator + summary
Spans = dict[str, list[Span]]  # tag -> its hits, in text order


@dataclass(frozen=True)
class EventRules:
    """The cue and blocking tables, which the matcher compiles into its own
    automaton, and the decision over the hits it finds there.

    The matcher hands over every hit of a cue tag (``cues``, tags as in
    :data:`_CUES`) and of a blocking phrase (``blocks``, keyed by the tag it
    blocks) in the folded ``text`` it scanned; ``title_end`` is where the title
    ends in that text.
    """

    cues: Mapping[str, tuple[str, ...]]
    blocks: Mapping[str, tuple[str, ...]]

    def without_cues(self, kind: str) -> EventGuess:
        """The guess for an item in which no cue occurs: a constant per source kind."""
        return _WITHOUT_CUES.get(kind, _OTHER)

    def decide(
        self, kind: str, cues: Spans, blocks: Spans, text: str, title_end: int
    ) -> EventGuess:
        """Source kind, then title, then summary, then fallbacks (module docstring)."""
        by_source = _BY_SOURCE.get(kind)
        if by_source is not None:
            return by_source
        title = _field(cues, blocks, title_end, True)
        if kind == "congress":
            # Congress.gov lists bills and hearings; bill titles say "to deny" or
            # "prohibit" without being denials.
            if "hearing" in title:
                return EventGuess(
                    "hearing", f'hearing: "{_phrase(title, "hearing", text)}" in title'
                )
            return _CONGRESS_BILL
        guess = _decide_field(title, text, "title")
        if guess is not None:
            return guess
        summary = _field(cues, blocks, title_end, False)
        guess = _decide_field(summary, text, "summary")
        if guess is not None:
            return guess
        if kind == "agency" and ("credit_term" in title or "credit_term" in summary):
            return _AGENCY_CREDIT
        return _OTHER


EVENT_RULES = EventRules(_CUES, _BLOCKS)


def _field(cues: Spans, blocks: Spans, title_end: int, title: bool) -> Spans:
    """The hits in the title (or the summary) that no blocker covers, keyed by
    tag without its "!"; a title-only tag has no hits in the summary."""
    found: Spans = {}
    for tag, spans in cues.items():
        name = tag
        if tag[-1] == "!":
            if not title:
                continue
            name = tag[:-1]
        kept = [span for span in spans if (span[0] < title_end) == title]
        blockers = blocks.get(name)
        if blockers:
            kept = [h for h in kept if not any(b[0] <= h[0] and h[1] <= b[1] for b in blockers)]
        if not kept:
            continue
        earlier = found.get(name)
        if earlier is None:
            found[name] = kept
        else:
            # A tag fed by two lists ("talks" in "deal_report!", "in talks" in
            # "deal_report") keeps the scan's order: the first hit ends first.
            found[name] = sorted(earlier + kept, key=lambda span: (span[1], span[0]))
    return found


def _phrase(found: Spans, tag: str, text: str) -> str:
    """The first hit of ``tag`` as it appears (folded) in ``text``, for reasons."""
    start, end = found[tag][0]
    return text[start:end]


def _decide_field(found: Spans, text: str, field: str) -> EventGuess | None:
    """Apply the precedence of the module docstring to one field's tags."""
    if not found:
        return None
    for step in _PRECEDENCE:
        if isinstance(step, str):
            if step in found:
                return EventGuess(step, f'{step}: "{_phrase(found, step, text)}" in {field}')
        else:
            guess = step(found, text, field)
            if guess is not None:
                return guess
    return None


# A rule that needs more than one tag's hit, or a pattern where a prefix hit.
Rule = Callable[[Spans, str, str], "EventGuess | None"]


def _pair(event_type: str, first: str, second: str) -> Rule:
    """``event_type`` when both tags occur ("rejects" + "report")."""

    def rule(found: Spans, text: str, field: str) -> EventGuess | None:
        if first not in found or second not in found:
            return None
        one, two = _phrase(found, first, text), _phrase(found, second, text)
        return EventGuess(event_type, f'{event_type}: "{one}" + "{two}" in {field}')

    return rule


def _pattern(event_type: str, tag: str, pattern: re.Pattern[str], what: str) -> Rule:
    """``event_type`` when ``pattern`` matches where its prefix ``tag`` hit
    (a bill number after "h.r.", an amount after "$")."""

    def rule(found: Spans, text: str, field: str) -> EventGuess | None:
        for start, _ in found.get(tag, ()):
            matched = pattern.match(text, start)
            if matched:
                return EventGuess(
                    event_type, f'{event_type}: {what} "{matched.group(0)}" in {field}'
                )
        return None

    return rule


def _tax_guidance(found: Spans, text: str, field: str) -> EventGuess | None:
    """A tax authority with a guidance document; a credit term stands in for the
    authority, and "says" for the document ("..., IRS says")."""
    authority = "tax_authority" if "tax_authority" in found else None
    doc = "tax_doc" if "tax_doc" in found else None
    if doc is not None and authority is None and "credit_term" in found:
        authority = "credit_term"
    elif doc is None and authority is not None and "tax_say" in found:
        doc = "tax_say"
    if doc is None or authority is None:
        return None
    return EventGuess(
        "tax_guidance",
        f'tax_guidance: "{_phrase(found, authority, text)}" + '
        f'"{_phrase(found, doc, text)}" in {field}',
    )


# The precedence inside a field, first to fire wins: a tag alone decides its
# own type; rules combine tags. "money" is a title-only tag: never in a summary.
_PRECEDENCE: tuple[str | Rule, ...] = (
    "filing",
    "denial",
    _pair("denial", "reject_verb", "claim_noun"),
    "hearing",
    "letter",
    "bill",
    _pattern("bill", "bill_number", _BILL_NUMBER, "bill number"),
    _tax_guidance,
    "rule",
    "study",
    _pair("tariff_action", "tariff_noun", "tariff_verb"),
    "financial",
    "deal_confirmed",
    "deal_report",
    _pattern("financial", "money", _MONEY, "amount"),
)


@functools.cache
def _events_only() -> Matcher:
    """A matcher with no watchlists or companies, for typing a lone item, built
    on first use (compiling the cue automaton costs a few milliseconds)."""
    return Matcher(Catalog(), events=EVENT_RULES)


def classify_event(item: Item) -> EventGuess:
    """The event type of ``item`` with its reason, outside the ingest path
    (which takes ``MatchResult.event`` from its own matcher's scan)."""
    return _events_only().match(item).event
