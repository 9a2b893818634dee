"""One-pass matching of items against every watchlist and company.

All phrases (watchlist include/require/exclude phrases, company aliases,
exclusions and context words, and the event cues and blockers of
:mod:`bot.stories.events`) go into a single Aho-Corasick automaton over folded
text, so an item is scanned once however many watchlists exist and typing its
event needs no scan of its own. Rules are then applied to the small set of
hits. The per-hit work is kept to a few operations because it dominates the
cost (see ``benchmarks/matcher.py``);
:class:`~bot.models.Hit` objects are built only for the evidence we report.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import ahocorasick

from bot.models import NOT_TYPED, EventGuess, Hit, Item
from bot.text import fold, fold_phrase
from bot.watchlists import Catalog, RuleSpec

# Endings a phrase may carry and still match: plurals and possessives, tried
# in this order, each only where no letter or digit follows ([^\W_] is what
# str.isalnum accepts).
_SUFFIX = re.compile(r"(?:s|es|'s|s')(?![^\W_])")

# Role codes. A role is (code, owner, group): owner is a watchlist or company
# id or an event cue tag (for EVENT_BLOCK: the tag blocked), group the index of
# a require group (0 otherwise).
INCLUDE, REQUIRE, EXCLUDE, ALIAS, WEAK, CONTEXT, NOT_COMPANY = range(7)
EVENT_CUE, EVENT_BLOCK, ANY_EVENT_CUE = range(7, 10)
# A phrase of the lexicon: owner is its concept id.
CONCEPT = 10
Role = tuple[int, str, int]
# Every cue phrase also has this role, so one dict lookup tells whether event
# typing has any hit to read (many items have none).
_ANY_CUE: Role = (ANY_EVENT_CUE, "", 0)
# A raw hit: (start, end) in the folded title + separator + summary.
RawHit = tuple[int, int]
_SEPARATOR = " | "


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


@dataclass(slots=True)
class MatchResult:
    """What the matcher found in one item.

    The evidence for each id is kept as raw spans of the folded text and turned
    into :class:`Hit` objects only when asked for (``hits``/``why``/``explain``):
    matching stays cheap, and explanations cost only where they are shown.
    ``event`` is :data:`~bot.models.NOT_TYPED` unless the matcher was
    built with event rules. ``concepts`` are the lexicon concepts the item
    names ("tariff" for "levies" or "duties"), for story grouping.
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
        return {
            "watchlists": {
                k: [h.to_json() for h in self.hits("watchlist", k)] for k in self.watchlists
            },
            "companies": {
                k: [h.to_json() for h in self.hits("company", k)] for k in self.companies
            },
        }


class Matcher:
    """Compiled from a :class:`Catalog`; immutable and safe to share between tasks.

    With ``events`` (normally :data:`~bot.stories.events.EVENT_RULES`) every
    result also carries the item's event type; without, ``event`` stays
    :data:`~bot.models.NOT_TYPED` and no cue phrase is compiled.
    """

    def __init__(self, catalog: Catalog, events: EventTyping | None = None) -> None:
        self.catalog = catalog
        self.events = events
        self._automaton = ahocorasick.Automaton()
        roles: dict[str, list[Role]] = defaultdict(list)

        def add(phrase: str, role: Role) -> None:
            key = fold_phrase(phrase)
            if key and role not in roles[key]:
                roles[key].append(role)

        # Each rule of a watchlist owns its include and require roles under a key
        # of its own ("ev-tariffs", "ev-tariffs+1", ...; '+' is not allowed in
        # ids); exclusions belong to the watchlist, whichever rule matched.
        self._rules: dict[str, _Rule] = {}
        for wl in catalog.watchlists.values():
            for number, rule in enumerate(wl.rules):
                key = wl.id if number == 0 else f"{wl.id}+{number}"
                self._rules[key] = _Rule.of(wl.id, rule)
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
                    add(phrase, _ANY_CUE)
            for phrase, tags in events.blocks.items():
                for tag in tags:
                    add(phrase, (EVENT_BLOCK, tag, 0))
        for key, key_roles in roles.items():
            # Boundaries are only checked where the phrase starts/ends with a word character.
            value = (len(key), key[0].isalnum(), key[-1].isalnum(), tuple(key_roles))
            self._automaton.add_word(key, value)
        self.phrase_count = len(roles)
        if roles:
            self._automaton.make_automaton()

    def phrases(self) -> list[str]:
        """Every folded phrase in the automaton (for benchmarks and debugging)."""
        return list(self._automaton.keys()) if self.phrase_count else []

    # ------------------------------------------------------------ scanning

    def match(self, item: Item) -> MatchResult:
        # Title and summary are scanned as one string; the separator is not a
        # word or space character, so no phrase can span the two.
        joined = item.title + _SEPARATOR + item.summary if item.summary else item.title
        folded, positions = fold(joined)
        found: defaultdict[Role, list[RawHit]] = defaultdict(list)
        size = len(folded)
        for end_index, (length, check_start, check_end, key_roles) in self._automaton.iter(folded):
            start = end_index - length + 1
            if check_start and start and folded[start - 1].isalnum():
                continue
            end = end_index + 1
            if check_end and end < size and folded[end].isalnum():
                end = _suffix_end(folded, end)
                if end < 0:
                    continue
            hit = (start, end)
            for role in key_roles:
                found[role].append(hit)
        result = MatchResult()
        events = self.events
        if not found:
            if events is not None:
                result.event = events.without_cues(item.source_kind)
            return result
        result.source = (item.title, joined, positions)
        if events is not None:
            if _ANY_CUE in found:
                result.event = _type_event(events, found, item, folded, positions)
            else:
                result.event = events.without_cues(item.source_kind)
        self._match_companies(found, result)
        title_end = (
            len(item.title) if positions is None else bisect_left(positions, len(item.title))
        )
        self._match_watchlists(found, result, folded, title_end)
        result.concepts = [owner for (code, owner, _) in found if code == CONCEPT]
        return result

    def _match_companies(self, found: dict[Role, list[RawHit]], result: MatchResult) -> None:
        owners = [owner for (code, owner, _) in found if code in (ALIAS, WEAK)]
        for company_id in sorted(set(owners)) if len(owners) > 1 else owners:
            blockers = found.get((NOT_COMPANY, company_id, 0))
            strong = found.get((ALIAS, company_id, 0), [])
            if blockers:
                strong = [h for h in strong if not _overlaps_any(h, blockers)]
            weak: list[RawHit] = []
            if not blockers:
                company = self.catalog.companies[company_id]
                if not company.context or (CONTEXT, company_id, 0) in found:
                    weak = found.get((WEAK, company_id, 0), [])
            if strong or weak:
                result.companies.append(company_id)
                result.evidence[("company", company_id)] = strong + weak

    def _match_watchlists(
        self, found: dict[Role, list[RawHit]], result: MatchResult, folded: str, title_end: int
    ) -> None:
        matched_companies = set(result.companies)
        for (code, key, _), include_hits in found.items():
            if code != INCLUDE:
                continue
            rule = self._rules[key]
            if rule.watchlist in result.watchlists or (EXCLUDE, rule.watchlist, 0) in found:
                continue
            groups: list[list[RawHit]] = []
            for index, refs in enumerate(rule.refs):
                hits = found.get((REQUIRE, key, index), [])
                for ref in refs:
                    if ref in matched_companies:
                        hits = hits + result.evidence[("company", ref)]
                if not hits:
                    break
                groups.append(hits)
            else:
                proof = rule.prove(include_hits, groups, folded, title_end)
                if proof:
                    result.watchlists.append(rule.watchlist)
                    result.evidence[("watchlist", rule.watchlist)] = proof
        result.watchlists.sort()


@dataclass(frozen=True, slots=True)
class _Rule:
    """A compiled :class:`~bot.watchlists.RuleSpec`: its watchlist, the company
    ids each require group may be met by, and the placement tests."""

    watchlist: str
    refs: tuple[tuple[str, ...], ...]
    near: int | None
    title: bool

    @classmethod
    def of(cls, watchlist: str, spec: RuleSpec) -> _Rule:
        refs = tuple(tuple(p[1:] for p in group if p.startswith("@")) for group in spec.require)
        return cls(watchlist, refs, spec.near, spec.title)

    def prove(
        self, anchors: list[RawHit], groups: list[list[RawHit]], folded: str, title_end: int
    ) -> list[RawHit]:
        """The evidence (an include hit, then one hit per require group), or []
        when the placement tests fail. Only the hits already found are read, so
        this costs nothing like a second scan."""
        if self.title:
            anchors = [hit for hit in anchors if hit[0] < title_end]
        if self.near is None:
            return [anchors[0], *(group[0] for group in groups)] if anchors else []
        for anchor in anchors:
            proof = [anchor]
            for group in groups:
                close = next(
                    (h for h in group if _words_apart(folded, anchor, h, title_end) <= self.near),
                    None,
                )
                if close is None:
                    break
                proof.append(close)
            else:
                return proof
        return []


def _words_apart(folded: str, one: RawHit, other: RawHit, title_end: int) -> int:
    """How many words lie between two hits (0 when they touch or overlap).
    The title runs on into the summary, as a reader reads them, so a company in
    the headline is near a word that opens the summary; the separator between
    them is not a word."""
    first, second = (one, other) if one[0] <= other[0] else (other, one)
    if second[0] < first[1]:
        return 0
    spaces = folded.count(" ", first[1], second[0])
    if first[1] <= title_end < second[0]:
        spaces -= 1
    return max(spaces - 1, 0)


def _type_event(
    events: EventTyping,
    found: dict[Role, list[RawHit]],
    item: Item,
    folded: str,
    positions: list[int] | None,
) -> EventGuess:
    """Hand the event cue and blocker hits among ``found`` to the rules, with
    where the title ends in ``folded`` (folding may have collapsed spaces)."""
    cues: dict[str, list[RawHit]] = {}
    blocks: dict[str, list[RawHit]] = {}
    for (code, tag, _), spans in found.items():
        if code == EVENT_CUE:
            cues[tag] = spans
        elif code == EVENT_BLOCK:
            blocks[tag] = spans
    title_end = len(item.title) if positions is None else bisect_left(positions, len(item.title))
    return events.decide(item.source_kind, cues, blocks, folded, title_end)


def _suffix_end(folded: str, end: int) -> int:
    """The end of the match once a plural or possessive ending is taken, or -1
    if the phrase stops inside a longer word ("ford" in "fordham")."""
    suffix = _SUFFIX.match(folded, end)
    return suffix.end() if suffix else -1


def _overlaps_any(hit: RawHit, others: list[RawHit]) -> bool:
    start, end = hit
    return any(o[0] < end and start < o[1] for o in others)


def _outermost(raw: list[RawHit]) -> list[RawHit]:
    """The distinct spans of ``raw`` that no other span contains, in text order.

    One sort and one sweep: ordered by start, longest first, a span lies
    inside an earlier one exactly when it ends no later than the furthest end
    seen so far (a long document holds thousands of hits; comparing every pair
    took 45 ms for 320 KB)."""
    if len(raw) == 1:  # most evidence is one phrase
        return raw
    out = []
    reach = -1
    for span in sorted(set(raw), key=lambda span: (span[0], -span[1])):
        if span[1] > reach:
            out.append(span)
            reach = span[1]
    return out


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
    summary_offset = len(title) + len(_SEPARATOR)
    for raw_hit in _outermost(raw):
        hit = made.get(raw_hit)
        if hit is None:
            start, end = raw_hit
            o_start = positions[start] if positions else start
            o_end = positions[end - 1] + 1 if positions else end
            text = joined[o_start:o_end]
            if o_start >= summary_offset:
                field, o_start, o_end = "summary", o_start - summary_offset, o_end - summary_offset
            else:
                field = "title"
            hit = Hit(phrase=text.lower(), field=field, start=o_start, end=o_end, text=text)
            made[raw_hit] = hit
        out.append(hit)
    return out
