"""Text normalisation shared by the matcher, dedupe and search.

Matching must not care about case, curly quotes or hyphen-versus-space, yet an
explanation must point at the original text. :func:`fold` therefore returns the
folded text together with a map from each folded character back to its
position in the original.

Folding runs compiled (:mod:`bot.fold`, one C loop per text) when it was
built, else as its pure-Python twin :mod:`bot.pyfold`, which also holds the
definition; ``FOLD`` says which.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.compiled import load
from bot.pyfold import _DQUOTES, _QUOTES, _SPACES

FOLD: str  # "compiled", or why the pure-Python twin is used
if TYPE_CHECKING:
    from bot.fold import fold as fold  # re-exported
else:
    _folding, FOLD = load("bot.fold", "bot.pyfold")
    fold = _folding.fold


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
