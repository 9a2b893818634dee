"""Splitting one chat message into words, and writing words back as text.

Every command goes through :func:`tokenize`. Chat text is not a shell line:
people type "Ford's", paste curly quotes, and leave a quote open. So:

* White space separates words.
* An apostrophe inside or at the end of a word is a letter (``Ford's``,
  ``Ford’s``, ``O'Brien``, ``EVs'``).
* A word starting with a double quote (``"`` ``“`` ``”``) runs to the next
  double quote, whichever of the three it is. A word starting with ``'`` or
  ``‘`` runs to the next ``'`` or ``’`` that ends a word (``'Ford's plant'``).
  A quote that is never closed takes the rest of the line. Text glued after
  a closing quote belongs to the same word.
* A quoted word is literal: it is never read as a keyword (``company "7d"``
  looks up a company called 7d).
* A message must be one line: a second line is refused rather than run as
  part of the first command (:class:`TokenError`).

Nothing here raises for any other input. :func:`quote` is the inverse: it
spells a value so that :func:`tokenize` reads it back unchanged, which lets
commands be written back as text (see ``grammar.to_text``).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable

DOUBLE_QUOTES = '"\u201c\u201d'  # " “ ”
SINGLE_OPENERS = "'\u2018"  # ' ‘
SINGLE_CLOSERS = "'\u2019"  # ' ’
OPENERS = DOUBLE_QUOTES + SINGLE_OPENERS
_DOUBLE = re.compile(f"[{DOUBLE_QUOTES}]")
# A single quote that ends a word: followed by white space or the end.
_SINGLE_END = re.compile(f"[{SINGLE_CLOSERS}](?!\\S)")
# ... and one inside a value, which would end it early if the value were single-quoted.
_SINGLE_INSIDE = re.compile(f"[{SINGLE_CLOSERS}](?=\\s)")


class TokenError(ValueError):
    """Text that is not one command (it has more than one line)."""


class Word(str):
    """A word of a message; ``quoted`` words are never read as keywords."""

    quoted: bool

    def __new__(cls, text: str, quoted: bool = False) -> Word:
        word = super().__new__(cls, text)
        word.quoted = quoted
        return word


def is_quoted(token: str) -> bool:
    """True for a word that was written in quotes (plain strings never are)."""
    return isinstance(token, Word) and token.quoted


def keyword(token: str) -> str | None:
    """The lower-cased word if it may be a keyword, None if it was quoted."""
    return None if is_quoted(token) else token.lower()


def line_count(text: str) -> int:
    """How many non-blank lines ``text`` has (every Unicode line break counts)."""
    return sum(1 for line in text.splitlines() if line.strip())


def tokenize(text: str) -> list[str]:
    """The words of one message (as :class:`Word`), see the module docstring.

    Runs in time linear in the text (up to a log factor): quote positions are
    found once by regular expressions, not searched again for every word.
    """
    lines = line_count(text)
    if lines > 1:
        raise TokenError(f"one command per message: this message has {lines} lines")
    doubles = [m.start() for m in _DOUBLE.finditer(text)]
    single_ends = [m.start() for m in _SINGLE_END.finditer(text)]
    words: list[str] = []
    index, size = 0, len(text)
    while index < size:
        if text[index].isspace():
            index += 1
            continue
        body, quoted = "", False
        first = text[index]
        if first in OPENERS:
            closers = doubles if first in DOUBLE_QUOTES else single_ends
            close = _next(closers, index + 1, size)
            body, quoted, index = text[index + 1 : close], True, close + 1
        end = index
        while end < size and not text[end].isspace():
            end += 1
        words.append(Word(body + text[index:end], quoted))
        index = end
    return words


def _next(positions: list[int], start: int, default: int) -> int:
    """The first position at or after ``start``, else ``default``."""
    at = bisect_left(positions, start)
    return positions[at] if at < len(positions) else default


def quote(value: str, *, force: bool = False) -> str:
    """``value`` spelled so that :func:`tokenize` reads it back as one word
    equal to it: bare when it can be, else in double or single quotes.
    ``force`` quotes even a bare word (so it is not read as a keyword).

    Raises ValueError for the one kind of value no spelling can carry (a
    double quote, and an apostrophe followed by white space), which
    :func:`tokenize` never produces as one word.
    """
    bare = value and value[0] not in OPENERS and not any(ch.isspace() for ch in value)
    if bare and not force:
        return value
    if not _DOUBLE.search(value):
        return f'"{value}"'
    if not _SINGLE_INSIDE.search(value):
        return f"'{value}'"
    raise ValueError(f"{value!r} cannot be written as one word")


def quote_words(value: str, literal: Callable[[str], bool] = lambda word: False) -> str:
    """A value that a command joins from several words with single spaces
    (a search, a company name, a term), written back as those words;
    ``literal(word)`` says which words must be quoted so they are not keywords."""
    return " ".join(quote(word, force=literal(word)) for word in value.split(" "))
