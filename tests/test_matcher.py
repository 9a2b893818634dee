"""Matcher rules on hand-written catalogs and on the shipped watchlists."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from bot.compiled import load
from bot.matcher import Matcher
from bot.models import Item
from bot.stories.events import EVENT_RULES, NOT_TYPED, EventGuess
from bot.watchlists import (
    Catalog,
    CompanySpec,
    RuleSpec,
    WatchlistSpec,
    load_catalog,
    shipped_watchlists_dir,
)

# The implementation the matcher uses here (compiled, or its pure-Python twin).
_engine = load("bot.scan", "bot.pyscan")[0]
suffix_end, _outermost = _engine.suffix_end, _engine.outermost


def _item(title: str, summary: str = "") -> Item:
    return Item(id="t", title=title, summary=summary)


@pytest.fixture(scope="module")
def shipped() -> Matcher:
    return Matcher(load_catalog(shipped_watchlists_dir()))


@pytest.fixture
def small() -> Matcher:
    catalog = Catalog(
        watchlists={
            "jv": WatchlistSpec(
                id="jv",
                name="JV",
                description="joint ventures",
                include=["joint venture", "battery plant"],
                require=[["EV", "electric vehicle"]],
                exclude=["joint venture fund"],
            ),
            "acme-news": WatchlistSpec(
                id="acme-news", name="Acme", description="d", include=["news"], require=[["@acme"]]
            ),
        },
        companies={
            "acme": CompanySpec(
                id="acme",
                name="Acme Motors",
                aliases=["Acme Motors"],
                weak_aliases=["Acme"],
                context=["car"],
                exclude=["Acme Anvils"],
            )
        },
    )
    return Matcher(catalog)


def test_whole_words_only(small: Matcher) -> None:
    assert small.match(_item("EV joint venture")).watchlists == ["jv"]
    assert small.match(_item("EV jointventure")).watchlists == []
    assert small.match(_item("EVs and a joint ventured thing")).watchlists == []


def test_names_match_inside_chinese_japanese_and_korean_text(shipped: Matcher) -> None:
    # Those scripts set no space between words, and Korean particles attach to
    # the word before them ("CATL과", "with CATL"): a name matches inside such
    # text, and a Latin name beside its letters is still a whole word.
    assert shipped.match(_item("宁德时代三季度净利增长")).companies == ["catl"]
    assert set(shipped.match(_item("SK온, CATL과 LFP 기술 라이선스 협상")).companies) == {
        "catl",
        "sk-on",
    }
    assert shipped.match(_item("トヨタ、CATLとの技術提携報道を否定")).companies == ["catl"]
    # Between Latin letters the boundary holds as before.
    assert shipped.match(_item("CATLX and xCATL shares")).companies == []


def test_case_hyphen_plural_possessive_and_curly_quotes(small: Matcher) -> None:
    for title in (
        "EV Joint-Venture",
        "electric vehicle joint ventures",
        "EV joint venture’s board",
        "EV JOINT  VENTURE",
    ):
        assert small.match(_item(title)).watchlists == ["jv"], title


def test_required_group_must_cooccur(small: Matcher) -> None:
    assert small.match(_item("A new joint venture for phones")).watchlists == []
    assert small.match(_item("A new joint venture", "for electric vehicle parts")).watchlists == [
        "jv"
    ]


def test_exclusion_vetoes_the_watchlist(small: Matcher) -> None:
    assert small.match(_item("EV joint venture fund raises money")).watchlists == []


def test_weak_alias_needs_context_and_no_exclusion(small: Matcher) -> None:
    assert small.match(_item("Acme posts results")).companies == []
    assert small.match(_item("Acme sells a new car")).companies == ["acme"]
    assert small.match(_item("Acme Anvils sells a car to Acme")).companies == []
    # A strong alias counts even beside an exclusion that does not overlap it.
    assert small.match(_item("Acme Anvils and Acme Motors")).companies == ["acme"]


def test_company_reference_in_require_group(small: Matcher) -> None:
    assert small.match(_item("Acme Motors in the news")).watchlists == ["acme-news"]
    assert small.match(_item("Someone else in the news")).watchlists == []


def test_explanation_points_at_original_text(small: Matcher) -> None:
    item = _item("Big news:  Acme Motors’ EV joint-venture", "More on the electric vehicle plan.")
    result = small.match(item)
    hits = result.hits("watchlist", "jv")
    assert [h.text for h in hits] == ["EV", "joint-venture"]
    for hit in hits:
        assert item.title[hit.start : hit.end] == hit.text
    explain = result.explain()
    assert explain["companies"]["acme"][0]["text"] == "Acme Motors"
    assert "joint-venture" in result.why("jv")


def test_phrase_does_not_span_title_and_summary(small: Matcher) -> None:
    assert small.match(_item("EV talks: a joint", "venture is planned")).watchlists == []


@pytest.mark.parametrize(
    "title",
    [
        "Doug Ford says Ontario will answer US tariffs on autos",
        "Harrison Ford returns for a final film",
        "USS Gerald R. Ford carrier strike group arrives in the Mediterranean",
        "Ford Foundation announces new grants for journalism",
        "Tom Ford unveils spring collection",
        "Hospital installs a 3-tesla MRI scanner",
        "Nikola Tesla museum opens new wing",
        "Team names new GM after losing season",
        "Farmers debate GM crops rules",
    ],
)
def test_look_alikes_are_not_companies(shipped: Matcher, title: str) -> None:
    result = shipped.match(_item(title))
    assert not {"ford", "tesla", "general-motors"} & set(result.companies), result.companies


def test_utility_charging_tariffs_are_not_trade_tariffs(shipped: Matcher) -> None:
    result = shipped.match(
        _item("Utility wins approval for EV charging tariffs", "The US state commission cut rates.")
    )
    assert "ev-tariffs" not in result.watchlists
    trade = shipped.match(_item("US keeps 100% tariffs on Chinese EVs under Section 301"))
    assert "ev-tariffs" in trade.watchlists


def test_the_core_story_matches(shipped: Matcher) -> None:
    result = shipped.match(
        _item("Ford held talks with Xiaomi over a US electric-vehicle joint venture, FT reports")
    )
    assert "chinese-ev-partnerships" in result.watchlists
    assert {"ford", "xiaomi"} <= set(result.companies)
    letter = shipped.match(
        _item(
            "Moolenaar, chair of the House Select Committee on the CCP, writes to Jim Farley about BYD and CATL"
        )
    )
    assert "house-china-committee" in letter.watchlists
    assert {"ford", "byd", "catl"} <= set(letter.companies)


def test_tickers(shipped: Matcher) -> None:
    assert "catl" in shipped.match(_item("Shares of 300750.SZ rose")).companies
    assert "byd" in shipped.match(_item("1211.HK slips after price cuts")).companies


def test_match_result_carries_the_event_type() -> None:
    matcher = Matcher(load_catalog(shipped_watchlists_dir()), events=EVENT_RULES)
    result = matcher.match(_item("Ford says report of Xiaomi talks is 'completely false'"))
    assert result.companies == ["ford", "xiaomi"]
    assert result.event == EventGuess("denial", 'denial: "completely false" in title')


def test_event_is_set_when_nothing_matches() -> None:
    matcher = Matcher(Catalog(), events=EVENT_RULES)
    assert matcher.match(_item("Weather is mild")).event == EventGuess(
        "other", "other: no event cue"
    )
    rule = matcher.match(Item(id="r", title="Weather is mild", source_kind="federal_register"))
    assert rule.event == EventGuess("rule", "rule: source is federal_register")
    bill = matcher.match(Item(id="b", title="Weather is mild", source_kind="congress"))
    assert bill.event.event_type == "bill"


def test_without_event_rules_nothing_is_typed(small: Matcher) -> None:
    result = small.match(_item("Acme Motors says report is completely false"))
    assert result.companies == ["acme"]
    assert result.event == NOT_TYPED
    assert "completely false" not in small.phrases()
    typed = Matcher(small.catalog, events=EVENT_RULES)
    assert "completely false" in typed.phrases()
    assert typed.match(_item("Acme Motors says report is completely false")).event.event_type == (
        "denial"
    )


def _outermost_by_pairs(raw: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The rule _outermost implements, compared pair by pair (as it was before issue 19)."""
    unique = set(raw)
    return sorted(
        h for h in unique if not any(o != h and o[0] <= h[0] and h[1] <= o[1] for o in unique)
    )


def test_outermost_spans_equal_the_pairwise_rule() -> None:
    rng = random.Random(19)
    for _ in range(2000):
        raw = []
        for _ in range(rng.randrange(0, 12)):
            start = rng.randrange(0, 20)
            raw.append((start, start + rng.randrange(1, 8)))
        assert _outermost(raw) == _outermost_by_pairs(raw), raw


def test_explanations_of_a_large_document_are_unchanged(shipped: Matcher) -> None:
    path = Path(__file__).resolve().parent.parent / "bot/sample/items.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    body = " ".join(f"{row['title']}. {row.get('summary') or ''}" for row in rows)
    summary = " ".join([body] * (320_000 // len(body) + 1))
    result = shipped.match(_item("Ford and CATL: the Marshall plant", summary))
    assert result.watchlists and result.companies
    assert len(summary) >= 320_000
    nested = 0
    for (kind, key), spans in result.evidence.items():
        hits = result.hits(kind, key)
        expected = _outermost_by_pairs(spans)
        nested += len(set(spans)) - len(expected)
        assert [(h.field, h.start, h.end) for h in hits] == [
            _original_span(summary, start, end, result.source[2]) for start, end in expected
        ]
    assert nested > 0  # some hits lie inside others ("Ford" in "Ford Motor") and are dropped


def _original_span(
    summary: str, start: int, end: int, positions: list[int] | None
) -> tuple[str, int, int]:
    """Where a folded span of the title + separator + summary lies in the original field."""
    offset = len("Ford and CATL: the Marshall plant | ")
    o_start = positions[start] if positions else start
    o_end = positions[end - 1] + 1 if positions else end
    if o_start >= offset:
        return ("summary", o_start - offset, o_end - offset)
    return ("title", o_start, o_end)


# The rule as one regex, as the matcher applied it before the per-hit loop was
# compiled ([^\W_] is what str.isalnum accepts).
# Letters of scripts written without spaces (Han, kana, Hangul) end a word.
_UNSPACED = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uffdc"
_SUFFIX = re.compile(rf"(?:s|es|'s|s')(?!(?![{_UNSPACED}])[^\W_])")
_UNSPACED_CHAR = re.compile(f"[{_UNSPACED}]")


def _suffix_end_by_loop(folded: str, end: int) -> int:
    """The rule the compiled suffix_end implements, written as a Python loop."""
    for suffix in ("s", "es", "'s", "s'"):
        stop = end + len(suffix)
        if folded.startswith(suffix, end) and (
            stop >= len(folded) or not folded[stop].isalnum() or _UNSPACED_CHAR.match(folded[stop])
        ):
            return stop
    return -1


def test_suffix_end_equals_the_rule_written_as_a_loop_and_as_a_regex() -> None:
    rng = random.Random(19)
    for _ in range(20000):
        text = "".join(rng.choices("se'ab 1²_-.é小온ト", k=rng.randrange(0, 8)))
        end = rng.randrange(0, len(text) + 1)
        by_regex = _SUFFIX.match(text, end)
        expected = by_regex.end() if by_regex else -1
        assert suffix_end(text, end) == _suffix_end_by_loop(text, end) == expected, (text, end)


def _rules_matcher() -> Matcher:
    """A watchlist with a "near" rule, a title-only rule and an exclusion that
    vetoes both, over one company."""
    spec = WatchlistSpec(
        id="plants",
        name="Plants",
        description="d",
        include=["plant", "factory"],
        require=[["@acme"], ["abroad", "Europe"]],
        near=3,
        also=[RuleSpec(include=["plant deal"], title=True)],
        exclude=["plant closure"],
    )
    company = CompanySpec(id="acme", name="Acme Motors", aliases=["Acme"])
    return Matcher(Catalog(watchlists={"plants": spec}, companies={"acme": company}))


def test_near_counts_the_words_between_the_trigger_and_each_group() -> None:
    matcher = _rules_matcher()
    # "Acme" and "Europe" are within 3 words of "plant".
    assert matcher.match(_item("Acme opens a plant in Europe")).watchlists == ["plants"]
    result = matcher.match(_item("Acme to build its first big new plant in Europe"))
    assert result.watchlists == []  # "Acme" is 6 words from "plant"
    # Far apart in one item but close in another place: any close pair proves it.
    close = matcher.match(_item("Acme news from Europe this week and more", "Acme plant in Europe"))
    assert close.watchlists == ["plants"]
    assert [h.text for h in close.hits("watchlist", "plants")] == ["Acme", "plant", "Europe"]


def test_near_reads_the_title_on_into_the_summary() -> None:
    matcher = _rules_matcher()
    assert matcher.match(_item("Acme in Europe", "A plant opens")).watchlists == ["plants"]


def test_title_rule_needs_its_trigger_in_the_title_and_exclusions_veto_every_rule() -> None:
    matcher = _rules_matcher()
    assert matcher.match(_item("Plant deal signed")).watchlists == ["plants"]
    assert matcher.match(_item("Weekly round-up", "A plant deal was signed")).watchlists == []
    assert matcher.match(_item("Plant deal and plant closure")).watchlists == []
    assert matcher.match(_item("Acme plant closure in Europe")).watchlists == []


@pytest.mark.parametrize(
    ("title", "summary", "watchlist", "expected"),
    [
        # ev-tariffs covers US tariffs on cars and parts from any country ...
        ("Commerce adds seats and axles to Section 232 auto parts tariff", "", "ev-tariffs", True),
        ("Honda says US tariffs on Japanese-built cars cost it $1 billion", "", "ev-tariffs", True),
        # ... not other countries' duties, nor a tariff mentioned in passing.
        ("EU extends duties on Chinese EVs for five more years", "", "ev-tariffs", False),
        (
            "Automaker opens new dealership in Ohio",
            "Buyers face higher prices from tariffs, the US dealer said.",
            "ev-tariffs",
            False,
        ),
        # Partnerships: a venture between a Chinese and a non-Chinese automaker ...
        (
            "Stellantis deepens Leapmotor venture with a new model",
            "",
            "chinese-ev-partnerships",
            True,
        ),
        ("BYD plans a car factory in Mexico", "", "chinese-ev-partnerships", True),
        # ... not a cell purchase, nor a Chinese carmaker's plant at home.
        (
            "Automaker signs supply deal for CATL cells for Stellantis",
            "",
            "chinese-ev-partnerships",
            False,
        ),
        ("BYD opens another plant in Shenzhen", "", "chinese-ev-partnerships", False),
        # FEOC rules are credit news when they are the subject, not in passing.
        ("Treasury finalises FEOC rules for battery components", "", "ev-tax-credits", True),
        (
            "CATL licence draws analyst questions",
            "Analysts said the licence keeps Ford within FEOC limits.",
            "ev-tax-credits",
            False,
        ),
    ],
)
def test_shipped_watchlists_follow_their_scope(
    shipped: Matcher, title: str, summary: str, watchlist: str, expected: bool
) -> None:
    assert (watchlist in shipped.match(_item(title, summary)).watchlists) is expected


def test_lexicon_concepts_come_from_the_same_scan() -> None:
    catalog = Catalog(lexicon={"tariff": ["tariff", "levies", "duties"], "jv": ["joint venture"]})
    matcher = Matcher(catalog)
    formal = matcher.match(Item(id="a", title="Modification of duties on lithium-ion cells"))
    press = matcher.match(Item(id="b", title="US raises levies on Chinese batteries"))
    assert formal.concepts == ["tariff"] and press.concepts == ["tariff"]
    both = matcher.match(Item(id="c", title="Tariffs hit the joint-venture plan"))
    assert sorted(both.concepts) == ["jv", "tariff"]
    assert matcher.match(Item(id="d", title="A dutiful levee")).concepts == []
