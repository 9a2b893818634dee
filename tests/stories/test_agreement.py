"""The compiled and the pure-Python story grouping agree, item for item.

The same feeds go through a fresh index of each, with what the core passes:
the shipped matcher's companies, watchlists, concepts and event type, and the
catalog's topic words. Every assignment must be the same (story, new or not,
link, related stories, reason; similarity within 1e-9), and so must every
story record at the end (and the last tests check which one bot.stories
picks). Feeds: the development set, the evaluation set, the
busy-day burst file (each also squeezed into a short span, where the busy-day
rules apply), streams of synthetic items made of the sets' own sentences and of
random words, a rebuild with ``add_existing``, and a stream long enough for
``forget_before`` to renumber the stems.

This module needs the compiled extension (it is what the pure one is held to):
CI runs it in its main step, and leaves it out where it installs without a
compiler.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest

from benchmarks.common import DATA
from benchmarks.stories import (
    BURST_FILE,
    EVAL_FILE,
    EXTRA_FILES,
    Row,
    load_rows,
    make_stream,
    retimed,
)
from bot.matcher import Matcher
from bot.models import Item
from bot.speakers import SPEAKER_MARK
from bot.stories import EVENT_RULES, PURE_PYTHON_ENV, Assignment, EventGuess, StoryRef
from bot.stories import grouping as compiled
from bot.stories import pygrouping as pure
from bot.stories.events import IDENTITY_MARK
from bot.stories.rules import COMPACT_STEMS
from bot.stories.tokens import topic_words
from bot.watchlists import load_catalog, shipped_watchlists_dir

# What the core passes to StoryIndex.assign for one item.
Fed = tuple[Item, Sequence[str], Sequence[str], EventGuess, Sequence[str]]
ROOT = Path(__file__).resolve().parents[2]
SEED = 20261207
BERLIN = ZoneInfo("Europe/Berlin")

_CATALOG = load_catalog(shipped_watchlists_dir())
MATCHER = Matcher(_CATALOG, events=EVENT_RULES)
TOPIC_WORDS = topic_words(_CATALOG)


def _fed(items: Iterable[Item]) -> list[Fed]:
    out: list[Fed] = []
    for item in items:
        found = MATCHER.match(item)
        out.append((item, found.companies, found.watchlists, found.event, found.concepts))
    return out


def _items(rows: Sequence[Row]) -> list[Item]:
    return [item for item, _ in rows]


def _outcomes(
    module: ModuleType,
    feed: Sequence[Fed],
    *,
    forget_every: int = 0,
    new_id: Callable[[], str] | None = None,
    seen_at: Sequence[datetime | None] = (),
) -> list[tuple[object, ...]]:
    """Every assignment, then every story record, of ``feed`` through a fresh index."""
    index = module.StoryIndex(topic_words=TOPIC_WORDS, contrasts=_CATALOG.contrasts, new_id=new_id)
    rows: list[tuple[object, ...]] = []
    for n, (item, companies, watchlists, event, concepts) in enumerate(feed):
        placed = index.assign(
            item,
            companies,
            watchlists,
            event,
            seen_at=seen_at[n] if seen_at else None,
            concepts=concepts,
        )
        rows.append(_assignment_row(item.id, placed))
        if forget_every and n % forget_every == forget_every - 1 and item.published:
            rows.append(("forgot", index.forget_before(item.published - index.answer_window)))
    rows += [_story_row(story) for story in index.stories()]
    return rows


def _assignment_row(item_id: str, placed: Assignment) -> tuple[object, ...]:
    """An assignment as a row; the similarity last (compared within 1e-9)."""
    return (
        item_id,
        placed.story_id,
        placed.is_new_story,
        placed.answers,
        placed.also_related,
        placed.reason,
        placed.similarity,
    )


def _story_row(story: StoryRef) -> tuple[object, ...]:
    return (
        story.story_id,
        story.headline,
        story.first_seen,
        story.last_seen,
        story.answers,
        story.item_ids,
        story.sources,
        story.event_type,
        story.companies,
        story.watchlists,
    )


def _assert_agree(ours: list[tuple[object, ...]], theirs: list[tuple[object, ...]]) -> None:
    """Row for row equal; the similarity of an assignment within 1e-9."""
    assert len(ours) == len(theirs)
    for mine, other in zip(ours, theirs, strict=True):
        if len(mine) == 7:  # an assignment
            assert mine[:-1] == other[:-1]
            similarity, theirs_too = mine[-1], other[-1]
            assert isinstance(similarity, float) and isinstance(theirs_too, float)
            assert abs(similarity - theirs_too) <= 1e-9, mine
        else:
            assert mine == other


def _agree(
    feed: Sequence[Fed],
    *,
    forget_every: int = 0,
    fresh_ids: bool = False,
    seen_at: Sequence[datetime | None] = (),
) -> list[tuple[object, ...]]:
    """Run ``feed`` through both implementations, assert they agree, return
    the (compiled) rows."""
    results = []
    for module in (compiled, pure):
        new_id = None
        if fresh_ids:  # the same id generator, restarted for each
            new_id = map("story-{:05d}".format, itertools.count(1)).__next__
        results.append(
            _outcomes(module, feed, forget_every=forget_every, new_id=new_id, seen_at=seen_at)
        )
    _assert_agree(results[0], results[1])
    return results[0]


def _joins_and_links(rows: list[tuple[object, ...]]) -> tuple[int, int]:
    assignments = [row for row in rows if len(row) == 7]
    joined = sum(1 for row in assignments if row[2] is False)
    linked = sum(1 for row in assignments if row[2] is True and row[3] is not None)
    return joined, linked


# ---------------------------------------------------------------- labelled sets


LABELLED = {
    "devset": lambda: load_rows(DATA / "devset.jsonl"),
    "eval": lambda: load_rows(EVAL_FILE),
    "eval in a day": lambda: retimed(load_rows(EVAL_FILE), timedelta(hours=24)),
    "burst": lambda: load_rows(BURST_FILE),
    "burst in an hour": lambda: retimed(load_rows(BURST_FILE), timedelta(hours=1)),
    # Replies to letters and statements on agencies' acts: speakers kept apart.
    "extra c": lambda: load_rows(EXTRA_FILES[2]),
    "extra k": lambda: load_rows(EXTRA_FILES[5]),
}


@pytest.mark.parametrize("name", list(LABELLED))
def test_labelled_sets_agree(name: str) -> None:
    feed = _fed(_items(LABELLED[name]()))
    if name.startswith("extra"):
        # Speakers among the concepts: their contrast family is compared too.
        assert sum(any(c.startswith(SPEAKER_MARK) for c in fed[4]) for fed in feed) > 20
    rows = _agree(feed)
    joined, linked = _joins_and_links(rows)
    # The feeds are not trivial: items join stories and new stories link.
    assert joined > 0 and linked > 0, (joined, linked)


def test_labelled_sets_agree_with_the_core_ids_and_seen_times() -> None:
    # As the core runs it: its own story ids, and seen_at (some items have no
    # publication time, some were published after they were seen).
    items = _items(load_rows(EVAL_FILE))
    rng = random.Random(SEED)
    items = [
        Item(id=item.id, title=item.title, summary=item.summary, source=item.source)
        if rng.random() < 0.1
        else item
        for item in items
    ]
    seen_at = [
        (item.published or datetime(2026, 1, 1, tzinfo=UTC))
        + timedelta(minutes=rng.choice([-30, 0, 5]))
        for item in items
    ]
    rows = _agree(_fed(items), fresh_ids=True, seen_at=seen_at)
    assert any(str(row[1]).startswith("story-") for row in rows)


def test_stems_agree_on_random_text() -> None:
    # Every kind of character the tokenizers treat differently, and words past
    # the WORD_BYTES cut in one-, two-, three- and four-byte characters.
    alphabet = (
        "abcXYZ019 -/_.,'$%&\u2018\u2019\u201c\u201d\u2013\u2014\u00a0\u2009\u3000"
        "éÉàüÖçñßøÆİıǅﬁ²½\u0301\u0308小米汽车ＦＯＲＤ한국Ωω€£•·…©™🚗"
    )
    rng = random.Random(SEED)
    ours, theirs = compiled.StoryIndex(), pure.StoryIndex()
    for n in range(4000):
        text = "".join(rng.choices(alphabet, k=rng.randrange(1, 60)))
        if n % 10 == 0:
            text += " " + rng.choice("xé小🚗") * rng.randrange(25, 140) + rng.choice("ab小 ")
        assert ours.stems(text) == theirs.stems(text), text


# ---------------------------------------------------------------- synthetic streams


def _sentences() -> list[str]:
    rows = [*load_rows(DATA / "devset.jsonl"), *load_rows(EVAL_FILE), *load_rows(BURST_FILE)]
    return [text for item, _ in rows for text in (item.title, item.summary) if text]


def _synthetic(count: int, rng: random.Random) -> list[Item]:
    """Items made of the labelled sets' own words: a title cut from one sentence
    (sometimes two), a summary from another, a few minutes to hours apart in
    bursts, some retold with the words shuffled, some in other time zones, some
    with accents and curly quotes: the matcher finds real companies,
    watchlists and concepts in them, and grouping has real choices to make."""
    sentences = _sentences()
    moment = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    out: list[Item] = []
    for n in range(count):
        moment += timedelta(minutes=rng.choice([1, 2, 5, 15, 60, 240, 720]))
        if out and rng.random() < 0.25:  # a retelling of a recent item
            told = rng.choice(out[-30:])
            words = told.title.split()
            rng.shuffle(words)
            title, summary = " ".join(words), told.summary
        else:
            words = rng.choice(sentences).split()
            start = rng.randrange(len(words))
            title = " ".join(words[start : start + rng.randint(3, 12)])
            if rng.random() < 0.3:
                title += " " + " ".join(rng.choice(sentences).split()[:5])
            summary = rng.choice(sentences) if rng.random() < 0.7 else ""
        if rng.random() < 0.05:
            title = title.replace("e", "é").replace("'", "’") + " — “Ørsted”"
        published = moment if rng.random() < 0.8 else moment.astimezone(BERLIN)
        out.append(
            Item(
                id=f"x{n}",
                title=title or "untitled",
                summary=summary,
                source=rng.choice(["Reuters", "FT", "Bloomberg", None]),
                published=published,
            )
        )
    return out


def test_synthetic_stream_of_real_sentences_agrees() -> None:
    feed = _fed(_synthetic(3000, random.Random(SEED)))
    # Bill and notice numbers among the concepts: their contrast family is compared too.
    assert sum(any(c.startswith(IDENTITY_MARK) for c in fed[4]) for fed in feed) > 20
    rows = _agree(feed, forget_every=500)
    joined, linked = _joins_and_links(rows)
    assert joined > 300 and linked > 50, (joined, linked)
    assert any(row[0] == "forgot" and row[1] for row in rows)  # stories were dropped


@pytest.mark.parametrize("zipf", [True, False], ids=["zipf-words", "uniform-words"])
def test_synthetic_stream_of_random_words_agrees(zipf: bool) -> None:
    # benchmarks.stories' timing stream: events retold in varied wording.
    stream = make_stream(2000, random.Random(SEED), zipf)
    rows = _agree(_fed(item for item, _, _ in stream), forget_every=400)
    joined, _ = _joins_and_links(rows)
    assert joined > 200, joined


def test_rebuilt_index_agrees() -> None:
    # At startup the core replays stored assignments with add_existing, then
    # assigns new items: both must rebuild the same index from the same rows.
    feed = _fed(_synthetic(1200, random.Random(SEED + 1)))
    stored = compiled.StoryIndex(topic_words=TOPIC_WORDS, contrasts=_CATALOG.contrasts)
    history = []
    for item, companies, watchlists, event, concepts in feed[:800]:
        placed = stored.assign(item, companies, watchlists, event, concepts=concepts)
        story = stored.get(placed.story_id)
        assert story is not None
        answers = story.answers
        history.append((placed.story_id, item, companies, watchlists, event, answers, concepts))
    results = []
    for module in (compiled, pure):
        index = module.StoryIndex(topic_words=TOPIC_WORDS, contrasts=_CATALOG.contrasts)
        for story_id, item, companies, watchlists, event, answers, concepts in history:
            index.add_existing(
                story_id,
                item,
                companies,
                watchlists,
                event.event_type,
                answers=answers,
                concepts=concepts,
            )
        rows = [_story_row(story) for story in index.stories()]
        for item, companies, watchlists, event, concepts in feed[800:]:
            placed = index.assign(item, companies, watchlists, event, concepts=concepts)
            rows.append(_assignment_row(item.id, placed))
        rows += [_story_row(story) for story in index.stories()]
        results.append(rows)
    _assert_agree(results[0], results[1])
    joined, _ = _joins_and_links(results[0])
    assert joined > 50, joined


def test_stem_renumbering_agrees() -> None:
    # More than 100,000 stems, most of them forgotten: forget_before renumbers
    # the live ones (rules.COMPACT_STEMS), and ties between stems are broken by
    # their numbers afterwards, so both must renumber alike.
    rng = random.Random(SEED)
    count, keep = 26_000, 10  # 4 new words an item: 104,000 stems
    letters = "bcdfghjklmnpqrstvwxz"
    start = datetime(2026, 1, 1, tzinfo=UTC)
    shared = ["".join(rng.choices(letters, k=6)) + "q" for _ in range(400)]
    feed: list[Fed] = []
    for n in range(count):
        words = ["".join(rng.choices(letters, k=7)) + "q" for _ in range(4)]
        words += rng.sample(shared, 2)
        item = Item(id=f"w{n}", title=" ".join(words), published=start + timedelta(minutes=n))
        feed.append((item, [], [], EventGuess("other", "test"), []))
    # After the renumbering: retellings of survivors, and words seen before.
    later = start + timedelta(minutes=count + 10)
    for n in range(count - keep, count):
        old = feed[n][0]
        words = old.title.split()
        rng.shuffle(words)
        item = Item(id=f"again{n}", title=" ".join(words), published=later)
        feed.append((item, [], [], EventGuess("other", "test"), []))
    for n in range(30):
        item = Item(id=f"mix{n}", title=" ".join(rng.sample(shared, 4)), published=later)
        feed.append((item, [], [], EventGuess("other", "test"), []))

    results = []
    for module in (compiled, pure):
        index = module.StoryIndex()
        rows: list[tuple[object, ...]] = []
        for n, (item, companies, watchlists, event, concepts) in enumerate(feed):
            placed = index.assign(item, companies, watchlists, event, concepts=concepts)
            rows.append(_assignment_row(item.id, placed))
            if n == count - 1:
                cutoff = start + timedelta(minutes=count - keep)
                rows.append(("forgot", index.forget_before(cutoff)))
        rows += [_story_row(story) for story in index.stories()]
        results.append(rows)
        if module is pure:  # the renumbering happened (its stems are a plain list)
            assert len(index._stems) < COMPACT_STEMS
    _assert_agree(results[0], results[1])
    assert ("forgot", count - keep) in results[0]
    joined, _ = _joins_and_links(results[0])
    assert joined >= 10, joined


def test_busy_count_does_not_go_below_zero() -> None:
    # Four Ford filings started after the item, each joined by an earlier
    # report (so their first moments fall in the item's busy window, but the
    # starts counted for them do not), and three other stories in that window:
    # the item's four matching candidates would take the count of three below
    # zero (an unsigned count in the compiled version then looked busy).
    t0 = datetime(2026, 3, 2, 12, tzinfo=UTC)
    filing, other = EventGuess("filing", "test"), EventGuess("other", "test")

    def words(k: int) -> list[str]:
        return [f"{c}{k}zq" for c in "abcd"]

    feed: list[Fed] = []
    for k, title in enumerate(["quartz zephyr yonder", "violet umber saffron", "walnut xylem"]):
        item = Item(id=f"o{k}", title=title, published=t0 - timedelta(hours=3 - k))
        feed.append((item, ["gm"], [], other, []))
    for hours, name in ((10, "late"), (-0.5, "early")):
        for k in range(4):
            item = Item(
                id=f"{name}{k}", title=" ".join(words(k)), published=t0 + timedelta(hours=hours)
            )
            feed.append((item, ["ford"], [], filing, []))
    item = Item(id="x", title=" ".join(w for k in range(4) for w in words(k)[:2]), published=t0)
    feed.append((item, ["ford"], [], filing, []))
    rows = _agree(feed)
    story_of = {row[0]: row[1] for row in rows if len(row) == 7}
    assert [story_of[f"early{k}"] for k in range(4)] == [story_of[f"late{k}"] for k in range(4)]
    # A quiet stretch: half of a four-word story's words are enough to join.
    assert story_of["x"] == story_of["late0"]


# ---------------------------------------------------------------- which one is used


CHOICE = """
import importlib.abc, json, sys

class NotBuilt(importlib.abc.MetaPathFinder):
    # As after an install without a C++ compiler: the extension is not there.
    def find_spec(self, name, path=None, target=None):
        if name == "bot.stories.grouping":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

if sys.argv[1] == "hide":
    sys.meta_path.insert(0, NotBuilt())
import bot.stories
print(json.dumps([bot.stories.GROUPING, bot.stories.StoryIndex.__module__]))
"""


@pytest.mark.parametrize(
    ("hide", "forced", "expected"),
    [
        ("keep", "", ["compiled", "bot.stories.grouping"]),
        ("keep", "0", ["compiled", "bot.stories.grouping"]),
        ("keep", "1", ["pure Python (POLICYWATCH_PURE_PYTHON=1)", "bot.stories.pygrouping"]),
        ("hide", "", ["pure Python (no compiler at install)", "bot.stories.pygrouping"]),
    ],
)
def test_the_compiled_module_is_used_when_built(
    hide: str, forced: str, expected: list[str]
) -> None:
    env = {k: v for k, v in os.environ.items() if k != PURE_PYTHON_ENV}
    env[PURE_PYTHON_ENV] = forced
    done = subprocess.run(
        [sys.executable, "-c", CHOICE, hide],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == expected
