"""Decode a feed's bytes the way browsers and feedparser do, then hand on UTF-8.

Both parsers (the expat fast path and feedparser) and the DTD check then see the
same UTF-8 bytes, so the encoding is decided once, here:

1. a byte-order mark wins (WHATWG), then the HTTP ``charset``, then the XML
   declaration, then UTF-8 (the XML default);
2. ISO-8859-1 and US-ASCII labels are read as windows-1252, as browsers do: agency
   feeds that say Latin-1 send curly quotes in 0x91–0x94;
3. an unknown label, or bytes that are not valid in the chosen encoding, fall back
   to UTF-8 and then windows-1252, and the returned note says so, instead of raising.
"""

from __future__ import annotations

import codecs
import re

_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\"';\s]+)", re.IGNORECASE)
_DECL = re.compile(rb"^\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([^\"']*)[\"']")
_DECL_TEXT = re.compile(r"^(\s*<\?xml[^>]*?\bencoding\s*=\s*)([\"'])[^\"']*\2")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# ``<?`` in a UTF-16/32 document without a BOM (XML 1.0 appendix F).
_WIDE_SNIFF = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)
_WIDE = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})
# Python codec names whose labels browsers read as windows-1252.
_AS_WINDOWS_1252 = frozenset({"iso8859-1", "ascii", "cp1252"})
WINDOWS_1252 = "windows-1252"


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    """The five bytes windows-1252 leaves undefined map to the same code point (WHATWG)."""
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("policywatch-latin1", _latin1_fallback)


def _sniff(head: bytes) -> str | None:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    for prefix, name in _WIDE_SNIFF:
        if head.startswith(prefix):
            return name
    return None


def http_charset(content_type: str) -> str | None:
    """The ``charset`` parameter of a Content-Type header, if any."""
    found = _HTTP_CHARSET.search(content_type or "")
    return found.group(1) if found else None


def _codec(label: str) -> str | None:
    """Python codec for an encoding label (windows-1252 for the Latin-1 family), or None."""
    try:
        name = codecs.lookup(label.strip()).name
    except LookupError:
        return None
    return WINDOWS_1252 if name in _AS_WINDOWS_1252 else name


def _decode(data: bytes, codec: str) -> str:
    if codec == WINDOWS_1252:
        return data.decode("cp1252", errors="policywatch-latin1")
    return data.decode(codec)


def to_utf8(data: bytes, content_type: str = "") -> tuple[bytes, str | None]:
    """``data`` as UTF-8 bytes (XML declaration rewritten to match) and a note when the
    encoding had to be guessed (unknown label, or bytes invalid in the declared one)."""
    sniffed = _sniff(data[:4])
    found = _DECL.match(data[:512]) if sniffed is None else None
    declared = found.group(1).decode("ascii", "replace") if found else None
    label, where = next(
        (
            (value, place)
            for value, place in (
                (sniffed, "byte-order mark"),
                (http_charset(content_type), "HTTP header"),
                (declared, "XML declaration"),
            )
            if value
        ),
        ("utf-8", "default"),
    )
    codec = _codec(label)
    if codec in _WIDE and where == "XML declaration":
        codec = "utf-8"  # the declaration was readable as ASCII, so it is wrong (WHATWG)
    note = None if codec else f"unknown encoding {label!r} in the {where}"
    if codec is not None:
        try:
            text = _decode(data, codec)
        except UnicodeDecodeError:
            note = f"bytes are not valid {label} (from the {where})"
    if note is not None:
        try:
            text = data.decode("utf-8-sig")
            note += "; read as UTF-8"
        except UnicodeDecodeError:
            text = _decode(data, WINDOWS_1252)
            note += "; read as windows-1252"
    elif (
        codec == "utf-8"
        and not data[:1].isspace()
        and (declared is None or _codec(declared) == "utf-8")
    ):
        return data, None  # already what the parsers want: skip the re-encode
    text = text.removeprefix("\ufeff").lstrip()
    text = _DECL_TEXT.sub(r'\1"utf-8"', text, count=1)
    return text.encode("utf-8"), note
