"""`digest send-test`: a clearly marked sample digest, posted through the outbox.

A team wants to see, before the first real digest, that the bot may post in
the channel and what a digest looks like there. So the sample goes through
the very path a real digest takes (outbox row, lease, adapter ``deliver``,
platform-error handling), but with no cursor update: the real digests that
follow are exactly what they would have been.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot import channels
from bot.digests.build import build_digest
from bot.replies import Reply
from bot.store import Store
from bot.store.records import OutboxEntry, StoredItem, Subscription
from bot.watchlists import Catalog

SAMPLE_ITEMS = 20  # newest stored items per watchlist to sample from
TITLE = "TEST digest (a sample; your real digests are not affected)"
FOOTER = "Test send: stories already seen may appear; real digests carry only what is new"


async def queue_test_digest(
    store: Store,
    catalog: Catalog,
    channel: tuple[str, str, str],
    subs: Sequence[Subscription],
    now: datetime,
) -> tuple[Reply, bool]:
    """Queue a sample digest for ``channel``; return it and whether it was queued.

    ``subs`` are the channel's active subscriptions (their filters apply); with
    none, every watchlist is sampled. At most one test per channel and minute:
    the dedupe key holds the minute, so a double click queues one message.
    """
    targets = list(subs) or [
        Subscription(*channel, watchlist=wl_id) for wl_id in sorted(catalog.watchlists)
    ]
    batch: list[tuple[Subscription, Sequence[StoredItem]]] = []
    for sub in targets:
        rows = await store.items_matching("watchlist", sub.watchlist, None, SAMPLE_ITEMS)
        batch.append((sub, channels.apply_filters(rows, sub, catalog)[0]))
    built = build_digest(batch, catalog, title=TITLE)
    if built is None:
        reply = Reply(
            title=TITLE,
            lines=(
                "Nothing is stored for these watchlists yet: this only shows that posting works.",
            ),
            footer=FOOTER,
        )
    else:
        footer = channels.with_footer(FOOTER, channels.filter_footer(subs))
        reply = replace(built, footer=channels.with_footer(footer, built.footer))
    platform, workspace, channel_id = channel
    entry = OutboxEntry(
        dedupe_key=f"test:{'/'.join(channel)}:{now:%Y-%m-%dT%H:%M}"[:500],
        kind="digest",
        platform=platform,
        workspace=workspace,
        channel=channel_id,
        payload=reply.to_json(),
    )
    return reply, bool(await store.enqueue([entry], []))
