"""The story the bot exists for, on the bundled sample corpus: the FT report on
Ford–Xiaomi talks and its re-reports form one story; Ford's "completely false"
denials form another that answers it."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from bot.matcher import Matcher
from bot.models import Item
from bot.stories import EVENT_RULES, Assignment, StoryIndex
from bot.stories.tokens import topic_words
from bot.watchlists import load_catalog, shipped_watchlists_dir

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "sample" / "items.jsonl"

# Every test here runs against both implementations (see conftest.py).
pytestmark = pytest.mark.usefixtures("grouping")


@pytest.fixture(scope="module")
def assigned(grouping: ModuleType) -> dict[str, Assignment]:
    # As ingest does: the catalog's topic words, the matcher's concepts.
    catalog = load_catalog(shipped_watchlists_dir())
    matcher = Matcher(catalog, events=EVENT_RULES)
    items = [Item.from_json(json.loads(line)) for line in SAMPLE.read_text().splitlines() if line]
    items.sort(key=lambda item: (item.published is None, item.published, item.id))
    index = StoryIndex(topic_words=topic_words(catalog))
    out = {}
    for item in items:
        result = matcher.match(item)
        out[item.id] = index.assign(
            item, result.companies, result.watchlists, result.event, concepts=result.concepts
        )
    return out


def test_ft_report_and_re_reports_are_one_story(assigned: dict[str, Assignment]) -> None:
    claim = assigned["s001"].story_id
    assert {assigned[i].story_id for i in ("s001", "s002", "s003", "s004")} == {claim}


def test_denials_form_one_story_answering_the_claim(assigned: dict[str, Assignment]) -> None:
    claim = assigned["s001"].story_id
    denial = assigned["s005"].story_id
    assert denial != claim
    assert {assigned[i].story_id for i in ("s005", "s006", "s007")} == {denial}
    assert assigned["s005"].answers == claim
    assert all(assigned[i].answers == claim for i in ("s006", "s007"))


def test_committee_letter_is_separate_from_claim_and_denial(
    assigned: dict[str, Assignment],
) -> None:
    letter = assigned["s008"].story_id
    assert letter not in {assigned["s001"].story_id, assigned["s005"].story_id}
    assert assigned["s009"].story_id == letter


def test_charges_and_8k_are_one_story_apart_from_the_venture_split(
    assigned: dict[str, Assignment],
) -> None:
    assert assigned["s016"].story_id == assigned["s017"].story_id
    assert assigned["s019"].story_id != assigned["s016"].story_id


def test_letter_about_byd_and_catl_does_not_answer_the_xiaomi_report(
    assigned: dict[str, Assignment],
) -> None:
    claim = assigned["s001"].story_id
    assert all(assigned[i].answers != claim for i in ("s008", "s009", "s010"))


def test_bill_titles_saying_deny_are_bills(assigned: dict[str, Assignment]) -> None:
    assert assigned["s042"].answers is None
