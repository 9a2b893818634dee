"""RSS/Atom parsing: refuse DTDs first, then the expat fast path, then feedparser.

feedparser is lenient (it recovers items from slightly broken feeds, which real
committee and agency sites produce), but it expands entities declared in a DTD, so a
billion-laughs feed costs it seconds and ~100 MB. No legitimate feed needs a DTD, so
any DOCTYPE/ENTITY declaration is refused before feedparser sees the bytes.
feedparser's HTML sanitiser is switched off: it dominated parse time, and we strip
all markup with selectolax anyway.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from typing import Any

import feedparser

from bot.models import Item
from bot.sources.etfeed import RawEntry, parse_entries
from bot.sources.normalize import canonical_url, from_struct_time, item_id, strip_html

_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
_DTD_TEXT = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)


class FeedError(ValueError):
    """The body is not a usable feed; the message says why, in one line."""


def _wide_encoding(head: bytes) -> str | None:
    """UTF-16/32 documents hide ``<!DOCTYPE`` from a byte scan; detect them to decode first."""
    for bom, name in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if head.startswith(bom):
            return name
    if head.startswith(b"\x00\x00\x00<"):
        return "utf-32-be"
    if head.startswith(b"<\x00\x00\x00"):
        return "utf-32-le"
    if head.startswith(b"\x00<"):
        return "utf-16-be"
    if head.startswith(b"<\x00"):
        return "utf-16-le"
    return None


def check_xml_safe(data: bytes) -> None:
    """Raise FeedError if the document declares a DTD or entities (XML bombs, XXE)."""
    wide = _wide_encoding(data[:4])
    if wide is not None:
        text = data.decode(wide, errors="replace")
        found = _DTD_TEXT.search(text)
        if found:
            raise FeedError(f"XML {found.group(1).upper()} declarations are not allowed")
        return
    match = _DTD.search(data)
    if match:
        raise FeedError(
            f"XML {match.group(1).decode('ascii').upper()} declarations are not allowed"
        )


def _looks_like_html(data: bytes, content_type: str) -> bool:
    """HTML page instead of a feed (a moved feed URL often lands on the site's home page)."""
    head = data[:2048].lower()
    if b"<rss" in head or b"<feed" in head or b"<rdf" in head:
        return False
    start = head.lstrip()
    return "html" in content_type.lower() or start.startswith((b"<html", b"<!doctype html"))


def parse_feed_bytes(data: bytes, *, content_type: str = "") -> Any:
    """Safely run feedparser over ``data``; raise FeedError when no feed comes out."""
    if not data.strip():
        raise FeedError("empty body")
    if _looks_like_html(data, content_type):
        raise FeedError(f"not an RSS/Atom feed (got {content_type or 'HTML'})")
    check_xml_safe(data)
    parsed = feedparser.parse(
        data,
        sanitize_html=False,
        resolve_relative_uris=False,
        response_headers={"content-type": content_type} if content_type else None,
    )
    if not parsed.entries:
        if parsed.get("bozo"):
            exc = parsed.get("bozo_exception")
            raise FeedError(f"malformed feed: {exc}")
        if not parsed.get("version"):
            raise FeedError("not an RSS/Atom feed")
    return parsed


def _first_link(entry: Any) -> str | None:
    link = entry.get("link")
    if link:
        return str(link)
    for candidate in entry.get("links", []) or []:
        href = candidate.get("href")
        if href and candidate.get("rel", "alternate") == "alternate":
            return str(href)
    return None


def _feedparser_entries(entries: Iterable[Any]) -> Iterator[RawEntry]:
    for entry in entries:
        summary_html = entry.get("summary") or ""
        if not summary_html and entry.get("content"):
            summary_html = entry["content"][0].get("value", "")
        # dict.get bypasses feedparser's deprecated updated→published key aliasing.
        published = from_struct_time(
            dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
        )
        yield RawEntry(
            title=entry.get("title") or "",
            link=_first_link(entry),
            guid=entry.get("id") or None,
            published=published,
            summary_html=summary_html,
        )


def entries_to_items(
    entries: Iterable[RawEntry], *, source: str, source_kind: str, limit: int | None = None
) -> list[Item]:
    """Normalise raw entries into Items, deduplicated by guid and canonical URL."""
    items: list[Item] = []
    seen: set[str] = set()
    for entry in entries:
        url = canonical_url(entry.link)
        guid = entry.guid
        title = strip_html(entry.title)
        summary = strip_html(entry.summary_html)
        if not title:
            title = summary[:120]
        if not title or not (url or guid):
            continue
        keys = [k for k in (f"u:{url}" if url else None, f"g:{guid}" if guid else None) if k]
        if any(k in seen for k in keys):
            continue
        seen.update(keys)
        items.append(
            Item(
                id=item_id(url or str(guid)),
                title=title,
                summary=summary,
                url=url,
                source=source,
                published=entry.published,
                source_kind=source_kind,
            )
        )
        if limit is not None and len(items) >= limit:
            break
    return items


def parse_feed(
    data: bytes,
    *,
    source: str,
    source_kind: str = "news",
    content_type: str = "",
    limit: int | None = None,
    use_fast_path: bool = True,
) -> list[Item]:
    """Bytes of an RSS/Atom document → normalised Items.

    Well-formed RSS/Atom goes through the expat fast path (``etfeed``); anything it
    cannot read goes to feedparser. ``use_fast_path=False`` forces feedparser
    (benchmark comparison).
    """
    if _looks_like_html(data, content_type):
        raise FeedError(f"not an RSS/Atom feed (got {content_type or 'HTML'})")
    check_xml_safe(data)
    fast = parse_entries(data) if use_fast_path else None
    if fast is not None:
        return entries_to_items(fast, source=source, source_kind=source_kind, limit=limit)
    parsed = parse_feed_bytes(data, content_type=content_type)
    raw = _feedparser_entries(parsed.entries)
    items = entries_to_items(raw, source=source, source_kind=source_kind, limit=limit)
    if not items and parsed.get("bozo"):
        raise FeedError(f"malformed feed: {parsed.get('bozo_exception')}")
    return items
