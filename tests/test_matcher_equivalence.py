"""The compiled matcher gives exactly the results of the straightforward one.

:class:`_Reference` is the matcher as it was before roles were numbered and
compiled per rule and per company and before its per-hit loop was compiled
(kept here only, as the definition the fast path must reproduce): every role a
(code, owner, group) tuple, boundaries checked (``bot.pyscan.word_char``,
since Chinese, Japanese and Korean letters stopped counting as word neighbours)
and hits gathered per role in Python, rules read from the catalog (the plural ending is the compiled
``suffix_end``, tested against its regex definition in test_matcher.py). Both run over every item of the
benchmark data and the sample, with and without event typing, and must agree
on watchlists, companies, event and evidence (spans, order and explanations,
the latter against explanations built through Hit objects as they used to be).
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections import defaultdict
from pathlib import Path

import pytest

from bot.matcher import (
    ALIAS,
    CONTEXT,
    EVENT_BLOCK,
    EVENT_CUE,
    EXCLUDE,
    INCLUDE,
    NOT_COMPANY,
    REQUIRE,
    WEAK,
    EventTyping,
    Matcher,
    MatchResult,
    RawHit,
    Role,
)
from bot.models import Item
from bot.pyscan import SEPARATOR, _overlaps_any, word_char
from bot.pyscan import words_apart as _words_apart
from bot.scan import suffix_end
from bot.stories.events import EVENT_RULES
from bot.text import fold, fold_phrase
from bot.watchlists import Catalog, load_catalog, shipped_watchlists_dir

ROOT = Path(__file__).resolve().parent.parent
# Every cue phrase also had this role, so one lookup told whether any cue hit.
_ANY_CUE: Role = (9, "", 0)


class _Reference:
    """The pre-compilation matcher: role tuples, rules evaluated from the catalog."""

    def __init__(self, catalog: Catalog, events: EventTyping | None) -> None:
        import ahocorasick

        self.catalog = catalog
        self.events = events
        self.automaton = ahocorasick.Automaton()
        roles: dict[str, list[Role]] = defaultdict(list)

        def add(phrase: str, role: Role) -> None:
            key = fold_phrase(phrase)
            if key and role not in roles[key]:
                roles[key].append(role)

        self.rules = {}
        for wl in catalog.watchlists.values():
            for number, rule in enumerate(wl.rules):
                key = wl.id if number == 0 else f"{wl.id}+{number}"
                refs = tuple(tuple(p[1:] for p in g if p.startswith("@")) for g in rule.require)
                self.rules[key] = (wl.id, refs, rule.near, rule.title)
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
        if events is not None:
            for tag, phrases in events.cues.items():
                for phrase in phrases:
                    add(phrase, (EVENT_CUE, tag, 0))
                    add(phrase, _ANY_CUE)
            for phrase, tags in events.blocks.items():
                for tag in tags:
                    add(phrase, (EVENT_BLOCK, tag, 0))
        for key, key_roles in roles.items():
            value = (len(key), word_char(key[0]), word_char(key[-1]), tuple(key_roles))
            self.automaton.add_word(key, value)
        self.automaton.make_automaton()

    def match(self, item: Item) -> MatchResult:
        joined = item.title + SEPARATOR + item.summary if item.summary else item.title
        folded, positions = fold(joined)
        found: defaultdict[Role, list[RawHit]] = defaultdict(list)
        size = len(folded)
        for end_index, (length, check_start, check_end, key_roles) in self.automaton.iter(folded):
            start = end_index - length + 1
            if check_start and start and word_char(folded[start - 1]):
                continue
            end = end_index + 1
            if check_end and end < size and word_char(folded[end]):
                end = suffix_end(folded, end)
                if end < 0:
                    continue
            for role in key_roles:
                found[role].append((start, end))
        result = MatchResult()
        if not found:
            if self.events is not None:
                result.event = self.events.without_cues(item.source_kind)
            return result
        result.source = (item.title, joined, positions)
        title_end = (
            len(item.title) if positions is None else bisect_left(positions, len(item.title))
        )
        if self.events is not None:
            if _ANY_CUE in found:
                cues = {tag: s for (code, tag, _), s in found.items() if code == EVENT_CUE}
                blocks = {tag: s for (code, tag, _), s in found.items() if code == EVENT_BLOCK}
                result.event = self.events.decide(item.source_kind, cues, blocks, folded, title_end)
            else:
                result.event = self.events.without_cues(item.source_kind)
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
        for (code, key, _), include_hits in list(found.items()):
            if code != INCLUDE:
                continue
            watchlist, refs, near, title = self.rules[key]
            if watchlist in result.watchlists or (EXCLUDE, watchlist, 0) in found:
                continue
            groups: list[list[RawHit]] = []
            for index, group_refs in enumerate(refs):
                hits = found.get((REQUIRE, key, index), [])
                for ref in group_refs:
                    if ref in result.companies:
                        hits = hits + result.evidence[("company", ref)]
                if not hits:
                    break
                groups.append(hits)
            else:
                proof = _prove(include_hits, groups, folded, title_end, near, title)
                if proof:
                    result.watchlists.append(watchlist)
                    result.evidence[("watchlist", watchlist)] = proof
        result.watchlists.sort()
        return result


def _prove(
    anchors: list[RawHit],
    groups: list[list[RawHit]],
    folded: str,
    title_end: int,
    near: int | None,
    title: bool,
) -> list[RawHit]:
    if title:
        anchors = [hit for hit in anchors if hit[0] < title_end]
    if near is None:
        return [anchors[0], *(group[0] for group in groups)] if anchors else []
    for anchor in anchors:
        proof = [anchor]
        for group in groups:
            close = next(
                (h for h in group if _words_apart(folded, anchor, h, title_end) <= near), None
            )
            if close is None:
                break
            proof.append(close)
        else:
            return proof
    return []


def _all_items() -> list[Item]:
    """Every item of the benchmark data and the sample, as the files write them."""
    files = [*sorted((ROOT / "benchmarks/data").glob("*.jsonl")), ROOT / "bot/sample/items.jsonl"]
    items = []
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                items.append(Item.from_json(json.loads(line)))
    return items


@pytest.mark.parametrize("events", [None, EVENT_RULES], ids=["plain", "typed"])
def test_compiled_matcher_equals_the_reference_on_every_data_item(
    events: EventTyping | None,
) -> None:
    catalog = load_catalog(shipped_watchlists_dir())
    fast, reference = Matcher(catalog, events=events), _Reference(catalog, events)
    items = _all_items()
    assert len(items) > 1000
    matched = 0
    for item in items:
        got, expected = fast.match(item), reference.match(item)
        assert got.watchlists == expected.watchlists, item.id
        assert got.companies == expected.companies, item.id
        assert got.event == expected.event, item.id
        assert list(got.evidence.items()) == list(expected.evidence.items()), item.id
        # Explanations as they were built, through a Hit object per span.
        assert got.explain() == {
            "watchlists": {
                k: [h.to_json() for h in expected.hits("watchlist", k)] for k in expected.watchlists
            },
            "companies": {
                k: [h.to_json() for h in expected.hits("company", k)] for k in expected.companies
            },
        }, item.id
        matched += bool(got.watchlists)
    assert matched > 100  # the comparison covers many matching items, not only misses
