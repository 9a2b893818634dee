"""Ingestion engine: fetch RSS/Atom feeds and policy APIs safely, normalise them to Items.

Public surface for the core (CLI ``policywatch ingest`` and the scheduler job).
"""

from bot.sources.config import SourceConfig, SourceConfigError, fetch_url_source, load_sources
from bot.sources.fetch import mask_url
from bot.sources.ingest import FetchReport, Ingestor, disabled_reason, parse_file
from bot.sources.limits import FetchLimits
from bot.sources.ssrf import AddressGuard, RefusedURL, classify_address
from bot.sources.state import MemorySourceStateStore, SourceStateStore
from bot.store.records import SourceState

__all__ = [
    "AddressGuard",
    "FetchLimits",
    "FetchReport",
    "Ingestor",
    "MemorySourceStateStore",
    "RefusedURL",
    "SourceConfig",
    "SourceConfigError",
    "SourceState",
    "SourceStateStore",
    "classify_address",
    "disabled_reason",
    "fetch_url_source",
    "load_sources",
    "mask_url",
    "parse_file",
]
