"""Grouping items into stories and linking answers to the claims they answer.

A *story* is one event told by several outlets. :class:`StoryIndex` keeps the
recent stories in memory (a cache of what the core stores: rebuild it with
:meth:`StoryIndex.add_existing`) and assigns each new item to at most one of
them.

Why it works this way
---------------------
* **Candidates from an inverted index.** Each story is posted under its
  informative tokens (:mod:`bot.stories.tokens`). An item looks up only its
  ``RETRIEVAL_TOKENS`` rarest tokens and scores at most ``MAX_CANDIDATES``
  stories sharing at least ``MIN_SHARED`` of them; tokens held by more than
  ``MAX_POSTING`` live stories ("ford" in a busy week) are not looked up at all.
  Rare words (names, figures) identify an event; common ones only cost time.
* **Score = rare shared words + entities + recency.** Each shared stem weighs
  1/sqrt(live stories holding it); the sum is divided by the smaller bag,
  capped at ``TEXT_CAP`` stems, so a three-word headline can join a long story
  and three shared rare words count as a match. Shared companies and
  watchlists add to it; companies on both sides with none in common subtract.
  Very different wording of the same event still joins because companies,
  watchlists, type and time agree; the same company in a different event
  (Ford's 8-K charges vs Ford–Xiaomi talks) does not, because words and type
  disagree.
* **Event type gates joining.** A claim (``deal_report``), a confirmation, a
  denial, a letter and a hearing are different events even when worded alike,
  so they never share a story: "report, then denial" is two linked stories,
  not one blurred one. Same specific type: ``SAME_TYPE_THRESHOLD``. ``other``
  or two different neutral types (rule and tariff_action, filing and
  financial): ``LOOSE_THRESHOLD``, because typing is noisy and ``other`` is a
  catch-all. One of the claim/answer kinds with a neutral type:
  ``MIXED_THRESHOLD``. A story is joinable for ``window`` after its first item.
* **Answers are links, not merges.** A denial, confirmation, letter or hearing
  looks back ``answer_window`` (longer than the grouping window: letters come
  weeks later) for the claim it answers: an earlier story of a type it can
  answer, about the same parties (half the companies in common, or a shared
  watchlist when the item names no company), scoring at least
  ``ANSWER_THRESHOLD`` with a bonus for recent claims and, for denials and
  confirmations, for reports of talks. The link belongs to the answer story,
  so later items joining it carry the same ``answers``. Every other story the
  item could have joined or answered is reported in ``also_related`` and left
  alone.

The thresholds and weights were chosen on ``benchmarks/data/devset.jsonl``
(``python -m benchmarks.stories``) from a coarse grid, preferring round values
in the middle of a stable region over the single best point.

Times: an item's moment is its ``published`` time, else ``seen_at``, else now;
a publication time later than ``seen_at`` is clamped to ``seen_at``.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.models import Item
from bot.stories.events import EventGuess
from bot.stories.tokens import informative_tokens

# Claim/answer kinds: two different ones never share a story.
_STANCES = frozenset({"deal_report", "deal_confirmed", "denial", "letter", "hearing"})
# Which story types an answering item may answer.
_ANSWERABLE: dict[str, frozenset[str]] = {
    "denial": frozenset({"deal_report", "deal_confirmed", "other"}),
    "deal_confirmed": frozenset({"deal_report", "other"}),
    "letter": frozenset(
        {"deal_report", "deal_confirmed", "bill", "rule", "study", "tax_guidance", "filing"}
        | {"tariff_action", "financial", "other"}
    ),
    "hearing": frozenset(
        {"deal_report", "deal_confirmed", "bill", "rule", "study", "tax_guidance", "filing"}
        | {"tariff_action", "financial", "other"}
    ),
}

_CLAIM_ANSWERS = frozenset({"denial", "deal_confirmed"})

SAME_TYPE_THRESHOLD = 0.4
LOOSE_THRESHOLD = 0.6
MIXED_THRESHOLD = 0.9
ANSWER_THRESHOLD = 0.6
COMPANY_WEIGHT = 0.3
WATCHLIST_WEIGHT = 0.1
DISJOINT_COMPANY_PENALTY = 0.3
RECENCY_WEIGHT = 0.1
CLAIM_BONUS = 0.2
TEXT_CAP = 4
MAX_POSTING = 64
RETRIEVAL_TOKENS = 10
MAX_CANDIDATES = 10
MIN_SHARED = 2
MIN_ANSWER_COMPANY_OVERLAP = 0.5


# 1/sqrt(n) for the number of live stories holding a token (capped: rarer
# than MAX_POSTING or not, a very common word is worth little).
_INVERSE_ROOT = [0.0] + [1.0 / math.sqrt(n) for n in range(1, MAX_POSTING + 1)]


@dataclass
class StoryRef:
    """What the index remembers about one story (mutable: items keep joining)."""

    story_id: str
    headline: str
    first_seen: datetime
    companies: frozenset[str]
    watchlists: frozenset[str]
    event_type: str
    last_seen: datetime
    item_ids: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    answers: str | None = None
    tokens: set[str] = field(default_factory=set)
    type_counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Assignment:
    """Where an item went and why."""

    story_id: str
    is_new_story: bool
    answers: str | None
    also_related: tuple[str, ...]
    similarity: float
    reason: str


@dataclass(frozen=True, slots=True)
class _Features:
    tokens: frozenset[str]
    entity_tokens: frozenset[str]
    companies: frozenset[str]
    watchlists: frozenset[str]
    event_type: str
    moment: datetime


def _counter_ids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"s{next(counter)}"


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared) if shared else 0.0


def _compatible(item_type: str, story_type: str) -> float | None:
    """The score an item needs to join a story of ``story_type``, or None if never."""
    if item_type == story_type and item_type != "other":
        return SAME_TYPE_THRESHOLD
    if item_type in _STANCES and story_type in _STANCES:
        return None
    if "other" in (item_type, story_type):
        return LOOSE_THRESHOLD
    if item_type in _STANCES or story_type in _STANCES:
        return MIXED_THRESHOLD
    return LOOSE_THRESHOLD


class StoryIndex:
    """Recent stories in memory; see the module docstring for the method."""

    def __init__(
        self,
        *,
        window: timedelta = timedelta(days=4),
        new_id: Callable[[], str] | None = None,
        answer_window: timedelta = timedelta(days=21),
    ) -> None:
        self.window = window
        self.answer_window = max(answer_window, window)
        self._new_id = new_id or _counter_ids()
        self._stories: dict[str, StoryRef] = {}
        self._postings: dict[str, set[str]] = {}

    # ------------------------------------------------------------ queries

    def __len__(self) -> int:
        return len(self._stories)

    def get(self, story_id: str) -> StoryRef | None:
        return self._stories.get(story_id)

    def stories(self) -> list[StoryRef]:
        return list(self._stories.values())

    # ------------------------------------------------------------ updates

    def assign(
        self,
        item: Item,
        companies: Sequence[str],
        watchlists: Sequence[str],
        event: EventGuess,
        *,
        seen_at: datetime | None = None,
    ) -> Assignment:
        """Put ``item`` into the best recent story or a new one, and link answers."""
        feats = _features(item, companies, watchlists, event.event_type, seen_at)
        joinable: list[tuple[float, StoryRef]] = []
        answerable: list[tuple[float, StoryRef]] = []
        for story in self._candidates(feats):
            # Cheap eligibility checks first: most candidates are out of the
            # grouping window and not a claim this item could answer.
            threshold = None
            if abs(feats.moment - story.first_seen) <= self.window:
                threshold = _compatible(feats.event_type, story.event_type)
            may_answer = self._may_answer(feats, story)
            if threshold is None and not may_answer:
                continue
            score = self._score(feats, story)
            if threshold is not None:
                recent = 1.0 - abs(feats.moment - story.last_seen) / self.window
                if score + RECENCY_WEIGHT * max(0.0, recent) >= threshold:
                    joinable.append((score, story))
                    continue
            if may_answer:
                answer_score = self._answer_score(feats, story, score)
                if answer_score is not None:
                    answerable.append((answer_score, story))
        joinable.sort(key=lambda pair: -pair[0])
        answerable.sort(key=lambda pair: -pair[0])
        if joinable:
            return self._join(item, feats, joinable, answerable)
        return self._start(item, feats, answerable)

    def _join(
        self,
        item: Item,
        feats: _Features,
        joinable: list[tuple[float, StoryRef]],
        answerable: list[tuple[float, StoryRef]],
    ) -> Assignment:
        """Add the item to the best-scoring story; the runners-up are reported."""
        score, story = joinable[0]
        self._add(story, item, feats)
        if story.answers is None and feats.event_type in _ANSWERABLE:
            # The whole story must be about the claim's parties, not just this item.
            fitting = [c for _, c in answerable if _same_parties(story, c)]
            if fitting:
                story.answers = fitting[0].story_id
        related = [s.story_id for _, s in joinable[1:]]
        related += [s.story_id for _, s in answerable if s.story_id != story.answers]
        reason = f"joined {story.story_id} ({story.headline[:60]!r}), similarity {score:.2f}"
        if story.answers is not None:
            reason += f"; the story answers {story.answers}"
        return Assignment(story.story_id, False, story.answers, tuple(related), score, reason)

    def _start(
        self, item: Item, feats: _Features, answerable: list[tuple[float, StoryRef]]
    ) -> Assignment:
        """Open a new story, linked to the claim it answers if there is one."""
        story = self._create(self._new_id(), item, feats)
        if not answerable:
            reason = "new story: no recent story similar enough"
            return Assignment(story.story_id, True, None, (), 0.0, reason)
        similarity, claim = answerable[0]
        story.answers = claim.story_id
        reason = (
            f"new {feats.event_type} story answering {claim.story_id} "
            f"({claim.headline[:60]!r}), similarity {similarity:.2f}"
        )
        related = tuple(s.story_id for _, s in answerable[1:])
        return Assignment(story.story_id, True, claim.story_id, related, similarity, reason)

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
    ) -> None:
        """Replay a stored assignment (at startup), in publication order."""
        feats = _features(item, companies, watchlists, event_type, seen_at)
        story = self._stories.get(story_id)
        if story is None:
            story = self._create(story_id, item, feats)
        else:
            self._add(story, item, feats)
        if answers is not None and story.answers is None:
            story.answers = answers

    def forget_before(self, moment: datetime) -> int:
        """Drop stories not updated since ``moment``; returns how many were dropped.

        Call it with ``now - answer_window`` to keep every story an answer may
        still need."""
        stale = [s for s in self._stories.values() if s.last_seen < moment]
        for story in stale:
            del self._stories[story.story_id]
            for token in story.tokens:
                posting = self._postings.get(token)
                if posting is not None:
                    posting.discard(story.story_id)
                    if not posting:
                        del self._postings[token]
        return len(stale)

    # ------------------------------------------------------------ internals

    def _candidates(self, feats: _Features) -> list[StoryRef]:
        """The live stories sharing the most of the item's rarest tokens.

        Only the ``RETRIEVAL_TOKENS`` tokens held by the fewest live stories are
        looked up: they identify the event, and counting common words would both
        cost time and tie every story of the week."""
        postings = self._postings
        found = [p for p in map(postings.get, feats.tokens) if p and len(p) <= MAX_POSTING]
        if len(found) < MIN_SHARED:
            return []
        if len(found) > RETRIEVAL_TOKENS:
            found.sort(key=len)
            del found[RETRIEVAL_TOKENS:]
        counts = Counter(itertools.chain.from_iterable(found))
        out = []
        horizon = feats.moment - self.answer_window
        for story_id, shared in counts.most_common(MAX_CANDIDATES):
            if shared < MIN_SHARED:
                break
            story = self._stories[story_id]
            if story.last_seen >= horizon:
                out.append(story)
        return out

    def _score(self, feats: _Features, story: StoryRef) -> float:
        """Shared rare words plus entity agreement (see the module docstring).

        A shared stem weighs 1/sqrt(live stories holding it), so "yu7" counts
        fully and "chinese" little; company names are left to the company term.
        The sum is measured against the smaller bag, capped at ``TEXT_CAP``
        stems: a few shared rare words are as good as identity."""
        postings = self._postings
        entities = feats.entity_tokens
        weight = 0.0
        for token in feats.tokens & story.tokens:
            if token not in entities:
                weight += _INVERSE_ROOT[min(len(postings[token]), MAX_POSTING)]
        size = min(len(feats.tokens), len(story.tokens), TEXT_CAP) or 1
        score = min(1.0, weight / size)
        if feats.companies and story.companies:
            overlap = _jaccard(feats.companies, story.companies)
            score += COMPANY_WEIGHT * overlap if overlap else -DISJOINT_COMPANY_PENALTY
        if feats.watchlists and story.watchlists:
            score += WATCHLIST_WEIGHT * _jaccard(feats.watchlists, story.watchlists)
        return score

    def _may_answer(self, feats: _Features, story: StoryRef) -> bool:
        """Whether ``story`` could be the claim this item answers.

        The claim must be earlier, of a type the item can answer, not itself an
        answer, and be about the same parties: at least half of the companies
        in common when the item names any (Moolenaar's letter about BYD and CATL
        does not answer a Ford–Xiaomi report just because both name Ford), else
        a shared watchlist."""
        allowed = _ANSWERABLE.get(feats.event_type)
        if allowed is None or story.event_type not in allowed:
            return False
        if story.first_seen >= feats.moment or story.answers is not None:
            return False
        if feats.companies:
            return _jaccard(feats.companies, story.companies) >= MIN_ANSWER_COMPANY_OVERLAP
        return bool(feats.watchlists & story.watchlists)

    def _answer_score(self, feats: _Features, story: StoryRef, score: float) -> float | None:
        """The fit of an eligible claim, or None below ``ANSWER_THRESHOLD``.

        Recent claims and, for denials and confirmations, reports of talks are
        preferred: that is what gets denied or confirmed."""
        age = (feats.moment - story.last_seen) / self.answer_window
        score += RECENCY_WEIGHT * max(0.0, 1.0 - age)
        if story.event_type == "deal_report" and feats.event_type in _CLAIM_ANSWERS:
            score += CLAIM_BONUS
        return score if score >= ANSWER_THRESHOLD else None

    def _create(self, story_id: str, item: Item, feats: _Features) -> StoryRef:
        story = StoryRef(
            story_id=story_id,
            headline=item.title,
            first_seen=feats.moment,
            companies=feats.companies,
            watchlists=feats.watchlists,
            event_type=feats.event_type,
            last_seen=feats.moment,
        )
        self._stories[story_id] = story
        self._add(story, item, feats)
        return story

    def _add(self, story: StoryRef, item: Item, feats: _Features) -> None:
        story.item_ids.append(item.id)
        if item.source and item.source not in story.sources:
            story.sources.append(item.source)
        story.companies |= feats.companies
        story.watchlists |= feats.watchlists
        counts = story.type_counts
        counts[feats.event_type] = counts.get(feats.event_type, 0) + 1
        if feats.event_type != story.event_type:
            story.event_type = _dominant_type(counts, story.event_type)
        if feats.moment < story.first_seen:
            story.first_seen = feats.moment
        if feats.moment > story.last_seen:
            story.last_seen = feats.moment
        new_tokens = feats.tokens - story.tokens
        if new_tokens:
            story.tokens.update(new_tokens)
            for token in new_tokens:
                posting = self._postings.get(token)
                if posting is None:
                    self._postings[token] = {story.story_id}
                else:
                    posting.add(story.story_id)


def _same_parties(answer: StoryRef, claim: StoryRef) -> bool:
    if answer.companies:
        return _jaccard(answer.companies, claim.companies) >= MIN_ANSWER_COMPANY_OVERLAP
    return True


def _dominant_type(counts: dict[str, int], current: str) -> str:
    """The most frequent specific type; ``other`` only when nothing else is known."""
    best = current
    best_count = counts.get(current, 0) if current != "other" else 0
    for event_type, count in counts.items():
        if event_type != "other" and count > best_count:
            best, best_count = event_type, count
    return best


_ENTITY_TOKENS: dict[frozenset[str], frozenset[str]] = {}


def _entity_tokens(companies: frozenset[str]) -> frozenset[str]:
    """Stems of company ids ("general-motors" -> general, motor): the company
    term already counts them, so the text term should not count them again."""
    cached = _ENTITY_TOKENS.get(companies)
    if cached is None:
        cached = frozenset(t for c in companies for t in informative_tokens(c.replace("-", " ")))
        if len(_ENTITY_TOKENS) < 10_000:
            _ENTITY_TOKENS[companies] = cached
    return cached


def _features(
    item: Item,
    companies: Sequence[str],
    watchlists: Sequence[str],
    event_type: str,
    seen_at: datetime | None,
) -> _Features:
    moment = item.published or seen_at or datetime.now(UTC)
    if seen_at is not None and moment > seen_at:
        moment = seen_at
    companies_set = frozenset(companies)
    return _Features(
        tokens=informative_tokens(item.title, item.summary),
        entity_tokens=_entity_tokens(companies_set),
        companies=companies_set,
        watchlists=frozenset(watchlists),
        event_type=event_type,
        moment=moment,
    )
