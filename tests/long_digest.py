"""A long, realistic digest for delivery tests: 120 stories over the five
shipped watchlists, headlines (about 65 characters) and links (about 85) of
the length wire services use, every fifth story carried by three outlets,
built by the real digest builder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.digests.build import build_digest
from bot.models import Item
from bot.replies import Reply
from bot.store.records import StoredItem, Subscription
from bot.watchlists import load_catalog, shipped_watchlists_dir

WATCHLISTS = (
    "catl-licensing",
    "chinese-ev-partnerships",
    "ev-tariffs",
    "ev-tax-credits",
    "house-china-committee",
)
_WHO = ("Ford", "General Motors", "Tesla", "Stellantis", "Volkswagen", "Toyota", "Hyundai", "BYD")
_WHAT = (  # headlines of the usual length, 60-80 characters
    "weighs licensing CATL battery cells for Michigan",
    "answers the China committee on its suppliers",
    "says EV tariffs will raise its costs next year",
    "sees fewer models qualify for the EV tax credit",
    "confirms joint venture talks with a battery maker",
    "denies plan to build cars with a Chinese partner",
)
_OUTLETS = ("Reuters", "Bloomberg", "CNBC", "Financial Times", "Automotive News", "Politico")
_EVENTS = ("deal_report", "letter", "tariff_action", "tax_guidance", "deal_confirmed", "denial")
START = datetime(2026, 12, 1, 6, tzinfo=UTC)


def headline(n: int) -> str:
    return f"{_WHO[n % len(_WHO)]} {_WHAT[n % len(_WHAT)]} (no. {n})"


def link(n: int) -> str:
    """About 85 characters, like a wire service's article links."""
    slug = headline(n).lower().replace(" ", "-").replace("(", "").replace(")", "")[:36]
    return f"https://www.newswire.example/business/autos/{slug}-{n}/"


def long_digest_rows(stories: int = 120) -> list[tuple[Subscription, list[StoredItem]]]:
    """Rows for ``stories`` distinct stories; every fifth one told by three outlets."""
    batch = []
    for w, watchlist in enumerate(WATCHLISTS):
        sub = Subscription("slack", "T1", "C1", watchlist, "daily", "09:00", "UTC", id=w + 1)
        rows = []
        for n in range(w, stories, len(WATCHLISTS)):
            at = START + timedelta(minutes=7 * n)
            outlets = _OUTLETS[: 3 if n % 5 == 0 else 1]
            for k, outlet in enumerate(outlets):
                item = Item(
                    id=f"i{n}-{k}",
                    title=headline(n),
                    url=link(n) if k == 0 else f"{link(n)}?via={k}",
                    source=outlet,
                    published=at + timedelta(minutes=k),
                )
                rows.append(
                    StoredItem(
                        pk=n * 10 + k + 1,
                        item=item,
                        fetched_at=at,
                        watchlists=(watchlist,),
                        story_id=f"s{n:04d}",
                        event_type=_EVENTS[n % len(_EVENTS)],
                    )
                )
        batch.append((sub, rows))
    return batch


def long_digest(stories: int = 120) -> Reply:
    reply = build_digest(
        long_digest_rows(stories),
        load_catalog(shipped_watchlists_dir()),
        title="Daily digest, Tue 8 Dec",
        lines=("Covers what the bot stored since Mon 7 Dec 09:00 UTC.",),
    )
    assert reply is not None
    return reply
