"""The words story grouping compares, as data: stop words and the stemming rule.

Outlets reword the same event ("Ford held talks with Xiaomi" / "Ford, Xiaomi
discussed US EV venture"), so grouping compares bags of content words rather than
strings. Words are folded like the matcher folds them; stop words and attribution
words ("says", "report", "sources") are dropped because every outlet uses them for
every story; and a light suffix stripper maps "talks"/"talked", "reported"/
"reports" to one stem. It is deliberately crude: consistency matters, not
linguistics.

The rule, applied by :mod:`bot.stories.grouping` (compiled, so that it costs
almost nothing per word): a word of at least ``MIN_STEM + 1`` characters that
does not end in a digit or in "ss" loses the first suffix in :data:`SUFFIXES`
that it ends with and that leaves at least ``MIN_STEM`` characters, and takes
that suffix's replacement ("talks" -> "talk"; "licensed", "license",
"licensing" -> "licens"; "batteries" -> "battery"; "dies" -> "die").
"""

from __future__ import annotations

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

# (suffix, replacement), tried in this order; the first that fits is used.
SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ies", "y"),
    ("ing", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
    ("e", ""),
)
MIN_STEM = 3
