"""Story grouping in pure Python: the algorithm of ``grouping.pyx``, step for step.

Installing policywatch compiles ``grouping.pyx`` when a C++ compiler is there;
when it is not, this module stands in (:mod:`bot.stories` picks one, and
``policywatch --version`` says which). It must give the same assignments item
for item: the same story, links, related stories, reasons and similarities
(``tests/stories/test_agreement.py`` feeds both the same streams). So it is not
a re-design but a transcription, and a few things below look odd for Python
because they copy what the compiled code does:

* Stems get ids in the order they are first seen, and ties are broken by those
  ids (which rare words are looked up) and by slot and first-seen order (which
  stories are candidates, in which order): the ids, the story slots, the
  postings and :meth:`StoryIndex.forget_before`'s renumbering of stems are
  kept exactly as the compiled index keeps them.
* Sums of word weights are taken in the same order (a story's words in the
  order it got them), so that scores agree to the last bit and no threshold
  comparison can come out differently.
* Words are cut at the same length (``WORD_BYTES`` bytes of UTF-8).

One difference is left on purpose: the compiled index knows a word by a
seeded 64-bit hash and its length, this one by the word itself. Two words
that share both (among 200,000 words, odds of about one in 10^9: see
``_BytesTable`` in grouping.pyx) would count as one word there, two here.

What the method is and why is in the module docstring of ``grouping.pyx``; the
rules, thresholds and weights both follow are in :mod:`bot.stories.rules`.
It costs about 50-100 µs per item where the compiled version costs 4-7 µs
(``python -m benchmarks.stories``, and again with ``POLICYWATCH_PURE_PYTHON=1``):
that is why the compiled one exists, and it is still less than storing an item.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right, insort_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import chain
from operator import itemgetter

from bot.models import EventGuess, Item
from bot.stories import tokens
from bot.stories.events import EVENT_TYPES, IDENTITY_MARK
from bot.stories.rules import (
    ANSWER_DAYS,
    ANSWERS,
    BOUNDARY_LIMIT,
    BUSY_HOURS,
    BUSY_OTHER_TEXT,
    BUSY_STORIES,
    CAN_ANSWER,
    CLAIM_ANSWER,
    CLAIM_BONUS,
    COMPACT_RATIO,
    COMPACT_STEMS,
    COMPANY_WEIGHT,
    CONCEPT_CAP,
    CONCEPT_MARK,
    DEAL_REPORT,
    DISJOINT_COMPANY_PENALTY,
    IDENTITY_FAMILY,
    INVERSE_ROOT,
    JOIN,
    LINK,
    LINK_CANDIDATES,
    LINK_SCAN,
    LINK_TIE_MARGIN,
    MAX_CANDIDATES,
    MAX_POSTING,
    MIN_ANSWER_COMPANY_OVERLAP,
    MIN_JOIN_TEXT,
    MIN_SHARED,
    NEUTRAL_CROSS_TEXT,
    NEVER,
    OTHER,
    PARTYLESS_LINK_THRESHOLD,
    QUIET_JOIN_TEXT,
    QUIET_TOPIC_TOTAL,
    REACTION_THRESHOLD,
    RECENCY_WEIGHT,
    RETRIEVAL_TOKENS,
    SEED_ITEMS,
    SPEAKER_FAMILY,
    SPEAKER_STEM,
    STANCE,
    STATEMENT_ACT,
    STATEMENT_DAYS,
    STATEMENT_THRESHOLD,
    TEXT_CAP,
    TOPIC_CAP,
    TOPIC_TOTAL,
    TYPE_CODE,
    WATCHLIST_WEIGHT,
    WORD_BYTES,
    WORD_CACHE_LIMIT,
)
from bot.text import boundary_chars, fold
from bot.watchlists import MAX_CONTRASTS

__all__ = ["Assignment", "StoryIndex", "StoryRef"]

# Kinds of stem: how much one may weigh (see rules.TOPIC_CAP, CONCEPT_CAP; a
# speaker weighs nothing, see rules.SPEAKER_FAMILY).
SPECIFIC, TOPIC, CONCEPT, SPEAKER = 0, 1, 2, 3

_MICROSECOND = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BUSY_US = BUSY_HOURS * 3600 * 1_000_000
_STATEMENT_US = STATEMENT_DAYS * 86400 * 1_000_000

# Word breaks: ASCII characters other than letters and digits, and the
# characters beyond ASCII that fold turns into punctuation or space (below
# BOUNDARY_LIMIT, as the compiled table). Inside a word only ASCII is lowered:
# anything else left there was folded already.
_BOUNDARIES = {ord(c): " " for c in boundary_chars() if ord(c) < BOUNDARY_LIMIT}
_WORD_TABLE: dict[int, str] = {
    code: chr(code).lower() if chr(code).isalnum() else " " for code in range(128)
}
_WORD_TABLE.update(_BOUNDARIES)
_ASCII_WORD = re.compile(r"[a-z0-9]+")
# More characters than this may exceed WORD_BYTES bytes (four bytes at most each).
_SAFE_CHARS = WORD_BYTES // 4


def _micros(moment: datetime) -> int:
    """Microseconds since the epoch (UTC datetimes exactly, others as the
    compiled version converts them)."""
    if moment.tzinfo is UTC:
        return (moment - _EPOCH) // _MICROSECOND
    return round(moment.timestamp() * 1_000_000)


def _span(delta: timedelta) -> int:
    return delta // _MICROSECOND


def _jaccard(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Jaccard similarity of two id tuples (each without repeats)."""
    if not a or not b:
        return 0.0
    shared = len(set(a).intersection(b))
    if shared == 0:
        return 0.0
    return shared / (len(a) + len(b) - shared)


def _cut(word: str) -> str:
    """The part of a word that counts: whole characters while fewer than
    WORD_BYTES bytes of UTF-8 are taken (ASCII: exactly WORD_BYTES)."""
    if word.isascii():
        return word[:WORD_BYTES]
    length = 0
    for end, char in enumerate(word):
        if length >= WORD_BYTES:
            return word[:end]
        length += len(char.encode())
    return word


def _stem(word: str) -> str:
    """The stem of a folded word: the rule of :mod:`bot.stories.tokens`."""
    chars = len(word)
    if chars < tokens.MIN_STEM + 1 or "0" <= word[-1] <= "9" or word.endswith("ss"):
        return word
    for suffix, replacement in tokens.SUFFIXES:
        if word.endswith(suffix) and chars - len(suffix) >= tokens.MIN_STEM:
            return word[: chars - len(suffix)] + replacement
    return word


def _topic_stems(words: Iterable[str]) -> frozenset[str]:
    """Stems of topic words, each cut at WORD_BYTES bytes as the compiled
    version cuts them (a cut inside a character can match no stem: left out)."""
    out = set()
    for word in words:
        try:
            raw = word.encode()[:WORD_BYTES].decode()
        except UnicodeDecodeError:
            continue
        out.add(_stem(raw))
    return frozenset(out)


# The contrast families of document numbers and of speakers (rules).
_IDENTITY_BIT = 1 << (IDENTITY_FAMILY - 1)
_SPEAKER_BIT = 1 << (SPEAKER_FAMILY - 1)


def _contrast_bits(contrasts: Iterable[Iterable[str]]) -> dict[str, int]:
    """Concept id -> the bit of its contrast family (``lexicon.yaml``
    ``contrasts``: at most MAX_CONTRASTS families)."""
    bits: dict[str, int] = {}
    for number, family in enumerate(contrasts):
        if number >= MAX_CONTRASTS:
            raise ValueError(f"at most {MAX_CONTRASTS} contrast families")
        for concept in family:
            bits[concept] = 1 << number
    return bits


def _words(text: str) -> list[str]:
    """The words of ``text``, folded as the matcher folds and cut to length."""
    if text.isascii():
        found = _ASCII_WORD.findall(text.lower())
    else:
        if not text.translate(_BOUNDARIES).isascii():
            text = fold(text)[0]
        found = [word for word in text.translate(_WORD_TABLE).split(" ") if word]
    return [_cut(word) if len(word) > _SAFE_CHARS else word for word in found]


def _dominant_type(story: StoryRef) -> int:
    """The most frequent specific type; ``other`` only when nothing else is known."""
    best = story._type_code
    counts = story._type_counts
    best_count = counts[best] if best != OTHER else 0
    for code in story._type_order:
        if code != OTHER and counts[code] > best_count:
            best = code
            best_count = counts[code]
    return best


# ---------------------------------------------------------------- records


class StoryRef:
    """What the index remembers about one story (items keep joining it)."""

    __slots__ = (
        "_answers",
        "_company_ids",
        "_first_seen",
        "_first_us",
        "_headline",
        "_item_ids",
        "_label_names",
        "_last_seen",
        "_last_us",
        "_slot",
        "_sources",
        "_story_id",
        "_tokens",
        "_type_code",
        "_type_counts",
        "_type_order",
        "_watchlist_ids",
    )

    def __init__(
        self, story_id: str, headline: str, label_names: list[str], type_code: int, moment_us: int
    ) -> None:
        self._story_id = story_id
        self._headline = headline
        self._label_names = label_names
        self._type_code = type_code
        self._first_us = self._last_us = moment_us
        self._first_seen: datetime
        self._last_seen: datetime
        self._answers: str | None = None
        self._slot = 0
        self._item_ids: list[str] = []
        self._sources: list[str] = []
        self._tokens: list[int] = []  # stem ids of its first items' words
        self._company_ids: tuple[int, ...] = ()  # sorted label ids
        self._watchlist_ids: tuple[int, ...] = ()
        self._type_counts = [0] * len(EVENT_TYPES)
        self._type_order: list[int] = []  # types in the order first seen

    @property
    def story_id(self) -> str:
        return self._story_id

    @property
    def headline(self) -> str:
        return self._headline

    @property
    def first_seen(self) -> datetime:
        return self._first_seen

    @property
    def last_seen(self) -> datetime:
        return self._last_seen

    @property
    def answers(self) -> str | None:
        return self._answers

    @property
    def item_ids(self) -> list[str]:
        return list(self._item_ids)

    @property
    def sources(self) -> list[str]:
        return list(self._sources)

    @property
    def event_type(self) -> str:
        return EVENT_TYPES[self._type_code]

    @property
    def companies(self) -> frozenset[str]:
        return frozenset([self._label_names[k] for k in self._company_ids])

    @property
    def watchlists(self) -> frozenset[str]:
        return frozenset([self._label_names[k] for k in self._watchlist_ids])

    def __repr__(self) -> str:
        return f"StoryRef({self._story_id!r}, {self._headline[:40]!r}, {self.event_type})"


JOINED, STARTED, ANSWERING = 0, 1, 2


class Assignment:
    """Where an item went and why (the reason is worded only when read)."""

    __slots__ = (
        "_also_related",
        "_answers",
        "_event_type",
        "_follows",
        "_kind",
        "_other_headline",
        "_other_id",
        "_similarity",
        "_story_id",
    )

    def __init__(
        self,
        kind: int,
        story: StoryRef,
        answers: str | None,
        related: Iterable[str],
        similarity: float,
        other: StoryRef | None = None,
    ) -> None:
        self._kind = kind
        self._story_id = story._story_id
        self._answers = answers
        self._also_related = tuple(related)
        self._similarity = similarity
        self._other_id = other._story_id if other is not None else ""
        self._other_headline = other._headline if other is not None else ""
        self._event_type = ""
        self._follows = False

    @property
    def story_id(self) -> str:
        return self._story_id

    @property
    def is_new_story(self) -> bool:
        return self._kind != JOINED

    @property
    def answers(self) -> str | None:
        return self._answers

    @property
    def also_related(self) -> tuple[str, ...]:
        return self._also_related

    @property
    def similarity(self) -> float:
        return self._similarity

    @property
    def reason(self) -> str:
        if self._kind == JOINED:
            text = (
                f"joined {self._other_id} ({self._other_headline[:60]!r}), "
                f"similarity {self._similarity:.2f}"
            )
            if self._answers is not None:
                text += f"; the story answers {self._answers}"
            return text
        if self._kind == ANSWERING:
            verb = "following up" if self._follows else "answering"
            return (
                f"new {self._event_type} story {verb} {self._other_id} "
                f"({self._other_headline[:60]!r}), similarity {self._similarity:.2f}"
            )
        return "new story: no recent story similar enough"

    def __repr__(self) -> str:
        return f"Assignment({self._story_id!r}, new={self.is_new_story}, answers={self._answers!r})"


# ---------------------------------------------------------------- the index


class StoryIndex:
    """Recent stories in memory; see ``grouping.pyx`` for the method."""

    def __init__(
        self,
        *,
        window: timedelta = timedelta(days=4),
        new_id: Callable[[], str] | None = None,
        answer_window: timedelta = timedelta(days=ANSWER_DAYS),
        topic_words: Iterable[str] = tokens.TOPIC_WORDS,
        contrasts: Iterable[Iterable[str]] = (),
    ) -> None:
        self._window = window
        self._answer_window = max(answer_window, window)
        self._window_us = _span(self._window)
        self._answer_window_us = _span(self._answer_window)
        self._new_id = new_id
        self._last_number = 0
        self._by_id: dict[str, StoryRef] = {}
        self._slots: list[StoryRef | None] = []  # postings hold slots
        self._free_slots: list[int] = []
        self._starts: list[int] = []  # first moments of the stories, sorted
        # Per stem id (0: stop words): the stem, how many live stories hold
        # it, whether more than MAX_POSTING did (then its stories are not
        # listed), its kind, and the slots holding it, oldest first.
        self._stems: list[str] = [""]
        self._stem_ids: dict[str, int] = {}
        self._held: list[int] = [0]
        self._common: list[bool] = [False]
        self._kind: list[int] = [SPECIFIC]
        self._family: list[int] = [0]  # a concept's contrast family (its bit), or 0
        self._listed: list[list[int]] = [[]]
        self._word_stems: dict[str, int] = {}  # folded word -> stem id (a cache)
        self._label_ids: dict[str, int] = {}  # company or watchlist id -> label id
        self._label_names: list[str] = []
        self._label_entities: list[tuple[int, ...]] = []  # label id -> stems of its name
        self._concept_ids: dict[str, int] = {}
        self._topic_stems = _topic_stems(topic_words)
        self._contrast_bits = _contrast_bits(contrasts)
        # The current item (assign is not re-entered).
        self._tokens: list[int] = []  # unique stem ids, in order
        self._marked: set[int] = set()  # the same ids, to look up
        self._entity_tokens: set[int] = set()
        self._company_ids: tuple[int, ...] = ()
        self._watchlist_ids: tuple[int, ...] = ()
        self._contrast_mask = 0  # the contrast families of the item's concepts
        self._type_code = OTHER
        self._moment = 0
        self._strict = False  # a busy stretch (see assign)
        self._text = 0.0  # the text term of the last _score
        self._specific = False  # whether it shared a word or concept beyond topic words

    @property
    def window(self) -> timedelta:
        return self._window

    @property
    def answer_window(self) -> timedelta:
        return self._answer_window

    # ------------------------------------------------------------ queries

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, story_id: str) -> StoryRef | None:
        return self._by_id.get(story_id)

    def stories(self) -> list[StoryRef]:
        return list(self._by_id.values())

    def stems(self, text: str) -> list[str]:
        """The stems grouping takes from ``text``, in order, stop words left out."""
        ids: list[int] = []
        self._append_tokens(text, ids, None)
        return [self._stems[k] for k in ids]

    # ------------------------------------------------------------ updates

    def assign(
        self,
        item: Item,
        companies: Sequence[str],
        watchlists: Sequence[str],
        event: EventGuess,
        *,
        seen_at: datetime | None = None,
        concepts: Iterable[str] = (),
    ) -> Assignment:
        """Put ``item`` into the best recent story or a new one, and link
        answers and follow-ups (``concepts``: ``MatchResult.concepts``)."""
        moment = self._features(item, companies, watchlists, event.event_type, seen_at, concepts)
        now = self._moment
        type_code = self._type_code
        company_ids = self._company_ids
        window_us = float(self._window_us)
        joinable: list[tuple[float, int]] = []
        answerable: list[tuple[float, int]] = []
        candidates = self._candidates()
        strict = self._strict = self._busy(candidates)
        if not strict and company_ids and not CAN_ANSWER[type_code]:
            self._retelling_candidates(candidates)  # (answering kinds have theirs)
        min_text = QUIET_JOIN_TEXT
        if strict:
            min_text = BUSY_OTHER_TEXT if type_code == OTHER else MIN_JOIN_TEXT
        join_row = JOIN[type_code]
        for slot in candidates:
            story = self._story(slot)
            # Cheap eligibility checks first, as in the compiled version.
            threshold = NEVER
            reaction = False
            if abs(now - story._first_us) <= self._window_us:
                threshold = join_row[story._type_code]
                if strict and (type_code != story._type_code or company_ids != story._company_ids):
                    threshold = NEVER  # a busy stretch: one type, one set of companies
                elif self._contrast_mask:
                    contrast = self._contrasts(story)
                    if contrast:
                        threshold = NEVER  # another act of the same kind (Section 232, not 301)
                        # Another speaker on the same matter: a reaction to it.
                        reaction = bool(contrast & _SPEAKER_BIT) and story._first_us < now
            if reaction:
                score = self._score(story)
                if self._text >= self._join_text(story, min_text) and score >= REACTION_THRESHOLD:
                    answerable.append((score, slot))
                continue
            link = self._link_threshold(story)
            if threshold == NEVER and link == NEVER:
                continue
            score = self._score(story)
            if threshold != NEVER and self._text >= self._join_text(story, min_text):
                recent = 1.0 - float(abs(now - story._last_us)) / window_us
                if score + RECENCY_WEIGHT * max(0.0, recent) >= threshold:
                    joinable.append((score, slot))
                    continue
            if link != NEVER:
                score = self._answer_score(story, score)
                if score >= link:
                    answerable.append((score, slot))
        # Stable: equal scores keep candidate order.
        joinable.sort(key=itemgetter(0), reverse=True)
        answerable.sort(key=itemgetter(0), reverse=True)
        self._earliest_first(answerable)
        if joinable:
            return self._join(item, moment, joinable, answerable)
        return self._start(item, moment, answerable)

    def add_existing(
        self,
        story_id: str,
        item: Item,
        companies: Sequence[str],
        watchlists: Sequence[str],
        event_type: str,
        seen_at: datetime | None = None,
        *,
        answers: str | None = None,
        concepts: Iterable[str] = (),
    ) -> None:
        """Replay a stored assignment (at startup), in publication order."""
        moment = self._features(item, companies, watchlists, event_type, seen_at, concepts)
        story = self._by_id.get(story_id)
        if story is None:
            story = self._create(story_id, item, moment)
        else:
            self._add(story, item, moment)
        if answers is not None and story._answers is None:
            story._answers = answers

    def forget_before(self, moment: datetime) -> int:
        """Drop stories not updated since ``moment``; returns how many were dropped."""
        cutoff = _micros(moment)
        stale = [s for s in self._by_id.values() if s._last_us < cutoff]
        del self._starts[: bisect_left(self._starts, cutoff)]
        held, common, listed = self._held, self._common, self._listed
        for story in stale:
            del self._by_id[story._story_id]
            for token in story._tokens:
                held[token] -= 1
                if not common[token]:
                    listed[token].remove(story._slot)
                elif held[token] == 0:
                    common[token] = False  # listing the stories is exact again
            self._slots[story._slot] = None
            self._free_slots.append(story._slot)
            story._tokens = []
        if len(self._stems) > COMPACT_STEMS and len(self._stems) > COMPACT_RATIO * sum(
            1 for count in held if count
        ):
            self._compact_stems()
        return len(stale)

    # ------------------------------------------------------------ features

    def _features(
        self,
        item: Item,
        companies: Sequence[str],
        watchlists: Sequence[str],
        event_type: str,
        seen_at: datetime | None,
        concepts: Iterable[str],
    ) -> datetime:
        """Set the current item's features; returns its moment as a datetime."""
        moment = item.published
        if moment is None:
            moment = seen_at if seen_at is not None else datetime.now(UTC)
        self._moment = _micros(moment)
        if seen_at is not None and moment is not seen_at:
            seen_us = _micros(seen_at)
            if seen_us < self._moment:
                moment, self._moment = seen_at, seen_us
        self._type_code = TYPE_CODE.get(event_type, OTHER)
        marked: set[int] = set()
        found: list[int] = []
        self._marked, self._tokens = marked, found
        self._append_tokens(item.title, found, marked)
        if item.summary:
            self._append_tokens(item.summary, found, marked)
        mask = 0
        for concept in concepts:
            concept_id = self._concept_id(concept)
            if concept_id not in marked:
                marked.add(concept_id)
                found.append(concept_id)
                mask |= self._family[concept_id]
        self._contrast_mask = mask
        self._company_ids = self._label_list(companies)
        self._watchlist_ids = self._label_list(watchlists)
        self._entity_tokens = {
            t for label in self._company_ids for t in self._label_entities[label]
        }
        return moment

    def _append_tokens(self, text: str, out: list[int], once: set[int] | None) -> None:
        """Append the stem ids of ``text``'s content words; with ``once``, only
        ids not in it yet (and add them)."""
        cache = self._word_stems
        for word in _words(text):
            stem_id = cache.get(word)
            if stem_id is None:
                stem_id = self._learn(word)
            if stem_id == 0:
                continue
            if once is not None:
                if stem_id in once:
                    continue
                once.add(stem_id)
            out.append(stem_id)

    def _learn(self, word: str) -> int:
        """Stem a word seen for the first time and remember it (0: a stop word)."""
        stem_id = 0 if word in tokens.STOP_WORDS else self._stem_id(_stem(word))
        if len(self._word_stems) >= WORD_CACHE_LIMIT:
            self._word_stems.clear()
        self._word_stems[word] = stem_id
        return stem_id

    def _concept_id(self, concept: str) -> int:
        """The stem id standing for a lexicon concept ("~tariff")."""
        found = self._concept_ids.get(concept)
        if found is None:
            found = self._concept_ids[concept] = self._stem_id(CONCEPT_MARK + concept)
        return found

    def _stem_id(self, stem: str) -> int:
        """The id of a stem, given one if it is new."""
        stem_id = self._stem_ids.get(stem)
        if stem_id is None:
            stem_id = self._stem_ids[stem] = len(self._stems)
            self._stems.append(stem)
            self._held.append(0)
            self._common.append(False)
            kind = self._stem_kind(stem)
            self._kind.append(kind)
            family = _SPEAKER_BIT if kind == SPEAKER else 0
            if kind == CONCEPT:
                concept = stem[len(CONCEPT_MARK) :]
                family = (
                    _IDENTITY_BIT
                    if concept.startswith(IDENTITY_MARK)
                    else self._contrast_bits.get(concept, 0)
                )
            self._family.append(family)
            self._listed.append([])
        return stem_id

    def _stem_kind(self, stem: str) -> int:
        """A speaker, a concept, a topic word or a specific word (see the weights)."""
        if stem.startswith(SPEAKER_STEM):
            return SPEAKER
        if stem.startswith(CONCEPT_MARK):
            return CONCEPT
        if stem in self._topic_stems:
            return TOPIC
        return SPECIFIC

    def _label_list(self, labels: Iterable[str]) -> tuple[int, ...]:
        """Sorted ids of company or watchlist names; a new name is given an id
        and the stems of its words."""
        out = set()
        for label in labels:
            label_id = self._label_ids.get(label)
            if label_id is None:
                label_id = self._label_ids[label] = len(self._label_names)
                self._label_names.append(label)
                self._label_entities.append(())
                self._entities_of_label(label_id)
            out.add(label_id)
        return tuple(sorted(out))

    def _entities_of_label(self, label_id: int) -> None:
        """Stems of a company id's words ("general-motors": general, motor): the
        company term already counts them, so the text term should not."""
        found: list[int] = []
        self._append_tokens(self._label_names[label_id].replace("-", " "), found, None)
        self._label_entities[label_id] = tuple(found)

    # ------------------------------------------------------------ matching

    def _candidates(self) -> list[int]:
        """Slots of the live stories sharing the most of the item's rarest
        tokens, then, for an item that can answer, recent stories about its
        companies."""
        out = self._word_candidates()
        if CAN_ANSWER[self._type_code] and self._company_ids:
            self._party_candidates(out)
        return out

    def _party_candidates(self, out: list[int]) -> None:
        """Append up to LINK_CANDIDATES of the newest stories (of the last
        LINK_SCAN, in creation order) that started before the item, are still
        within the answer window and share one of its companies."""
        horizon = self._moment - self._answer_window_us
        mine = set(self._company_ids)
        added = scanned = 0
        for story in reversed(self._by_id.values()):
            if scanned == LINK_SCAN or added == LINK_CANDIDATES:
                break
            scanned += 1
            if story._last_us < horizon or story._first_us >= self._moment:
                continue
            if mine.isdisjoint(story._company_ids) or story._slot in out:
                continue
            out.append(story._slot)
            added += 1

    def _retelling_candidates(self, out: list[int]) -> None:
        """Append up to LINK_CANDIDATES of the stories begun in the BUSY_HOURS
        before the item (newest first, in creation order) of its type and
        with exactly its companies: on a quiet stretch, the same event told
        again in whatever words (:meth:`_retelling`)."""
        since = self._moment - _BUSY_US
        added = 0
        for story in reversed(self._by_id.values()):
            if added == LINK_CANDIDATES or story._first_us < since:
                break
            if (
                story._first_us <= self._moment
                and story._type_code == self._type_code
                and story._company_ids == self._company_ids
                and story._slot not in out
            ):
                out.append(story._slot)
                added += 1

    def _word_candidates(self) -> list[int]:
        """Slots of the live stories sharing the most of the item's rarest tokens."""
        held, common, kind = self._held, self._common, self._kind
        found = [
            (held[token], token)
            for token in self._tokens
            if 0 < held[token] <= MAX_POSTING and not common[token] and kind[token] != SPEAKER
        ]
        if len(found) < MIN_SHARED:
            return []
        # Fewest stories first, then the older stem: a total order.
        found.sort()
        # slot -> shared tokens, in first-seen order (a Counter keeps it)
        listed = self._listed
        counts = Counter(
            chain.from_iterable(listed[token] for _, token in found[:RETRIEVAL_TOKENS])
        )
        # The MAX_CANDIDATES stories sharing the most, ties in first-seen order
        # (a reversed sort keeps equal keys in their order).
        ranked = sorted(
            [slot for slot, shared in counts.items() if shared >= MIN_SHARED],
            key=counts.__getitem__,
            reverse=True,
        )
        horizon = self._moment - self._answer_window_us
        out = []
        for slot in ranked[:MAX_CANDIDATES]:
            if self._story(slot)._last_us >= horizon:
                out.append(slot)
        return out

    def _score(self, story: StoryRef) -> float:
        """Shared rare words plus entity agreement (see grouping.pyx)."""
        size = min(float(len(self._tokens)), float(len(story._tokens)), TEXT_CAP)
        if size < 1:
            size = 1.0
        weight = topic = 0.0
        marked, entities, held, kind = self._marked, self._entity_tokens, self._held, self._kind
        for token in story._tokens:
            if token in marked and token not in entities:
                count = held[token]
                each = INVERSE_ROOT[count if count < MAX_POSTING else MAX_POSTING]
                token_kind = kind[token]
                if token_kind == SPECIFIC:
                    weight += each
                elif token_kind == CONCEPT:
                    weight += min(each, CONCEPT_CAP)
                elif token_kind == TOPIC:
                    topic += min(each, TOPIC_CAP)
                if weight >= size:  # the text term is capped at 1: no need to read on
                    break
        total = TOPIC_TOTAL if self._strict else QUIET_TOPIC_TOTAL
        score = min(1.0, (weight + min(topic, total)) / size)
        self._text = score
        self._specific = weight > 0
        if self._company_ids and story._company_ids:
            overlap = _jaccard(self._company_ids, story._company_ids)
            score += COMPANY_WEIGHT * overlap if overlap else -DISJOINT_COMPANY_PENALTY
        if self._watchlist_ids and story._watchlist_ids:
            score += WATCHLIST_WEIGHT * _jaccard(self._watchlist_ids, story._watchlist_ids)
        return score

    def _retelling(self, story: StoryRef) -> bool:
        """Whether the story is a retelling of the item's event (see
        grouping.pyx): on a quiet stretch, one report begun in the BUSY_HOURS
        before the item with exactly its (non-empty) companies, sharing a
        word or concept beyond topic words (:meth:`_score` was called)."""
        return (
            not self._strict
            and self._specific
            and len(story._item_ids) == 1
            and bool(self._company_ids)
            and self._company_ids == story._company_ids
            and self._moment - _BUSY_US <= story._first_us
        )

    def _join_text(self, story: StoryRef, same_type: float) -> float:
        """The text term this item needs to join ``story``: ``same_type`` for
        a story of its own type, nothing for a retelling (:meth:`_retelling`);
        across two neutral types (no claim/answer kind) on a quiet stretch
        with the same companies NEUTRAL_CROSS_TEXT; else MIN_JOIN_TEXT."""
        if self._type_code == story._type_code:
            return 0.0 if self._retelling(story) else same_type
        if (
            not self._strict
            and not STANCE[self._type_code]
            and not STANCE[story._type_code]
            and self._company_ids == story._company_ids
        ):
            return NEUTRAL_CROSS_TEXT
        return MIN_JOIN_TEXT

    def _contrasts(self, story: StoryRef) -> int:
        """The contrast families (bits) in which the story names a member the
        item does not and the item one the story does not (see grouping.pyx)."""
        family, marked = self._family, self._marked
        story_extra = 0
        for token in story._tokens:
            if family[token] and token not in marked:
                story_extra |= family[token]
        if not story_extra:
            return 0
        item_extra = 0
        for token in self._tokens:
            bit = family[token]
            if bit & story_extra and token not in story._tokens:
                item_extra |= bit
        return item_extra & story_extra

    def _busy(self, candidates: list[int]) -> bool:
        """Whether at least BUSY_STORIES stories started in the BUSY_HOURS
        before the current item, not counting the candidates that look like
        pieces of its own event (same type, same non-empty company set)."""
        starts, moment = self._starts, self._moment
        since = moment - _BUSY_US
        count = bisect_right(starts, moment) - bisect_left(starts, since)
        if not self._company_ids or count < BUSY_STORIES:
            return count >= BUSY_STORIES
        for slot in candidates:
            story = self._story(slot)
            if (
                since <= story._first_us <= moment
                and story._type_code == self._type_code
                and story._company_ids == self._company_ids
                # (as the compiled count, which is unsigned): a story's first
                # moment moves earlier than its counted start when an earlier
                # item joins it
                and count > 0
            ):
                count -= 1
        return count >= BUSY_STORIES

    def _earliest_first(self, answerable: list[tuple[float, int]]) -> None:
        """Move the earliest-started story scoring within LINK_TIE_MARGIN of
        the best (the first entry) to the front."""
        if len(answerable) < 2:
            return
        best = answerable[0][0]
        chosen = 0
        first = self._story(answerable[0][1])._first_us
        for k in range(1, len(answerable)):
            if answerable[k][0] < best - LINK_TIE_MARGIN:
                break
            story = self._story(answerable[k][1])
            if story._first_us < first:
                chosen, first = k, story._first_us
        answerable.insert(0, answerable.pop(chosen))

    def _link_threshold(self, story: StoryRef) -> float:
        """The score this item needs to link its story to ``story``, or NEVER:
        the story started earlier and is about the same parties (half the
        companies in common when both name any, or, for a denial or
        confirmation answering a claim, its companies all among the claim's;
        a story naming none, such as an act, at PARTYLESS_LINK_THRESHOLD; for
        an item naming none, a shared watchlist when both have one, and a
        statement on a recent act at STATEMENT_THRESHOLD; else the score
        decides)."""
        if story._first_us >= self._moment:
            return NEVER
        type_code = self._type_code
        link = LINK[type_code][story._type_code]
        if self._company_ids and not story._company_ids:
            # A reaction to an act that names no party (rules.PARTYLESS_LINK_THRESHOLD).
            return NEVER if link == NEVER else max(link, PARTYLESS_LINK_THRESHOLD)
        if self._company_ids:
            overlap = _jaccard(self._company_ids, story._company_ids)
            if overlap < MIN_ANSWER_COMPANY_OVERLAP and not (
                CLAIM_ANSWER[type_code]
                and ANSWERS[type_code][story._type_code]
                and set(self._company_ids).issubset(story._company_ids)
            ):
                return NEVER
            return link
        if (
            self._watchlist_ids
            and story._watchlist_ids
            and _jaccard(self._watchlist_ids, story._watchlist_ids) == 0
        ):
            return NEVER  # an item with no parties at all is left to its words
        if (
            type_code == OTHER
            and STATEMENT_ACT[story._type_code]
            and self._moment - story._first_us <= _STATEMENT_US
        ):
            return STATEMENT_THRESHOLD  # a statement on a recent act (rules.STATEMENT_DAYS)
        return link

    def _answer_score(self, story: StoryRef, score: float) -> float:
        """The fit of an eligible claim: recent claims and, for denials and
        confirmations, reports of talks are preferred."""
        age = float(self._moment - story._last_us) / float(self._answer_window_us)
        score += RECENCY_WEIGHT * max(0.0, 1.0 - age)
        if story._type_code == DEAL_REPORT and CLAIM_ANSWER[self._type_code]:
            score += CLAIM_BONUS
        return score

    # ------------------------------------------------------------ outcomes

    def _join(
        self,
        item: Item,
        moment: datetime,
        joinable: list[tuple[float, int]],
        answerable: list[tuple[float, int]],
    ) -> Assignment:
        """Add the item to the best-scoring story; the runners-up are reported."""
        story = self._story(joinable[0][1])
        self._add(story, item, moment)
        claims = [self._story(slot) for _, slot in answerable]
        if story._answers is None:
            # The whole story must be about the claim's parties and later than it.
            for claim in claims:
                if claim._first_us < story._first_us and (
                    not story._company_ids
                    or _jaccard(story._company_ids, claim._company_ids)
                    >= MIN_ANSWER_COMPANY_OVERLAP
                ):
                    story._answers = claim._story_id
                    break
        related = [self._story(slot)._story_id for _, slot in joinable[1:]]
        for claim in claims:
            if claim._story_id != story._answers:
                related.append(claim._story_id)
        return Assignment(JOINED, story, story._answers, related, joinable[0][0], story)

    def _start(
        self, item: Item, moment: datetime, answerable: list[tuple[float, int]]
    ) -> Assignment:
        """Open a new story, linked to the claim it answers if there is one."""
        story = self._create(self._next_id(), item, moment)
        if not answerable:
            return Assignment(STARTED, story, None, (), 0.0)
        claim = self._story(answerable[0][1])
        story._answers = claim._story_id
        related = [self._story(slot)._story_id for _, slot in answerable[1:]]
        result = Assignment(ANSWERING, story, claim._story_id, related, answerable[0][0], claim)
        result._event_type = EVENT_TYPES[self._type_code]
        result._follows = not ANSWERS[self._type_code][claim._type_code]
        return result

    def _story(self, slot: int) -> StoryRef:
        """The live story in ``slot`` (postings and candidates name only live ones)."""
        story = self._slots[slot]
        assert story is not None
        return story

    def _next_id(self) -> str:
        if self._new_id is not None:
            return self._new_id()
        self._last_number += 1
        return f"s{self._last_number}"

    def _create(self, story_id: str, item: Item, moment: datetime) -> StoryRef:
        story = StoryRef(story_id, item.title, self._label_names, self._type_code, self._moment)
        story._first_seen = story._last_seen = moment
        if self._free_slots:
            story._slot = self._free_slots.pop()
            self._slots[story._slot] = story
        else:
            story._slot = len(self._slots)
            self._slots.append(story)
        self._by_id[story_id] = story
        insort_right(self._starts, story._first_us)
        self._add(story, item, moment)
        return story

    def _add(self, story: StoryRef, item: Item, moment: datetime) -> None:
        story._item_ids.append(item.id)
        source = item.source
        if source and source not in story._sources:
            story._sources.append(source)
        if self._company_ids:
            story._company_ids = tuple(sorted(set(story._company_ids).union(self._company_ids)))
        if self._watchlist_ids:
            story._watchlist_ids = tuple(
                sorted(set(story._watchlist_ids).union(self._watchlist_ids))
            )
        code = self._type_code
        if story._type_counts[code] == 0:
            story._type_order.append(code)
        story._type_counts[code] += 1
        if code != story._type_code:
            story._type_code = _dominant_type(story)
        if self._moment < story._first_us:
            story._first_us, story._first_seen = self._moment, moment
        if self._moment > story._last_us:
            story._last_us, story._last_seen = self._moment, moment
        if len(story._item_ids) <= SEED_ITEMS:
            self._post(story)

    def _post(self, story: StoryRef) -> None:
        """Add the item's tokens to the story's words and post the story under
        the ones it did not have yet."""
        have = set(story._tokens)
        held, common, listed = self._held, self._common, self._listed
        for token in self._tokens:
            if token in have:
                continue
            story._tokens.append(token)
            held[token] += 1
            if common[token]:
                continue
            if held[token] > MAX_POSTING:  # never looked up any more: stop listing
                common[token] = True
                listed[token] = []
            else:
                listed[token].append(story._slot)

    # ------------------------------------------------------------ memory

    def _compact_stems(self) -> None:
        """Renumber the stems still held by live stories and forget the rest,
        so a long-running index does not keep every word it ever saw."""
        new_id = [0] * len(self._stems)
        stems, held, common, kind, family = [""], [0], [False], [SPECIFIC], [0]
        listed: list[list[int]] = [[]]
        for old in range(1, len(self._stems)):
            if self._held[old]:
                new_id[old] = len(stems)
                stems.append(self._stems[old])
                held.append(self._held[old])
                common.append(self._common[old])
                kind.append(self._kind[old])
                family.append(self._family[old])
                listed.append(self._listed[old])
        for story in self._by_id.values():
            story._tokens = [new_id[token] for token in story._tokens]
        self._stems, self._held, self._common, self._kind = stems, held, common, kind
        self._family = family
        self._listed = listed
        self._stem_ids = {stem: k for k, stem in enumerate(stems) if k}
        # The last item's tokens name old ids: start afresh.
        self._tokens, self._marked = [], set()
        self._word_stems.clear()
        self._concept_ids.clear()
        for label_id in range(len(self._label_names)):
            self._entities_of_label(label_id)
