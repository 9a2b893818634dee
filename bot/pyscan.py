"""The per-hit loop of :meth:`bot.matcher.Matcher.match` and the rules it
then applies to the hits, in plain Python: the same rules and results as the
compiled :mod:`bot.scan` (see scan.pyx for why that one is compiled), for an
install without a C compiler, and the reference the compiled one is tested
against."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

# Endings a phrase may carry and still match: plurals and possessives, in this order.
_SUFFIXES = ("s", "es", "'s", "s'")
# Scripts written without spaces between words (Han, kana), and Hangul, whose
# particles attach to the word before them ("CATL과", "SK온"): their letters
# never make a word boundary fail, on either side, so "宁德时代" matches
# inside a Chinese sentence and "CATL" inside "CATL과". (Inclusive code-point
# ranges; bot/scan.pyx reads them from here.)
UNSPACED_RANGES = (
    (0x1100, 0x11FF),  # Hangul jamo
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x3130, 0x318F),  # Hangul compatibility jamo
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFFDC),  # halfwidth katakana and Hangul
)


def word_char(char: str) -> bool:
    """Whether ``char`` continues the word beside it: a letter or digit of a
    script that separates words with spaces."""
    if not char.isalnum():
        return False
    code = ord(char)
    return code < UNSPACED_RANGES[0][0] or not any(
        low <= code <= high for low, high in UNSPACED_RANGES
    )


def suffix_end(folded: str, end: int) -> int:
    """The end of a hit once a plural or possessive ending is taken, or -1
    if the phrase stops inside a longer word ("ford" in "fordham")."""
    size = len(folded)
    for suffix in _SUFFIXES:
        stop = end + len(suffix)
        if folded.startswith(suffix, end) and not (stop < size and word_char(folded[stop])):
            return stop
    return -1


def scan(automaton: Any, folded: str) -> dict[int, list[tuple[int, int]]]:
    """Role number -> the (start, end) hits carrying it, in the order the
    automaton reports them. The automaton's values are (length, check start,
    check end, role numbers): a phrase that starts (ends) with a word
    character must not be preceded (followed) by one, except for an ending
    above (:func:`word_char`)."""
    found: dict[int, list[tuple[int, int]]] = {}
    size = len(folded)
    for end_index, (length, check_start, check_end, roles) in automaton.iter(folded):
        start = end_index - length + 1
        if check_start and start > 0 and word_char(folded[start - 1]):
            continue
        end = end_index + 1
        if check_end and end < size and word_char(folded[end]):
            end = suffix_end(folded, end)
            if end < 0:
                continue
        hit = (start, end)
        for role in roles:
            spans = found.get(role)
            if spans is None:
                found[role] = [hit]
            else:
                spans.append(hit)
    return found


# ------------------------------------------------------------ rules over the hits

RawHit = tuple[int, int]
Found = dict[int, list[RawHit]]
Evidence = dict[tuple[str, str], list[RawHit]]
# What a role number leads to (see bot.matcher.Matcher): a company, a rule, an
# event cue (True, tag) or blocker (False, tag), or a lexicon concept's id.
Driver = Union["Company", "Rule", tuple[bool, str], str]

# Between the title and the summary in the text scanned: not a word or space
# character, so no phrase can span the two.
SEPARATOR = " | "

# The hits of a role no phrase of the item matched (never appended to).
_NONE: list[RawHit] = []


@dataclass(frozen=True, slots=True)
class Company:
    """A company's role numbers: aliases, weak aliases, context words (None
    when it has none, so weak aliases need no context) and exclusions."""

    id: str
    alias: int
    weak: int
    context: int | None
    exclude: int

    def match(self, found: Found, companies: list[str], evidence: Evidence) -> None:
        """Add the company to ``companies`` and its hits to ``evidence`` when
        its hits name it."""
        blockers = found.get(self.exclude)
        strong = found.get(self.alias, _NONE)
        weak = _NONE
        if blockers:
            strong = [h for h in strong if not _overlaps_any(h, blockers)]
        elif self.context is None or self.context in found:
            weak = found.get(self.weak, _NONE)
        if strong or weak:
            companies.append(self.id)
            evidence[("company", self.id)] = strong + weak


def _company_id(company: Company) -> str:
    return company.id


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled :class:`~bot.watchlists.RuleSpec`: its watchlist, the role
    number of the watchlist's exclusions, per require group the role number of
    its phrases and the evidence keys ("company", id) of the companies that may
    meet it, and the placement tests."""

    watchlist: str
    exclude: int
    groups: tuple[tuple[int, tuple[tuple[str, str], ...]], ...]
    near: int | None
    title: bool

    def prove(
        self, anchors: list[RawHit], groups: list[list[RawHit]], folded: str, title_end: int
    ) -> list[RawHit]:
        """The evidence (an include hit, then one hit per require group), or []
        when the placement tests fail. Only the hits already found are read, so
        this costs nothing like a second scan."""
        if self.title:
            anchors = [hit for hit in anchors if hit[0] < title_end]
        if self.near is None:
            return [anchors[0]] + [group[0] for group in groups] if anchors else []
        near = self.near
        for anchor in anchors:
            proof = [anchor]
            for group in groups:
                for hit in group:
                    if words_apart(folded, anchor, hit, title_end) <= near:
                        proof.append(hit)
                        break
                else:
                    break
            else:
                return proof
        return []


def evaluate(
    found: Found, drivers: dict[int, Driver], folded: str, title_end: int
) -> tuple[list[str], list[str], list[str], Evidence, Found, Found]:
    """Apply the rules to the hits of one item: (watchlists, companies,
    concepts, evidence, event cues, event blockers), the latter two keyed by
    tag. One pass over the roles found sorts out the companies, the rules they
    may prove (run in the order their include phrases hit), the concepts and
    the event cues and blockers."""
    watchlists: list[str] = []
    companies: list[str] = []
    concepts: list[str] = []
    evidence: Evidence = {}
    cues: Found = {}
    blocks: Found = {}
    named: list[Company] = []
    rules: list[tuple[Rule, list[RawHit]]] = []
    for role, spans in found.items():
        driver = drivers.get(role)
        if driver is None:
            continue
        kind = type(driver)
        if kind is Rule:
            rules.append((driver, spans))  # type: ignore[arg-type]
        elif kind is Company:
            if driver not in named:
                named.append(driver)  # type: ignore[arg-type]
        elif kind is str:
            concepts.append(driver)  # type: ignore[arg-type]
        elif driver[0]:  # type: ignore[index]
            cues[driver[1]] = spans  # type: ignore[index]
        else:
            blocks[driver[1]] = spans  # type: ignore[index]
    if len(named) > 1:
        named.sort(key=_company_id)
    for company in named:
        company.match(found, companies, evidence)
    for rule, include_hits in rules:
        if rule.watchlist in watchlists or rule.exclude in found:
            continue
        groups: list[list[RawHit]] = []
        for require, refs in rule.groups:
            hits = found.get(require, _NONE)
            for ref in refs:
                named_hits = evidence.get(ref)
                if named_hits is not None:
                    hits = hits + named_hits
            if not hits:
                break
            groups.append(hits)
        else:
            proof = rule.prove(include_hits, groups, folded, title_end)
            if proof:
                watchlists.append(rule.watchlist)
                evidence[("watchlist", rule.watchlist)] = proof
    watchlists.sort()
    return watchlists, companies, concepts, evidence, cues, blocks


def words_apart(folded: str, one: RawHit, other: RawHit, title_end: int) -> int:
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


def _overlaps_any(hit: RawHit, others: list[RawHit]) -> bool:
    start, end = hit
    return any(o[0] < end and start < o[1] for o in others)


# ------------------------------------------------------------ explanations


def explain(
    watchlists: list[str],
    companies: list[str],
    evidence: Evidence,
    title: str,
    joined: str,
    positions: list[int] | None,
) -> dict[str, Any]:
    """The evidence of every watchlist and company as JSON-ready dicts
    (:meth:`~bot.models.Hit.to_json`) in original-text offsets per field,
    built straight from the spans of an item's text (title, SEPARATOR,
    summary). A span is often evidence for a company and a watchlist alike
    ("CATL"): its dict is built once and shared by both lists."""
    made: dict[RawHit, dict[str, Any]] = {}

    def as_json(spans: list[RawHit]) -> list[dict[str, Any]]:
        out = []
        for span in outermost(spans) if len(spans) > 1 else spans:
            shown = made.get(span)
            if shown is None:
                text, field, start, end = locate(span, title, joined, positions)
                shown = made[span] = {
                    "phrase": text.lower(),
                    "field": field,
                    "start": start,
                    "end": end,
                    "text": text,
                }
            out.append(shown)
        return out

    return {
        "watchlists": {k: as_json(evidence[("watchlist", k)]) for k in watchlists},
        "companies": {k: as_json(evidence[("company", k)]) for k in companies},
    }


def outermost(raw: list[RawHit]) -> list[RawHit]:
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


def locate(
    raw_hit: RawHit, title: str, joined: str, positions: list[int] | None
) -> tuple[str, str, int, int]:
    """Where a span of the folded text lies in the original: (text, field,
    start, end) in that field's own offsets."""
    start, end = raw_hit
    o_start = positions[start] if positions else start
    o_end = positions[end - 1] + 1 if positions else end
    text = joined[o_start:o_end]
    summary_offset = len(title) + len(SEPARATOR)
    if o_start >= summary_offset:
        return text, "summary", o_start - summary_offset, o_end - summary_offset
    return text, "title", o_start, o_end
