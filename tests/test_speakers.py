"""Who speaks in a title (bot.speakers), as the shipped matcher reports it."""

from __future__ import annotations

import pytest

from bot.matcher import Matcher
from bot.models import Item
from bot.speakers import SPEAKER_MARK, Speakers
from bot.stories import EVENT_RULES
from bot.watchlists import load_catalog, shipped_watchlists_dir


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_catalog(shipped_watchlists_dir()), events=EVENT_RULES)


def _speakers(matcher: Matcher, title: str, summary: str = "") -> list[str]:
    concepts = matcher.match(Item("x", title, summary)).concepts
    return [c for c in concepts if c.startswith(SPEAKER_MARK)]


@pytest.mark.parametrize(
    ("title", "speaker"),
    [
        ("Ford says report of Xiaomi venture talks is ‘completely false’", "party-ford"),
        ("Moolenaar: CATL’s licences should end with its Pentagon listing", "house-chamber"),
        (
            "Treasury tells House China panel licence deals will be judged case by case",
            "agency-treasury",
        ),
        ("Ranking Member Krishnamoorthi Calls for Briefing on Ford Energy", "house-chamber"),
        # The first name of the subject's own clause speaks.
        ("Xiaomi stays quiet as Ford rejects joint-venture report", "party-ford"),
        ("Ford CEO Farley says Marshall plant opens on schedule", "party-ford"),
        ("House China panel chief asks Treasury to deny credits", "house-chamber"),
        ("Musk on the CATL licence report: “Not true”", "party-tesla"),
        ("Moolenaar to Greer: let the battery-machinery exclusions lapse", "house-chamber"),
        ("CATL과 SK온: “기술 라이선스 협상 사실 아니다”", "party-sk-on"),
    ],
)
def test_a_titles_speaker(matcher: Matcher, title: str, speaker: str) -> None:
    assert _speakers(matcher, title) == [SPEAKER_MARK + speaker]


@pytest.mark.parametrize(
    "title",
    [
        # Someone else's words about Toyota.
        "Toyota said to explore adopting BYD hybrid technology for Europe",
        # Nobody the lexicon knows.
        "Dealers say the EV credit transfer portal keeps rejecting claims",
        # The name is four words before the verb: not the subject.
        "Ford shares fell sharply as analysts say margins will shrink",
        # The subject is longer than a title's speaker ever is.
        "After a year of hearings and letters about licensed batteries, Ford says it will wait",
        # A verb inside a word is no verb ("Fordsays"), and no verb at all is no speaker.
        "Ford to build LFP cells in Marshall with CATL technology",
    ],
)
def test_no_speaker(matcher: Matcher, title: str) -> None:
    assert _speakers(matcher, title) == []


def test_the_summary_names_no_speaker(matcher: Matcher) -> None:
    assert _speakers(matcher, "Marshall plant update", "Ford says the line opens in May") == []


def test_a_lexicon_without_speakers_finds_none() -> None:
    speakers = Speakers({"party-ford": ["Ford"]}, [])
    assert not speakers
    assert speakers.of("ford says no", [(5, 9)], 12) is None
