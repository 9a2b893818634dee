"""What makes a phrase usable for matching: one check for every place a
watchlist term, exclusion or company alias comes from (chat edits and files).

A phrase is matched case-insensitively on whole words after folding
(:mod:`bot.text`), so a phrase that is too short, has no letter or digit, or
hides characters nobody can see would match far more, or other, text than the
admin meant. The reason is returned as a sentence for the reply and the audit.

The rules:

* at most :data:`MAX_LENGTH` characters;
* no invisible characters: format characters (zero-width space and joiners,
  soft hyphen, byte-order mark), bidi controls (which reorder how the audit
  log and replies display) and other control characters;
* at least one letter or digit;
* at least :data:`MIN_LENGTH` letters or digits after folding, except a
  two-character acronym written in capitals (``EV``, ``GM``, ``U.S.``): the
  shipped watchlists and company directory depend on such acronyms, and
  writing one in capitals shows it was meant. A common word that happens to
  be two letters ("us", "in") is still caught in chat by the breadth check
  (:func:`breadth_problem`), which counts what the phrase would match;
* or a currency (``€``, ``£``, ``C$``): it names amounts in that currency,
  which is how a watchlist tells another country's incentive from a US one.
  The bare ``$`` is not one: US news writes it everywhere.
"""

from __future__ import annotations

import unicodedata

from bot.pyscan import word_char
from bot.text import fold_phrase

MAX_LENGTH = 100
MIN_LENGTH = 3
ACRONYM_LENGTH = 2
# A phrase that would match more than this share of recent items is refused,
# once at least MIN_SAMPLE items are stored to judge by.
BROAD_SHARE = 0.5
MIN_SAMPLE = 20
SAMPLE_SIZE = 2000
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


def visible(text: str) -> str:
    """``text`` with every invisible or control character written as
    ``<U+200B>``, so a refusal can show what was typed without the characters
    doing their work (a right-to-left override would reorder the audit line)."""
    return "".join(
        f"<U+{ord(ch):04X}>" if unicodedata.category(ch) in _INVISIBLE else ch for ch in text
    )


def term_problem(term: str, what: str = "a term") -> str | None:
    """Why ``term`` cannot be a matching phrase, or None when it can;
    ``what`` names it in the reason ("a term", "an alias").

    Every catalog load checks every shipped phrase, so printable ASCII (nearly
    all of them) skips the per-character category lookups: it holds no
    invisible character, and its only currency sign is "$"."""
    if len(term) > MAX_LENGTH:
        shown = visible(term)
        return f"{what} may be at most {MAX_LENGTH} characters; '{shown[:40]}…' has {len(term)}"
    plain = term.isascii() and term.isprintable()
    if not plain and (problem := invisible_problem(term)):
        return problem
    if term.strip() != "$" and (
        "$" in term if plain else any(unicodedata.category(ch) == "Sc" for ch in term)
    ):
        return None
    folded = fold_phrase(term)
    alnum = sum(1 for ch in folded if ch.isalnum())
    if alnum == 0:
        return f"'{visible(term)}' has no letter or digit, so it cannot be matched as a word"
    if alnum >= MIN_LENGTH or (
        alnum == ACRONYM_LENGTH and (_is_acronym(term) or _unspaced_word(folded))
    ):
        return None
    return (
        f"'{visible(term)}' is too short: {what} needs at least {MIN_LENGTH} letters or digits "
        f"(or a {ACRONYM_LENGTH}-letter acronym in capitals, like EV, or "
        f"{ACRONYM_LENGTH} Chinese, Japanese or Korean characters, like 华为)"
    )


def invisible_problem(text: str) -> str | None:
    """Why ``text`` (a term or a name) would not read as it displays, or None."""
    for ch in text:
        if unicodedata.category(ch) in _INVISIBLE:
            name = unicodedata.name(ch, "a control character")
            kind = "a bidi control" if ch in _BIDI_CONTROLS else "an invisible"
            return (
                f"'{visible(text)}' contains {kind} character, U+{ord(ch):04X} ({name}); "
                "type the text again without it"
            )
    return None


# The marks, embeddings, overrides and isolates that change display order.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _is_acronym(term: str) -> bool:
    """Letters all in capitals, at least one of them ("EV", "U.S.", "5G")."""
    letters = [ch for ch in term if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


def breadth_problem(term: str, matched: int, sampled: int) -> str | None:
    """Why ``term`` is too broad, given that it would match ``matched`` of
    ``sampled`` recent items; None when it is fine or too few are stored to say."""
    if sampled < MIN_SAMPLE or matched <= sampled * BROAD_SHARE:
        return None
    return (
        f"'{visible(term)}' would match {matched:,} of {sampled:,} recent items; "
        "use a longer or more specific phrase"
    )


def _unspaced_word(folded: str) -> bool:
    """Whether every letter of ``folded`` is of a script written without spaces
    (Chinese, Japanese, Korean): there two characters make a whole name ("华为",
    Huawei), where two Latin letters are an acronym at most."""
    return all(not word_char(ch) for ch in folded if ch.isalnum())
