"""The pure-Python per-hit loop gives what the compiled one gives, hit for hit."""

from __future__ import annotations

import json
import random
from pathlib import Path

from bot import pyscan, scan
from bot.matcher import Matcher
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


def test_suffix_end_agrees_on_random_text() -> None:
    rng = random.Random(19)
    for _ in range(20000):
        text = "".join(rng.choices("se'ab 1²_-.é小", k=rng.randrange(0, 8)))
        end = rng.randrange(0, len(text) + 1)
        assert pyscan.suffix_end(text, end) == scan.suffix_end(text, end), (text, end)
