"""The per-hit loop of :meth:`bot.matcher.Matcher.match` in plain Python: the
same rules and results as the compiled :mod:`bot.scan` (see scan.pyx for why
that one is compiled), for an install without a C compiler, and the reference
the compiled one is tested against."""

from __future__ import annotations

from typing import Any

# Endings a phrase may carry and still match: plurals and possessives, in this order.
_SUFFIXES = ("s", "es", "'s", "s'")


def suffix_end(folded: str, end: int) -> int:
    """The end of a hit once a plural or possessive ending is taken, or -1
    if the phrase stops inside a longer word ("ford" in "fordham")."""
    size = len(folded)
    for suffix in _SUFFIXES:
        stop = end + len(suffix)
        if folded.startswith(suffix, end) and not (stop < size and folded[stop].isalnum()):
            return stop
    return -1


def scan(automaton: Any, folded: str) -> dict[int, list[tuple[int, int]]]:
    """Role number -> the (start, end) hits carrying it, in the order the
    automaton reports them. The automaton's values are (length, check start,
    check end, role numbers): a phrase that starts (ends) with a letter or
    digit must not be preceded (followed) by one, except for an ending above."""
    found: dict[int, list[tuple[int, int]]] = {}
    size = len(folded)
    for end_index, (length, check_start, check_end, roles) in automaton.iter(folded):
        start = end_index - length + 1
        if check_start and start > 0 and folded[start - 1].isalnum():
            continue
        end = end_index + 1
        if check_end and end < size and folded[end].isalnum():
            end = suffix_end(folded, end)
            if end < 0:
                continue
        hit = (start, end)
        for role in roles:
            spans = found.get(role)
            if spans is None:
                found[role] = [hit]
            else:
                spans.append(hit)
    return found
