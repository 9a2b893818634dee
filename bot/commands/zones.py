"""Reading a time-zone name typed in chat (``subscribe ... tz AREA/CITY``).

Names are IANA AREA/CITY names, found whatever their case
(``america/new_york``), plus ``UTC``. A digest is scheduled at a local time
every day, so the zone must know that place's daylight-saving rules:
abbreviations (``EST``, ``PST``, ``CET``), fixed offsets (``UTC+5``,
``Etc/GMT-5``) and old one-word aliases (``EST5EDT``, ``Japan``) are refused
with the names to use instead. ``UTC`` is accepted because a team that asks
for it means a clock that never shifts.
"""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import available_timezones

from rapidfuzz import fuzz, process

EXAMPLE = "America/New_York"
# Abbreviations people type, and the places they usually mean.
ABBREVIATIONS: dict[str, str] = {
    **dict.fromkeys(("est", "edt", "et"), "America/New_York (US Eastern)"),
    **dict.fromkeys(("cst", "cdt", "ct"), "America/Chicago (US Central) or Asia/Shanghai (China)"),
    **dict.fromkeys(
        ("mst", "mdt", "mt"), "America/Denver (US Mountain) or America/Phoenix (Arizona)"
    ),
    **dict.fromkeys(("pst", "pdt", "pt"), "America/Los_Angeles (US Pacific)"),
    **dict.fromkeys(("akst", "akdt"), "America/Anchorage"),
    **dict.fromkeys(("hst", "hast", "hdt"), "Pacific/Honolulu"),
    **dict.fromkeys(("gmt", "bst", "uk"), "Europe/London (UK time)"),
    **dict.fromkeys(("cet", "cest", "met", "mez"), "Europe/Paris or Europe/Berlin"),
    **dict.fromkeys(("eet", "eest"), "Europe/Athens or Europe/Helsinki"),
    **dict.fromkeys(("wet", "west"), "Europe/Lisbon"),
    "msk": "Europe/Moscow",
    "ist": "Asia/Kolkata (India) or Europe/Dublin (Ireland)",
    "jst": "Asia/Tokyo",
    "kst": "Asia/Seoul",
    "hkt": "Asia/Hong_Kong",
    "sgt": "Asia/Singapore",
    **dict.fromkeys(("aest", "aedt"), "Australia/Sydney"),
}
_UTC_NAMES = frozenset({"utc", "etc/utc"})
# "UTC+5", "GMT-03:30", "+0530", "Etc/GMT+5", "Z+2"
_OFFSET = re.compile(r"^(?:etc/)?(?:utc|gmt|z)?\s*[+\-\u2212]\s*\d{1,2}(?::?\d{2})?$")


class ZoneError(ValueError):
    """A name that is not an accepted time zone; the message says what to use."""


@cache
def _zones() -> dict[str, str]:
    """Every IANA name by its lower-case spelling (read once from tzdata)."""
    return {name.lower(): name for name in available_timezones()}


@cache
def _places() -> dict[str, list[str]]:
    """AREA/CITY names by their city, lower case ("new_york" -> America/New_York)."""
    places: dict[str, list[str]] = {}
    for name in sorted(_zones().values()):
        if _is_place(name):
            places.setdefault(name.rsplit("/", 1)[1].lower(), []).append(name)
    return places


def _is_place(name: str) -> bool:
    return "/" in name and not name.startswith("Etc/")


def resolve_zone(value: str) -> str:
    """The canonical zone name for ``value`` (``america/new_york`` ->
    ``America/New_York``, ``utc`` -> ``UTC``), or :class:`ZoneError`."""
    key = value.strip().lower()
    if key in _UTC_NAMES:
        return "UTC"
    if key in ABBREVIATIONS:
        raise ZoneError(
            f"'{value}' is an abbreviation, not a time zone: use {ABBREVIATIONS[key]}, "
            "or UTC (zone names follow daylight saving)"
        )
    if _OFFSET.match(key):
        raise ZoneError(
            f"'{value}' is a fixed offset, which does not follow daylight saving: "
            f"use a place such as {EXAMPLE} (or UTC)"
        )
    name = _zones().get(key)
    if name is not None and _is_place(name):
        return name
    raise ZoneError(_refusal(value, key, name))


def _refusal(value: str, key: str, name: str | None) -> str:
    """Why ``value`` is refused, with the nearest place names when there are some."""
    why = (
        f"'{name}' is an old alias or a fixed offset"
        if name is not None
        else f"unknown time zone '{value}'"
    )
    city = key.rsplit("/", 1)[-1].replace(" ", "_")
    choices = _places().get(city)
    if not choices:
        best = process.extractOne(
            key, list(_zones()), scorer=fuzz.ratio, score_cutoff=80, processor=None
        )
        choices = [_zones()[best[0]]] if best and _is_place(_zones()[best[0]]) else []
    if choices:
        return f"{why}: did you mean {' or '.join(choices[:3])}?"
    return f"{why}: use an IANA AREA/CITY name like {EXAMPLE} (or UTC)"
