"""Executing parsed commands against the store and registry.

Each handler takes the bot's services (:class:`~bot.commands.services.Services`),
the caller and its command and returns a :class:`Reply`. Admin rights are
checked once, in :func:`execute`, before any admin handler runs, and every
admin attempt is audited there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from bot.caller import Caller
from bot.commands import grammar as g
from bot.commands.render import group_stories
from bot.commands.services import Services
from bot.registry import reach
from bot.replies import Action, Reply, ReplyItem, ReplyKind
from bot.store.codec import now_utc
from bot.store.records import AuditEntry, StoredItem, Subscription
from bot.storylines import claim_notes
from bot.terms import (
    MAX_LENGTH,
    SAMPLE_SIZE,
    breadth_problem,
    invisible_problem,
    term_problem,
    visible,
)
from bot.watchlists import ID_PATTERN, PRIORITIES, WatchlistEdit

RESULT_LIMIT = 20  # stories per reply
ROW_LIMIT = 80  # items read to fill them (several outlets per story)
REMATCH_LIMIT = 5000
Handler = Callable[[Services, Caller, Any], Awaitable[Reply]]


def error(message: str, spec: g.Spec | None = None) -> Reply:
    lines = (f"Usage: {spec.usage}",) if spec else ()
    return Reply(
        title=message,
        lines=(*lines, "Type `help` for all commands."),
        kind=ReplyKind.ERROR,
        ephemeral=True,
    )


def help_reply(topic: str | None = None) -> Reply:
    if topic:
        specs = [s for s in g.SPECS if s.words == topic or s.words.startswith(topic + " ")]
        if not specs:
            guess = g.closest_command(topic)
            hint = f" Did you mean `help {guess.words}`?" if guess else ""
            return error(f"No command '{topic}'.{hint}")
        return Reply(
            title=f"help {topic}",
            lines=tuple(f"{s.usage} — {s.summary}" for s in specs),
            ephemeral=True,
        )
    public = [f"{s.usage} — {s.summary}" for s in g.SPECS if not s.admin]
    admin = [f"{s.usage} — {s.summary}" for s in g.SPECS if s.admin]
    return Reply(
        title="policywatch commands", lines=(*public, "", "Admins only:", *admin), ephemeral=True
    )


async def execute(core: Services, caller: Caller, text: str) -> Reply:
    try:
        command = g.parse(text)
    except g.ParseError as exc:
        if exc.brief:
            return error(exc.message)
        if exc.spec is None:  # nothing close: show the whole help
            return Reply(
                title=exc.message, lines=help_reply().lines, kind=ReplyKind.ERROR, ephemeral=True
            )
        return error(exc.message, exc.spec)
    if g.is_admin_command(command) and not core.is_admin(caller):
        await core.store.audit(_audit(caller, text, "refused"))
        return Reply(
            title="Only admins can do that.",
            lines=(
                "Admin commands need workspace admin (Slack) or Manage Server (Discord),",
                "or your user id in POLICYWATCH_ADMINS. This attempt was logged.",
            ),
            kind=ReplyKind.DENIED,
            ephemeral=True,
        )
    handler = HANDLERS[type(command)]
    return await handler(core, caller, command)


def _audit(caller: Caller, text: str, outcome: str) -> AuditEntry:
    """An audit entry; invisible and bidi characters are written as ``<U+…>``
    so that nothing typed can hide in, or reorder, the audit log."""
    action = " ".join(text.split()[:2])
    return AuditEntry(
        now_utc(),
        caller.platform,
        caller.workspace,
        caller.user,
        visible(action),
        visible(text.strip())[:500],
        visible(outcome)[:500],
    )


def _since(core: Services, days: int | None) -> datetime | None:
    return core.clock() - timedelta(days=days) if days else None


def _window(days: int | None) -> str:
    return f" in the last {days} days" if days else ""


def _watchlist_id(core: Services, name: str, words: str, *, retry: str = "") -> str | Reply:
    """The watchlist ``name`` means (typos tolerated), or the error reply for
    command ``words``: its hint offers ``retry`` + the closest id when there is one."""
    wl_id, suggestion = core.registry.resolve_watchlist(name)
    if wl_id is not None:
        return wl_id
    hint = (
        f" Did you mean `{retry}{suggestion}`?" if suggestion else " Type `watchlists` to see them."
    )
    return error(f"No watchlist '{name}'.{hint}", g.SPEC_BY_WORDS[words])


# ------------------------------------------------------------------ queries


async def _help(core: Services, caller: Caller, cmd: g.Help) -> Reply:
    return help_reply(cmd.topic)


async def _company(core: Services, caller: Caller, cmd: g.CompanyQuery) -> Reply:
    pick = core.registry.resolve_company(cmd.name)
    if pick is None:
        known = ", ".join(sorted(core.registry.catalog.companies))
        return error(
            f"No company matches '{cmd.name}'. Known companies: {known}.",
            g.SPEC_BY_WORDS["company"],
        )
    company = pick.company
    rows = await core.store.items_matching("company", company.id, _since(core, cmd.days), ROW_LIMIT)
    stories = await _stories(core, rows, company.id)
    lines: list[str] = []
    if not pick.exact:
        lines.append(f"Showing {company.name} (closest match to '{cmd.name}').")
    if pick.alternatives:
        lines.append(
            "Did you mean another? "
            + ", ".join(f"{c.name} (`company {c.id}`)" for c in pick.alternatives)
        )
    if not rows:
        lines.append(f"Nothing stored about {company.name}{_window(cmd.days)}.")
    return Reply(
        title=f"{company.name}: {_count(stories)}{_window(cmd.days)}",
        lines=tuple(lines),
        items=stories,
    )


async def _topic(core: Services, caller: Caller, cmd: g.TopicQuery) -> Reply:
    wl_id = _watchlist_id(core, cmd.watchlist, "topic", retry="topic ")
    if isinstance(wl_id, Reply):
        return wl_id
    spec = core.registry.catalog.watchlists[wl_id]
    rows = await core.store.items_matching("watchlist", wl_id, _since(core, cmd.days), ROW_LIMIT)
    stories = await _stories(core, rows, wl_id)
    return Reply(
        title=f"{spec.name}: {_count(stories)}{_window(cmd.days)}",
        lines=(spec.description,)
        if rows
        else (spec.description, f"Nothing stored{_window(cmd.days)}."),
        items=stories,
        actions=(Action("Subscribe this channel", f"subscribe {wl_id} daily", "primary"),),
    )


async def _search(core: Services, caller: Caller, cmd: g.Search) -> Reply:
    rows = await core.store.search(cmd.words, ROW_LIMIT)
    stories = await _stories(core, rows, None)
    lines = () if rows else (f"No stored item mentions '{cmd.words}'.",)
    return Reply(title=f"Search '{cmd.words}': {_count(stories)}", lines=lines, items=stories)


async def _stories(
    core: Services, rows: list[StoredItem], focus: str | None
) -> tuple[ReplyItem, ...]:
    """Rows folded into stories, newest first, claims marked with their answers."""
    catalog = core.registry.catalog
    shown = {r.story_id for r in rows if r.story_id}
    marks = await claim_notes(core.store, catalog, shown)
    # An answer whose claim is listed too is folded into it (the claim says "denied by ...").
    kept = [r for r in rows if marks.answered_by.get(r.story_id or "") not in shown]
    stories = group_stories(kept, catalog, focus, by_priority=False, notes=marks.notes)
    return tuple(stories[:RESULT_LIMIT])


def _count(stories: tuple[ReplyItem, ...]) -> str:
    return f"{len(stories)} recent stor{'y' if len(stories) == 1 else 'ies'}"


async def _watchlists(core: Services, caller: Caller, cmd: g.ListWatchlists) -> Reply:
    specs = sorted(core.registry.catalog.watchlists.values(), key=lambda w: w.id)
    return Reply(
        title=f"{len(specs)} watchlists",
        lines=tuple(f"{w.id} — {w.name} ({w.priority}): {w.description}" for w in specs),
    )


# ------------------------------------------------------------------ subscriptions


async def _subscribe(core: Services, caller: Caller, cmd: g.Subscribe) -> Reply:
    if cmd.watchlist == "all":
        targets = sorted(core.registry.catalog.watchlists)
    else:
        found = _watchlist_id(core, cmd.watchlist, "subscribe")
        if isinstance(found, Reply):
            return found
        targets = [found]
    saved = []
    for wl_id in targets:
        sub = Subscription(
            platform=caller.platform,
            workspace=caller.workspace,
            channel=caller.channel,
            watchlist=wl_id,
            cadence=cmd.cadence,
            at=cmd.at,
            tz=cmd.tz,
            weekday=cmd.weekday,
            created_by=caller.user,
            quiet_start=cmd.quiet[0] if cmd.quiet else None,
            quiet_end=cmd.quiet[1] if cmd.quiet else None,
            last_due_at=core.clock(),  # no digest for a slot that passed before now
        )
        saved.append(await core.store.save_subscription(sub))
    return Reply(
        title=f"Subscribed this channel to {', '.join(targets)}",
        lines=tuple(describe_subscription(s) for s in saved),
        actions=(Action("Preview digest", "digest"),),
    )


def describe_subscription(sub: Subscription) -> str:
    if sub.cadence == "instant":
        when = "instant alerts"
    elif sub.cadence == "weekly":
        when = f"weekly on {g.WEEKDAYS[sub.weekday].title()} at {sub.at} {sub.tz}"
    else:
        when = f"daily at {sub.at} {sub.tz}"
    text = f"{sub.watchlist} — {when}"
    if sub.quiet_start and sub.quiet_end:
        text += f", quiet {sub.quiet_start}-{sub.quiet_end}"
    if sub.disabled_reason:
        text += f" — PAUSED: {sub.disabled_reason}"
    return text


async def _unsubscribe(core: Services, caller: Caller, cmd: g.Unsubscribe) -> Reply:
    target = None if cmd.watchlist == "all" else cmd.watchlist
    removed = await core.store.delete_subscriptions(
        caller.platform, caller.workspace, caller.channel, target
    )
    if removed == 0:
        return error(
            f"This channel is not subscribed to '{cmd.watchlist}'.", g.SPEC_BY_WORDS["unsubscribe"]
        )
    return Reply(title=f"Unsubscribed this channel from {cmd.watchlist} ({removed} removed)")


async def _subscriptions(core: Services, caller: Caller, cmd: g.ListSubscriptions) -> Reply:
    subs = await core.store.channel_subscriptions(caller.platform, caller.workspace, caller.channel)
    if not subs:
        return Reply(
            title="This channel has no subscriptions",
            lines=("Try `subscribe ev-tariffs daily at 09:00`.",),
        )
    return Reply(
        title=f"This channel has {len(subs)} subscription{'s' if len(subs) != 1 else ''}",
        lines=tuple(describe_subscription(s) for s in subs),
    )


async def _digest(core: Services, caller: Caller, cmd: g.DigestPreview) -> Reply:
    return await core.preview_digest(caller)


async def _sources(core: Services, caller: Caller, cmd: g.ListSources) -> Reply:
    return await core.sources_reply()


async def _story(core: Services, caller: Caller, cmd: g.StoryQuery) -> Reply:
    return await core.story_reply(cmd.story_id)


async def _mute(core: Services, caller: Caller, cmd: g.Mute) -> Reply:
    story = await core.store.story(cmd.story_id)
    if story is None:
        return error(
            f"No story '{cmd.story_id}'.", g.SPEC_BY_WORDS["mute" if cmd.muted else "unmute"]
        )
    changed = await core.store.set_muted(caller.channel_key, story.id, caller.user, cmd.muted)
    if cmd.muted:
        title = (
            f"Muted story {story.id} in this channel"
            if changed
            else f"Story {story.id} was already muted here"
        )
        return Reply(
            title=title,
            lines=(story.headline, "Digests and alerts here will leave it out."),
            actions=(Action("Unmute", f"unmute {story.id}"),),
        )
    title = f"Unmuted story {story.id}" if changed else f"Story {story.id} was not muted here"
    return Reply(title=title, lines=(story.headline,))


# ------------------------------------------------------------------ admin


async def _change(core: Services, caller: Caller, cmd: g.WatchlistChange) -> Reply:
    problem = _check_change(core, cmd) or await _too_broad(core, cmd)
    if problem:
        spec = g.SPEC_BY_WORDS[
            "company alias" if cmd.action == "alias" else f"watchlist {cmd.action}"
        ]
        await core.store.audit(_audit(caller, g.to_text(cmd), f"rejected: {problem}"))
        return error(problem, spec)
    edit = WatchlistEdit(cmd.action, cmd.target, cmd.value)
    await core.apply_edit(edit, _audit(caller, g.to_text(cmd), "ok"))
    return Reply(
        title=f"Done: {g.to_text(cmd)}", lines=("In effect now; recent items were re-matched.",)
    )


def _check_change(core: Services, cmd: g.WatchlistChange) -> str | None:
    """Why the edit cannot be made, from what it says and the live catalog."""
    catalog = core.registry.catalog
    what = "an alias" if cmd.action == "alias" else "a term"
    if cmd.action in _NEW_PHRASE and (problem := term_problem(cmd.value, what)):
        return problem
    if cmd.action == "alias":
        if cmd.target not in catalog.companies:
            return (
                f"No company with id '{cmd.target}'. Ids: {', '.join(sorted(catalog.companies))}."
            )
        owner = core.registry.resolve_company(cmd.value)
        if owner and owner.exact and owner.company.id != cmd.target:
            return f"'{cmd.value}' already names {owner.company.name}."
        return None
    if cmd.action == "create":
        if len(cmd.value) > MAX_LENGTH:
            return f"a watchlist name may be at most {MAX_LENGTH} characters"
        if problem := invisible_problem(cmd.value):
            return problem
        if not ID_PATTERN.match(cmd.target):
            return "A watchlist id is 2-49 characters of a-z, 0-9 and '-'."
        if cmd.target in catalog.watchlists:
            return f"Watchlist '{cmd.target}' already exists."
        return None
    spec = catalog.watchlists.get(cmd.target)
    if spec is None:
        _, suggestion = core.registry.resolve_watchlist(cmd.target)
        return f"No watchlist '{cmd.target}'." + (
            f" Did you mean '{suggestion}'?" if suggestion else ""
        )
    present = [p.lower() for p in (*spec.include, *spec.exclude)]
    if cmd.action in ("add", "exclude") and cmd.value.lower() in present:
        return f"'{cmd.value}' is already in {cmd.target}."
    if cmd.action == "remove" and cmd.value.lower() not in present:
        return f"'{cmd.value}' is not a term of {cmd.target}."
    return None


# Edits that bring a new phrase into matching.
_NEW_PHRASE = ("add", "exclude", "alias")


async def _too_broad(core: Services, cmd: g.WatchlistChange) -> str | None:
    """Refuse a new phrase that would match most recent items: a term like
    "the" or an alias like "us" would flood a watchlist, or (as an
    exclusion) silence it."""
    if cmd.action not in _NEW_PHRASE:
        return None
    newest = await core.store.max_item_pk()
    rows = await core.store.items_since(max(0, newest - SAMPLE_SIZE), SAMPLE_SIZE)
    return breadth_problem(cmd.value, reach(cmd.value, (row.item for row in rows)), len(rows))


async def _audit_log(core: Services, caller: Caller, cmd: g.AuditQuery) -> Reply:
    entries = await core.store.recent_audit(cmd.limit)
    lines = tuple(
        f"{e.at:%Y-%m-%d %H:%M} UTC · {e.platform}/{e.workspace} · {e.user} · {e.detail} · {e.outcome}"
        for e in entries
    )
    return Reply(
        title=f"Last {len(entries)} admin changes",
        lines=lines or ("No admin changes yet.",),
        ephemeral=True,
    )


HANDLERS: dict[type, Handler] = {
    g.Help: _help,
    g.CompanyQuery: _company,
    g.TopicQuery: _topic,
    g.Search: _search,
    g.ListWatchlists: _watchlists,
    g.Subscribe: _subscribe,
    g.Unsubscribe: _unsubscribe,
    g.ListSubscriptions: _subscriptions,
    g.DigestPreview: _digest,
    g.ListSources: _sources,
    g.StoryQuery: _story,
    g.Mute: _mute,
    g.WatchlistChange: _change,
    g.AuditQuery: _audit_log,
}

__all__ = ["PRIORITIES", "REMATCH_LIMIT", "execute", "help_reply"]
