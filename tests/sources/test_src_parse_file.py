"""``policywatch ingest --file``: local RSS/Atom XML or JSONL in the Item format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pw_feedserver import FIXTURES

from bot.sources import parse_file


def test_parse_rss_file() -> None:
    items = parse_file(FIXTURES / "rss.xml").items
    assert len(items) == 3 and items[0].source == "rss.xml"


def test_parse_jsonl_file(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    rows = [
        {"id": "a", "title": "Ford and CATL", "published": "2026-02-01T00:00:00Z"},
        {"id": "b", "title": "Second", "url": "https://example.com/b"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    items = parse_file(path).items
    assert [i.id for i in items] == ["a", "b"]


def test_bad_jsonl_line(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": "a", "title": "ok"}\n{"id": "b"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"items.jsonl:2: missing 'title'"):
        parse_file(path)


def test_xml_bomb_file_refused() -> None:
    with pytest.raises(ValueError, match="ENTITY declarations are not allowed"):
        parse_file(FIXTURES / "billion_laughs.xml")
