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
The labelling practice is the evaluation set's (benchmarks/data/README.md,
``stories_eval.jsonl``): ``deal_report`` is any reported, not yet confirmed
plan or move ("Treasury poised to ...", "Ford plans to raise prices"),
``deal_confirmed`` the party announcing or confirming one, ``other`` covers
reactions and statements.

1. **Source kind first.** An SEC item is a ``filing`` (an 8-K entering a
   "material definitive agreement" is a ``deal_confirmed``); a Federal Register
   document is a ``rule`` (rules and notices), unless its title names duties
   or a trade remedy ("antidumping", "Section 301", "adjustment of imports"):
   then it is a ``tariff_action``. Publishers of record say what a document is
   better than its wording.
2. **The title, then the summary.** The headline states the event; the summary
   often mentions the earlier claim ("the FT said the two had discussed ..."), so
   the summary is only read when the title says nothing. Generic cues
   ("talks", "signs", "loss", "press", "warns") are trusted in titles only.
3. **Precedence inside a field** (first rule that fires wins, see
   :data:`_PRECEDENCE`): ``filing`` ("8-K", "filing shows") > a refused
   tariff request ("denies Tesla's bid to exempt ... from surtax":
   ``tariff_action``) > a reply to lawmakers ("tells lawmakers", or "tells",
   "response to", "probes", "asks" beside a lawmaker word such as "committee"
   or "panel": ``letter``, even when it denies; "asks" is a letter only
   there, a company asking Commerce for an exclusion is a request) >
   ``denial`` > a confirmation ("confirms", "after denying") > ``study``
   ("committee report", "panel says") > a reported plan ("weighs",
   "said to", "sources say") > ``letter`` > a reaction ("warns", "statement
   on": ``other``) > ``hearing`` > weak letter words ("questions", "grills")
   > an IRS notice number ("Notice 2026-63": ``tax_guidance``) > ``bill`` >
   trade-remedy words ("antidumping", "dumping", "Section 301", and the
   titles "Adjusting Imports of ...", "China's Acts, Policies ...") >
   ``tax_guidance`` > ``rule`` >
   ``financial`` (words) > a tariff word with an action > ``deal_confirmed``
   ("signs", "agreement") > an announcement ("X to build ...") > weak plan
   words ("talks", "could") > ``financial`` (a dollar amount only). The
   reasons: a denial names the claim it denies ("rejects report on Xiaomi
   talks"); a plan under study names its subject ("weighs delay of credit
   rules", "weighs higher duties"); a reaction names what it reacts to ("defends
   plant after hearing", "shrugs off tariff bill"); a tariff item may mention
   "talks" or a "deal"; a deal story may quote a dollar figure.
4. **Source-kind fallbacks**: a Congress.gov item is a ``hearing`` when its
   title says so and a ``bill`` otherwise (bill titles say "to deny ..."
   without denying anything); in a company's own release "X to build ..." or a
   "partnership" is ``deal_confirmed`` (in the news "X to build ..." is a
   reported plan); an agency item about a tax credit with no other cue is
   ``tax_guidance``. Otherwise ``other``.

Some cues need a partner in the same field: a tariff word ("tariff", "duties")
with an action ("raises", "keeps", "higher", "review", "proposes", "puts");
a tax authority or tax-credit term ("clean vehicle" is the statute's name for
the credits) with a guidance word ("guidance", "notice", "safe harbor"), or
the IRS with a credit (Treasury's credit *rules* are rules); "rejects" or
"dismissed" with "report"/"story"/"talk" (rejecting lawmakers' *claims* is a
statement, ``other``: a denial answers a report); a word to or from lawmakers
with a lawmaker word. Blocking phrases cancel the cue they
overlap: "after talks" is not a deal report, "charging tariff" is an
electricity rate, "tariff-rate quota" is a quota, "seeks exemption" or "seeks
relief" from a tariff is a request, "rules out" is not a rule, "signed off" is an approval,
"press release" is not pressing anyone, "frequently asked questions" question
no one. ("Declined to comment" needs no blocker:
no denial cue is part of it; a test keeps it that way.)

Bill numbers ("H.R. 5128", "S. 311"), IRS notice numbers ("Notice 2026-63")
and dollar amounts are cues too: their prefixes ("h.r.", "s.", "notice", "$",
...) are phrases, and the full pattern is only
tried where one of them hit. A hit counts for the title when it starts before
the end of the (folded) title.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
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
# count together with a partner tag (or a source kind), see _PRECEDENCE. A
# phrase also matches with a plural or possessive ending ("tariff" finds
# "tariffs"), so only irregular forms ("duties", "denied") are listed beside it.
# A few cues are Spanish, Portuguese, German, French, Italian, Hungarian,
# Polish, Chinese, Japanese or Korean: the news carries titles in those
# languages, folded without accents ("prüft" is "pruft"). Chinese, Japanese and
# Korean cues match inside words, as those scripts set no spaces between them
# (bot.pyscan.word_char): each is two characters or more.
_CUES: dict[str, tuple[str, ...]] = {
    "filing": ("8-k", "10-k", "10-q", "form 8", "sec filing", "filing shows", "filing puts"),
    # An 8-K under Item 1.01 reports a deal the company entered into.
    "deal_filed": ("material definitive agreement",),
    "denial": (
        "completely false",
        "false report",
        "not true",
        "untrue",
        "baseless",
        "no plan",
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
        "no deal",
        "no deal to",
        "has not asked",
        "not reviewing",
        "no extension",
        "not finalized",
        "no change to",
        "no ev credit",
        "no decision",
        "no truth",
        "not considering",
        "not planning",
        "isn't planning",
        "no discussions",
        "not in discussions",
        "shoots down",
        "shot down",
        "shoot down",
        "says it is not",
        "says it isn't",
        "says it's not",
        "inaccurate",
        "否认",
        "不属实",
        "辟谣",
        "否定",
        "事实无根",
        "事実無根",
        "사실무근",
        "사실 아니다",
        "사실이 아니다",
        "부인했다",
        "cafolja",
        "cafolta",
        "cafol",
        "不实",
        "zaprzecza",
        "on media reports",
        "regarding media reports",
        "about media reports",
        "regarding media speculation",
        "on media speculation",
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
        "says no",
        "no change",
        "has no",
        "niega",
        "desmiente",
        "nega",
        "denial",
        "dementiert",
        ": no",
        # A plant "on track" or "not for sale" answers a report only as the
        # headline; a summary says it of other news ("phase one remains on track").
        "on schedule",
        "on track",
        "not for sale",
        "dement",
        "smentisce",
    ),
    "reject_verb": (
        "rejects",
        "rejected",
        "dismisses",
        "dismissed",
        "pushes back",
        "pushed back",
        "shuts down",
        "rebuffs",
        "brushes off",
        "plays down",
        "downplays",
        "rejecting",
        "weist",
    ),
    "claim_noun": ("report", "story", "talk", "speculation", "rumor", "rumour", "bericht"),
    # A refused request ("denies Tesla's bid", "rejects GM's request") about a
    # tariff is a tariff decision, not the denial of a report.
    "request!": ("bid", "request", "appeal", "petition"),
    # The party confirming: strong enough to outrank a plan word in the same
    # headline ("confirms ... after weeks of speculation").
    "confirmed!": (
        "confirm",
        "confirmed",
        "it's official",
        "after all",
        "after denying",
        "docket shows",
        "docket reveals",
        "confirma",
        "conferma",
        "confirme",
        "bestatigt",
    ),
    "hearing": (
        "hearing",
        "testify",
        "testifies",
        "testimony",
        "panel examines",
        "panel hears",
        "testified",
        "testifying",
        "witnesses",
        "hear from",
        "hears from",
        "grill experts",
        "grills experts",
        "grill witnesses",
        "grills witnesses",
    ),
    # A reply to lawmakers is a letter even when it denies something.
    "reply!": (
        "to moolenaar",
        "responds to moolenaar",
        "tells lawmakers",
        "tells house",
        "tells congress",
        "tells senators",
        "tells committee",
        "written answer",
        "written reply",
        "letter to",
        "in letter",
    ),
    # Words to, from or about lawmakers: a letter when a lawmaker word is in
    # the same field ("Ford tells China committee ...", "Volvo Cars Response
    # to the House Select Committee", "House panel probes SK On's suppliers").
    "to_lawmakers": (
        "tells",
        "response to",
        "replies to",
        "reply to",
        "answers",
        "ask",
        "probes",
        "wants details",
        "want",
        "urge",
    ),
    "lawmaker": (
        "moolenaar",
        "krishnamoorthi",
        "lawmaker",
        "lawmakers",
        "congress",
        "congressional",
        "committee",
        "panel",
        "senator",
        "senators",
        "house",
        "hawk",
        "chair",
        "chairman",
    ),
    "letter": (
        "letter",
        "writes to",
        "wrote to",
        "presses",
        "urges",
        "calls on",
        "pressure on",
        "demands briefing",
        "seeks answers",
        "seeking details",
        "seeks details",
        "wants documents",
        "demands documents",
        "requests documents",
        "requests information",
        "subpoena",
        "requests briefing",
        "seek blacklisting",
        "seeks blacklisting",
    ),
    # "asks" is a letter beside a lawmaker word only (to_lawmakers + lawmaker):
    # a company asking Commerce or USTR for an exclusion is a request ("other").
    "letter!": ("press", "urge", "demands", "answers"),
    # Weaker: a hearing also questions and grills.
    "letter_hint!": ("question", "questions", "grill"),
    # Statements and reactions are "other", whatever they react to ("Ford
    # defends plant after hearing", "BYD shrugs off tariff bill").
    "reaction!": (
        "warns",
        "warn",
        "welcome",
        "welcomes",
        "shrugs off",
        "statement on",
        "statement:",
        "blasts",
        "slams",
        "criticizes",
        "criticises",
        "decries",
        "condemns",
        "applauds",
        "reacts to",
        "responds to",
        "defends",
        "won't change",
        "praises",
        "hails",
        "sparks speculation",
        "on reports of",
        "will cooperate",
        "endorses",
        "endorse",
        "cheer",
        "cheers",
    ),
    # A speech verb or colon after a title's subject: who speaks (bot.speakers
    # reads these hits; they type nothing).
    "speech!": (
        ":",
        "say",
        "said",
        "tell",
        "told",
        "statement",
        "call",
        "defend",
        "pledge",
        "vow",
        "blame",
        "welcome",
        "denies",
        "denied",
        "respond",
        "replies",
        "urge",
        "writes",
        "wrote",
        "ask",
        "warn",
        "slam",
        "reject",
        "insist",
        "argue",
        "question",
        "caution",
        "praise",
        "criticizes",
        "criticises",
    ),
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
    # Trade-remedy vocabulary names a tariff action on its own.
    "trade_remedy!": (
        "antidumping",
        "anti dumping",
        "anti subsidy",
        "countervailing",
        "less than fair value",
        "section 301",
        "section 232",
        "adjustment of imports",
        "trade case",
        "injures u.s. industry",
        "product exclusion",
        "dumping",
        # Title conventions: Section 232 proclamations "Adjusting Imports of ...",
        # Section 301 notices "China's Acts, Policies and Practices ...", customs
        # rulings on a good's "Country of Origin".
        "adjusting imports",
        "acts, policies",
        "country of origin",
        "determinations",
        "trade probe",
    ),
    "irs": ("irs", "internal revenue service"),
    "tax_authority": ("treasury", "internal revenue"),
    # "Clean vehicle" is the statute's and the IRS's name for the 30D/25E/45W credits.
    # Where an IRS notice number ("Notice 2026-63") may start: _NOTICE_NUMBER
    # is tried at these hits only.
    "notice_number": ("notice",),
    # Where a fiscal year may be named ("Annual report for fiscal year ended
    # December 31, 2025", EDGAR's title of a 10-K): an identity, not a type.
    "fiscal_year": ("fiscal year",),
    "credit_term": (
        "feoc",
        "foreign entity of concern",
        "30d",
        "25e",
        "45w",
        "45x",
        "credit",
        "clean vehicle",
    ),
    "tax_doc": (
        "guidance",
        "notice",
        "faq",
        "frequently asked questions",
        "safe harbor",
        "transition relief",
        "reprieve",
    ),
    "tax_say": ("says", "spells out", "releases", "issues", "clarifies", "gives", "grants", "sets"),
    "rule": (
        "final rule",
        "proposed rule",
        "interim rule",
        "rule",
        "rulemaking",
        "regs",
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
        # A committee's findings in the news ("House China panel says DeepSeek ...").
        "panel says",
        "committee says",
        "panel finds",
        "committee finds",
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
        "data show",
        "data shows",
        "figures show",
        "sales report",
        "prices fall",
        "prices fell",
        "hit record",
        "hits record",
        "new report",
        "study:",
        "cox says",
        "values slide",
        "in charts",
    ),
    "tariff_noun": (
        "tariff",
        "duty",
        "duties",
        "surtax",
        "countervailing",
        "levy",
        "levies",
        "arancel",
        "aranceles",
        "droits de douane",
        "zolle",
        "dazi",
        "关税",
        "関税",
        "관세",
        "surtaxe",
        "price floor",
        "minimum price",
        "minimum-price",
        "prix plancher",
        "imposto de importação",
        "autozolle",
        "zolldeal",
        "anti-dumping",
        "antidumping",
        "ad/cvd",
        "ad rates",
        "circumvention",
    ),
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
        "hits",
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
        "finalizes",
        "finalises",
        "finalized",
        "finalised",
        "stacks",
        "clears way",
        "break",
        "untouched",
        "suspends",
        "pauses",
        "delays",
        "doubles",
        "triples",
        "expands",
        "waives",
        "slashes",
        "reduces",
        "proposes",
        "propose",
        "puts",
        "take effect",
        "takes effect",
        "propone",
        "in kraft",
        "definitif",
        "definitifs",
        "加征",
        "上调",
        "提高",
        "引き上げ",
        "인상",
        "double",
        "senken",
        "senkt",
        "approves",
        "aprueba",
        "moves up",
        "locks in",
        "matches",
        "grants",
        "accepts",
        "petition",
        "probe",
        "finds injury",
        "climbs",
        "mantiene",
        "chega",
        "enterine",
        "exempte",
        "引き下げ",
        "소급",
        "backdated",
        "accepte",
        "sets",
    ),
    "financial!": (
        "profit",
        "loss",
        "earnings",
        "quarterly",
        "results",
        "revenue",
        "margin",
        "writes down",
        "write down",
        "writedown",
        "impairment",
        "billion charge",
        "million charge",
        "charges",
        "books",
        "outlook",
        "forecast",
        "net income",
        "cost it",
        "will cost",
        "tariff hit",
        "tariff drag",
        "dollar hit",
        "deliveries",
        "delivers",
        "净利",
        "营收",
        "決算",
        "営業利益",
        "영업이익",
        "매출",
        "earns",
        "in the black",
        "biggest seller",
        "销量",
        "上場",
        "shares climb",
        "shares tumble",
        "stocks tumble",
        "股价",
        "盈利",
    ),
    "deal_confirmed!": (
        "signs",
        "signed",
        "agree",
        "agreed",
        "agrees",
        "deepens",
        "finalizes",
        "finalises",
        "seals",
        "completes deal",
        "greenlight",
        "green light",
        "luz verde",
        "compra",
        "memorandum of understanding",
        "agreement",
        "picks",
        "selects",
        "chooses",
        "buys",
        "acquires",
        "breaks ground",
        "break ground",
        "inks",
        "clinches",
        "strikes deal",
        "formalizes",
        "teams up",
        "partners with",
        "签约",
        "签署",
        "官宣",
        "締結",
        "採用",
        "체결",
    ),
    # A plan or move reported, not yet confirmed: strong enough to outrank the
    # subject it is about ("Treasury weighs delay of credit rules").
    "deal_report": (
        "in talks",
        "in discussions",
        "close to a deal",
        "nearing a deal",
        "people with knowledge",
        "familiar with the matter",
        "sources said",
        "source says",
        "held talks",
        "holds talks",
        "people familiar",
        "people briefed",
        "according to people",
        "sources say",
        "people say",
        "said to",
        "report says",
        "reports say",
        "media say",
        "analysts say",
        "aides say",
        "lobbyists say",
        "insiders say",
        "paper says",
        "newspaper says",
        "documents show",
        "reportedly",
        "segun fuentes",
        "segun",
        "selon",
        "secondo fonti",
        "laut insidern",
        "据悉",
        "消息人士",
        "知情人士",
        "関係者によると",
        "업계에 따르면",
        "업계 관계자",
        "sajtohir",
    ),
    "deal_report!": (
        "discuss",
        "discussed",
        "discussing",
        "weighs",
        "weighed",
        "weighing",
        "plans to",
        "poised to",
        "drafts",
        "readies",
        "readying",
        "examining",
        "nears",
        "near deal",
        "explores",
        "explored",
        "explore",
        "exploring",
        "mulling",
        "preparing",
        "considers",
        "considering",
        "consider",
        "mulls",
        "sounded out",
        "pitches",
        "report:",
        "nikkei says",
        "ft says",
        "negocia",
        "negocian",
        "negociam",
        "verhandelt",
        "verhandeln",
        "offenbar",
        "soll",
        "sprechen",
        "avalia",
        "floats",
        "forhandlar",
        "in gesprachen",
        "pruft",
        "erwagt",
        "prepares",
        "trattative",
        "discute",
        "etudie",
        "kurz vor",
        "拟在",
        "拟将",
        "拟扩大",
        "或将",
        "洽谈",
        "谈判",
        "交渉",
        "検討",
        "협상",
        "검토",
    ),
    # Weaker signs of a plan: a tariff or rule word in the same title wins.
    "plan_hint!": ("talks", "discussions", "eye", "eyeing", "could", "plans"),
    # "X to build ...": a plan in the news, an announcement from the company.
    "to_verb!": (
        "to produce",
        "to build",
        "to offer",
        "to launch",
        "to supply",
        "to use",
        "to make",
        "to export",
        "to ship",
        "to sell",
        "to import",
        "to lift",
        "to take",
        "to add",
        "to assemble",
    ),
    # Only a company's own release is typed by these ("Volkswagen and XPENG
    # extend strategic cooperation").
    "alliance!": ("cooperation", "partnership", "collaboration", "joint venture"),
    # Where a dollar amount may start: _MONEY is tried at these hits only.
    "money!": ("$",),
}

# Phrases that cancel the cue tags they overlap.
_BLOCKS: dict[str, tuple[str, ...]] = {
    "after talks": ("plan_hint",),
    "charging tariff": ("tariff_noun",),
    "electricity tariff": ("tariff_noun",),
    "tariff rate quota": ("tariff_noun",),
    "seeks exemption": ("tariff_verb",),
    "seek exemption": ("tariff_verb",),
    "seeks relief": ("tariff_verb",),
    "seek relief": ("tariff_verb",),
    "signed off": ("deal_confirmed",),
    "press release": ("letter",),
    "press conference": ("letter",),
    "rules out": ("rule", "tax_doc"),
    "ruled out": ("rule", "tax_doc"),
    "rule out": ("rule", "tax_doc"),
    "credit card": ("credit_term",),
    "has no comment": ("denial",),
    "committee report:": ("deal_report",),
    "report urges": ("to_lawmakers",),
    "frequently asked questions": ("letter_hint",),
}

# Source kinds that decide the type on their own (a Federal Register notice of
# a tariff is a tariff action, see EventRules.decide).
_SOURCE_TYPES = {"sec": "filing", "federal_register": "rule"}
_BILL_NUMBER = re.compile(r"\b(?:h\.\s?r\.|(?<![a-z]\.)s\.|h\.\s?res\.)\s?\d{1,5}\b")
_NOTICE_NUMBER = re.compile(r"notice\s?\d{4}[\s-]\d{1,3}\b")  # folding turns "-" into " "
# Document numbers name one document: two items naming different bills ("H.R.
# 3390", "H.R. 9021"), IRS notices or fiscal years (two 10-Ks) report different
# documents however alike their words (two bills "to impose additional duties
# on electric vehicles").
# They reach story grouping as concepts marked IDENTITY_MARK ("id:hr3390"),
# which bot.stories.rules puts in a contrast family of their own.
IDENTITY_MARK = "id:"
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

    def identities(self, cues: Spans, text: str) -> list[str]:
        """The bill and IRS notice numbers and fiscal years in the folded
        ``text``, as identity concepts ("id:hr3390", "id:notice202663",
        "id:fy2025"), for story grouping."""
        found: list[str] = []
        for tag, pattern, prefix in _IDENTITIES:
            for start, _ in cues.get(tag, ()):
                matched = pattern.match(text, start)
                if matched:
                    value = matched.group(matched.lastindex or 0)
                    name = IDENTITY_MARK + prefix + "".join(filter(str.isalnum, value))
                    if name not in found:
                        found.append(name)
        return found

    def decide(
        self, kind: str, cues: Spans, blocks: Spans, text: str, title_end: int
    ) -> EventGuess:
        """Source kind, then title, then summary, then fallbacks (module docstring)."""
        title = _field(cues, blocks, title_end, True)
        if kind == "sec":
            # An SEC item is a filing, unless it is the 8-K that confirms a deal.
            if "deal_filed" in title:
                return EventGuess(
                    "deal_confirmed",
                    f'deal_confirmed: "{_phrase(title, "deal_filed", text)}" in an SEC filing',
                )
            return _BY_SOURCE["sec"]
        if kind == "federal_register":
            # The Federal Register prints rules and notices; a notice of duties
            # (anti-dumping, Section 301, Section 232) is a tariff action.
            for tag in ("trade_remedy", "tariff_noun"):
                if tag in title:
                    return EventGuess(
                        "tariff_action", f'tariff_action: "{_phrase(title, tag, text)}" in title'
                    )
            return _BY_SOURCE["federal_register"]
        if kind == "congress":
            # Congress.gov lists bills and hearings; bill titles say "to deny" or
            # "prohibit" without being denials.
            if "hearing" in title:
                return EventGuess(
                    "hearing", f'hearing: "{_phrase(title, "hearing", text)}" in title'
                )
            return _CONGRESS_BILL
        guess = _decide_field(title, text, "title", kind)
        if guess is not None:
            return guess
        summary = _field(cues, blocks, title_end, False)
        guess = _decide_field(summary, text, "summary", kind)
        if guess is not None:
            return guess
        if kind == "agency" and ("credit_term" in title or "credit_term" in summary):
            return _AGENCY_CREDIT
        return _OTHER


EVENT_RULES = EventRules(_CUES, _BLOCKS)
_FISCAL_YEAR = re.compile(r"fiscal year (?:ended \w+ \d{1,2},? )?(\d{4})\b")
# (cue tag, pattern tried at its hits, prefix of the identity): the identity is
# the prefix and the letters and digits of the pattern's group (or match).
_IDENTITIES = (
    ("bill_number", _BILL_NUMBER, ""),
    ("notice_number", _NOTICE_NUMBER, ""),
    ("fiscal_year", _FISCAL_YEAR, "fy"),
)


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
        # Hits come in text order, so the title's are a prefix of the list:
        # most lists lie wholly on one side and are kept without a copy.
        if title:
            kept = spans if spans[-1][0] < title_end else [s for s in spans if s[0] < title_end]
        else:
            kept = spans if spans[0][0] >= title_end else [s for s in spans if s[0] >= title_end]
        blockers = blocks.get(name)
        if blockers:
            kept = [h for h in kept if not any(b[0] <= h[0] and h[1] <= b[1] for b in blockers)]
        if not kept:
            continue
        earlier = found.get(name)
        if earlier is None:
            found[name] = kept
        else:
            # A tag fed by two lists ("no plans" in "denial", "has no" in
            # "denial!") keeps the scan's order: the first hit ends first.
            found[name] = sorted(earlier + kept, key=lambda span: (span[1], span[0]))
    return found


def _phrase(found: Spans, tag: str, text: str) -> str:
    """The first hit of ``tag`` as it appears (folded) in ``text``, for reasons."""
    start, end = found[tag][0]
    return text[start:end]


def _decide_field(found: Spans, text: str, field: str, kind: str) -> EventGuess | None:
    """Apply :data:`_PRECEDENCE` to one field's tags: only the steps that one
    of the found tags can fire are tried, in precedence order."""
    if not found:
        return None
    steps: Sequence[int]
    if len(found) == 1:
        [tag] = found
        steps = _STEPS_BY_TAG.get(tag, ())
    else:
        steps = sorted({i for tag in found for i in _STEPS_BY_TAG.get(tag, ())})
    for index in steps:
        step = _PRECEDENCE[index]
        if type(step) is tuple:
            event_type, tag = step
            return EventGuess(event_type, f'{event_type}: "{_phrase(found, tag, text)}" in {field}')
        guess = step(found, text, field, kind)  # type: ignore[operator]
        if guess is not None:
            return guess
    return None


# A rule that needs more than one tag's hit, a pattern where a prefix hit, or
# the source kind.
Rule = Callable[[Spans, str, str, str], "EventGuess | None"]
# Tags whose hit lets a rule fire: a rule needs at least one of them.
_TRIGGERS: dict[Rule, tuple[str, ...]] = {}


def _pair(event_type: str, first: str, second: str) -> Rule:
    """``event_type`` when both tags occur ("rejects" + "report")."""

    def rule(found: Spans, text: str, field: str, kind: str) -> EventGuess | None:
        if first not in found or second not in found:
            return None
        one, two = _phrase(found, first, text), _phrase(found, second, text)
        return EventGuess(event_type, f'{event_type}: "{one}" + "{two}" in {field}')

    _TRIGGERS[rule] = (first,)
    return rule


def _refused_request(found: Spans, text: str, field: str, kind: str) -> EventGuess | None:
    """A tariff decision that turns down a request ("Ottawa denies Tesla's bid
    to exempt ... from surtax"): the denial verb answers a petition, not a report."""
    if "request" not in found or "tariff_noun" not in found:
        return None
    verb = "denial" if "denial" in found else "reject_verb" if "reject_verb" in found else None
    if verb is None:
        return None
    return EventGuess(
        "tariff_action",
        f'tariff_action: "{_phrase(found, verb, text)}" + "{_phrase(found, "request", text)}"'
        f' + "{_phrase(found, "tariff_noun", text)}" in {field}',
    )


def _pattern(event_type: str, tag: str, pattern: re.Pattern[str], what: str) -> Rule:
    """``event_type`` when ``pattern`` matches where its prefix ``tag`` hit
    (a bill number after "h.r.", an amount after "$")."""

    def rule(found: Spans, text: str, field: str, kind: str) -> EventGuess | None:
        for start, _ in found.get(tag, ()):
            matched = pattern.match(text, start)
            if matched:
                return EventGuess(
                    event_type, f'{event_type}: {what} "{matched.group(0)}" in {field}'
                )
        return None

    _TRIGGERS[rule] = (tag,)
    return rule


def _tax_guidance(found: Spans, text: str, field: str, kind: str) -> EventGuess | None:
    """A tax authority with a guidance document; the IRS with a tax credit; a
    credit term with a guidance document; "says" standing in for the document
    ("..., IRS says"). Treasury with a credit and no document is not enough:
    Treasury's credit *rules* are rules."""
    authority = "irs" if "irs" in found else "tax_authority" if "tax_authority" in found else None
    doc = "tax_doc" if "tax_doc" in found else None
    if doc is None:
        if authority == "irs" and "credit_term" in found:
            doc = "credit_term"
        elif authority is not None and "tax_say" in found:
            doc = "tax_say"
    elif authority is None and "credit_term" in found:
        authority = "credit_term"
    if doc is None or authority is None:
        return None
    return EventGuess(
        "tax_guidance",
        f'tax_guidance: "{_phrase(found, authority, text)}" + '
        f'"{_phrase(found, doc, text)}" in {field}',
    )


def _announcement(found: Spans, text: str, field: str, kind: str) -> EventGuess | None:
    """ "X to build ..." is the company's announcement in its own release, and a
    reported plan anywhere else; a partnership named in a release is a deal."""
    if kind == "company":
        for tag in ("to_verb", "alliance"):
            if tag in found:
                return EventGuess(
                    "deal_confirmed",
                    f'deal_confirmed: "{_phrase(found, tag, text)}" in a company release',
                )
        return None
    if "to_verb" in found:
        return EventGuess(
            "deal_report", f'deal_report: "{_phrase(found, "to_verb", text)}" in {field}'
        )
    return None


# The precedence inside a field, first to fire wins: a (type, tag) pair fires
# when the tag occurs; rules combine tags. Title-only tags ("money", "to_verb",
# ...) never occur in a summary.
_PRECEDENCE: tuple[tuple[str, str] | Rule, ...] = (
    ("filing", "filing"),
    _refused_request,
    ("letter", "reply"),
    _pair("letter", "to_lawmakers", "lawmaker"),
    ("denial", "denial"),
    _pair("denial", "reject_verb", "claim_noun"),
    ("deal_confirmed", "confirmed"),
    ("study", "study"),
    ("deal_report", "deal_report"),
    ("letter", "letter"),
    ("other", "reaction"),
    ("hearing", "hearing"),
    _pattern("tax_guidance", "notice_number", _NOTICE_NUMBER, "IRS notice"),
    ("letter", "letter_hint"),
    ("bill", "bill"),
    _pattern("bill", "bill_number", _BILL_NUMBER, "bill number"),
    ("tariff_action", "trade_remedy"),
    _tax_guidance,
    ("rule", "rule"),
    ("financial", "financial"),
    _pair("tariff_action", "tariff_noun", "tariff_verb"),
    ("deal_confirmed", "deal_confirmed"),
    _announcement,
    ("deal_report", "plan_hint"),
    _pattern("financial", "money", _MONEY, "amount"),
)
_TRIGGERS[_refused_request] = ("request",)
_TRIGGERS[_tax_guidance] = ("irs", "tax_authority", "tax_doc")
_TRIGGERS[_announcement] = ("to_verb", "alliance")


def _steps_by_tag() -> dict[str, tuple[int, ...]]:
    """tag -> the indexes in :data:`_PRECEDENCE` of the steps its hit can fire,
    in order: a field's few tags then lead straight to the steps worth trying."""
    steps: dict[str, list[int]] = {}
    for index, step in enumerate(_PRECEDENCE):
        tags = (step[1],) if isinstance(step, tuple) else _TRIGGERS[step]
        for tag in tags:
            steps.setdefault(tag, []).append(index)
    return {tag: tuple(indexes) for tag, indexes in steps.items()}


_STEPS_BY_TAG = _steps_by_tag()


@functools.cache
def _events_only() -> Matcher:
    """A matcher with no watchlists or companies, for typing a lone item, built
    on first use (compiling the cue automaton costs a few milliseconds)."""
    return Matcher(Catalog(), events=EVENT_RULES)


def classify_event(item: Item) -> EventGuess:
    """The event type of ``item`` with its reason, outside the ingest path
    (which takes ``MatchResult.event`` from its own matcher's scan)."""
    return _events_only().match(item).event
