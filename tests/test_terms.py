"""The one check every matching phrase passes (chat edits and watchlist files)."""

from __future__ import annotations

import pytest

from bot.terms import term_problem


@pytest.mark.parametrize("term", ["EV", "GM", "U.S.", "tariff", "€", "£", "C$", "HK$ 10"])
def test_specific_phrases_pass(term: str) -> None:
    assert term_problem(term) is None


@pytest.mark.parametrize(
    ("term", "reason"),
    [
        ("e", "too short"),
        ("ev", "too short"),
        ("*", "no letter or digit"),
        ("$", "no letter or digit"),  # US news writes it everywhere
        ("\u200b", "invisible"),
        ("tariff\u202e", "bidi control"),
    ],
)
def test_phrases_that_would_match_everything_or_hide_text_are_refused(
    term: str, reason: str
) -> None:
    problem = term_problem(term)
    assert problem is not None and reason in problem
