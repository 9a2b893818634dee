"""JSON API sources: Federal Register, Congress.gov and SEC EDGAR submissions.

Each API gets two pure functions, one to build the request and one to turn the body
into Items, so they can be tested from fixture files without any HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlencode, urljoin

from bot.models import Item
from bot.sources.config import SourceConfig
from bot.sources.normalize import canonical_url, collapse_ws, item_id, strip_html, to_utc
from bot.sources.outcome import Parsed

FEDERAL_REGISTER_URL = "https://www.federalregister.gov/api/v1/documents.json"
CONGRESS_URL = "https://api.congress.gov/v3/bill"
EDGAR_URL = "https://data.sec.gov/submissions/CIK{cik:010d}.json"
EDGAR_DEFAULT_FORMS = ("8-K", "10-K", "10-Q", "6-K", "S-1", "SC 13D", "DEF 14A")


class ApiError(ValueError):
    """An API body that does not have the expected shape."""


def _load(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(f"{what}: body is not JSON ({exc})") from None


def _rows(data: bytes, what: str, key: str) -> list[dict[str, Any]]:
    """The objects in the body's top-level ``key`` list; anything else in that
    list is skipped, a body without the list is an :class:`ApiError`."""
    doc = _load(data, what)
    rows = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise ApiError(f"{what}: no '{key}' list")
    return [row for row in rows if isinstance(row, dict)]


def _with_query(
    base: str, query: Mapping[str, str] | Sequence[tuple[str, str]], safe: str = ""
) -> str:
    """``base`` plus an encoded query, appended to any query ``base`` has already."""
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}{urlencode(query, safe=safe)}"


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str | int):
        return [str(value)]
    return [str(v) for v in value]


# --- Federal Register ------------------------------------------------------------


def federal_register_url(source: SourceConfig) -> str:
    """documents.json search by term, agency and document type, newest first."""
    params = source.params
    query: list[tuple[str, str]] = []
    if params.get("term"):
        query.append(("conditions[term]", str(params["term"])))
    query += [("conditions[agencies][]", a) for a in _as_list(params.get("agencies"))]
    query += [("conditions[type][]", t) for t in _as_list(params.get("types"))]
    query += [("order", "newest"), ("per_page", str(params.get("per_page", 20)))]
    return _with_query(source.url or FEDERAL_REGISTER_URL, query)


def parse_federal_register(data: bytes, source: SourceConfig) -> Parsed:
    parsed = Parsed([])
    items = parsed.items
    for row in _rows(data, "federal register", "results"):
        url = canonical_url(row.get("html_url") or row.get("pdf_url"))
        number = row.get("document_number")
        title = strip_html(row.get("title"))
        if not title:
            parsed.dropped["had no title"] += 1
            continue
        if not (url or number):
            parsed.dropped["had no URL or document number"] += 1
            continue
        agencies = ", ".join(
            str(a.get("name") or a.get("raw_name"))
            for a in row.get("agencies") or []
            if isinstance(a, dict) and (a.get("name") or a.get("raw_name"))
        )
        abstract = strip_html(row.get("abstract") or row.get("excerpts"))
        kind = row.get("type")
        prefix = " · ".join(p for p in (kind, agencies) if p)
        items.append(
            Item(
                id=item_id(url or f"federalregister:{number}"),
                title=title,
                summary=collapse_ws(f"{prefix}. {abstract}" if prefix else abstract),
                url=url,
                source=source.name,
                published=to_utc(row.get("publication_date")),
                source_kind=source.source_kind,
            )
        )
    return parsed


# --- Congress.gov ----------------------------------------------------------------

_BILL_TYPES: dict[str, tuple[str, str]] = {
    "HR": ("H.R.", "house-bill"),
    "S": ("S.", "senate-bill"),
    "HRES": ("H.Res.", "house-resolution"),
    "SRES": ("S.Res.", "senate-resolution"),
    "HJRES": ("H.J.Res.", "house-joint-resolution"),
    "SJRES": ("S.J.Res.", "senate-joint-resolution"),
    "HCONRES": ("H.Con.Res.", "house-concurrent-resolution"),
    "SCONRES": ("S.Con.Res.", "senate-concurrent-resolution"),
}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def congress_url(source: SourceConfig) -> str:
    """Recently updated bills; the API key goes in a header, never in the URL."""
    params = source.params
    base = source.url or CONGRESS_URL
    if params.get("congress") and not source.url:
        base = f"{base}/{int(params['congress'])}"
    query = {"format": "json", "limit": str(params.get("limit", 50)), "sort": "updateDate+desc"}
    return _with_query(base, query, safe="+")


def _bill_key(bill: Mapping[str, Any]) -> tuple[int, str, str] | None:
    """(congress, TYPE, number) of a list entry, or None when it lacks one of them."""
    try:
        return int(bill["congress"]), str(bill["type"]).upper(), str(bill["number"])
    except (KeyError, TypeError, ValueError):
        return None


def _congress_rows(data: bytes) -> list[dict[str, Any]]:
    """Bills of a list answer (``bills``) or of one bill's answer (``bill``)."""
    doc = _load(data, "congress.gov")
    if isinstance(doc, dict) and isinstance(doc.get("bill"), dict):
        return [doc["bill"]]
    return _rows(data, "congress.gov", "bills")


# Title fields in the order Congress.gov answers use them: the list's ``title``, then
# the short and official titles of other answers, then a bill answer's ``titles`` list.
_TITLE_KEYS = ("title", "shortTitle", "displayTitle", "officialTitle")


def _bills(count: int) -> str:
    return f"{count} bill" if count == 1 else f"{count} bills"


def bill_title(bill: Mapping[str, Any]) -> str:
    """The best title text an answer gives for one bill, or "" when it has none."""
    for key in _TITLE_KEYS:
        text = strip_html(bill.get(key) if isinstance(bill.get(key), str) else None)
        if text:
            return text
    titles = bill.get("titles")
    if isinstance(titles, list):
        for entry in titles:
            if isinstance(entry, dict) and isinstance(entry.get("title"), str):
                return strip_html(entry["title"])
    return ""


def answer_bill_title(data: bytes) -> str:
    """Title text of a bill-endpoint answer (``{"bill": {...}}``), or ""."""
    rows = _congress_rows(data)
    return bill_title(rows[0]) if rows else ""


def untitled_bills(data: bytes, list_url: str) -> dict[str, str]:
    """Bill-endpoint URLs of the list entries with no title text, by bill key.

    The URL is built on the list URL's host, never taken from the answer, so a
    hostile answer cannot steer the extra requests.
    """
    wanted: dict[str, str] = {}
    for bill in _congress_rows(data):
        key = _bill_key(bill)
        if key is not None and not bill_title(bill):
            congress, kind, number = key
            path = f"/v3/bill/{congress}/{kind.lower()}/{number}?format=json"
            wanted[f"{congress}/{kind}/{number}"] = urljoin(list_url, path)
    return wanted


def parse_congress(
    data: bytes, source: SourceConfig, titles: Mapping[str, str] | None = None
) -> Parsed:
    """Bills of a list (or one bill's) answer. An entry without title text takes it
    from ``titles`` (fetched from the bill endpoint, keyed ``119/HR/7001``), else is
    titled from its latest action, and a note says which was used."""
    parsed = Parsed([])
    fetched = from_action = 0
    for bill in _congress_rows(data):
        key = _bill_key(bill)
        if key is None:
            parsed.dropped["had no congress, type or number"] += 1
            continue
        congress, bill_type, number = key
        label, slug = _BILL_TYPES.get(bill_type, (bill_type, bill_type.lower()))
        url = f"https://www.congress.gov/bill/{_ordinal(congress)}-congress/{slug}/{number}"
        action = bill.get("latestAction") or {}
        action_text = strip_html(action.get("text")) if isinstance(action, dict) else ""
        action_date = action.get("actionDate") if isinstance(action, dict) else None
        summary = f"Latest action ({action_date}): {action_text}" if action_text else ""
        title = bill_title(bill)
        if not title and titles and (known := titles.get(f"{congress}/{bill_type}/{number}")):
            title, fetched = known, fetched + 1
        if not title and action_text:
            title, from_action = f"(untitled) {action_text}", from_action + 1
        parsed.items.append(
            Item(
                id=item_id(url),
                title=f"{label} {number}: {title}" if title else f"{label} {number}",
                summary=summary,
                url=url,
                source=source.name,
                published=to_utc(bill.get("updateDate") or action_date),
                source_kind=source.source_kind,
            )
        )
    if fetched:
        parsed.notes.append(f"{_bills(fetched)} titled from the bill endpoint")
    if from_action:
        parsed.notes.append(f"{_bills(from_action)} without a title, titled by latest action")
    return parsed


# --- SEC EDGAR -------------------------------------------------------------------

_8K_ITEMS = {
    "1.01": "Entry into a Material Definitive Agreement",
    "1.02": "Termination of a Material Definitive Agreement",
    "2.01": "Completion of Acquisition or Disposition of Assets",
    "2.02": "Results of Operations and Financial Condition",
    "2.05": "Costs Associated with Exit or Disposal Activities",
    "2.06": "Material Impairments",
    "5.02": "Departure or Appointment of Directors or Officers",
    "7.01": "Regulation FD Disclosure",
    "8.01": "Other Events",
    "9.01": "Financial Statements and Exhibits",
}


def edgar_url(source: SourceConfig) -> str:
    return source.url or EDGAR_URL.format(cik=int(source.params["cik"]))


def parse_edgar(data: bytes, source: SourceConfig) -> Parsed:
    """Recent filings of one company, filtered to the forms that carry news; an
    amendment (8-K/A, 10-K/A) of such a form is reported and marked as one."""
    doc = _load(data, "edgar")
    recent = doc.get("filings", {}).get("recent") if isinstance(doc, dict) else None
    if not isinstance(recent, dict):
        raise ApiError("edgar: no filings.recent")
    company = collapse_ws(str(doc.get("name") or source.name))
    cik = str(int(doc.get("cik") or source.params.get("cik") or 0))
    forms = set(_as_list(source.params.get("forms")) or EDGAR_DEFAULT_FORMS)
    columns = ("accessionNumber", "form", "filingDate", "primaryDocument")
    if not all(isinstance(recent.get(c), list) for c in columns):
        raise ApiError("edgar: filings.recent lacks accessionNumber/form/filingDate columns")
    count = min(len(recent[c]) for c in columns)

    def column(name: str, index: int) -> str:
        values = recent.get(name)
        if isinstance(values, list) and index < len(values) and values[index] is not None:
            return str(values[index])
        return ""

    parsed = Parsed([])
    amendments: list[str] = []
    for i in range(count):
        form = column("form", i)
        amended = form.endswith("/A") and form.removesuffix("/A") in forms
        if form not in forms and not amended:
            continue
        if amended:
            amendments.append(form)
        accession = column("accessionNumber", i)
        document = column("primaryDocument", i)
        url = f"https://www.sec.gov/Archives/edgar/data/{cik}/{accession.replace('-', '')}/"
        url += document
        description = column("primaryDocDescription", i)
        codes = [c.strip() for c in column("items", i).split(",") if c.strip()]
        explained = "; ".join(_8K_ITEMS.get(c, f"Item {c}") for c in codes)
        title = f"{company} {form}" + (" (amendment)" if amended else "")
        title += f": {explained}" if explained else ""
        summary = collapse_ws(f"{form} filed {column('filingDate', i)}. {description}")
        published = to_utc(column("acceptanceDateTime", i) or column("filingDate", i))
        parsed.items.append(
            Item(
                id=item_id(canonical_url(url) or accession),
                title=title,
                summary=summary,
                url=canonical_url(url),
                source=source.name,
                published=published,
                source_kind=source.source_kind,
            )
        )
    if amendments:
        kinds = ", ".join(sorted(set(amendments)))
        parsed.notes.append(f"{len(amendments)} amendments ({kinds})")
    return parsed


# --- saved answers ---------------------------------------------------------------

ApiKind = Literal["federal_register", "congress", "edgar"]


def answer_kind(doc: Any) -> ApiKind | None:
    """Which API a saved JSON answer came from, told by its shape, or None."""
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("results"), list) and (
        "count" in doc
        or any(isinstance(r, dict) and "document_number" in r for r in doc["results"])
    ):
        return "federal_register"
    if isinstance(doc.get("bills"), list) or isinstance(doc.get("bill"), dict):
        return "congress"
    filings = doc.get("filings")
    if isinstance(filings, dict) and isinstance(filings.get("recent"), dict):
        return "edgar"
    return None


_ANSWER_NAMES: dict[str, str] = {
    "federal_register": "Federal Register",
    "congress": "Congress.gov",
    "edgar": "SEC EDGAR",
}


def parse_answer(data: bytes, kind: ApiKind, origin: str) -> Parsed:
    """Items of a saved API answer, exactly as the live source would give them.

    ``origin`` (the file name) names the source; EDGAR's company comes from the answer.
    """
    doc = _load(data, origin)
    name = f"{_ANSWER_NAMES[kind]} ({origin})"
    if kind == "federal_register":
        source = SourceConfig(id="file", kind=kind, name=name, url=FEDERAL_REGISTER_URL)
        return parse_federal_register(data, source)
    if kind == "congress":
        return parse_congress(data, SourceConfig(id="file", kind=kind, name=name))
    company = collapse_ws(str(doc.get("name") or ""))
    cik = doc.get("cik")
    source = SourceConfig(
        id="file",
        kind=kind,
        name=f"{_ANSWER_NAMES[kind]} — {company}" if company else name,
        params={"cik": int(cik)} if str(cik or "").isdigit() else {},
        url=None if str(cik or "").isdigit() else EDGAR_URL.format(cik=0),
    )
    return parse_edgar(data, source)
