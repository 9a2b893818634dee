"""One-pass matching of items against every watchlist and company.

All phrases (watchlist include/require/exclude phrases, company aliases,
exclusions and context words, and the event cues and blockers of
:mod:`bot.stories.events`) go into a single Aho-Corasick automaton over folded
text, so an item is scanned once however many watchlists exist and typing its
event needs no scan of its own. Rules are then applied to the small set of
hits. The per-hit work dominates the cost (see ``benchmarks/matcher.py``): it
is compiled (:mod:`bot.scan`), roles are small numbers resolved once per item,
and :class:`~bot.models.Hit` objects are built only for the evidence we report
(``explain`` builds its JSON dicts without them).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import ahocorasick

from bot.compiled import load
from bot.models import NOT_TYPED, EventGuess, Hit, Item
from bot.pyscan import SEPARATOR, Driver, locate, word_char
from bot.speakers import SPEECH_TAG, Speakers
from bot.text import FOLD, fold, fold_phrase
from bot.watchlists import Catalog, RuleSpec

# "compiled", or why the pure-Python twins are used (`policywatch --version`);
# folding (bot/fold.pyx) is named apart only when it differs from the scan.
SCAN: str
if TYPE_CHECKING:
    from bot import scan as _scanner
else:  # compiled (bot/scan.pyx) when it was built, else its pure-Python twin
    _scanner, _SCAN = load("bot.scan", "bot.pyscan")
    SCAN = _SCAN if _SCAN == FOLD else f"{_SCAN}; folding {FOLD}"

# Role codes. A role is (code, owner, group): owner is a watchlist or company
# id or an event cue tag (for EVENT_BLOCK: the tag blocked), group the index of
# a require group (0 otherwise).
INCLUDE, REQUIRE, EXCLUDE, ALIAS, WEAK, CONTEXT, NOT_COMPANY = range(7)
EVENT_CUE, EVENT_BLOCK = range(7, 9)
# A phrase of the lexicon: owner is its concept id.
CONCEPT = 9
Role = tuple[int, str, int]
# A raw hit: (start, end) in the folded title + separator + summary.
RawHit = tuple[int, int]


class EventTyping(Protocol):
    """What the matcher needs of event rules (:data:`bot.stories.events.EVENT_RULES`):
    phrases to compile into its automaton, and a decision over the hits it
    found. Declared here so matching does not depend on the stories layer
    that owns the rules."""

    @property
    def cues(self) -> Mapping[str, tuple[str, ...]]: ...

    @property
    def blocks(self) -> Mapping[str, tuple[str, ...]]: ...

    def without_cues(self, kind: str) -> EventGuess: ...

    def decide(
        self,
        kind: str,
        cues: dict[str, list[RawHit]],
        blocks: dict[str, list[RawHit]],
        text: str,
        title_end: int,
    ) -> EventGuess: ...

    def identities(self, cues: dict[str, list[RawHit]], text: str) -> list[str]: ...


@dataclass(slots=True)
class MatchResult:
    """What the matcher found in one item.

    The evidence for each id is kept as raw spans of the folded text and turned
    into :class:`Hit` objects only when asked for (``hits``/``why``/``explain``):
    matching stays cheap, and explanations cost only where they are shown.
    ``event`` is :data:`~bot.models.NOT_TYPED` unless the matcher was
    built with event rules. ``concepts`` are the lexicon concepts the item
    names ("tariff" for "levies" or "duties") and, with event rules, the bill
    and notice numbers and fiscal years it names ("id:hr3390", "id:fy2025")
    and the title's speaker ("by:party-ford", :mod:`bot.speakers`), for story
    grouping.
    """

    watchlists: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    concepts: list[str] = field(default_factory=list)
    evidence: dict[tuple[str, str], list[RawHit]] = field(default_factory=dict)
    source: tuple[str, str, list[int] | None] = ("", "", None)  # title, joined text, position map
    event: EventGuess = NOT_TYPED
    _made: dict[RawHit, Hit] = field(default_factory=dict)

    def hits(self, kind: str, key: str) -> list[Hit]:
        """The evidence for a "watchlist" or "company" id, in text order."""
        spans = self.evidence.get((kind, key))
        return _hits(spans, *self.source, self._made) if spans else []

    def why(self, key: str) -> str:
        """One line saying which phrases matched for a watchlist or company id."""
        hits = self.hits("watchlist", key) or self.hits("company", key)
        if not hits:
            return ""
        parts = list(dict.fromkeys(f'"{h.text}" in {h.field}' for h in hits))
        return "matched " + ", ".join(parts[:3])

    def explain(self) -> dict[str, Any]:
        """The evidence of every watchlist and company as JSON-ready dicts
        (:meth:`Hit.to_json`), built straight from the spans (compiled, see
        :func:`bot.pyscan.explain`): ``policywatch match`` explains every item,
        and a Hit object per span cost more than the match."""
        return _scanner.explain(self.watchlists, self.companies, self.evidence, *self.source)


class Matcher:
    """Compiled from a :class:`Catalog`; immutable and safe to share between tasks.

    With ``events`` (normally :data:`~bot.stories.events.EVENT_RULES`) every
    result also carries the item's event type; without, ``event`` stays
    :data:`~bot.models.NOT_TYPED` and no cue phrase is compiled.

    Each distinct role is numbered once, and a phrase's payload carries the
    numbers of its roles: a hit costs one small-int dict step per role (a role
    tuple was hashed anew for every hit), and the rules look their hits up by
    number, compiled per rule and per company.
    """

    # The compiled per-hit loop and rules, or their pure-Python twins.
    _engine = _scanner

    def __init__(self, catalog: Catalog, events: EventTyping | None = None) -> None:
        self.catalog = catalog
        self.events = events
        self._speakers = Speakers(catalog.lexicon, catalog.speakers)
        self._automaton = ahocorasick.Automaton()
        roles: dict[str, list[Role]] = defaultdict(list)

        def add(phrase: str, role: Role) -> None:
            key = fold_phrase(phrase)
            if key and role not in roles[key]:
                roles[key].append(role)

        # Each rule of a watchlist owns its include and require roles under a key
        # of its own ("ev-tariffs", "ev-tariffs+1", ...; '+' is not allowed in
        # ids); exclusions belong to the watchlist, whichever rule matched.
        specs: dict[str, tuple[str, RuleSpec]] = {}
        for wl in catalog.watchlists.values():
            for number, rule in enumerate(wl.rules):
                key = wl.id if number == 0 else f"{wl.id}+{number}"
                specs[key] = (wl.id, rule)
                for phrase in rule.include:
                    add(phrase, (INCLUDE, key, 0))
                for index, group in enumerate(rule.require):
                    for phrase in group:
                        if not phrase.startswith("@"):
                            add(phrase, (REQUIRE, key, index))
            for phrase in wl.exclude:
                add(phrase, (EXCLUDE, wl.id, 0))
        for company in catalog.companies.values():
            for phrase in [*company.aliases, *company.tickers]:
                add(phrase, (ALIAS, company.id, 0))
            for phrase in company.weak_aliases:
                add(phrase, (WEAK, company.id, 0))
            for phrase in company.context:
                add(phrase, (CONTEXT, company.id, 0))
            for phrase in company.exclude:
                add(phrase, (NOT_COMPANY, company.id, 0))
        for concept, concept_phrases in catalog.lexicon.items():
            for phrase in concept_phrases:
                add(phrase, (CONCEPT, concept, 0))
        if events is not None:
            for tag, phrases in events.cues.items():
                for phrase in phrases:
                    add(phrase, (EVENT_CUE, tag, 0))
            for phrase, tags in events.blocks.items():
                for tag in tags:
                    add(phrase, (EVENT_BLOCK, tag, 0))
        numbers: dict[Role, int] = {}
        for key, key_roles in roles.items():
            ids = tuple(numbers.setdefault(role, len(numbers)) for role in key_roles)
            # Boundaries are only checked where the phrase starts/ends with a word character.
            self._automaton.add_word(key, (len(key), word_char(key[0]), word_char(key[-1]), ids))
        self.phrase_count = len(roles)
        if roles:
            self._automaton.make_automaton()

        def role_id(role: Role) -> int:
            """A role's number; -1 (never found) when no phrase carries it."""
            return numbers.get(role, -1)

        # What a role number leads to: a company (for its alias and weak roles),
        # a rule (for its include role), an event cue or blocker (by tag), or
        # a lexicon concept the item names (story grouping compares them).
        engine = self._engine
        self._drivers: dict[int, Driver] = {}
        for company_id in sorted(catalog.companies):
            entry = engine.Company(
                company_id,
                role_id((ALIAS, company_id, 0)),
                role_id((WEAK, company_id, 0)),
                role_id((CONTEXT, company_id, 0))
                if catalog.companies[company_id].context
                else None,
                role_id((NOT_COMPANY, company_id, 0)),
            )
            for role_number in (entry.alias, entry.weak):
                if role_number >= 0:
                    self._drivers[role_number] = entry
        for key, (wl_id, spec) in specs.items():
            groups = tuple(
                (
                    role_id((REQUIRE, key, index)),
                    tuple(("company", p[1:]) for p in group if p.startswith("@")),
                )
                for index, group in enumerate(spec.require)
            )
            rule = engine.Rule(wl_id, role_id((EXCLUDE, wl_id, 0)), groups, spec.near, spec.title)
            if (role_number := role_id((INCLUDE, key, 0))) >= 0:
                self._drivers[role_number] = rule
        for (code, owner, _), role_number in numbers.items():
            if code in (EVENT_CUE, EVENT_BLOCK):
                self._drivers[role_number] = (code == EVENT_CUE, owner)
            elif code == CONCEPT:
                self._drivers[role_number] = owner

    def phrases(self) -> list[str]:
        """Every folded phrase in the automaton (for benchmarks and debugging)."""
        return list(self._automaton.keys()) if self.phrase_count else []

    # ------------------------------------------------------------ scanning

    def match(self, item: Item) -> MatchResult:
        # Title and summary are scanned as one string; the separator is not a
        # word or space character, so no phrase can span the two.
        joined = item.title + SEPARATOR + item.summary if item.summary else item.title
        folded, positions = fold(joined)
        # The boundary checks, the filing of each hit under its roles and the
        # rules over the hits run compiled (bot/scan.pyx): in Python they cost
        # more than the scan.
        engine = self._engine
        found = engine.scan(self._automaton, folded)
        events = self.events
        if not found:
            result = MatchResult()
            if events is not None:
                result.event = events.without_cues(item.source_kind)
            return result
        title_end = (
            len(item.title) if positions is None else bisect_left(positions, len(item.title))
        )
        watchlists, companies, concepts, evidence, cues, blocks = engine.evaluate(
            found, self._drivers, folded, title_end
        )
        event = NOT_TYPED
        if events is not None:
            if cues:
                event = events.decide(item.source_kind, cues, blocks, folded, title_end)
                concepts += events.identities(cues, folded)
                speech = cues.get(SPEECH_TAG)
                if speech and self._speakers:
                    speaker = self._speakers.of(folded, speech, title_end)
                    if speaker is not None:
                        concepts.append(speaker)
            else:
                event = events.without_cues(item.source_kind)
        return MatchResult(
            watchlists, companies, concepts, evidence, (item.title, joined, positions), event
        )


def _hits(
    raw: list[RawHit],
    title: str,
    joined: str,
    positions: list[int] | None,
    made: dict[RawHit, Hit],
) -> list[Hit]:
    """Build reportable hits in original-text offsets per field, in text order;
    a hit inside a longer one ("Ford Motor" inside "Ford Motor Co.") is dropped
    as redundant. ``made`` caches hits already built for this item."""
    out = []
    for raw_hit in _scanner.outermost(raw):
        hit = made.get(raw_hit)
        if hit is None:
            text, field, start, end = locate(raw_hit, title, joined, positions)
            hit = Hit(phrase=text.lower(), field=field, start=start, end=end, text=text)
            made[raw_hit] = hit
        out.append(hit)
    return out
