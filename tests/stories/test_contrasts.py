"""Contrast families (``lexicon.yaml``): two acts of one kind stay apart.

An anti-dumping and a countervailing determination on the same product, a
proposed and a final rule, Section 232 and Section 301 tariffs, the same plan
by two carmakers or in two countries: their titles share nearly every word, so
shared words alone would join them into one story.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.matcher import Matcher
from bot.models import Item
from bot.stories import EVENT_RULES, Assignment, index_for
from bot.watchlists import load_catalog, shipped_watchlists_dir

# Every test here runs against both implementations (see conftest.py).
pytestmark = pytest.mark.usefixtures("grouping")

T0 = datetime(2026, 4, 2, 14, 0, tzinfo=UTC)


def _assign(*titles: str, speakers: bool = True) -> list[Assignment]:
    """Each title's assignment, fed an hour apart through the shipped matcher
    (concepts included; with ``speakers=False`` the lexicon names none) into a
    fresh index."""
    catalog = load_catalog(shipped_watchlists_dir())
    if not speakers:
        catalog = replace(catalog, speakers=[])
    matcher = Matcher(catalog, events=EVENT_RULES)
    index = index_for(catalog)
    out = []
    for number, title in enumerate(titles):
        item = Item(f"i{number}", title, published=T0 + timedelta(hours=number))
        result = matcher.match(item)
        out.append(
            index.assign(
                item, result.companies, result.watchlists, result.event, concepts=result.concepts
            )
        )
    return out


def _stories(*titles: str) -> list[str]:
    """The story each title lands in (see _assign)."""
    return [placed.story_id for placed in _assign(*titles)]


# Pairs whose words alone would join them (each joins with the contrast
# families left out), by the family that keeps them apart.
APART = {
    "anti-dumping vs countervailing": (
        "Commerce sets preliminary anti-dumping duties on Chinese graphite anode material",
        "Commerce sets preliminary countervailing duties on Chinese graphite anode material",
    ),
    "proposed vs final": (
        "Treasury proposed rule on CATL licensing under the 45X production credit",
        "Treasury final rule on CATL licensing under the 45X production credit",
    ),
    "investigation opened vs preliminary duties": (
        "Commerce opens anti-dumping investigation into Chinese lithium electrolyte salt",
        "Commerce sets preliminary anti-dumping duties on Chinese lithium electrolyte salt",
    ),
    "two carmakers doing the same thing": (
        "Hyundai weighs licensing Chinese LFP cell technology for its Georgia battery plant",
        "Toyota weighs licensing Chinese LFP cell technology for its Georgia battery plant",
    ),
    "one plan in two countries": (
        "Leapmotor to assemble its small EV at a Stellantis plant in Poland",
        "Leapmotor to assemble its small EV at a Stellantis plant in Malaysia",
    ),
    "two Chinese truck makers": (
        "CATL to supply sodium-ion battery packs for FAW heavy trucks",
        "CATL to supply sodium-ion battery packs for Dongfeng heavy trucks",
    ),
    "a Senate and a House hearing": (
        "Senators question CATL battery licences at hearing on Chinese technology",
        "House panel questions CATL battery licences at hearing on Chinese technology",
    ),
    "two bills by number": (
        "H.R. 3390 would impose additional duties on electric vehicles from China",
        "H.R. 9021 would impose additional duties on electric vehicles from China",
    ),
    "two annual reports by fiscal year": (
        "Ford Motor Co — 10-K — Annual report for fiscal year ended December 31, 2024",
        "Ford Motor Co — 10-K — Annual report for fiscal year ended December 31, 2025",
    ),
    # USTR's title convention: "Proposed Action" before comments, "Notice of Action" after.
    "a proposed and a final Section 301 notice": (
        "Proposed Action: Modification of Section 301 Duties on Natural Graphite From China",
        "Notice of Action: Modification of Section 301 Duties on Natural Graphite From China",
    ),
    "letters to two agencies": (
        "Lawmakers write to the Pentagon about CATL battery licences at Ford's Marshall plant",
        "Lawmakers write to Treasury about CATL battery licences at Ford's Marshall plant",
    ),
}
TOGETHER = {
    "the same determination retold": (
        "Commerce sets preliminary anti-dumping duties on Chinese graphite anode material",
        "Preliminary anti-dumping duties hit Chinese graphite anode material imports",
    ),
    # A notice on how Section 232 and Section 301 duties stack is about both.
    "an item naming both members": (
        "Section 232 auto parts duties on lithium-ion battery packs take effect",
        "Section 232 auto parts duties on lithium-ion battery packs and Section 301 stacking",
    ),
    # Kia is a Hyundai brand: one party, so nothing keeps the two apart.
    "a brand and its group": (
        "Hyundai weighs licensing Chinese LFP cell technology for its Georgia battery plant",
        "Kia weighs licensing Chinese LFP cell technology for its Georgia battery plant",
    ),
    "a chamber named on one side only": (
        "House panel questions CATL battery licences at hearing on Chinese technology",
        "Lawmakers question CATL battery licences at hearing on Chinese technology",
    ),
    # The number is the document: the formal title and the press report of one bill.
    "one bill by its number and its title": (
        "H.R. 3390 — To impose additional duties on electric vehicles from China",
        "H.R. 3390 would impose additional duties on electric vehicles from China",
    ),
    # The IRS is part of Treasury: one agency.
    "an agency and its bureau": (
        "Treasury guidance on CATL battery licences under the 45X production credit",
        "IRS guidance on CATL battery licences under the 45X production credit",
    ),
}


@pytest.mark.parametrize("pair", APART.values(), ids=APART.keys())
def test_different_acts_of_one_kind_stay_apart(pair: tuple[str, str]) -> None:
    first, second = _stories(*pair)
    assert first != second


@pytest.mark.parametrize("pair", TOGETHER.values(), ids=TOGETHER.keys())
def test_the_same_act_joins(pair: tuple[str, str]) -> None:
    first, second = _stories(*pair)
    assert first == second


# A party's reaction to another party's act: the same matter in nearly the same
# words, so without speakers the reaction joins the act and a reader never sees it.
REACTIONS = {
    "a company's reply to a committee letter": (
        "Moolenaar writes to Farley after Ford expands CATL-licensed battery line at Marshall",
        "Ford tells China panel the Marshall expansion adds no new CATL rights",
    ),
    "a company's answer to an agency's statement": (
        "Pentagon says CATL stays on its list of Chinese military companies",
        "CATL says Pentagon listing as a Chinese military company is a mistake",
    ),
}


@pytest.mark.parametrize("pair", REACTIONS.values(), ids=REACTIONS.keys())
def test_a_reaction_follows_the_act_up(pair: tuple[str, str]) -> None:
    merged = _assign(*pair, speakers=False)
    assert merged[0].story_id == merged[1].story_id  # the words alone join them
    act, reaction = _assign(*pair)
    assert reaction.story_id != act.story_id
    assert reaction.answers == act.story_id


def test_one_speaker_retold_joins() -> None:
    first, second = _stories(
        "Ford says its Marshall battery plant will open on schedule in 2026",
        "Ford CEO Farley says the Marshall battery plant will open on schedule",
    )
    assert first == second
