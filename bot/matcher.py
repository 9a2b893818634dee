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

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import ahocorasick

from bot.models import NOT_TYPED, EventGuess, Hit, Item
from bot.text import fold, fold_phrase
from bot.watchlists import Catalog

# Endings a phrase may carry and still match: plurals and possessives.
_SUFFIXES = ("s", "es", "'s", "s'")

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

        for wl in catalog.watchlists.values():
            for phrase in wl.include:
                add(phrase, (INCLUDE, wl.id, 0))
            for index, group in enumerate(wl.require):
                for phrase in group:
                    if not phrase.startswith("@"):
                        add(phrase, (REQUIRE, wl.id, index))
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
        found: dict[Role, list[RawHit]] = {}
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
                bucket = found.get(role)
                if bucket is None:
                    found[role] = [hit]
                else:
                    bucket.append(hit)
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
        self._match_watchlists(found, result)
        result.concepts = [owner for (code, owner, _) in found if code == CONCEPT]
        return result

    def _match_companies(self, found: dict[Role, list[RawHit]], result: MatchResult) -> None:
        owners = [owner for (code, owner, _) in found if code in (ALIAS, WEAK)]
        for company_id in sorted(set(owners)) if len(owners) > 1 else owners:
            blockers = found.get((NOT_COMPANY, company_id, 0), [])
            strong = [
                h for h in found.get((ALIAS, company_id, 0), []) if not _overlaps_any(h, blockers)
            ]
            weak: list[RawHit] = []
            if not blockers:
                company = self.catalog.companies[company_id]
                if not company.context or (CONTEXT, company_id, 0) in found:
                    weak = found.get((WEAK, company_id, 0), [])
            if strong or weak:
                result.companies.append(company_id)
                result.evidence[("company", company_id)] = strong + weak

    def _match_watchlists(self, found: dict[Role, list[RawHit]], result: MatchResult) -> None:
        matched_companies = set(result.companies)
        for (code, wl_id, _), include_hits in found.items():
            if code != INCLUDE or (EXCLUDE, wl_id, 0) in found:
                continue
            proof = list(include_hits)
            for index, group in enumerate(self.catalog.watchlists[wl_id].require):
                group_hits = found.get((REQUIRE, wl_id, index))
                if group_hits:
                    proof.append(group_hits[0])
                    continue
                refs = [p[1:] for p in group if p.startswith("@") and p[1:] in matched_companies]
                if not refs:
                    break
                proof.append(result.evidence[("company", refs[0])][0])
            else:
                result.watchlists.append(wl_id)
                result.evidence[("watchlist", wl_id)] = proof
        result.watchlists.sort()


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
    for suffix in _SUFFIXES:
        stop = end + len(suffix)
        if folded.startswith(suffix, end) and (stop >= len(folded) or not folded[stop].isalnum()):
            return stop
    return -1


def _overlaps_any(hit: RawHit, others: list[RawHit]) -> bool:
    start, end = hit
    return any(o[0] < end and start < o[1] for o in others)


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
    unique = set(raw)
    if len(unique) > 1:
        unique = {
            h for h in unique if not any(o != h and o[0] <= h[0] and h[1] <= o[1] for o in unique)
        }
    out = []
    summary_offset = len(title) + len(_SEPARATOR)
    for raw_hit in sorted(unique):
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
