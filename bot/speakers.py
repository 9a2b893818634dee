"""Who speaks in a title: "Ford says …", "Moolenaar: …", "Treasury tells …".

A reply is not the act it answers. Ford's answer to the China committee's
letter shares the letter's companies, watchlists, type and most of its words,
so story grouping used to file it inside the letter's story, where a reader
never saw it (on the first seven tuning sets, about one wrongly joined item in four
was a party's reaction to another party's act). The speaker tells them apart:
the matcher adds it to an item's concepts as ``by:`` + the lexicon concept
("by:party-ford"), and story grouping treats speakers as a contrast family of
their own that weighs nothing (:mod:`bot.stories.rules`): two different
speakers are two events, and the later one may follow the earlier up.

A title has a speaker when it opens, within ``MAX_SUBJECT`` characters, with a
subject, a speech verb or a colon (the event cue tag ``speech!``), and the
subject's clause names one of the lexicon's ``speakers`` within its first
``MAX_LEADING_WORDS`` + 1 words ("Ranking Member Krishnamoorthi calls …",
"Ford on Xiaomi report: …", "Xiaomi stays quiet as Ford rejects …").
"Toyota said to explore …" quotes someone else: no speaker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from bot.text import fold

__all__ = ["SPEAKER_MARK", "SPEECH_TAG", "Speakers"]

# Concepts naming a speaker start with this ("by:party-ford").
SPEAKER_MARK = "by:"
# The event cue tag whose hits are speech verbs and colons (bot.stories.events).
SPEECH_TAG = "speech!"
# The subject before the speech verb: at most this many characters, and the
# speaker's name after at most this many words of its clause ("Chairman",
# "Ranking Member").
MAX_SUBJECT = 40
MAX_LEADING_WORDS = 2
# Where a subordinate clause starts the subject's own clause.
_CLAUSE = re.compile(r"\b(?:as|after|while|when|because|since|but)\s+")
# "Toyota said to explore …": someone else's words about Toyota.
_QUOTING = re.compile(r"said to\b")
_WORD_START = re.compile(r"\s+(?=\S)")


class Speakers:
    """The speaker phrases of a lexicon, folded, and the rule above."""

    def __init__(self, lexicon: Mapping[str, Sequence[str]], speakers: Iterable[str]) -> None:
        owner: dict[str, str] = {}
        for concept in speakers:
            for phrase in lexicon.get(concept, ()):
                owner.setdefault(fold(phrase)[0], concept)
        self._owner = owner
        # Longest phrase first: at one position the longest name wins
        # ("ford motor" over "ford"), and a name must end at a word's end.
        names = sorted(owner, key=len, reverse=True)
        self._names = (
            re.compile("(?:" + "|".join(map(re.escape, names)) + r")(?!\w)") if names else None
        )

    def __bool__(self) -> bool:
        return self._names is not None

    def of(self, text: str, speech: Sequence[tuple[int, int]], title_end: int) -> str | None:
        """The speaker concept ("by:party-ford") of the title that opens the
        folded ``text``, or None; ``speech`` are the hits of :data:`SPEECH_TAG`."""
        if self._names is None:
            return None
        start = end = -1
        for hit_start, hit_end in speech:
            if hit_start < title_end and (start < 0 or hit_start < start):
                start, end = hit_start, hit_end
        if start < 1:
            return None
        subject = text[:start]
        colon = text[start] == ":"
        if (not colon and not subject[-1].isspace()) or len(subject.rstrip()) > MAX_SUBJECT:
            return None
        if end < title_end and not text[end].isspace():
            return None
        if not colon and _QUOTING.match(text, start):
            return None
        # The subject's own clause ("Xiaomi stays quiet as Ford rejects …":
        # Ford speaks), and in it the first name among its first words ("Ford
        # on Xiaomi report:", "Moolenaar to Greer:": Ford and Moolenaar do).
        subject = _CLAUSE.split(subject.rstrip())[-1]
        positions = [0, *(m.end() for m in _WORD_START.finditer(subject))]
        for position in positions[: MAX_LEADING_WORDS + 1]:
            found = self._names.match(subject, position)
            if found:
                return SPEAKER_MARK + self._owner[found.group()]
        return None
