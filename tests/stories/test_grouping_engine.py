"""The grouping engine (compiled grouping.pyx and pure-Python pygrouping.py) beyond the hand-written
feeds of test_grouping.py: its tokenizer against bot.text.fold and the stemming
rule of bot.stories.tokens, the words that must not count as shared, seed words,
forgetting and stem compaction, determinism, time zones and the records it returns.

Event types are given directly (EventGuess) so that each test controls which
join threshold applies; see the module docstring of grouping.pyx for the method.
"""

from __future__ import annotations

import json
import os
import random
import re
import string
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest

from bot.matcher import Matcher
from bot.models import Item
from bot.stories import EVENT_RULES, PURE_PYTHON_ENV, Assignment, EventGuess, StoryIndex
from bot.stories.tokens import MIN_STEM, STOP_WORDS, SUFFIXES
from bot.text import fold
from bot.watchlists import load_catalog, shipped_watchlists_dir

# Every test here runs against both implementations (see conftest.py).
pytestmark = pytest.mark.usefixtures("grouping")

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "bot" / "sample" / "items.jsonl"
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")  # UTC-5 in early March 2026 (DST starts March 8)


def _item(
    item_id: str,
    title: str,
    hours: float = 0.0,
    summary: str = "",
    source: str | None = None,
) -> Item:
    return Item(
        id=item_id,
        title=title,
        summary=summary,
        source=source,
        published=T0 + timedelta(hours=hours),
    )


def _assign(
    index: StoryIndex,
    item: Item,
    event_type: str = "other",
    companies: Sequence[str] = (),
    watchlists: Sequence[str] = (),
) -> Assignment:
    return index.assign(item, companies, watchlists, EventGuess(event_type, "test"))


# ---------------------------------------------------------------- tokenizer


@pytest.mark.parametrize(
    "text",
    [
        "Société Générale weighs Ørsted stake",
        "SOCIÉTÉ GÉNÉRALE",
        "Ford’s EV—plan: Xiaomi‘s “completely false” denial – again",
        "Ford\u00a0Motor\u2009and\u202fXiaomi\u3000joint venture",
        "小米 Xiaomi and Ford talks; 小米汽车 SU7",
        "FORD FILES 8-K ON $19.5bn CHARGES, 10-Q DUE",
        "Naïve café owners’ résumés—déjà vu",
        "Ｆｕｌｌｗｉｄｔｈ ＦＯＲＤ and ﬁnance",
        "mixed 小米 Société “quotes” 8-K",
    ],
)
def test_stems_equal_stems_of_folded_text(text: str) -> None:
    index = StoryIndex()
    folded = fold(text)[0]
    stems = index.stems(text)
    assert stems == index.stems(folded)
    # Also against a fresh index: the stems do not depend on which one learned them first.
    assert StoryIndex().stems(folded) == stems
    assert stems, "every sample has content words"


def test_the_thousands_of_a_round_number_are_no_word() -> None:
    # Two recalls of one company share "000" ("48,000", "91,000") and nothing
    # else of their event: it must not count as a shared rare word.
    index = StoryIndex()
    assert index.stems("Ford recalls 48,000 Mach-Es") == ["ford", "recall", "48", "mach"]
    assert "000" not in index.stems("Ford recalls 91,000 Explorers over a 1,000-mile defect")


# Characters of every kind the tokenizer treats differently: ASCII letters,
# digits and punctuation, the boundary characters fold turns into breaks,
# accented and other-script letters fold rewrites, combining marks, symbols.
_ALPHABET = (
    string.ascii_letters
    + string.digits
    + " -/_.,'$%&"
    + "\u2018\u2019\u201c\u201d\u2013\u2014\u00a0\u2009\u202f\u3000\u2028"
    + "éÉàüÖçñßøÆİıǅﬁ²½"
    + "\u0301\u0308"
    + "小米汽车ＦＯＲＤ한국Ωω"
    + "€£•·…©™🚗"
)


def test_stems_equal_stems_of_folded_text_on_random_text() -> None:
    rng = random.Random(7)
    index = StoryIndex()
    for _ in range(3000):
        text = "".join(rng.choices(_ALPHABET, k=rng.randrange(1, 40)))
        assert index.stems(text) == index.stems(fold(text)[0]), text


def _reference_stems(text: str) -> list[str]:
    """The rule of bot.stories.tokens written out for ASCII text: words are runs of
    letters and digits of the lower-cased text; stop words are dropped; a word of
    at least MIN_STEM + 1 characters not ending in a digit or "ss" takes the first
    suffix replacement of SUFFIXES that leaves at least MIN_STEM characters."""
    out = []
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if word in STOP_WORDS:
            continue
        if len(word) >= MIN_STEM + 1 and not word[-1].isdigit() and not word.endswith("ss"):
            for suffix, replacement in SUFFIXES:
                if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
                    word = word[: -len(suffix)] + replacement
                    break
        out.append(word)
    return out


def test_stems_follow_the_rule_on_random_ascii_text() -> None:
    rng = random.Random(11)
    stems = ("", "a", "ab", "tal", "talk", "licens", "batter", "compan", "pro", "x9", "busine")
    endings = ("", "s", "es", "ies", "ed", "ing", "e", "ss", "7", "y")
    separators = (" ", "-", ", ", "'s ", "/", ". ", "$", "  ")
    index = StoryIndex()
    for _ in range(3000):
        words = []
        for _ in range(rng.randrange(1, 8)):
            if rng.random() < 0.2:
                word = rng.choice(sorted(STOP_WORDS))
            else:
                word = rng.choice(stems) + rng.choice(endings)
            if rng.random() < 0.3:
                word = word.upper() if rng.random() < 0.5 else word.capitalize()
            words.append(word + rng.choice(separators))
        text = "".join(words)
        assert index.stems(text) == _reference_stems(text), text


def test_folding_examples() -> None:
    index = StoryIndex()
    assert index.stems("Société Générale") == index.stems("societe generale")
    assert index.stems("Ford’s EV—plan") == index.stems("ford's ev plan")
    assert index.stems("Ford\u00a0Motor") == ["ford", "motor"]
    # A dash is a word break, not part of a word.
    assert index.stems("joint—venture") == index.stems("joint venture")
    assert index.stems("小米 Xiaomi") == ["小米", "xiaomi"]
    assert index.stems("XIAOMI") == index.stems("xiaomi") == ["xiaomi"]
    # "8-K": "8" and the one-letter stop word "k"; "$19.5bn": "19" and "5bn".
    assert index.stems("8-K") == ["8"]
    assert index.stems("$19.5bn") == ["19", "5bn"]


def test_stop_words_are_dropped() -> None:
    index = StoryIndex()
    assert index.stems(" ".join(sorted(STOP_WORDS))) == []
    assert index.stems(" ".join(sorted(STOP_WORDS)).upper()) == []
    assert index.stems("The company says Ford plans a new battery plant, sources told Reuters") == [
        "ford",
        "battery",
        "plant",
        "reuter",
    ]


def test_stemming_rule_examples() -> None:
    index = StoryIndex()

    def one(word: str) -> str:
        stems = index.stems(word)
        assert len(stems) == 1, (word, stems)
        return stems[0]

    assert one("talks") == one("talked") == one("talking") == one("talk") == "talk"
    assert one("licensed") == one("license") == one("licensing") == "licens"
    assert index.stems("companies") == []
    assert one("batteries") == "battery"
    # Words ending in "ss" keep their form (else "business" would lose its "s").
    for word in ("business", "press", "progress"):
        assert one(word) == word
    # Words ending in a digit keep their form.
    for word in ("su7", "yu7", "covid19", "a320", "2025"):
        assert one(word) == word
    # Three-letter words are too short to stem ("use" would lose its "e", "bed" its "ed").
    for word in ("use", "bed", "gas", "ice", "ies"):
        assert one(word) == word
    # Characters, not UTF-8 bytes, are counted: "小米s" has three characters.
    assert one("小米s") == "小米s"
    # At least three characters are left.
    assert one("cars") == "car"
    assert one("bikes") == "bik" == one("bike")


def test_long_word_yields_one_token() -> None:
    index = StoryIndex()
    for word in ("x" * 300, "é" * 300, "小" * 300, "ab1" * 100):
        stems = index.stems(word)
        assert len(stems) == 1, word[:10]
        assert stems[0]
        around = index.stems("Ford Xiaomi venture")
        assert around == ["ford", "xiaomi", "ventur"]
        assert index.stems(f"Ford {word} Xiaomi {word.upper()} venture") == [
            "ford",
            stems[0],
            "xiaomi",
            stems[0],
            "ventur",
        ]


def test_long_words_in_assign_do_not_crash() -> None:
    index = StoryIndex()
    long_word = "zq" * 400
    first = _assign(index, _item("a", f"{long_word} orbital yardstick", 0, "é" * 500))
    second = _assign(index, _item("b", f"{long_word} orbital yardstick", 1, "小" * 500))
    assert first.is_new_story
    assert second.story_id == first.story_id


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\u00a0\u2009\n\t",
        "!?.,;:'\"()[]{}<>@#%^&*+=|\\/~`$",
        "—–-‐ ’‘ “” …",
        "--- ... ///",
    ],
)
def test_empty_and_punctuation_only_text_has_no_stems(text: str) -> None:
    assert StoryIndex().stems(text) == []


# ---------------------------------------------------------------- words that do not count


def test_watchlist_words_are_not_shared_words() -> None:
    # Two different events; the only content words they have in common are the
    # words of the watchlist id they were both filed under.
    index = StoryIndex()
    watchlist = ("chinese-ev-partnerships",)
    first = _assign(
        index,
        _item(
            "w1", "Zorvex signs battery supply accord with Kelmar", 0, "Deliveries begin in Ohio."
        ),
        watchlists=watchlist,
    )
    second = _assign(
        index,
        _item("w2", "Senate panel subpoenas Trelani over drone exports", 1, "Hearing set for May."),
        watchlists=watchlist,
    )
    assert second.is_new_story
    assert second.story_id != first.story_id
    assert second.also_related == ()
    story = index.get(first.story_id)
    assert story is not None and story.item_ids == ["w1"]


def test_new_watchlist_words_do_not_count_against_story_text() -> None:
    # The story's text has the words of a watchlist id ("Chinese EV partnerships");
    # a later item of a different event brings that watchlist for the first time
    # and shares two other words with the story (enough to be a candidate, not to
    # join: the companies disagree). Counting the watchlist's words as the item's
    # would add three shared words and make it join.
    index = StoryIndex()
    story = _assign(
        index,
        _item("p1", "Chinese EV partnerships: Quorvant courts Delmaro in Ohio", 0),
        companies=("quorvant",),
    )
    other = _assign(
        index,
        _item("p2", "Brennick fined over Delmaro Ohio wiring defects, recalls vans", 1),
        companies=("brennick",),
        watchlists=("chinese-ev-partnerships",),
    )
    assert other.is_new_story
    assert other.story_id != story.story_id


def test_company_name_alone_does_not_join() -> None:
    index = StoryIndex()
    first = _assign(
        index, _item("f1", "Ford recalls pickups over brake fault", 0), "other", ["ford"]
    )
    second = _assign(
        index, _item("f2", "Ford opens battery plant in Kentucky", 1), "other", ["ford"]
    )
    assert second.is_new_story
    assert second.story_id != first.story_id


def test_multi_word_company_name_is_not_shared_text() -> None:
    # "General Motors" gives two shared words, enough to make the first story a
    # candidate; they are the company's name, which the company term already
    # counts, so the text term is zero and 0.3 (company) + recency < 0.6 ("other").
    index = StoryIndex()
    first = _assign(
        index,
        _item("g1", "General Motors recalls pickups over brake fault", 0),
        companies=["general-motors"],
    )
    second = _assign(
        index,
        _item("g2", "General Motors opens battery plant in Kentucky", 1),
        companies=["general-motors"],
    )
    assert second.is_new_story
    assert second.story_id != first.story_id
    # Control: the same company under an id that is not its name ("gm"). Now the
    # two words are shared text (0.5) and the items join: so above, only leaving
    # the name's words out kept them apart.
    control = StoryIndex()
    a = _assign(
        control, _item("g1", "General Motors recalls pickups over brake fault", 0), companies=["gm"]
    )
    b = _assign(
        control, _item("g2", "General Motors opens battery plant in Kentucky", 1), companies=["gm"]
    )
    assert b.story_id == a.story_id


# ---------------------------------------------------------------- seed words

CORE = "Halvorsen Quintar merger talks stall"


def test_story_words_are_those_of_its_first_four_items() -> None:
    index = StoryIndex()
    first = _assign(index, _item("i1", CORE, 0, "Ostrava Belgrano Tazewell"))
    for n in range(2, 5):
        assert _assign(index, _item(f"i{n}", CORE, n)).story_id == first.story_id
    fifth = _assign(index, _item("i5", CORE, 5, "Wexcombe Pryderi Ulvanger"))
    assert fifth.story_id == first.story_id
    story = index.get(first.story_id)
    assert story is not None
    assert story.item_ids == ["i1", "i2", "i3", "i4", "i5"]

    # Three rare words only the fifth item brought: not the story's words.
    late = _assign(index, _item("x1", "Wexcombe Pryderi Ulvanger lighthouse auction", 6))
    assert late.is_new_story
    assert late.story_id != first.story_id
    # Three rare words only the first item brought: the story's words.
    early = _assign(index, _item("x2", "Ostrava Belgrano Tazewell lighthouse auction", 7))
    assert early.story_id == first.story_id
    assert not early.is_new_story


def test_seed_words_when_rebuilt_with_add_existing() -> None:
    index = StoryIndex()
    items = [_item("i1", CORE, 0, "Ostrava Belgrano Tazewell")]
    items += [_item(f"i{n}", CORE, n) for n in range(2, 5)]
    items.append(_item("i5", CORE, 5, "Wexcombe Pryderi Ulvanger"))
    for item in items:
        index.add_existing("db-1", item, [], [], "other", item.published)
    late = _assign(index, _item("x1", "Wexcombe Pryderi Ulvanger lighthouse auction", 6))
    assert late.story_id != "db-1"
    early = _assign(index, _item("x2", "Ostrava Belgrano Tazewell lighthouse auction", 7))
    assert early.story_id == "db-1"


# ---------------------------------------------------------------- forgetting

ALPHA = "Marrowby Tesselate acquisition of Vantor approved"
BETA = "Quillfeather drone export licence revoked by Commerce"
GAMMA = "Ostrander Pelikan wind farm financing collapses"


def test_forget_before_drops_stories_everywhere() -> None:
    index = StoryIndex()
    alpha = _assign(index, _item("a1", ALPHA, 0, source="Reuters"), "rule", ["ford"], ["w"])
    beta = _assign(index, _item("b1", BETA, 10, source="FT"), "rule", ["ford"], ["w"])
    gamma = _assign(index, _item("g1", GAMMA, 30, source="AP"), "rule", ["ford"], ["w"])
    assert len({alpha.story_id, beta.story_id, gamma.story_id}) == 3
    assert index.forget_before(T0 + timedelta(hours=20)) == 2
    assert len(index) == 1
    assert index.get(alpha.story_id) is None
    assert index.get(beta.story_id) is None
    assert [s.story_id for s in index.stories()] == [gamma.story_id]
    # Nothing left before that moment.
    assert index.forget_before(T0 + timedelta(hours=20)) == 0

    # A new, unrelated story takes a freed slot; its record holds only its own item.
    delta = _assign(
        index,
        _item("d1", "Saltmarsh Corvina bridge tolls doubled", 31, source="BBC"),
        "rule",
        ["ford"],
        ["w"],
    )
    assert delta.is_new_story
    assert delta.story_id not in {alpha.story_id, beta.story_id, gamma.story_id}
    story = index.get(delta.story_id)
    assert story is not None
    assert story.item_ids == ["d1"]
    assert story.sources == ["BBC"]
    assert story.companies == frozenset({"ford"})
    assert story.watchlists == frozenset({"w"})
    assert story.event_type == "rule"

    # Retellings of forgotten stories start new stories. The forgotten ones'
    # words must not lead to the stories now in their slots: the same companies,
    # watchlists and type would be enough for a join (0.3 + 0.1 + recency >= 0.4).
    epsilon = _assign(
        index,
        _item("e1", "Brindlewood orchard cooperative dissolved", 31.5),
        "rule",
        ["ford"],
        ["w"],
    )
    assert epsilon.is_new_story
    assert epsilon.story_id != delta.story_id
    retell_alpha = _assign(index, _item("a2", ALPHA, 32), "rule", ["ford"], ["w"])
    assert retell_alpha.is_new_story
    assert retell_alpha.story_id not in {alpha.story_id, delta.story_id, epsilon.story_id}
    assert retell_alpha.also_related == ()
    retell_beta = _assign(index, _item("b2", BETA, 32), "rule", ["ford"], ["w"])
    assert retell_beta.is_new_story
    assert retell_beta.story_id not in {
        beta.story_id,
        delta.story_id,
        epsilon.story_id,
        retell_alpha.story_id,
    }
    assert retell_beta.also_related == ()
    record = index.get(retell_alpha.story_id)
    assert record is not None
    assert record.item_ids == ["a2"]
    assert record.sources == []

    # The survivor still groups.
    again = _assign(index, _item("g2", GAMMA, 33, source="AP"), "rule", ["ford"], ["w"])
    assert again.story_id == gamma.story_id
    survivor = index.get(gamma.story_id)
    assert survivor is not None
    assert survivor.item_ids == ["g1", "g2"]
    assert survivor.sources == ["AP"]
    assert len(index) == len({s.story_id for s in index.stories()})


def test_forget_before_with_custom_ids_keeps_assigning_fresh_ids() -> None:
    counter = iter(range(1, 1000))
    index = StoryIndex(new_id=lambda: f"db-{next(counter)}")
    ids = [
        _assign(index, _item(f"i{n}", f"Topic{n} Kestrel{n} zephyr{n}", n)).story_id
        for n in range(5)
    ]
    assert ids == ["db-1", "db-2", "db-3", "db-4", "db-5"]
    assert index.forget_before(T0 + timedelta(hours=10)) == 5
    assert len(index) == 0 and index.stories() == []
    fresh = _assign(index, _item("n", "Topic0 Kestrel0 zephyr0", 11))
    assert fresh.story_id == "db-6"
    assert fresh.is_new_story


# ---------------------------------------------------------------- stem compaction

LETTERS = string.ascii_lowercase


def _unique_words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    """``count`` new 8-letter words ending in "q": never stop words, never stemmed."""
    words: list[str] = []
    while len(words) < count:
        word = "".join(rng.choices(LETTERS, k=7)) + "q"
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


@pytest.mark.parametrize("count", [30_000, 42_000])
def test_stem_compaction_keeps_grouping_correct(count: int) -> None:
    # ``count`` items of 5 new words: 150,000 or 210,000 words and stems, more than
    # the 100,000 stems at which forget_before compacts. 30,000 items stay within
    # the 200,000-word cache (every word is still cached at the compaction, so
    # the cache must be emptied with it); 42,000 items overflow it once on the way.
    rng = random.Random(20260302)
    taken: set[str] = set()
    index = StoryIndex(window=timedelta(days=4), answer_window=timedelta(days=21))
    keep = 6
    texts: list[str] = []
    start = T0 - timedelta(days=60)
    # The company seen first, on an item that will be forgotten: its name's stems
    # are renumbered by the compaction.
    _assign(
        index,
        Item(id="gm0", title="General Motors dealership mural", published=start),
        companies=["general-motors"],
    )
    for n in range(count):
        words = _unique_words(rng, 5, taken)
        text = " ".join(words)
        texts.append(text)
        published = start + timedelta(minutes=n)
        result = index.assign(
            Item(
                id=f"r{n}",
                title=" ".join(words[:3]),
                summary=" ".join(words[3:]),
                published=published,
            ),
            [],
            [],
            EventGuess("other", "test"),
        )
        assert result.is_new_story, n
    assert len(index) == count + 1
    survivors = {s.item_ids[0]: s.story_id for s in index.stories()}
    last = start + timedelta(minutes=count - keep)
    stems_before = {n: index.stems(texts[n]) for n in range(count - keep, count)}
    forgotten = [0, 1, 2, 10, count // 2, count - keep - 1]
    old_stems = {n: index.stems(texts[n]) for n in forgotten}
    assert all(old_stems[n] == texts[n].split() for n in forgotten)

    assert index.forget_before(last) == count + 1 - keep
    assert len(index) == keep
    assert {s.item_ids[0] for s in index.stories()} == {f"r{n}" for n in range(count - keep, count)}
    now = start + timedelta(minutes=count + 5)

    # Surviving stories: same stems, and a retelling (other wording order) joins.
    for n in range(count - keep, count):
        assert index.stems(texts[n]) == stems_before[n] == texts[n].split()
        words = texts[n].split()
        retell = index.assign(
            Item(id=f"again{n}", title=" ".join(reversed(words)), published=now),
            [],
            [],
            EventGuess("other", "test"),
        )
        assert not retell.is_new_story, n
        assert retell.story_id == survivors[f"r{n}"]
    # Unrelated survivors are not mixed up: each still has its one retelling.
    for story in index.stories():
        assert len(story.item_ids) == 2
        assert story.item_ids[1] == "again" + story.item_ids[0][1:]

    # Words of forgotten stories: the same stems; a new story, which a retelling joins.
    for n in forgotten:
        assert index.stems(texts[n]) == old_stems[n], n
    revived = _assign(index, Item(id="old1", title=texts[10], published=now))
    assert revived.is_new_story
    assert revived.story_id not in survivors.values()
    follow = _assign(index, Item(id="old2", title=texts[10].upper(), published=now))
    assert follow.story_id == revived.story_id

    # Brand-new words after the compaction group too.
    fresh = " ".join(_unique_words(rng, 5, taken))
    first = _assign(index, Item(id="new1", title=fresh, published=now))
    second = _assign(index, Item(id="new2", title=fresh, published=now + timedelta(hours=1)))
    assert first.is_new_story
    assert second.story_id == first.story_id

    # The company's name still does not count as shared text.
    a = _assign(
        index,
        Item(id="gm1", title="General Motors recalls pickups over brake fault", published=now),
        companies=["general-motors"],
    )
    b = _assign(
        index,
        Item(id="gm2", title="General Motors opens battery plant in Kentucky", published=now),
        companies=["general-motors"],
    )
    assert b.story_id != a.story_id


# ---------------------------------------------------------------- determinism


def _sample_feed() -> list[tuple[Item, list[str], list[str], EventGuess]]:
    matcher = Matcher(load_catalog(shipped_watchlists_dir()), events=EVENT_RULES)
    items = [Item.from_json(json.loads(line)) for line in SAMPLE.read_text().splitlines() if line]
    items.sort(key=lambda item: (item.published is None, item.published, item.id))
    out = []
    for item in items:
        result = matcher.match(item)
        out.append((item, list(result.companies), list(result.watchlists), result.event))
    return out


def run_sample_feed() -> list[list[object]]:
    """Every assignment of the sample feed, then every story record (JSON-able)."""
    index = StoryIndex()
    rows: list[list[object]] = []
    for item, companies, watchlists, event in _sample_feed():
        seen_at = item.published or T0
        a = index.assign(item, companies, watchlists, event, seen_at=seen_at)
        rows.append(
            [
                item.id,
                a.story_id,
                a.is_new_story,
                a.answers,
                list(a.also_related),
                a.similarity,
                a.reason,
            ]
        )
    for s in index.stories():
        rows.append(
            [
                s.story_id,
                s.headline,
                s.first_seen.isoformat(),
                s.last_seen.isoformat(),
                s.answers,
                s.item_ids,
                s.sources,
                s.event_type,
                sorted(s.companies),
                sorted(s.watchlists),
            ]
        )
    return rows


def test_same_feed_gives_same_results() -> None:
    first = run_sample_feed()
    second = run_sample_feed()
    assert first == second
    # The feed is not trivial: some items join, some answer.
    assignments = [row for row in first if len(row) == 7]
    assert any(row[2] is False for row in assignments)
    assert any(row[3] is not None for row in assignments)


def test_same_feed_gives_same_results_in_another_process(grouping: ModuleType) -> None:
    # Word hashes (compiled) and string hashes (pure Python) are seeded per
    # process: results must not depend on the seed.
    code = (
        "import json; from tests.stories.test_grouping_engine import run_sample_feed; "
        "print(json.dumps(run_sample_feed()))"
    )
    env = {k: v for k, v in os.environ.items() if k != PURE_PYTHON_ENV}
    if grouping.__name__.endswith("pygrouping"):
        env[PURE_PYTHON_ENV] = "1"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == json.loads(json.dumps(run_sample_feed()))


# ---------------------------------------------------------------- times

TALE = "Pemberly Oxfordshire reactor licence suspended"


def test_window_uses_instants_not_wall_clock() -> None:
    window = timedelta(days=4)
    # First item 02:00 UTC; the second at 22:30 New York time 3 days later, which
    # is 03:30 UTC the next day: 4 days 1.5 hours later, outside the window
    # (the wall clocks differ by 3 days 20.5 hours).
    index = StoryIndex(window=window)
    first = _assign(
        index, Item(id="a", title=TALE, published=datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    )
    late = Item(id="b", title=TALE, published=datetime(2026, 3, 4, 22, 30, tzinfo=NEW_YORK))
    assert late.published is not None
    assert late.published - datetime(2026, 3, 1, 2, 0, tzinfo=UTC) > window
    assert _assign(index, late).story_id != first.story_id

    # First item 22:00 New York (03:00 UTC next day); the second 3 days 22 hours
    # later in UTC (the wall clocks differ by 4 days 3 hours): inside the window.
    index = StoryIndex(window=window)
    first = _assign(
        index, Item(id="c", title=TALE, published=datetime(2026, 3, 1, 22, 0, tzinfo=NEW_YORK))
    )
    near = Item(id="d", title=TALE, published=datetime(2026, 3, 6, 1, 0, tzinfo=UTC))
    assert _assign(index, near).story_id == first.story_id


def test_first_and_last_seen_across_time_zones() -> None:
    index = StoryIndex()
    at_15_utc = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    at_1530_utc = datetime(2026, 3, 2, 10, 30, tzinfo=NEW_YORK)  # later, earlier wall clock
    at_1445_utc = datetime(2026, 3, 2, 9, 45, tzinfo=NEW_YORK)  # earliest
    first = _assign(index, Item(id="a", title=TALE, published=at_15_utc))
    assert (
        _assign(index, Item(id="b", title=TALE, published=at_1530_utc)).story_id == first.story_id
    )
    assert (
        _assign(index, Item(id="c", title=TALE, published=at_1445_utc)).story_id == first.story_id
    )
    story = index.get(first.story_id)
    assert story is not None
    assert story.first_seen == at_1445_utc == datetime(2026, 3, 2, 14, 45, tzinfo=UTC)
    assert story.last_seen == at_1530_utc
    assert story.item_ids == ["a", "b", "c"]

    # forget_before compares instants too.
    assert index.forget_before(datetime(2026, 3, 2, 10, 29, tzinfo=NEW_YORK)) == 0
    assert len(index) == 1
    assert index.forget_before(datetime(2026, 3, 2, 10, 31, tzinfo=NEW_YORK)) == 1
    assert len(index) == 0


def test_publication_later_than_seen_at_is_clamped_across_zones() -> None:
    index = StoryIndex()
    seen_at = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    published = datetime(2026, 3, 2, 11, 0, tzinfo=NEW_YORK)  # 16:00 UTC: after seen_at
    result = index.assign(
        Item(id="a", title=TALE, published=published),
        [],
        [],
        EventGuess("other", ""),
        seen_at=seen_at,
    )
    story = index.get(result.story_id)
    assert story is not None
    assert story.first_seen == seen_at
    # Published earlier than seen_at (09:00 New York = 14:00 UTC): kept.
    earlier = datetime(2026, 3, 2, 9, 0, tzinfo=NEW_YORK)
    other = index.assign(
        Item(id="b", title=TALE, published=earlier),
        [],
        [],
        EventGuess("other", ""),
        seen_at=seen_at,
    )
    assert other.story_id == result.story_id
    assert story.first_seen == earlier
    assert story.last_seen == seen_at


# ---------------------------------------------------------------- records

STORY = "Halvorsen Quintar shipyard merger approved by regulators in Oslo"


def test_story_record_lists_and_sets() -> None:
    index = StoryIndex()
    feed = [
        ("i1", "Reuters", ("ford", "xiaomi"), ("w-a",)),
        ("i2", "FT", ("ford",), ()),
        ("i3", "Reuters", ("ford", "catl"), ("w-b", "w-a")),
        ("i4", None, (), ()),
        ("i5", "AP", ("xiaomi",), ()),
        ("i6", "FT", (), ("w-c",)),
    ]
    ids = set()
    for n, (item_id, source, companies, watchlists) in enumerate(feed):
        item = _item(item_id, STORY, n, source=source)
        ids.add(_assign(index, item, "other", companies, watchlists).story_id)
    assert len(ids) == 1
    story = index.get(ids.pop())
    assert story is not None
    assert story.item_ids == ["i1", "i2", "i3", "i4", "i5", "i6"]
    assert story.sources == ["Reuters", "FT", "AP"]
    assert story.companies == frozenset({"ford", "xiaomi", "catl"})
    assert story.watchlists == frozenset({"w-a", "w-b", "w-c"})
    assert isinstance(story.companies, frozenset)
    assert isinstance(story.watchlists, frozenset)
    assert story.headline == STORY
    assert story.first_seen == T0
    assert story.last_seen == T0 + timedelta(hours=5)
    assert story.answers is None
    # The lists are copies: changing them does not change the story.
    story.item_ids.append("x")
    story.sources.clear()
    assert story.item_ids == ["i1", "i2", "i3", "i4", "i5", "i6"]
    assert story.sources == ["Reuters", "FT", "AP"]


def _types_after(types: Sequence[str]) -> tuple[str, int]:
    index = StoryIndex()
    ids = {
        _assign(index, _item(f"t{n}", STORY, n * 0.5), event_type).story_id
        for n, event_type in enumerate(types)
    }
    assert len(ids) == 1, types
    story = index.get(ids.pop())
    assert story is not None
    return story.event_type, len(story.item_ids)


def test_a_reaction_does_not_join_the_act_it_reacts_to() -> None:
    # An "other" item (a statement, a reaction) joins an "other" story but not
    # a story that already has a specific type.
    index = StoryIndex()
    act = _assign(index, _item("t0", STORY, 0), "rule")
    reaction = _assign(index, _item("t1", STORY, 0.5), "other")
    retold = _assign(index, _item("t2", STORY, 1), "rule")
    assert reaction.story_id != act.story_id
    assert retold.story_id == act.story_id


def test_event_type_is_the_dominant_specific_type() -> None:
    assert _types_after(["other"]) == ("other", 1)
    assert _types_after(["other", "other"]) == ("other", 2)
    # "other" only when nothing else is known, however many "other" items there are.
    assert _types_after(["other", "rule"]) == ("rule", 2)
    assert _types_after(["other", "other", "other", "rule"]) == ("rule", 4)
    # The most frequent specific type.
    assert _types_after(["rule", "filing", "filing"]) == ("filing", 3)
    assert _types_after(["other", "other", "other", "rule", "filing", "filing"]) == ("filing", 6)
    assert _types_after(["filing", "rule", "rule", "rule", "filing"]) == ("rule", 5)


CLAIM = _item(
    "c1",
    "Xiaomi and Ford in talks over American car joint venture to build electric vehicles in Ohio",
    0,
    "The Financial Times says the two companies have discussed building EVs on US soil.",
    source="FT",
)
RETELL = _item(
    "c2",
    "Ford reportedly sounded out Xiaomi on US-made electric cars",
    2,
    "The FT report says Ford and Xiaomi held early talks about a US joint venture for EVs.",
    source="Reuters",
)
DENIAL = _item(
    "n1",
    "Ford rejects FT report on Xiaomi joint venture talks as completely false and misleading today",
    8,
    "Ford's top spokesperson posted on X that no such discussions took place.",
    source="Reuters",
)
DENIAL_2 = _item("n2", "Ford: Xiaomi joint venture talks story completely false", 20, source="AP")
PAIR = ("ford", "xiaomi")
WATCH = ("chinese-ev-partnerships",)


def test_assignment_reasons() -> None:
    index = StoryIndex()
    new = _assign(index, CLAIM, "deal_report", PAIR, WATCH)
    assert new.is_new_story
    assert new.answers is None
    assert new.also_related == ()
    assert new.similarity == 0.0
    assert new.reason.startswith("new story")

    joined = _assign(index, RETELL, "deal_report", PAIR, WATCH)
    assert not joined.is_new_story
    assert joined.story_id == new.story_id
    assert joined.similarity > 0
    assert joined.reason.startswith(f"joined {new.story_id} ")
    # The story's headline (its first item's title), cut to 60 characters.
    assert len(CLAIM.title) > 60
    assert repr(CLAIM.title[:60]) in joined.reason
    assert repr(CLAIM.title[:61]) not in joined.reason
    assert f"similarity {joined.similarity:.2f}" in joined.reason
    assert "answers" not in joined.reason

    answer = _assign(index, DENIAL, "denial", PAIR, WATCH)
    assert answer.is_new_story
    assert answer.story_id != new.story_id
    assert answer.answers == new.story_id
    assert answer.reason.startswith(f"new denial story answering {new.story_id} ")
    assert repr(CLAIM.title[:60]) in answer.reason
    assert f"similarity {answer.similarity:.2f}" in answer.reason
    assert answer.similarity >= 0.6  # ANSWER_THRESHOLD

    again = _assign(index, DENIAL_2, "denial", PAIR, WATCH)
    assert again.story_id == answer.story_id
    assert again.answers == new.story_id
    assert again.reason.startswith(f"joined {answer.story_id} ")
    assert repr(DENIAL.title[:60]) in again.reason
    assert again.reason.endswith(f"; the story answers {new.story_id}")

    claim = index.get(new.story_id)
    denial = index.get(answer.story_id)
    assert claim is not None and denial is not None
    assert claim.event_type == "deal_report" and denial.event_type == "denial"
    assert claim.sources == ["FT", "Reuters"]
    assert denial.sources == ["Reuters", "AP"]
    assert denial.answers == new.story_id
    assert claim.answers is None
