"""RSS/Atom parsing: decode, refuse entity declarations, expat fast path, then feedparser.

feedparser is lenient (it recovers items from slightly broken feeds, which real
committee and agency sites produce), but it expands entities declared in a DTD, so a
billion-laughs feed costs it seconds and ~100 MB. No legitimate feed needs an internal
DTD subset, so any ENTITY/ELEMENT/ATTLIST declaration or ``[`` subset is refused
before either parser sees the bytes. A bare DOCTYPE (the Netscape RSS 0.91 public
identifier older government feeds still carry) declares nothing and is allowed;
inside CDATA or a comment it is just text.
feedparser's HTML sanitiser is switched off: it dominated parse time, and we strip
all markup with selectolax anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin
from xml.sax import SAXParseException

import feedparser

from bot.models import Item
from bot.sources.encoding import to_utf8
from bot.sources.etfeed import RawEntry, parse_entries
from bot.sources.normalize import canonical_url, feed_text, from_struct_time, item_id
from bot.sources.outcome import Parsed

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_CDATA_OR_COMMENT = re.compile(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->", re.DOTALL)
_DOCTYPE_END = re.compile(rb"""(?:"[^"]*"|'[^']*'|[^"'>\[])*([>\[])""")

NO_LINK = "had no link"
NO_TITLE = "had no title or text"
REPEATED = "repeated an earlier entry"


class FeedError(ValueError):
    """The body is not a usable feed; the message says why, in one line."""


def _check_declarations(data: bytes) -> None:
    """Raise FeedError for declarations that could define entities (XML bombs, XXE)."""
    if _DECLARATION.search(data) is None:
        return  # the common case: one regex scan, no copy
    markup = _CDATA_OR_COMMENT.sub(b"", data)
    found = [m for m in _DECLARATION.finditer(markup)]
    for match in found:
        kind = match.group(1).decode("ascii").upper()
        if kind != "DOCTYPE":
            raise FeedError(f"XML {kind} declarations are not allowed")
    for match in found:
        end = _DOCTYPE_END.match(markup, match.end())
        if end is None or end.group(1) == b"[":
            raise FeedError("XML DOCTYPE internal subsets are not allowed")


def check_xml_safe(data: bytes, content_type: str = "") -> None:
    """Raise FeedError if the document (in any encoding) declares a DTD subset or entities."""
    _check_declarations(to_utf8(data, content_type)[0])


def _looks_like_html(data: bytes, content_type: str) -> bool:
    """HTML page instead of a feed (a moved feed URL often lands on the site's home page)."""
    head = data[:2048].lower()
    if b"<rss" in head or b"<feed" in head or b"<rdf" in head:
        return False
    start = head.lstrip()
    return "html" in content_type.lower() or start.startswith((b"<html", b"<!doctype html"))


def _malformed(exc: object) -> FeedError:
    """Where and what, e.g. "malformed feed: line 3, column 30: not well-formed"."""
    if isinstance(exc, SAXParseException):
        where = f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}: "
        return FeedError(f"malformed feed: {where}{exc.getMessage()}")
    return FeedError(f"malformed feed: {exc}")


def _feedparser(data: bytes) -> Any:
    """feedparser over UTF-8 bytes; no base URL, so relative links stay relative for us."""
    parsed = feedparser.parse(
        data,
        sanitize_html=False,
        resolve_relative_uris=False,
        response_headers={"content-type": "application/xml; charset=utf-8"},
    )
    if not parsed.entries:
        if parsed.get("bozo"):
            raise _malformed(parsed.get("bozo_exception"))
        if not parsed.get("version"):
            raise FeedError("not an RSS/Atom feed")
    return parsed


def _is_web_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _detail_type(detail: Any) -> str:
    kind = str((detail or {}).get("type") or "")
    return "html" if "html" in kind else "text" if kind else ""


def _feedparser_entries(parsed: Any, document_url: str) -> Iterator[RawEntry]:
    own = urljoin(document_url, parsed.feed.get("link") or "") if document_url else ""
    own = own or str(parsed.feed.get("link") or "")
    base = own if _is_web_url(own) else document_url
    # RSS never says whether a field is HTML; feedparser's guess ("text/html") is not
    # evidence, so RSS fields are typed "" and normalisation decides, as on the fast path.
    typed = str(parsed.get("version") or "").startswith("atom")
    for entry in parsed.entries:
        summary_html = entry.get("summary") or ""
        summary_type = _detail_type(entry.get("summary_detail")) if typed else ""
        if not summary_html and entry.get("content"):
            summary_html = entry["content"][0].get("value", "")
            summary_type = _detail_type(entry["content"][0]) if typed else ""
        # dict.get bypasses feedparser's deprecated updated→published key aliasing.
        published = from_struct_time(
            dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
        )
        link = entry.get("link")
        if link and entry.get("guidislink") and not _is_web_url(link):
            link = None  # a default-permalink guid is a URL only when absolute
        yield RawEntry(
            title=entry.get("title") or "",
            link=urljoin(base, link) if link else None,
            guid=entry.get("id") or None,
            published=published,
            summary_html=summary_html,
            title_type=_detail_type(entry.get("title_detail")) if typed else "",
            summary_type=summary_type,
        )


def entries_to_items(
    entries: Iterable[RawEntry], *, source: str, source_kind: str, limit: int | None = None
) -> Parsed:
    """Normalise raw entries into Items, deduplicated by guid and canonical URL; every
    entry left out is counted under its reason."""
    result = Parsed([])
    items = result.items
    seen: set[str] = set()
    for entry in entries:
        url = canonical_url(entry.link)
        guid = entry.guid
        title = feed_text(entry.title, entry.title_type)
        summary = feed_text(entry.summary_html, entry.summary_type)
        if not title:
            title = summary[:120]
        if not title:
            result.dropped[NO_TITLE] += 1
            continue
        if not (url or guid):
            result.dropped[NO_LINK] += 1
            continue
        keys = [k for k in (f"u:{url}" if url else None, f"g:{guid}" if guid else None) if k]
        if any(k in seen for k in keys):
            result.dropped[REPEATED] += 1
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
    return result


def parse_feed(
    data: bytes,
    *,
    source: str,
    source_kind: str = "news",
    content_type: str = "",
    base_url: str = "",
    limit: int | None = None,
    use_fast_path: bool = True,
) -> Parsed:
    """Bytes of an RSS/Atom/RDF document → normalised Items and what was dropped.

    ``content_type`` is the HTTP header (its charset overrides the XML declaration);
    ``base_url`` is the document's URL (Content-Location resolved against the fetch
    URL), used for relative links the feed's ``xml:base`` and own link leave open.
    Well-formed feeds go through the expat fast path (``etfeed``); anything it cannot
    read goes to feedparser. ``use_fast_path=False`` forces feedparser (benchmark, tests).
    Raises FeedError when the body is not a feed or no entry is usable.
    """
    if not data.strip():
        raise FeedError("empty body")
    if _looks_like_html(data, content_type):
        raise FeedError(f"not an RSS/Atom feed (got {content_type or 'HTML'})")
    utf8, note = to_utf8(data, content_type)
    _check_declarations(utf8)
    raw = parse_entries(utf8, base_url) if use_fast_path else None
    if raw is None:
        raw = list(_feedparser_entries(_feedparser(utf8), base_url))
    result = entries_to_items(raw, source=source, source_kind=source_kind, limit=limit)
    if note:
        result.notes.append(note)
    if raw and not result.items:
        raise FeedError(f"no usable entries: {result.describe()}")
    return result
