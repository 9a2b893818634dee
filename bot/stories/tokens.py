"""Informative tokens of an item, the currency of story grouping.

Outlets reword the same event ("Ford held talks with Xiaomi" / "Ford, Xiaomi
discussed US EV venture"), so grouping compares bags of content words rather than
strings. Words are folded like the matcher folds them, stop words and attribution
words ("says", "report", "sources") are dropped because every outlet uses them for
every story, and a light suffix stripper maps "talks"/"talked", "reported"/
"reports" to one stem. It is deliberately crude: consistency matters, not
linguistics, and it must cost well under a microsecond per word.
"""

from __future__ import annotations

from typing import cast

from bot.text import fold

# Function words plus newsroom boilerplate that carries no event identity.
_STOP_TEXT = """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers him his how i if in into is
    it its itself just me more most my no nor not now of off on once only or other our out
    over own same she should so some such than that the their them then there these they
    this those through to too under until up very was we were what when where which while
    who whom why will with would you your yet per via amid new first next last says said
    say saying report reports reported reportedly reporting source sources people familiar
    matter according told tells tell statement spokesperson week day days today year years
    month months company companies firm firms group plan plans planned planning may might
    still even far much many one two three us u s amp whether
"""
STOP_WORDS = frozenset(_STOP_TEXT.split() + list("abcdefghijklmnopqrstuvwxyz"))

_SUFFIXES = (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("e", ""))
_STEM_CACHE_LIMIT = 200_000


def _stem(word: str) -> str:
    """Strip one common inflection, keeping 3+ letters ("talks" -> "talk";
    "licensed", "license", "licensing" -> "licens")."""
    if len(word) >= 4 and not word[-1].isdigit() and not word.endswith("ss"):
        for suffix, replacement in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                return word[: -len(suffix)] + replacement
    return word


# Every byte that is not a lower-case letter or digit separates words; bytes of
# multi-byte UTF-8 characters (left after folding) stay inside words.
_SEPARATE = bytes(b if 48 <= b <= 57 or 97 <= b <= 122 or b >= 128 else 32 for b in range(256))
# Folded word (bytes) -> stem; stop words map to "" so one lookup filters and stems.
_STEMS: dict[bytes, str] = {}


def _reset_cache() -> None:
    _STEMS.clear()
    _STEMS.update(dict.fromkeys((w.encode() for w in STOP_WORDS), ""))


_reset_cache()


def stem(word: str) -> str:
    """The stem of a folded word ("" for a stop word)."""
    return "" if word in STOP_WORDS else _stem(word)


def informative_tokens(title: str, summary: str = "") -> frozenset[str]:
    """Stems of the content words of ``title`` and ``summary``.

    The hot path is C-level: one bytes.translate, split, and a ``map`` of dict
    lookups; only words never seen before are stemmed in Python."""
    text = fold(f"{title} {summary}" if summary else title)[0]
    words = text.encode("utf-8").translate(_SEPARATE).split()
    out = set(map(_STEMS.get, words))
    if None in out:
        out.discard(None)
        if len(_STEMS) > _STEM_CACHE_LIMIT:
            _reset_cache()
        for word in words:
            known = _STEMS.get(word)
            if known is None:
                known = _STEMS[word] = _stem(word.decode("utf-8", "ignore"))
            out.add(known)
    out.discard("")
    return frozenset(cast("set[str]", out))
