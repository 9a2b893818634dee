"""Storage: the :class:`Store` interface and the backend chosen by database URL."""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.config import ConfigError
from bot.store.base import Store
from bot.store.records import AuditEntry, StoredItem, Subscription


class DatabaseURLError(ConfigError):
    """The database URL names no backend we have, or does not parse: bad
    configuration, which the CLI reports as one line and exit status 2."""


async def open_store(url: str) -> Store:
    """Open and migrate the store for ``sqlite:///path`` (or ``postgresql://``)."""
    if url.startswith("sqlite:///"):
        from bot.store.sqlite import SQLiteStore

        store: Store = await SQLiteStore.open(url.removeprefix("sqlite:///") or ":memory:")
    elif url == "sqlite://":
        from bot.store.sqlite import SQLiteStore

        store = await SQLiteStore.open(":memory:")
    # --- PostgreSQL (issue 8): postgresql:// or postgres:// opens the shared-database store.
    elif url.startswith(("postgresql://", "postgres://")):
        try:
            from bot.store.postgres import PostgresStore
        except ImportError as exc:  # asyncpg is the optional [postgres] extra
            raise DatabaseURLError(
                "postgresql:// needs asyncpg: pip install 'policywatch[postgres]'"
            ) from exc
        try:
            store = await PostgresStore.open(url)
        except ValueError as exc:  # the URL does not parse (a port that is no number, ...)
            raise DatabaseURLError(
                f"POLICYWATCH_DATABASE_URL is not a usable PostgreSQL URL: {_redact(exc, url)}"
            ) from None
    # --- end PostgreSQL
    else:
        scheme = url.split(":", 1)[0] if ":" in url else "(none)"
        raise DatabaseURLError(
            f"unsupported database URL scheme '{scheme}': use sqlite:///path.db or postgresql://..."
        )
    await store.upgrade()
    return store


def _redact(error: Exception, url: str) -> str:
    """The error's text without the URL's password, should a parser quote it."""
    text = str(error)
    try:
        password = urlsplit(url).password
    except ValueError:
        password = url.partition("@")[0].rpartition(":")[2] if "@" in url else None
    return text.replace(password, "***") if password else text


__all__ = ["AuditEntry", "DatabaseURLError", "Store", "StoredItem", "Subscription", "open_store"]
