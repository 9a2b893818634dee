"""How :func:`bot.text.fold` folds text, in plain Python: the definition of
folding (the tables below, :func:`_fold_char`) and the implementation used
when the compiled :mod:`bot.fold` was not built, against which that one is
tested (tests/test_text.py). The compiled fold reads its tables from here.

Every step runs inside C (``bytes.translate``, ``str.translate``, ``re``): news
carries curly quotes, dashes and accented names in a large share of items, and
a per-character Python loop over them cost a hundred times the ASCII path.
"""

from __future__ import annotations

import re
import unicodedata

_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'"}
_DQUOTES = {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'}
# Hyphens, dashes and slashes fold to a space so "joint-venture" finds "joint venture".
_SPACES = set("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212/_\u00a0\t\r\n\u2009\u202f")
# What a combining mark folds to before it is dropped: a combining mark itself,
# so it can never be confused with a character of the text.
_MARK = "\u0300"
_HANGUL_FIRST, _HANGUL_LAST = "\uac00", "\ud7a3"


def _fold_char(ch: str) -> str:
    """The folded form of one character: the definition behind :data:`_TABLE`."""
    if ch in _QUOTES:
        return "'"
    if ch in _DQUOTES:
        return '"'
    if ch in _SPACES or ch.isspace():
        return " "
    if unicodedata.combining(ch):
        # An accent written as its own character (e + U+0301) goes, as it does
        # from a precomposed letter (é).
        return _MARK
    lowered = ch.lower()
    if _HANGUL_FIRST <= ch <= _HANGUL_LAST:
        # A Hangul syllable decomposes into its letters (jamo), none of them an
        # accent: keeping the first would fold "사실" and "수소" alike.
        return ch
    if len(lowered) != 1 or not lowered.isascii():
        # Drop accents (Société -> societe) but keep one character per input character.
        decomposed = unicodedata.normalize("NFKD", ch)
        base = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
        lowered = base[:1] if base else lowered[:1]
    return lowered


class _FoldTable(dict[int, str]):
    """Code point -> folded character for ``str.translate``, filled on first
    sight of each character: every lookup after that stays in C, and nothing is
    computed for the million code points no text uses."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


# ASCII white space beyond the separators of _SPACES (\v, \f, \x1c-\x1f) stays
# in place when the text is otherwise left in place, and becomes a space when
# the text is collapsed, as folding always did.
_ASCII_CONTROLS = "".join(
    chr(b) for b in range(128) if chr(b).isspace() and chr(b) not in (" ", *_SPACES)
)
_ASCII_SPACE_CONTROLS = re.compile(f"[{re.escape(_ASCII_CONTROLS)}]")
# For ASCII text one bytes.translate lowercases and folds separators at C speed.
_ASCII_TABLE = bytes(
    ord(" ") if chr(b) in _SPACES else ord("'") if chr(b) == "`" else ord(chr(b).lower())
    for b in range(128)
) + bytes(range(128, 256))
_TABLE = _FoldTable({b: chr(_ASCII_TABLE[b]) for b in range(128)})
# Text whose characters beyond ASCII are only quotes, dashes and odd spaces
# keeps one folded character per character, in place, unless spaces double up.
_IN_PLACE = frozenset(ch for ch in (*_QUOTES, *_DQUOTES, *_SPACES) if not ch.isascii())
_ASCII_BYTES = bytes(range(128))
# Up to this many distinct characters to change, a replace per character beat
# one translate of a 500-character text (2-4x faster at 4-48 of them).
_FEW_CHANGES = 48
# Where a collapsed text drops characters: runs of spaces and marks that are
# longer than one space (a lone space at either end is found apart). Without a
# mark in the text, runs of spaces alone: a literal the regex engine finds fast.
_GAPS = re.compile(f"  [ {_MARK}]*|{_MARK}[ {_MARK}]*| {_MARK}[ {_MARK}]*")
_SPACE_GAPS = re.compile("  +")
# Position maps are cut from one shared list of small ints: a slice copies
# pointers, where a range would create an int object per character.
_INDEXES = list(range(1 << 14))


def fold(text: str) -> tuple[str, list[int] | None]:
    """Fold ``text`` for matching; returns (folded, positions) where
    ``positions[i]`` is the index in ``text`` of folded character ``i``, or
    None when every character kept its place (the common, fast case).

    Text that is ASCII once quotes and dashes are folded, with no doubled
    space, is folded in place (a single space at either end stays). Other text
    is collapsed: runs of spaces become one, spaces at the ends and combining
    marks go, so "Ford  Motor" equals "Ford Motor".
    """
    if text.isascii():
        folded = text.encode("ascii").translate(_ASCII_TABLE).decode("ascii")
        in_place = True
    else:
        folded, in_place = _fold_wide(text)
    if in_place and "  " not in folded:
        return folded, None
    if any(control in folded for control in _ASCII_CONTROLS):
        folded = _ASCII_SPACE_CONTROLS.sub(" ", folded)
    return _collapse(folded)


def _fold_wide(text: str) -> tuple[str, bool]:
    """Fold text holding characters beyond ASCII, one character per character;
    also whether those characters are only ones folded in place.

    A news item holds a handful of distinct such characters (’ “ ” — é): the
    ASCII is folded as bytes of the UTF-8 text, then each of them is replaced
    everywhere at once, far cheaper than looking up every character. Text with
    many (another script), or where one folds into another that folds further
    (″ into ′ into '), goes through ``str.translate`` in one pass."""
    encoded = text.encode("utf-8", "surrogatepass")
    wide = set(encoded.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))
    in_place = wide <= _IN_PLACE
    changes = {ch: folded for ch in wide if (folded := _TABLE[ord(ch)]) != ch}
    if len(changes) > _FEW_CHANGES or not changes.keys().isdisjoint(changes.values()):
        return text.translate(_TABLE), in_place
    folded = encoded.translate(_ASCII_TABLE).decode("utf-8", "surrogatepass")
    for ch, replacement in changes.items():
        folded = folded.replace(ch, replacement)
    return folded, in_place


def _collapse(folded: str) -> tuple[str, list[int] | None]:
    """Drop the gaps of ``folded`` but the first space of an inner one, and
    map what stays back to its place (None: nothing moved, as in most text
    with accents). ``folded`` has one character per character of the text;
    the loop runs once per gap (a few per item), never once per character."""
    size = len(folded)
    gaps = [gap.span() for gap in (_GAPS if _MARK in folded else _SPACE_GAPS).finditer(folded)]
    if folded.startswith(" ") and not (gaps and gaps[0][0] == 0):
        gaps.insert(0, (0, 1))
    if folded.endswith(" ") and not (gaps and gaps[-1][1] == size):
        gaps.append((size - 1, size))
    if not gaps:
        return folded, None
    pieces: list[str] = []
    positions: list[int] = []
    kept = 0
    for start, end in gaps:
        pieces.append(folded[kept:start])
        positions += _INDEXES[kept:start] if start <= len(_INDEXES) else range(kept, start)
        if start and end < size:
            space = folded.find(" ", start, end)
            if space >= 0:
                pieces.append(" ")
                positions.append(space)
        kept = end
    pieces.append(folded[kept:])
    positions += _INDEXES[kept:size] if size <= len(_INDEXES) else range(kept, size)
    return "".join(pieces), positions
