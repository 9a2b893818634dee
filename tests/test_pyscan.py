"""The pure-Python twins of the matcher's compiled parts give what the
compiled ones give: the per-hit loop hit for hit, folding character for
character."""

from __future__ import annotations

import json
import random
from pathlib import Path

from bot import fold as compiled_fold
from bot import pyfold, pyscan, scan
from bot.matcher import Matcher, MatchResult
from bot.models import Item
from bot.stories import EVENT_RULES
from bot.text import fold
from bot.watchlists import load_catalog, shipped_watchlists_dir

ROOT = Path(__file__).resolve().parent.parent


def _texts() -> list[str]:
    paths = [*sorted((ROOT / "benchmarks/data").glob("*.jsonl")), ROOT / "bot/sample/items.jsonl"]
    lines = [line for path in paths for line in path.read_text("utf-8").splitlines() if line]
    rows = [json.loads(line) for line in lines]
    return [f"{row['title']} | {row.get('summary') or ''}" for row in rows]


def test_scan_agrees_on_every_labelled_and_sample_item() -> None:
    matcher = Matcher(load_catalog(shipped_watchlists_dir()), events=EVENT_RULES)
    automaton = matcher._automaton
    texts = _texts()
    assert len(texts) > 1000
    hits = 0
    for text in texts:
        folded = fold(text)[0]
        compiled = scan.scan(automaton, folded)
        assert pyscan.scan(automaton, folded) == compiled, text
        hits += sum(len(spans) for spans in compiled.values())
    assert hits > len(texts)  # the items do hit phrases: the comparison is not vacuous


class _PureMatcher(Matcher):
    """The matcher on the pure-Python per-hit loop and rules, whatever is built."""

    _engine = pyscan


def _items() -> list[Item]:
    paths = [*sorted((ROOT / "benchmarks/data").glob("*.jsonl")), ROOT / "bot/sample/items.jsonl"]
    lines = [line for path in paths for line in path.read_text("utf-8").splitlines() if line]
    return [Item.from_json(json.loads(line)) for line in lines]


def _as_tuple(result: MatchResult) -> tuple[object, ...]:
    return (
        result.watchlists,
        result.companies,
        result.concepts,
        list(result.evidence.items()),
        result.event,
        result.explain(),
    )


def test_rules_agree_on_every_labelled_and_sample_item() -> None:
    catalog = load_catalog(shipped_watchlists_dir())
    compiled, pure = Matcher(catalog, events=EVENT_RULES), _PureMatcher(catalog, events=EVENT_RULES)
    assert compiled._engine is scan
    items = _items()
    matched = 0
    for item in items:
        result = compiled.match(item)
        got = _as_tuple(result)
        assert got == _as_tuple(pure.match(item)), item.id
        explained = (result.watchlists, result.companies, result.evidence, *result.source)
        assert pyscan.explain(*explained) == scan.explain(*explained), item.id
        matched += bool(got[0]) and bool(got[1])
    assert matched > 100  # watchlists and companies both found in many items


def test_outermost_agrees_on_random_spans() -> None:
    rng = random.Random(19)
    for _ in range(5000):
        raw = [(start, start + rng.randrange(1, 8)) for start in rng.choices(range(20), k=5)]
        raw = raw[: rng.randrange(1, 6)]
        assert pyscan.outermost(raw) == scan.outermost(raw), raw


def test_words_apart_agrees_on_random_spans() -> None:
    rng = random.Random(19)
    for _ in range(20000):
        text = "".join(rng.choices("ab |", k=rng.randrange(1, 30)))
        one, other = (sorted(rng.sample(range(len(text) + 1), 2)) for _ in range(2))
        title_end = rng.randrange(0, len(text) + 1)
        args = (text, (one[0], one[1]), (other[0], other[1]), title_end)
        assert pyscan.words_apart(*args) == scan.words_apart(*args), args


def test_suffix_end_agrees_on_random_text() -> None:
    rng = random.Random(19)
    for _ in range(20000):
        text = "".join(rng.choices("se'ab 1²_-.é小", k=rng.randrange(0, 8)))
        end = rng.randrange(0, len(text) + 1)
        assert pyscan.suffix_end(text, end) == scan.suffix_end(text, end), (text, end)


def test_fold_agrees_on_every_labelled_and_sample_item() -> None:
    texts = _texts()
    variants = [
        variant
        for text in texts
        for variant in (text, text.replace(" ", "  "), " " + text.replace("’", " — ") + "\u0301 ")
    ]
    assert sum(pyfold.fold(text)[1] is not None for text in variants) > len(texts)  # gaps moved
    for text in variants:
        assert compiled_fold.fold(text) == pyfold.fold(text), text


def test_fold_agrees_on_random_text() -> None:
    rng = random.Random(19)
    alphabet = _FOLD_ALPHABET
    for _ in range(50000):
        text = "".join(rng.choices(alphabet, k=rng.randrange(0, 40)))
        assert compiled_fold.fold(text) == pyfold.fold(text), repr(text)


def test_fold_agrees_on_every_character() -> None:
    for start in range(0, 0x110000, 256):
        chunk = [chr(code) for code in range(start, start + 256)]
        for text in ("a".join(chunk), " " + "  ".join(chunk) + " ", "".join(chunk)):
            assert compiled_fold.fold(text) == pyfold.fold(text), hex(start)


# Runs of spaces, marks and control white space at either end and inside,
# ASCII and wide text alike, and characters with a table entry of their own.
_FOLD_ALPHABET = (
    "aZ9 -/_'`\t\n\r\x0b\x0c\x1c\x1f"
    + "\u2019\u201c\u2014\u00a0\u2009\u3000\u2028"
    + "\u0301\u0300\u20dd"
    + "éÖßİıǅﬁ²ẞЖ小Ｆ🚗\U0001d400"
)


def test_fold_takes_str_subclasses_like_the_twin() -> None:
    class Word(str):  # the command grammar folds its parsed words
        pass

    for text in ("Pause  EV-Tariffs", "Société Générale", "ascii"):
        assert compiled_fold.fold(Word(text)) == pyfold.fold(Word(text)) == pyfold.fold(text)
