"""Turn raw feed/API fields into the stable shapes the rest of the bot relies on.

Matching, dedup and storage all key on these values, so every source goes through
the same functions: one canonical URL per article, plain text without markup, UTC
datetimes, and a short id that stays the same across fetches.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import time
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

from bot.models import parse_timestamp

# Query parameters that only track the click; they make one article look like many.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "cmpid",
        "ncid",
        "sr_share",
        "ref_src",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "hsa_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_WS = re.compile(r"\s+")
_DROPPED_TAG = re.compile(r"<(?:script|style|noscript|template)\b", re.IGNORECASE)
ID_LENGTH = 20


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str | None) -> str | None:
    """Canonical form of an article URL: tracking params and fragment dropped, host lowercased.

    Returns None for anything that is not an absolute http(s) URL, because such a link
    cannot be opened by a chat user anyway and must not become an item's identity.
    """
    if not url:
        return None
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal needs its brackets back
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query_pairs = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    query = urlencode(query_pairs, doseq=True)
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def collapse_ws(text: str) -> str:
    """Collapse runs of whitespace (including newlines and NBSP) into single spaces."""
    return _WS.sub(" ", text.replace("\xa0", " ")).strip()


def strip_html(text: str | None) -> str:
    """Plain text of an HTML fragment, parsed with selectolax (regexes miss edge cases).

    Script and style bodies are dropped; entities are decoded; whitespace collapsed.
    The CSS query that finds them costs as much as the parse itself, so it runs only
    when such a start tag is in the text (the HTML tokenizer needs ``<`` and the name).
    """
    if not text:
        return ""
    if "<" not in text and "&" not in text:
        return collapse_ws(text)
    tree = LexborHTMLParser(text)
    if _DROPPED_TAG.search(text):
        for node in tree.css("script, style, noscript, template"):
            node.decompose()
    root = tree.body or tree.root
    plain = root.text(separator=" ") if root is not None else ""
    return collapse_ws(plain)


# Tags that make an RSS title or description HTML; anything else in angle brackets
# ("Vec<T>", "<Section 301>") is text that was escaped once, as feedparser decides.
_HTML_MARKUP = re.compile(
    r"</?(?:a|abbr|acronym|address|article|aside|audio|b|big|blockquote|body|br|caption|center|"
    r"cite|code|dd|del|details|dfn|div|dl|dt|em|embed|figcaption|figure|font|footer|form|h[1-6]|"
    r"head|header|hr|html|i|iframe|img|input|ins|kbd|li|link|main|mark|meta|nav|noscript|object|"
    r"ol|p|picture|pre|q|s|samp|script|section|small|source|span|strike|strong|style|sub|"
    r"summary|sup|table|tbody|td|template|tfoot|th|thead|time|title|tr|tt|u|ul|var|video)"
    r"(?:\s[^>]*)?/?>|<!--|&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});",
    re.IGNORECASE,
)
# C1 controls come from ``&#146;``-style references meant as windows-1252 (feedparser
# and browsers map them the same way); the five code points it leaves undefined stay.
_C1 = re.compile("[\x80-\x9f]")
_C1_TO_CP1252 = {
    code: bytes([code]).decode("cp1252")
    for code in range(0x80, 0xA0)
    if code not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}


def fix_c1(text: str) -> str:
    """Replace C1 control characters with the windows-1252 characters they stand for."""
    if text.isascii() or not _C1.search(text):
        return text
    return text.translate(_C1_TO_CP1252)


def feed_text(text: str | None, kind: str = "") -> str:
    """Plain text of a feed field: ``kind`` "text" is plain, "html" is markup, and ""
    (RSS, which never says) is markup only when it contains a real tag or entity."""
    if not text:
        return ""
    text = fix_c1(text)
    if kind == "html":
        return strip_html(text)
    if kind == "text" or ("<" not in text and "&" not in text) or not _HTML_MARKUP.search(text):
        return collapse_ws(text)
    return strip_html(text)


def from_struct_time(value: time.struct_time | None) -> datetime | None:
    """feedparser's ``*_parsed`` values are UTC struct_times; make them aware datetimes."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def to_utc(value: str | datetime | date | None) -> datetime | None:
    """Best-effort date reading into aware UTC; unknown or missing dates become None.

    Accepts ISO 8601 (with or without zone, ``Z`` allowed), bare dates (midnight UTC)
    and RFC 822 dates as used by RSS.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = value.strip()
    if not text:
        return None
    parsed = parse_timestamp(text)
    if parsed is not None:
        return parsed
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def item_id(key: str) -> str:
    """Stable short id: sha1 of the canonical URL (or guid), truncated.

    Truncated to keep ids readable in chat; 80 bits leave collisions negligible.
    """
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:ID_LENGTH]
