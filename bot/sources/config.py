"""Source definitions: the YAML sources file and its validation.

Sources live in data, not code, so operators can add a committee feed or a Google
News query without a release. Validation errors name the file, the entry and the
field, because a typo in a sources file is the most common ingestion failure.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.sources.redact import mask_url
from bot.store.records import ChatSource

SourceKindName = Literal["rss", "federal_register", "congress", "edgar"]
DEFAULT_SOURCES_FILE = Path(__file__).with_name("default_sources.yaml")

# Item.source_kind used when an entry does not say (it is evidence for event types).
_DEFAULT_ITEM_KIND: dict[str, str] = {
    "rss": "news",
    "federal_register": "federal_register",
    "congress": "congress",
    "edgar": "sec",
}


class SourceConfigError(ValueError):
    """A sources file that cannot be used; the message points at the bad entry."""


class SourceConfig(BaseModel):
    """One configured source. ``url`` for feeds; ``params`` for the JSON APIs.

    API sources may also set ``url`` to override the endpoint (tests, mirrors).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
    kind: SourceKindName = "rss"
    name: str = ""
    source_kind: str = ""
    url: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    interval_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    enabled: bool = True
    max_items: int | None = Field(default=None, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            kind = data.get("kind", "rss")
            if not data.get("source_kind"):
                data["source_kind"] = _DEFAULT_ITEM_KIND.get(str(kind), "news")
            if not data.get("name"):
                data["name"] = str(data.get("id", ""))
        return data

    @model_validator(mode="after")
    def _check(self) -> SourceConfig:
        if self.url is not None:
            parts = urlsplit(self.url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                shown = mask_url(self.url)
                raise ValueError(f"url must be an absolute http(s) URL, got {shown!r}")
        if self.kind == "rss" and not self.url:
            raise ValueError("rss sources need a url")
        if self.kind == "edgar" and not self.url and "cik" not in self.params:
            raise ValueError("edgar sources need params.cik (or a url)")
        if self.kind == "federal_register" and not self.url and not self.params:
            raise ValueError("federal_register sources need params (term and/or agencies)")
        return self


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {message}" if where else message


def parse_sources(data: Any, origin: str = "<sources>") -> list[SourceConfig]:
    """Validate an already-loaded sources document (``{defaults:, sources: [...]}``)."""
    if isinstance(data, list):
        data = {"sources": data}
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise SourceConfigError(f"{origin}: expected a mapping with a 'sources' list")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise SourceConfigError(f"{origin}: 'defaults' must be a mapping")
    sources: list[SourceConfig] = []
    seen: set[str] = set()
    for index, entry in enumerate(data["sources"]):
        label = f"{origin}: sources[{index}]"
        if not isinstance(entry, dict):
            raise SourceConfigError(f"{label}: each source must be a mapping")
        if entry.get("id"):
            label += f" (id={entry['id']})"
        try:
            source = SourceConfig.model_validate({**defaults, **entry})
        except ValidationError as exc:
            raise SourceConfigError(f"{label}: {_describe(exc)}") from None
        if source.id in seen:
            raise SourceConfigError(f"{label}: duplicate id {source.id!r}")
        seen.add(source.id)
        sources.append(source)
    return sources


def load_sources(path: Path | None = None) -> list[SourceConfig]:
    """Read and validate a sources YAML file (None → the bundled default_sources.yaml)."""
    target = path or DEFAULT_SOURCES_FILE
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceConfigError(f"{target}: cannot read sources file: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise SourceConfigError(f"{target}{line}: invalid YAML") from None
    return parse_sources(data, str(target))


def fetch_url_source(url: str) -> SourceConfig:
    """Ad-hoc RSS/Atom source for ``policywatch ingest --feed URL`` (id derived from the URL)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = mask_url(url.strip())
        raise SourceConfigError(f"--feed needs an absolute http(s) URL, got {shown!r}")
    digest = hashlib.sha1(url.strip().encode("utf-8")).hexdigest()[:10]
    return SourceConfig(
        id=f"feed-{digest}",
        kind="rss",
        name=parts.hostname,
        url=url.strip(),
    )


def source_config(source: ChatSource) -> SourceConfig:
    """A chat-added source as the ingestion engine takes it (paused = not fetched)."""
    return SourceConfig(
        id=source.id,
        kind="rss",
        name=urlsplit(source.url).hostname or source.id,  # what items show as their outlet
        url=source.url,
        interval_minutes=source.interval_minutes,
        enabled=not source.paused,
    )
