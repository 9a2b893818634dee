"""Text normalisation shared by the matcher, dedupe and search.

Matching must not care about case, curly quotes or hyphen-versus-space, yet an
explanation must point at the original text. :func:`fold` therefore returns the
folded text together with a map from each folded character back to its
position in the original.
"""

from __future__ import annotations

import re
import unicodedata

_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'"}
_DQUOTES = {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'}
# Hyphens, dashes and slashes fold to a space so "joint-venture" finds "joint venture".
_SPACES = set("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212/_\u00a0\t\r\n\u2009\u202f")


def _fold_char(ch: str) -> str:
    if ch in _QUOTES:
        return "'"
    if ch in _DQUOTES:
        return '"'
    if ch in _SPACES or ch.isspace():
        return " "
    lowered = ch.lower()
    if len(lowered) != 1 or not lowered.isascii():
        # Drop accents (Société -> societe) but keep one character per input character.
        decomposed = unicodedata.normalize("NFKD", ch)
        base = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
        lowered = base[:1] if base else lowered[:1]
    return lowered


_FAST_TABLE = str.maketrans({**_QUOTES, **_DQUOTES, **{ch: " " for ch in _SPACES}})
# For ASCII text one bytes.translate lowercases and folds separators at C speed.
_ASCII_TABLE = bytes(
    ord(" ") if chr(b) in _SPACES else ord("'") if chr(b) == "`" else ord(chr(b).lower())
    for b in range(128)
) + bytes(range(128, 256))


def fold(text: str) -> tuple[str, list[int] | None]:
    """Fold ``text`` for matching; returns (folded, positions) where
    ``positions[i]`` is the index in ``text`` of folded character ``i``, or
    None when every character kept its place (the common, fast case).

    Runs of spaces collapse to one so "Ford  Motor" equals "Ford Motor".
    """
    fast = text if text.isascii() else text.translate(_FAST_TABLE)
    if fast.isascii():
        folded = fast.encode("ascii").translate(_ASCII_TABLE).decode("ascii")
        if "  " not in folded:
            return folded, None
    return _fold_slow(text)


def _fold_slow(text: str) -> tuple[str, list[int]]:
    """Character-by-character folding with a position map, for text with
    accents or repeated white space."""
    out: list[str] = []
    positions: list[int] = []
    previous_space = True
    for index, ch in enumerate(text):
        folded = _fold_char(ch)
        if folded == " ":
            if previous_space:
                continue
            previous_space = True
        else:
            previous_space = False
        out.append(folded)
        positions.append(index)
    if out and out[-1] == " ":
        out.pop()
        positions.pop()
    return "".join(out), positions


def fold_phrase(phrase: str) -> str:
    """Fold a watchlist or alias phrase exactly as item text is folded."""
    return fold(phrase)[0]


_WORD = re.compile(r"[a-z0-9]+")


def title_key(title: str, source: str | None) -> str:
    """A key for "the same headline from the same source" (used for dedupe)."""
    words = _WORD.findall(fold_phrase(title))
    return " ".join(words) + "|" + fold_phrase(source or "")


def words(text: str) -> list[str]:
    """Lower-case alphanumeric words of ``text`` after folding."""
    return _WORD.findall(fold_phrase(text))


def boundary_chars() -> frozenset[str]:
    """Characters beyond ASCII that :func:`fold` turns into ASCII punctuation or
    a space: curly quotes, dashes, unusual spaces. A tokenizer can treat them as
    word breaks and skip folding text that has no other such characters."""
    chars = set(_QUOTES) | set(_DQUOTES) | _SPACES
    chars |= {chr(code) for code in range(128, 0x3001) if chr(code).isspace()}
    return frozenset(char for char in chars if not char.isascii())
