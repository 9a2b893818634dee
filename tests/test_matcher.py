"""Matcher rules on hand-written catalogs and on the shipped watchlists."""

from __future__ import annotations

import pytest

from bot.matcher import Matcher
from bot.models import Item
from bot.stories.events import EVENT_RULES, NOT_TYPED, EventGuess
from bot.watchlists import Catalog, CompanySpec, WatchlistSpec, load_catalog, shipped_watchlists_dir


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


def test_lexicon_concepts_come_from_the_same_scan() -> None:
    catalog = Catalog(lexicon={"tariff": ["tariff", "levies", "duties"], "jv": ["joint venture"]})
    matcher = Matcher(catalog)
    formal = matcher.match(Item(id="a", title="Modification of duties on lithium-ion cells"))
    press = matcher.match(Item(id="b", title="US raises levies on Chinese batteries"))
    assert formal.concepts == ["tariff"] and press.concepts == ["tariff"]
    both = matcher.match(Item(id="c", title="Tariffs hit the joint-venture plan"))
    assert sorted(both.concepts) == ["jv", "tariff"]
    assert matcher.match(Item(id="d", title="A dutiful levee")).concepts == []
