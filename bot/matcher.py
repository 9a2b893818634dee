"""One-pass matching of items against every watchlist and company.

All phrases (watchlist include/require/exclude phrases, company aliases,
exclusions and context words) go into a single Aho-Corasick automaton over
folded text, so an item is scanned once however many watchlists exist. Rules
are then applied to the small set of hits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import ahocorasick

from bot.models import Hit, Item, MatchResult
from bot.text import fold, fold_phrase
from bot.watchlists import Catalog

# Endings a phrase may carry and still match: plurals and possessives.
_SUFFIXES = ("", "s", "es", "'s", "s'", "'")

# Roles of a phrase; a phrase may have several roles for several owners.
INCLUDE, REQUIRE, EXCLUDE = "include", "require", "exclude"
ALIAS, WEAK, CONTEXT, NOT_COMPANY = "alias", "weak", "context", "not_company"


@dataclass(frozen=True, slots=True)
class _Role:
    role: str
    owner: str  # watchlist id or company id
    group: int  # require group index (0 otherwise)
    phrase: str  # as written by the author, for explanations


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


class Matcher:
    """Compiled from a :class:`Catalog`; immutable and safe to share between tasks."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._automaton = ahocorasick.Automaton()
        roles: dict[str, list[_Role]] = defaultdict(list)

        def add(phrase: str, role: _Role) -> None:
            key = fold_phrase(phrase)
            if key:
                roles[key].append(role)

        for wl in catalog.watchlists.values():
            for phrase in wl.include:
                add(phrase, _Role(INCLUDE, wl.id, 0, phrase))
            for index, group in enumerate(wl.require):
                for phrase in group:
                    if not phrase.startswith("@"):
                        add(phrase, _Role(REQUIRE, wl.id, index, phrase))
            for phrase in wl.exclude:
                add(phrase, _Role(EXCLUDE, wl.id, 0, phrase))
        for company in catalog.companies.values():
            for phrase in [*company.aliases, *company.tickers]:
                add(phrase, _Role(ALIAS, company.id, 0, phrase))
            for phrase in company.weak_aliases:
                add(phrase, _Role(WEAK, company.id, 0, phrase))
            for phrase in company.context:
                add(phrase, _Role(CONTEXT, company.id, 0, phrase))
            for phrase in company.exclude:
                add(phrase, _Role(NOT_COMPANY, company.id, 0, phrase))
        for key, key_roles in roles.items():
            self._automaton.add_word(key, (key, tuple(key_roles)))
        self.phrase_count = len(roles)
        if roles:
            self._automaton.make_automaton()

    # ------------------------------------------------------------ scanning

    def _scan(self, field: str, text: str) -> list[tuple[_Role, Hit]]:
        if not text or self.phrase_count == 0:
            return []
        folded, positions = fold(text)
        found: list[tuple[_Role, Hit]] = []
        for end_index, (key, key_roles) in self._automaton.iter(folded):
            start = end_index - len(key) + 1
            if start > 0 and _is_word_char(folded[start - 1]) and _is_word_char(key[0]):
                continue
            end = end_index + 1
            if _is_word_char(key[-1]):
                end = _word_end(folded, end)
                if end < 0:
                    continue
            original_start = positions[start]
            original_end = positions[end - 1] + 1
            hit = Hit(
                phrase=key,
                field=field,
                start=original_start,
                end=original_end,
                text=text[original_start:original_end],
            )
            found.extend((role, hit) for role in key_roles)
        return found

    def match(self, item: Item) -> MatchResult:
        hits = self._scan("title", item.title) + self._scan("summary", item.summary)
        result = MatchResult()
        self._match_companies(hits, result)
        self._match_watchlists(hits, result)
        return result

    def _match_companies(self, hits: list[tuple[_Role, Hit]], result: MatchResult) -> None:
        by_company: dict[str, dict[str, list[Hit]]] = defaultdict(lambda: defaultdict(list))
        for role, hit in hits:
            if role.role in (ALIAS, WEAK, CONTEXT, NOT_COMPANY):
                by_company[role.owner][role.role].append(hit)
        for company_id, roles in by_company.items():
            blockers = roles.get(NOT_COMPANY, [])
            strong = [h for h in roles.get(ALIAS, []) if not _overlaps_any(h, blockers)]
            weak: list[Hit] = []
            company = self.catalog.companies[company_id]
            context_ok = not company.context or bool(roles.get(CONTEXT))
            if not blockers and context_ok:
                weak = roles.get(WEAK, [])
            evidence = strong + weak
            if evidence:
                result.companies.append(company_id)
                result.company_hits[company_id] = _ordered(evidence)

    def _match_watchlists(self, hits: list[tuple[_Role, Hit]], result: MatchResult) -> None:
        by_list: dict[str, dict[str, list[tuple[_Role, Hit]]]] = defaultdict(lambda: defaultdict(list))
        for role, hit in hits:
            if role.role in (INCLUDE, REQUIRE, EXCLUDE):
                by_list[role.owner][role.role].append((role, hit))
        matched_companies = set(result.companies)
        for wl_id, roles in by_list.items():
            if not roles.get(INCLUDE) or roles.get(EXCLUDE):
                continue
            spec = self.catalog.watchlists[wl_id]
            evidence = [hit for _, hit in roles[INCLUDE]]
            satisfied = True
            for index, group in enumerate(spec.require):
                group_hits = [hit for role, hit in roles.get(REQUIRE, []) if role.group == index]
                company_refs = [p[1:] for p in group if p.startswith("@") and p[1:] in matched_companies]
                if group_hits:
                    evidence.append(group_hits[0])
                elif company_refs:
                    evidence.extend(result.company_hits[company_refs[0]][:1])
                else:
                    satisfied = False
                    break
            if satisfied:
                result.watchlists.append(wl_id)
                result.watchlist_hits[wl_id] = _ordered(evidence)
        result.watchlists.sort()
        result.companies.sort()


def _word_end(folded: str, end: int) -> int:
    """The end of the match once an allowed suffix is taken, or -1 if the
    phrase stops inside a longer word ("ford" in "fordham")."""
    for suffix in _SUFFIXES:
        stop = end + len(suffix)
        if folded.startswith(suffix, end) and (stop >= len(folded) or not _is_word_char(folded[stop])):
            return stop
    return -1


def _overlaps_any(hit: Hit, others: list[Hit]) -> bool:
    return any(o.field == hit.field and o.start < hit.end and hit.start < o.end for o in others)


def _ordered(hits: list[Hit]) -> list[Hit]:
    """Title hits first, in text order; a hit inside a longer one ("Ford Motor"
    inside "Ford Motor Co.") is dropped as redundant evidence."""
    unique = {(h.field, h.start, h.end): h for h in hits}.values()
    kept = [
        h
        for h in unique
        if not any(o is not h and o.field == h.field and o.start <= h.start and h.end <= o.end for o in unique)
    ]
    return sorted(kept, key=lambda h: (h.field != "title", h.start))
