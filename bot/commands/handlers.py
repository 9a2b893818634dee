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

from bot import channels
from bot.caller import Caller
from bot.commands import grammar as g
from bot.commands.chat_sources import change_source
from bot.commands.render import group_stories
from bot.commands.services import Services
from bot.registry import reach
from bot.replies import Action, Reply, ReplyItem, ReplyKind
from bot.sources import mask_url
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
from bot.watchlists import ID_PATTERN, PRIORITIES, WatchlistEdit, deleted_watchlists

FILTER_CHECK_ITEMS = 200  # a new filter is tried on this many of the newest stored items
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
    # The scope note says what belongs here, so a reader can judge each match.
    about = (spec.description, f"Scope: {spec.scope}") if spec.scope else (spec.description,)
    return Reply(
        title=f"{spec.name}: {_count(stories)}{_window(cmd.days)}",
        lines=about if rows else (*about, f"Nothing stored{_window(cmd.days)}."),
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
    subs = [_subscription(core, caller, cmd, wl_id) for wl_id in targets]
    problems = [p for sub in subs if (p := await _drops_everything(core, sub))]
    if problems and len(problems) == len(subs):  # with `all`, only when no watchlist is left
        return error(problems[0], g.SPEC_BY_WORDS["subscribe"])
    saved = [await core.store.save_subscription(sub) for sub in subs]
    now = core.clock()
    return Reply(
        title=f"Subscribed this channel to {', '.join(targets)}",
        lines=tuple(describe_subscription(s, now) for s in saved),
        actions=(Action("Preview digest", "digest"),),
    )


def _subscription(core: Services, caller: Caller, cmd: g.Subscribe, wl_id: str) -> Subscription:
    return Subscription(
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
        min_priority=cmd.min_priority,
        only_term=cmd.only,
        without_term=cmd.without,
    )


async def _drops_everything(core: Services, sub: Subscription) -> str | None:
    """Why a subscription's filters would leave nothing, judged on the watchlist's
    :data:`FILTER_CHECK_ITEMS` newest stored items; None when some pass (or
    nothing is stored to judge by)."""
    if not channels.has_filters(sub):
        return None
    recent = await core.store.items_matching("watchlist", sub.watchlist, None, FILTER_CHECK_ITEMS)
    if not recent or channels.apply_filters(recent, sub, core.registry.catalog)[0]:
        return None
    return (
        f"That filter would drop everything: none of the {len(recent)} newest {sub.watchlist} "
        f"items passes the filter ({channels.describe_filters(sub)}). "
        "Loosen it, or try the term with `search` first."
    )


def describe_subscription(sub: Subscription, now: datetime | None = None) -> str:
    if sub.cadence == "instant":
        when = "instant alerts"
    elif sub.cadence == "weekly":
        when = f"weekly on {g.WEEKDAYS[sub.weekday].title()} at {sub.at} {sub.tz}"
    else:
        when = f"daily at {sub.at} {sub.tz}"
    text = f"{sub.watchlist} — {when}"
    if sub.quiet_start and sub.quiet_end:
        text += f", quiet {sub.quiet_start}-{sub.quiet_end}"
    if channels.has_filters(sub):
        text += f"; filters: {channels.describe_filters(sub)}"
    if sub.disabled_reason:
        text += f" — PAUSED: {sub.disabled_reason}"
    pause = channels.describe_pause(sub, now) if now else None
    if pause:
        text += f" — {pause}"
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
    mention = await core.store.channel_mention(caller.channel_key)
    pings = (f"High-priority instant alerts here mention {mention}.",) if mention else ()
    return Reply(
        title=f"This channel has {len(subs)} subscription{'s' if len(subs) != 1 else ''}",
        lines=(*(describe_subscription(s, core.clock()) for s in subs), *pings),
    )


async def _filters(core: Services, caller: Caller, cmd: g.ListFilters) -> Reply:
    subs = await core.store.channel_subscriptions(*caller.channel_key)
    filtered = [s for s in subs if channels.has_filters(s)]
    if not filtered:
        return Reply(
            title="No filters in this channel",
            lines=(
                "Every new item of a subscribed watchlist is sent. Add one with "
                "`subscribe ev-tariffs min high`, `only TERM` or `without TERM`.",
            ),
        )
    return Reply(
        title=f"{len(filtered)} filtered subscription{'s' if len(filtered) != 1 else ''}",
        lines=tuple(f"{s.watchlist} — {channels.describe_filters(s)}" for s in filtered),
    )


async def _pause(core: Services, caller: Caller, cmd: g.Pause) -> Reply:
    words = "pause" if cmd.paused else "resume"
    target = None if cmd.watchlist == "all" else cmd.watchlist
    subs = await core.store.channel_subscriptions(*caller.channel_key)
    if target is not None and target not in {s.watchlist for s in subs}:
        return error(
            f"This channel is not subscribed to '{cmd.watchlist}'.", g.SPEC_BY_WORDS[words]
        )
    if not subs:
        return error("This channel has no subscriptions to pause.", g.SPEC_BY_WORDS[words])
    now = core.clock()
    if not cmd.paused:
        if not any(s.paused(now) for s in subs if target in (None, s.watchlist)):
            return error(f"Nothing is paused here for '{cmd.watchlist}'.", g.SPEC_BY_WORDS[words])
        await core.store.set_paused(caller.channel_key, target, None)
        return Reply(
            title=f"Resumed {cmd.watchlist} in this channel",
            lines=("Digests and alerts continue with what is new from now on.",),
        )
    until = now + timedelta(days=cmd.days) if cmd.days else None
    count = await core.store.set_paused(caller.channel_key, target, now, until)
    when = f"until {until:%Y-%m-%d %H:%M} UTC" if until else "until you `resume`"
    return Reply(
        title=f"Paused {cmd.watchlist} in this channel {when}",
        lines=(
            f"{count} subscription{'s' if count != 1 else ''} paused: no digests or alerts,"
            " and what comes in meanwhile is skipped, not saved up.",
        ),
        actions=(Action("Resume now", f"resume {cmd.watchlist}"),),
    )


async def _digest(core: Services, caller: Caller, cmd: g.DigestPreview) -> Reply:
    return await core.preview_digest(caller)


async def _send_test(core: Services, caller: Caller, cmd: g.SendTestDigest) -> Reply:
    reply, queued = await core.send_test_digest(caller)
    if not queued:
        return error(
            "A test digest was already sent to this channel this minute; try again shortly.",
            g.SPEC_BY_WORDS["digest send-test"],
        )
    stories = len(reply.all_items())
    return Reply(
        title="Test digest on its way to this channel",
        lines=(
            f"A marked sample ({stories} stor{'y' if stories == 1 else 'ies'}) goes out through "
            "the same outbox as real digests, so it shows their formatting and that the bot may "
            "post here. Real digests are not affected.",
        ),
        ephemeral=True,
    )


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
    problem = await _check_change(core, cmd) or await _too_broad(core, cmd)
    if problem:
        spec = g.SPEC_BY_WORDS[
            "company alias" if cmd.action == "alias" else f"watchlist {cmd.action}"
        ]
        await core.store.audit(_audit(caller, g.to_text(cmd), f"rejected: {problem}"))
        return error(problem, spec)
    if cmd.action == "delete" and cmd.value != "confirm":
        return await _confirm_delete(core, cmd.target)
    edit = WatchlistEdit(cmd.action, cmd.target, "" if cmd.action == "delete" else cmd.value)
    await core.apply_edit(edit, _audit(caller, g.to_text(cmd), "ok"))
    lines = ["In effect now; recent items were re-matched."]
    if cmd.action == "delete":
        paused = await core.store.pause_watchlist(cmd.target, deleted_reason(cmd.target))
        lines.append(f"{_subs(paused)} paused. Undo with `watchlist restore {cmd.target}`.")
    elif cmd.action == "restore":
        resumed = await core.store.pause_watchlist(cmd.target, None, deleted_reason(cmd.target))
        lines.append(f"{_subs(resumed)} resumed.")
    return Reply(title=f"Done: {g.to_text(cmd)}", lines=tuple(lines))


def deleted_reason(watchlist: str) -> str:
    """Why a subscription is paused, as ``subscriptions`` shows it."""
    return f"watchlist {watchlist} was deleted; an admin can `watchlist restore {watchlist}`"


def _subs(count: int) -> str:
    return f"{count} subscription{'s' if count != 1 else ''}"


async def _confirm_delete(core: Services, wl_id: str) -> Reply:
    """Deleting takes a watchlist's terms away from every channel: say what
    goes, and ask for the id again (or the button) before doing it."""
    spec = core.registry.catalog.watchlists[wl_id]
    subscribed = sum(1 for s in await core.store.all_subscriptions() if s.watchlist == wl_id)
    terms = len(spec.include) + len(spec.exclude)
    confirm = f"watchlist delete {wl_id} confirm"
    return Reply(
        title=f"Delete {spec.name} ({wl_id})?",
        lines=(
            f"It has {terms} terms and {_subs(subscribed)}, which would pause.",
            f"To delete it, type `{confirm}`. It can be undone with `watchlist restore {wl_id}`.",
        ),
        actions=(Action(f"Delete {wl_id}", confirm, "danger"),),
        ephemeral=True,
    )


async def _check_change(core: Services, cmd: g.WatchlistChange) -> str | None:
    """Why the edit cannot be made, from what it says, the live catalog and
    (for a restore) the audit trail of edits."""
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
    if cmd.action == "restore":
        if cmd.target in catalog.watchlists:
            return f"Watchlist '{cmd.target}' is not deleted."
        if cmd.target not in deleted_watchlists(core.registry.base, await core.store.edits()):
            return f"No deleted watchlist '{cmd.target}' in the audit trail."
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


async def _source(core: Services, caller: Caller, cmd: g.SourceChange) -> Reply:
    text = f"source {cmd.action} {mask_url(cmd.url) if cmd.url else cmd.name}"  # no secrets
    if cmd.action == "add":
        text += f" {cmd.name or ''} every {cmd.every_minutes}m".replace("  ", " ")
    return await change_source(core, _audit(caller, text, "ok"), cmd)


async def _mention(core: Services, caller: Caller, cmd: g.AlertMention) -> Reply:
    text = f"alert mention {cmd.target or 'off'}"
    spec = g.SPEC_BY_WORDS["alert mention"]
    wrong = {
        "slack": (g.DISCORD_ROLE, "On Slack, name a user group: type @ and pick the group."),
        "discord": (g.SLACK_GROUP, "On Discord, pick a role."),
    }.get(caller.platform)
    if cmd.target and wrong and wrong[0].match(cmd.target):
        await core.store.audit(_audit(caller, text, "rejected"))
        return error(f"That target belongs to another platform. {wrong[1]}", spec)
    await core.store.set_mention(caller.channel_key, cmd.target, _audit(caller, text, "ok"))
    if cmd.target is None:
        return Reply(title="Alerts in this channel mention nobody now")
    return Reply(
        title=f"High-priority instant alerts here will mention {cmd.target}",
        lines=(
            "Only alerts from high or urgent watchlists ping; digests and other alerts never do.",
            "`alert mention off` stops it.",
        ),
    )


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
    g.ListFilters: _filters,
    g.Pause: _pause,
    g.DigestPreview: _digest,
    g.SendTestDigest: _send_test,
    g.ListSources: _sources,
    g.StoryQuery: _story,
    g.Mute: _mute,
    g.WatchlistChange: _change,
    g.SourceChange: _source,
    g.AlertMention: _mention,
    g.AuditQuery: _audit_log,
}

__all__ = ["PRIORITIES", "REMATCH_LIMIT", "execute", "help_reply"]
