"""Sources admins add from chat (`source add|remove|pause|resume`).

Shipped and operator sources stay in the YAML file; chat-added ones live in
the store (with an audit entry per change), so they survive restarts and every
replica sees them, and the leader's ingest tick fetches them with the others.

`source add` fetches the feed once before saving, through the same guarded
fetcher as every scheduled fetch (SSRF guard, size and time limits, no DTDs),
and replies with what it found, so an admin learns at once that a URL is a
private address, an HTML page, or a feed that would match nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

from bot.commands import grammar as g
from bot.commands.services import Services
from bot.models import Item
from bot.replies import Reply, ReplyKind
from bot.sources.config import source_config
from bot.sources.feeds import FeedError
from bot.sources.fetch import FetchError
from bot.sources.redact import mask_url
from bot.sources.ssrf import RefusedURL
from bot.store.records import AuditEntry, ChatSource


def default_name(url: str) -> str:
    """A NAME from the URL's host: ``https://www.ustr.gov/rss`` -> ``ustr-gov``."""
    host = (urlsplit(url).hostname or "feed").removeprefix("www.")
    return re.sub(r"[^a-z0-9-]+", "-", host.lower()).strip("-")[:40] or "feed"


def _ago(moment: datetime, now: datetime) -> str:
    seconds = max(0.0, (now - moment).total_seconds())
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


def describe_probe(core: Services, kind: str, items: list[Item]) -> str:
    """ "RSS, 20 items, newest 2 h ago; 3 would match ev-tariffs"."""
    text = f"{kind}, {len(items)} item{'s' if len(items) != 1 else ''}"
    dated = [i.published for i in items if i.published]
    if dated:
        text += f", newest {_ago(max(dated), core.clock())}"
    counts: Counter[str] = Counter()
    for item in items:
        counts.update(core.registry.matcher.match(item).watchlists)
    if not counts:
        return text + "; none would match a watchlist now (still stored and searchable)"
    matches = ", ".join(f"{n} would match {wl}" for wl, n in counts.most_common())
    return f"{text}; {matches}"


async def change_source(core: Services, entry: AuditEntry, cmd: g.SourceChange) -> Reply:
    """Run one `source …` command for an admin (the caller was checked before)."""
    spec = g.SPEC_BY_WORDS[f"source {cmd.action}"]
    known = {s.id: s for s in await core.store.chat_sources()}
    done = await (_add if cmd.action == "add" else _change)(core, entry, cmd, known)
    if isinstance(done, Reply):
        return done
    await core.store.audit(replace(entry, outcome="rejected"))
    return Reply(
        title=done,
        lines=(f"Usage: {spec.usage}", "Type `help` for all commands."),
        kind=ReplyKind.ERROR,
        ephemeral=True,
    )


async def _add(
    core: Services, entry: AuditEntry, cmd: g.SourceChange, known: dict[str, ChatSource]
) -> Reply | str:
    name = cmd.name or default_name(cmd.url)
    shipped = core.sources()
    if name in known or any(s.id == name for s in shipped):
        hint = "" if cmd.name else " Give it a NAME: `source add URL NAME`."
        return f"A source named '{name}' already exists.{hint}"
    same = [s.id for s in (*shipped, *map(source_config, known.values())) if s.url == cmd.url]
    if same:
        return f"Source '{same[0]}' already fetches {mask_url(cmd.url)}."
    candidate = ChatSource(
        name,
        cmd.url,
        cmd.every_minutes,
        False,
        entry.user,
        entry.at,
        entry.platform,
        entry.workspace,
    )
    try:
        async with core.ingestor() as ingestor:
            kind, items = await ingestor.probe(source_config(candidate))
    except RefusedURL as exc:
        return f"Refused {mask_url(cmd.url)}: {exc.reason}."
    except FetchError as exc:
        return f"Could not fetch {mask_url(cmd.url)}: {exc.reason}."
    except FeedError as exc:
        return f"{mask_url(cmd.url)} is not a usable feed: {exc}."
    found = describe_probe(core, kind, items)
    if not await core.store.add_chat_source(candidate, entry):
        return f"A source named '{name}' or with that URL was just added."
    every = (
        f"{cmd.every_minutes // 60} h"
        if cmd.every_minutes % 60 == 0
        else f"{cmd.every_minutes} min"
    )
    return Reply(
        title=f"Added source {name}: {found}",
        lines=(
            f"Fetched every {every} by the bot (one replica at a time); it shows in `sources`.",
            f"`source pause {name}` stops it, `source remove {name}` removes it.",
        ),
        ephemeral=True,
    )


async def _change(
    core: Services, entry: AuditEntry, cmd: g.SourceChange, known: dict[str, ChatSource]
) -> Reply | str:
    assert cmd.name is not None
    source = known.get(cmd.name)
    if source is None:
        shipped = any(s.id == cmd.name for s in core.sources())
        where = (
            " It comes from the sources file: the operator changes it there."
            if shipped
            else (" Sources added in chat: " + ", ".join(sorted(known)) + "." if known else "")
        )
        return f"No source '{cmd.name}' was added in chat.{where}"
    if cmd.action in ("pause", "resume") and source.paused == (cmd.action == "pause"):
        state = "paused" if source.paused else "being fetched"
        return f"Source '{cmd.name}' is already {state}."
    paused = None if cmd.action == "remove" else cmd.action == "pause"
    await core.store.change_chat_source(cmd.name, paused, entry)
    done = {"remove": "Removed", "pause": "Paused", "resume": "Resumed"}[cmd.action]
    note = {
        "remove": "Items it brought stay stored and searchable.",
        "pause": f"Not fetched until `source resume {cmd.name}`.",
        "resume": "Fetched again from the next ingest tick.",
    }[cmd.action]
    return Reply(title=f"{done} source {cmd.name}", lines=(note,), ephemeral=True)
