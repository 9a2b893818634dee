"""Event typing: what kind of event an item reports, with the reason why.

Users want "the claim, the denial and the letter", so every item gets one id
from :data:`EVENT_TYPES`. Typing is rule based on purpose: the rules are short
general phrases a reviewer can read and argue with, each decision carries a
human reason, and the cost is one Aho-Corasick scan per field.

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
with an action ("raises", "keeps", "higher", "review"); a tax authority or
tax-credit term with a guidance word ("guidance", "notice", "rules"); "rejects"
or "dismissed" with "report"/"story"/"talk". Blocking phrases cancel the cue they
overlap: "declined to comment" is not a denial, "after talks" is not a deal
report, "charging tariff" is an electricity rate, "rules out" is not a rule,
"signed off" is an approval, "press release" is not pressing anyone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import ahocorasick

from bot.models import Item
from bot.text import fold

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


@dataclass(frozen=True)
class EventGuess:
    """The chosen event type and a short human reason (shown to users)."""

    event_type: str
    reason: str


# Cue tags. A tag ending in "!" counts in titles only (too generic for summaries).
# Tags without a type of their own ("tariff_noun", "reject_verb", ...) only
# count together with a partner tag, see _decide_field.
_CUES: dict[str, tuple[str, ...]] = {
    "filing": ("8-k", "8 k", "10-k", "10 k", "10-q", "10 q", "form 8", "sec filing"),
    "denial": (
        "completely false",
        "false report",
        "not true",
        "untrue",
        "baseless",
        "no plans to",
        "no plan to",
        "has no plans",
        "no intention",
        "no talks",
        "no such talks",
        "no such discussions",
        "dismissed talk",
        "dismisses talk",
        "dismissed speculation",
        "denied the report",
    ),
    "denial!": ("denies", "denied", "rules out", "ruled out", "rule out", "refutes"),
    "reject_verb": ("rejects", "rejected", "dismisses", "dismissed", "pushes back", "pushed back"),
    "claim_noun": ("report", "reports", "story", "talk", "claim", "claims", "speculation"),
    "hearing": (
        "hearing",
        "hearings",
        "testify",
        "testifies",
        "testimony",
        "panel examines",
        "panel hears",
        "grill",
        "grills",
    ),
    "letter": (
        "letter",
        "letters",
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
    ),
    "letter!": ("press", "urge", "questions", "demands", "asks"),
    "bill": (
        "bill",
        "bills",
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
    "tax_authority": ("irs", "treasury", "internal revenue"),
    "credit_term": ("feoc", "foreign entity of concern", "30d", "25e", "45w", "45x", "credit"),
    "tax_doc": ("guidance", "notice", "faq", "faqs", "rules"),
    "tax_say": ("says", "spells out", "releases", "issues", "clarifies"),
    "rule": (
        "final rule",
        "proposed rule",
        "interim rule",
        "rule",
        "rules",
        "rulemaking",
        "regulation",
        "regulations",
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
    ),
    "tariff_noun": ("tariff", "tariffs", "duty", "duties", "surtax", "countervailing"),
    "tariff_verb": (
        "raise",
        "raises",
        "raised",
        "impose",
        "imposes",
        "imposed",
        "keep",
        "keeps",
        "kept",
        "stay",
        "stays",
        "remain",
        "remains",
        "hike",
        "hikes",
        "higher",
        "increase",
        "increases",
        "jumps",
        "rises",
        "ease",
        "eases",
        "eased",
        "lower",
        "lowers",
        "cut",
        "cuts",
        "trims",
        "extends",
        "review",
        "weighs",
        "face",
        "faces",
        "slaps",
        "quota",
        "lifts",
    ),
    "financial!": (
        "profit",
        "profits",
        "loss",
        "losses",
        "earnings",
        "quarterly results",
        "results",
        "revenue",
        "writes down",
        "write down",
        "writedown",
        "impairment",
        "impairments",
        "charges",
        "books",
    ),
    "deal_confirmed!": (
        "confirms",
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
        "eyes",
        "eyeing",
        "nears",
        "near deal",
        "explores",
        "explored",
        "considering",
        "could consider",
        "mulls",
        "sounded out",
        "pitches",
    ),
}

# Phrases that cancel the cue tags they overlap.
_BLOCKS: dict[str, tuple[str, ...]] = {
    "declined to comment": ("denial",),
    "after talks": ("deal_report",),
    "charging tariff": ("tariff_noun",),
    "charging tariffs": ("tariff_noun",),
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

Found = dict[str, tuple[str, int, int]]  # tag -> (phrase, start, end) of its first hit


def _build() -> ahocorasick.Automaton:
    """One automaton for every cue and blocker; a value lists (tag, blocks) pairs."""
    roles: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for tag, phrases in _CUES.items():
        for phrase in phrases:
            roles.setdefault(fold(phrase)[0], []).append((tag, ()))
    for phrase, blocked in _BLOCKS.items():
        roles.setdefault(fold(phrase)[0], []).append(("", blocked))
    automaton = ahocorasick.Automaton()
    for key, key_roles in roles.items():
        automaton.add_word(key, (len(key), key[0].isalnum(), key[-1].isalnum(), tuple(key_roles)))
    automaton.make_automaton()
    return automaton


_AUTOMATON = _build()


def _scan(text: str, title: bool) -> Found:
    """Tags found in one folded field: the first hit per tag that no blocker covers."""
    hits: list[tuple[str, int, int]] = []
    blocks: list[tuple[int, int, tuple[str, ...]]] = []
    size = len(text)
    for end_index, (length, check_start, check_end, roles) in _AUTOMATON.iter(text):
        start = end_index - length + 1
        end = end_index + 1
        if check_start and start and text[start - 1].isalnum():
            continue
        if check_end and end < size and text[end].isalnum():
            continue
        for tag, blocked in roles:
            if blocked:
                blocks.append((start, end, blocked))
            elif tag[-1] != "!":
                hits.append((tag, start, end))
            elif title:
                hits.append((tag[:-1], start, end))
    found: Found = {}
    for tag, start, end in hits:
        if tag in found:
            continue
        if blocks and any(b[0] <= start and end <= b[1] and tag in b[2] for b in blocks):
            continue
        found[tag] = (text[start:end], start, end)
    return found


def _decide_field(found: Found, text: str, field: str) -> EventGuess | None:
    """Apply the precedence of the module docstring to one field's tags."""

    def said(event_type: str, tag: str) -> EventGuess:
        return EventGuess(event_type, f'{event_type}: "{found[tag][0]}" in {field}')

    if "filing" in found:
        return said("filing", "filing")
    if "denial" in found:
        return said("denial", "denial")
    if "reject_verb" in found and "claim_noun" in found:
        verb, noun = found["reject_verb"][0], found["claim_noun"][0]
        return EventGuess("denial", f'denial: "{verb}" + "{noun}" in {field}')
    for event_type in ("hearing", "letter", "bill"):
        if event_type in found:
            return said(event_type, event_type)
    bill_number = _BILL_NUMBER.search(text)
    if bill_number:
        return EventGuess("bill", f'bill: bill number "{bill_number.group(0)}" in {field}')
    authority = found.get("tax_authority")
    doc = found.get("tax_doc")
    if doc is not None and authority is None:
        authority = found.get("credit_term")
    elif doc is None and authority is not None:
        doc = found.get("tax_say")
    if doc is not None and authority is not None:
        return EventGuess("tax_guidance", f'tax_guidance: "{authority[0]}" + "{doc[0]}" in {field}')
    if "rule" in found:
        return said("rule", "rule")
    if "study" in found:
        return said("study", "study")
    if "tariff_noun" in found and "tariff_verb" in found:
        noun, verb = found["tariff_noun"][0], found["tariff_verb"][0]
        return EventGuess("tariff_action", f'tariff_action: "{noun}" + "{verb}" in {field}')
    for event_type in ("financial", "deal_confirmed", "deal_report"):
        if event_type in found:
            return said(event_type, event_type)
    if field == "title":
        money = _MONEY.search(text)
        if money:
            return EventGuess("financial", f'financial: amount "{money.group(0)}" in title')
    return None


def classify_event(item: Item, companies: Sequence[str] = ()) -> EventGuess:
    """The event type of ``item`` with its reason.

    ``companies`` (from the matcher) is accepted so callers need not change when
    a rule comes to depend on it; today the wording and source kind suffice.
    """
    kind = item.source_kind
    source_type = _SOURCE_TYPES.get(kind)
    if source_type is not None:
        return EventGuess(source_type, f"{source_type}: source is {kind}")
    title = fold(item.title)[0]
    found = _scan(title, True)
    if kind == "congress":
        # Congress.gov lists bills and hearings; bill titles say "to deny" or
        # "prohibit" without being denials.
        if "hearing" in found:
            return EventGuess("hearing", f'hearing: "{found["hearing"][0]}" in title')
        return EventGuess("bill", "bill: source is congress and no hearing cue")
    guess = _decide_field(found, title, "title")
    if guess is not None:
        return guess
    summary_found: Found = {}
    if item.summary:
        summary = fold(item.summary)[0]
        summary_found = _scan(summary, False)
        guess = _decide_field(summary_found, summary, "summary")
        if guess is not None:
            return guess
    if kind == "agency" and ("credit_term" in found or "credit_term" in summary_found):
        return EventGuess("tax_guidance", "tax_guidance: agency item about a tax credit")
    return EventGuess("other", "other: no event cue")
