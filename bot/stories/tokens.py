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

import re

from bot.text import fold

_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")

# Function words plus newsroom boilerplate that carries no event identity.
STOP_WORDS = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "out", "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yet", "per", "via", "amid", "new", "first", "next", "last", "says", "said", "say", "saying", "report", "reports", "reported", "reportedly", "reporting", "source", "sources", "people", "familiar", "matter", "according", "told", "tells", "tell", "statement", "spokesperson", "week", "day", "days", "today", "year", "years", "month", "months", "company", "companies", "firm", "firms", "group", "plan", "plans", "planned", "planning", "may", "might", "still", "even", "far", "much", "many", "one", "two", "three", "us", "u", "s", "its", "it's", "amp", "whether"]
)

_SUFFIXES = (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""))
_STEMS: dict[str, str] = {}
_STEM_CACHE_LIMIT = 200_000


def stem(word: str) -> str:
    """A crude, cached stem: strips one common inflection from words of 5+ letters."""
    cached = _STEMS.get(word)
    if cached is not None:
        return cached
    result = word
    if len(word) >= 5 and not word[-1].isdigit():
        for suffix, replacement in _SUFFIXES:
            if word.endswith(suffix) and not word.endswith("ss"):
                result = word[: -len(suffix)] + replacement
                break
    if len(_STEMS) >= _STEM_CACHE_LIMIT:
        _STEMS.clear()
    _STEMS[word] = result
    return result


def informative_tokens(title: str, summary: str = "") -> frozenset[str]:
    """Stems of the content words of ``title`` and ``summary``."""
    text = fold(f"{title} {summary}" if summary else title)[0]
    stems = _STEMS
    out = set()
    for word in _WORD.findall(text):
        if word in STOP_WORDS or (len(word) < 2 and not word.isdigit()):
            continue
        stemmed = stems.get(word)
        out.add(stemmed if stemmed is not None else stem(word))
    return frozenset(out)
