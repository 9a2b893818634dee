"""The one check every matching phrase passes (chat edits and watchlist files)."""

from __future__ import annotations

import random
import unicodedata

import pytest

from bot.terms import MAX_LENGTH, MIN_LENGTH, _is_acronym, invisible_problem, term_problem, visible
from bot.text import fold_phrase


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


def _term_problem_by_categories(term: str, what: str = "a term") -> str | None:
    """term_problem as written before printable ASCII got its shortcut: every
    character's category looked up."""
    shown = visible(term)
    if len(term) > MAX_LENGTH:
        return f"{what} may be at most {MAX_LENGTH} characters; '{shown[:40]}…' has {len(term)}"
    if problem := invisible_problem(term):
        return problem
    if term.strip() != "$" and any(unicodedata.category(ch) == "Sc" for ch in term):
        return None
    alnum = sum(1 for ch in fold_phrase(term) if ch.isalnum())
    if alnum == 0:
        return f"'{shown}' has no letter or digit, so it cannot be matched as a word"
    cjk = all(unicodedata.name(ch, "").startswith(("CJK", "HANGUL")) for ch in term if ch.isalnum())
    if alnum >= MIN_LENGTH or (alnum == 2 and (_is_acronym(term) or cjk)):
        return None
    return (
        f"'{shown}' is too short: {what} needs at least {MIN_LENGTH} letters or digits "
        "(or a 2-letter acronym in capitals, like EV, or 2 Chinese, Japanese or Korean "
        "characters, like 华为)"
    )


def test_the_ascii_shortcut_gives_the_reasons_of_the_full_check() -> None:
    rng = random.Random(19)
    alphabet = "aB1 $.-'\t\x00\x7f€é\u200b华온"
    for _ in range(5000):
        term = "".join(rng.choices(alphabet, k=rng.randrange(0, 6)))
        assert term_problem(term) == _term_problem_by_categories(term), repr(term)
