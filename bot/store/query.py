"""Turning the words of a `search` into the words both stores look up.

SQLite's FTS5 (``unicode61`` tokenizer) and PostgreSQL's ``english`` parser
both split stored text at apostrophes, straight or curly, so "Ford’s" is
stored as "ford" + "s". A query word is therefore read the same way for both:
curly apostrophes become straight, and a possessive ending ("Ford's",
"automakers'") is dropped, so that ``search Ford's Marshall`` finds items
that say "Ford’s Marshall" and items that say "Ford Marshall" alike, on
either store. An apostrophe inside a word stays ("O'Brien"): each store reads
it as the two adjacent parts.
"""

from __future__ import annotations

import re

# Letters and digits, with apostrophes inside a word.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*'?")
_POSSESSIVE = re.compile(r"'[sS]?$")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def search_words(query: str) -> list[str]:
    """The words of ``query`` to look up, possessive endings dropped."""
    found = _WORD.findall(query.translate(_APOSTROPHES))
    return [_POSSESSIVE.sub("", word) for word in found]
