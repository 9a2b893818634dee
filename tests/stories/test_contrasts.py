"""Contrast families (``lexicon.yaml``): two acts of one kind stay apart.

An anti-dumping and a countervailing determination on the same product, a
proposed and a final rule, Section 232 and Section 301 tariffs: their titles
share nearly every word, so shared words alone would join them into one story.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.matcher import Matcher
from bot.models import Item
from bot.stories import EVENT_RULES, index_for
from bot.watchlists import load_catalog, shipped_watchlists_dir

# Every test here runs against both implementations (see conftest.py).
pytestmark = pytest.mark.usefixtures("grouping")

T0 = datetime(2026, 4, 2, 14, 0, tzinfo=UTC)


def _stories(*titles: str) -> list[str]:
    """The story each title lands in, fed an hour apart through the shipped
    matcher (concepts included) into a fresh index."""
    catalog = load_catalog(shipped_watchlists_dir())
    matcher = Matcher(catalog, events=EVENT_RULES)
    index = index_for(catalog)
    out = []
    for number, title in enumerate(titles):
        item = Item(f"i{number}", title, published=T0 + timedelta(hours=number))
        result = matcher.match(item)
        placed = index.assign(
            item, result.companies, result.watchlists, result.event, concepts=result.concepts
        )
        out.append(placed.story_id)
    return out


def test_the_same_determination_retold_joins() -> None:
    first, second = _stories(
        "Commerce sets preliminary anti-dumping duties on Chinese graphite anode material",
        "Preliminary anti-dumping duties hit Chinese graphite anode material imports",
    )
    assert first == second


def test_anti_dumping_and_countervailing_determinations_stay_apart() -> None:
    first, second = _stories(
        "Commerce sets preliminary anti-dumping duties on Chinese graphite anode material",
        "Commerce sets preliminary countervailing duties on Chinese graphite anode material",
    )
    assert first != second


def test_a_proposed_and_a_final_rule_stay_apart() -> None:
    first, second = _stories(
        "Treasury proposed rule on CATL licensing under the 45X production credit",
        "Treasury final rule on CATL licensing under the 45X production credit",
    )
    assert first != second


def test_an_item_naming_both_members_is_not_kept_apart() -> None:
    # A notice on how Section 232 and Section 301 duties stack is about both.
    first, second = _stories(
        "Section 232 auto parts duties on lithium-ion battery packs take effect",
        "Section 232 auto parts duties on lithium-ion battery packs and Section 301 stacking",
    )
    assert first == second


def test_different_carmakers_doing_the_same_thing_stay_apart() -> None:
    # Parties: one contrast family of carmakers and battery makers.
    first, second = _stories(
        "Hyundai weighs licensing Chinese LFP cell technology for its Georgia battery plant",
        "Toyota weighs licensing Chinese LFP cell technology for its Georgia battery plant",
    )
    assert first != second


def test_a_brand_and_its_group_are_one_party() -> None:
    # Kia is a Hyundai brand: the same party, so nothing keeps the two apart.
    first, second = _stories(
        "Hyundai weighs licensing Chinese LFP cell technology for its Georgia battery plant",
        "Kia weighs licensing Chinese LFP cell technology for its Georgia battery plant",
    )
    assert first == second


def test_the_same_plan_in_two_countries_is_two_stories() -> None:
    first, second = _stories(
        "Leapmotor to assemble its small EV at a Stellantis plant in Poland",
        "Leapmotor to assemble its small EV at a Stellantis plant in Malaysia",
    )
    assert first != second


def test_an_investigation_opening_and_its_preliminary_duties_stay_apart() -> None:
    first, second = _stories(
        "Commerce opens anti-dumping investigation into Chinese lithium electrolyte salt",
        "Commerce sets preliminary anti-dumping duties on Chinese lithium electrolyte salt",
    )
    assert first != second
