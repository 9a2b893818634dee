"""`policywatch export` / `policywatch import`: a deployment's chat-made state as one YAML file.

What teams set up in chat (subscriptions with their filters and pauses, alert
mentions, chat-added sources, watchlist edits) lives in the database; this file
lets them move it to another deployment or keep it in git.

Import is a plan, then its execution: every entry is compared with what is in
force, and only differences become changes, so importing the same file twice
changes nothing the second time and ``--dry-run`` prints the same plan without
applying it. Watchlists are exported as their resulting terms, not as the edit
log, for the same reason: replaying "add X, remove X" twice is not idempotent,
reaching "X is absent" is. Import adds and updates; it never deletes a
subscription or source the file does not name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.channels import PRIORITY_NAMES
from bot.commands import grammar as g
from bot.store.records import AuditEntry, ChatSource, Subscription
from bot.watchlists import (
    ID_PATTERN,
    Catalog,
    WatchlistEdit,
    WatchlistFileError,
    _line_of,
    _read_yaml,
    _validation_error,
    apply_edits,
)

if TYPE_CHECKING:
    from bot.core import PolicyWatch

FORMAT_VERSION = 1


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubscriptionEntry(_Entry):
    platform: str
    workspace: str
    channel: str
    watchlist: str
    cadence: Literal["daily", "weekly", "instant"] = "daily"
    at: str = "09:00"
    tz: str = "UTC"
    day: str | None = None
    quiet: str | None = None
    min: Literal["high", "normal"] | None = None
    only: str | None = None
    without: str | None = None
    paused: bool = False
    paused_until: datetime | None = None


class MentionEntry(_Entry):
    platform: str
    workspace: str
    channel: str
    mention: str


class SourceEntry(_Entry):
    name: str = Field(pattern=g.SOURCE_NAME.pattern)
    url: str = Field(pattern=r"^https?://\S+$")
    every: str = f"{g.DEFAULT_SOURCE_MINUTES}m"
    paused: bool = False
    platform: str = "cli"
    workspace: str = "local"
    added_by: str = ""


class WatchlistEntry(_Entry):
    id: str
    name: str | None = None
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)


class AliasEntry(_Entry):
    company: str
    aliases: list[str]


class ExportFile(_Entry):
    version: Literal[1] = 1
    subscriptions: list[SubscriptionEntry] = Field(default_factory=list)
    mentions: list[MentionEntry] = Field(default_factory=list)
    sources: list[SourceEntry] = Field(default_factory=list)
    watchlists: list[WatchlistEntry] = Field(default_factory=list)
    deleted_watchlists: list[str] = Field(default_factory=list)
    company_aliases: list[AliasEntry] = Field(default_factory=list)


# ------------------------------------------------------------------ export


async def export_state(core: PolicyWatch) -> str:
    """The YAML text of everything chat has set up in this deployment."""
    now = core.clock()
    data = ExportFile(
        subscriptions=[_sub_entry(s, now) for s in await core.store.all_subscriptions()],
        mentions=[
            MentionEntry(platform=k[0], workspace=k[1], channel=k[2], mention=m)
            for k, m in await core.store.all_mentions()
        ],
        sources=[
            SourceEntry(
                name=s.id,
                url=s.url,
                every=_every(s.interval_minutes),
                paused=s.paused,
                platform=s.platform,
                workspace=s.workspace,
                added_by=s.added_by,
            )
            for s in await core.store.chat_sources()
        ],
        **_watchlist_changes(core.registry.base, core.registry.catalog),
    )
    header = "# policywatch export: subscriptions, filters, pauses, mentions, chat-added sources and watchlist edits\n"
    body = data.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    return header + yaml.safe_dump(
        {"version": FORMAT_VERSION, **body}, sort_keys=False, allow_unicode=True
    )


def _every(minutes: int) -> str:
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def _sub_entry(sub: Subscription, now: datetime) -> SubscriptionEntry:
    return SubscriptionEntry(
        platform=sub.platform,
        workspace=sub.workspace,
        channel=sub.channel,
        watchlist=sub.watchlist,
        cadence=sub.cadence,  # type: ignore[arg-type]
        at=sub.at,
        tz=sub.tz,
        day=g.WEEKDAYS[sub.weekday] if sub.cadence == "weekly" else None,
        quiet=f"{sub.quiet_start}-{sub.quiet_end}" if sub.quiet_start and sub.quiet_end else None,
        min=PRIORITY_NAMES.get(sub.min_priority) if sub.min_priority else None,  # type: ignore[arg-type]
        only=sub.only_term,
        without=sub.without_term,
        paused=sub.paused(now),
        paused_until=sub.paused_until if sub.paused(now) else None,
    )


def _watchlist_changes(base: Catalog, current: Catalog) -> dict[str, Any]:
    """What chat changed in the watchlists, as resulting terms (see the module doc)."""
    changed = [
        WatchlistEntry(
            id=wl.id,
            name=None if wl.id in base.watchlists else wl.name,
            include=list(wl.include),
            exclude=list(wl.exclude),
        )
        for wl_id, wl in sorted(current.watchlists.items())
        if wl_id not in base.watchlists
        or (wl.include, wl.exclude)
        != (base.watchlists[wl_id].include, base.watchlists[wl_id].exclude)
    ]
    aliases = [
        AliasEntry(company=c_id, aliases=added)
        for c_id, company in sorted(current.companies.items())
        if c_id in base.companies
        and (added := [a for a in company.aliases if a not in base.companies[c_id].aliases])
    ]
    return {
        "watchlists": changed,
        "deleted_watchlists": sorted(set(base.watchlists) - set(current.watchlists)),
        "company_aliases": aliases,
    }


# ------------------------------------------------------------------ import


@dataclass
class Plan:
    """The changes an import makes: ``lines`` say what, ``steps`` do it, in order."""

    lines: list[str] = field(default_factory=list)
    steps: list[Callable[[], Awaitable[object]]] = field(default_factory=list)

    def add(self, line: str, step: Callable[[], Awaitable[object]]) -> None:
        self.lines.append(line)
        self.steps.append(step)


def read_export(path: Path) -> tuple[ExportFile, yaml.Node]:
    """Parse and validate a file's structure; errors say file:line and why."""
    data, node = _read_yaml(path)
    try:
        return ExportFile.model_validate(data), node
    except ValidationError as exc:
        raise _validation_error(path, node, exc) from None


async def plan_import(core: PolicyWatch, path: Path, actor: str) -> Plan:
    """Check the whole file against the deployment and plan the changes; a bad
    entry refuses the import before anything is applied."""
    data, node = read_export(path)
    plan = Plan()
    now = core.clock()

    def fail(loc: list[int | str], reason: str) -> WatchlistFileError:
        return WatchlistFileError(path, _line_of(node, loc), reason)

    def audit(what: str) -> AuditEntry:
        return AuditEntry(now, "cli", "local", actor, "import", what[:500], "ok")

    edits = _watchlist_edits(core.registry.catalog, data, fail)
    for edit in edits:
        text = f"watchlist {edit.action} {edit.target} {edit.value}".strip()
        if edit.action == "alias":
            text = f"company alias {edit.target} {edit.value}"
        plan.add(text, partial(core.apply_edit, edit, audit(text)))
    catalog = apply_edits(core.registry.catalog, edits)

    existing = {s.id: s for s in await core.store.chat_sources()}
    shipped = core.sources()
    yaml_urls = {s.url: s.id for s in shipped if s.url}
    for index, src in enumerate(data.sources):
        minutes = g.parse_interval(src.every)
        if minutes is None:
            raise fail(
                ["sources", index, "every"], f"every must be like 15m or 2h, got '{src.every}'"
            )
        known = existing.get(src.name)
        same_url = yaml_urls.get(src.url) or next(
            (s.id for s in existing.values() if s.url == src.url and s.id != src.name), None
        )
        if same_url:
            raise fail(["sources", index, "url"], f"source '{same_url}' already fetches that URL")
        if any(s.id == src.name for s in shipped):
            raise fail(
                ["sources", index, "name"], f"'{src.name}' names a source of the sources file"
            )
        if known is not None and known.url != src.url:
            raise fail(["sources", index, "name"], f"source '{src.name}' here has another URL")
        if known is None:
            source = ChatSource(
                src.name,
                src.url,
                minutes,
                src.paused,
                src.added_by or actor,
                now,
                src.platform,
                src.workspace,
            )
            plan.add(
                f"source add {src.name} {src.url}",
                partial(core.store.add_chat_source, source, audit(f"source add {src.name}")),
            )
        elif known.paused != src.paused:
            text = f"source {'pause' if src.paused else 'resume'} {src.name}"
            plan.add(
                text, partial(core.store.change_chat_source, src.name, src.paused, audit(text))
            )

    subs = {(s.channel_key, s.watchlist): s for s in await core.store.all_subscriptions()}
    for index, entry in enumerate(data.subscriptions):
        if entry.watchlist not in catalog.watchlists:
            raise fail(["subscriptions", index, "watchlist"], f"no watchlist '{entry.watchlist}'")
        wanted = _subscription(entry, now, partial(fail, ["subscriptions", index]))
        key = (wanted.channel_key, wanted.watchlist)
        have = subs.get(key)
        where = f"{'/'.join(wanted.channel_key)} {wanted.watchlist}"
        if have is None or _settings(have) != _settings(wanted):
            plan.add(
                f"subscription {'changed' if have else 'added'}: {where}",
                partial(core.store.save_subscription, wanted),
            )
        was_paused = have is not None and have.paused(now)
        before = (was_paused, have.paused_until if have is not None and was_paused else None)
        after = (entry.paused, entry.paused_until if entry.paused else None)
        if before != after:
            plan.add(
                f"subscription {'paused' if entry.paused else 'resumed'}: {where}",
                partial(
                    core.store.set_paused,
                    wanted.channel_key,
                    wanted.watchlist,
                    now if entry.paused else None,
                    after[1],
                ),
            )

    for index, mention in enumerate(data.mentions):
        if not (g.SLACK_GROUP.match(mention.mention) or g.DISCORD_ROLE.match(mention.mention)):
            raise fail(
                ["mentions", index, "mention"],
                f"'{mention.mention}' is not a Slack user group or a Discord role",
            )
        channel = (mention.platform, mention.workspace, mention.channel)
        if await core.store.channel_mention(channel) != mention.mention:
            text = f"alert mention {mention.mention} in {'/'.join(channel)}"
            plan.add(
                text,
                partial(core.store.set_mention, channel, mention.mention, audit(text)),
            )
    return plan


def _subscription(
    entry: SubscriptionEntry, now: datetime, fail: Callable[[str], WatchlistFileError]
) -> Subscription:
    """An entry checked by the chat grammar itself, so a file can say nothing chat could not."""
    words = [f"subscribe {entry.watchlist} {entry.cadence} tz {entry.tz}"]
    if entry.cadence != "instant":  # instant alerts have no time of day
        words.append(f"at {entry.at}")
    for keyword, value in (
        ("on", entry.day),
        ("quiet", entry.quiet),
        ("min", entry.min),
        ("only", entry.only),
        ("without", entry.without),
    ):
        if value is not None:
            if '"' in value:
                raise fail(f"{keyword}: a double quote cannot be part of a term")
            words.append(f'{keyword} "{value}"')
    try:
        cmd = g.parse(" ".join(words))
    except g.ParseError as exc:
        raise fail(exc.message) from None
    assert isinstance(cmd, g.Subscribe)
    return Subscription(
        platform=entry.platform,
        workspace=entry.workspace,
        channel=entry.channel,
        watchlist=entry.watchlist,
        cadence=cmd.cadence,
        at=cmd.at,
        tz=cmd.tz,
        weekday=cmd.weekday,
        created_by="import",
        quiet_start=cmd.quiet[0] if cmd.quiet else None,
        quiet_end=cmd.quiet[1] if cmd.quiet else None,
        last_due_at=now,
        min_priority=cmd.min_priority,
        only_term=cmd.only,
        without_term=cmd.without,
    )


def _settings(sub: Subscription) -> tuple[object, ...]:
    """What a subscription entry states (not its cursor or history)."""
    return (
        sub.cadence,
        sub.at,
        sub.tz,
        sub.weekday if sub.cadence == "weekly" else 0,
        sub.quiet_start,
        sub.quiet_end,
        sub.min_priority,
        sub.only_term,
        sub.without_term,
    )


def _watchlist_edits(
    catalog: Catalog,
    data: ExportFile,
    fail: Callable[[list[int | str], str], WatchlistFileError],
) -> list[WatchlistEdit]:
    """The admin edits that bring the watchlists in force to the file's terms."""
    edits: list[WatchlistEdit] = []
    for index, wanted in enumerate(data.watchlists):
        if not ID_PATTERN.match(wanted.id):
            raise fail(["watchlists", index, "id"], f"'{wanted.id}' is not a watchlist id")
        spec = catalog.watchlists.get(wanted.id)
        if spec is None:
            edits.append(WatchlistEdit("create", wanted.id, wanted.name or wanted.id))
            include: list[str] = []
            exclude: list[str] = []
        else:
            include, exclude = list(spec.include), list(spec.exclude)
        # `watchlist remove` takes a term out of both lists, so a term that moves
        # between them is removed first and then added where it belongs.
        wanted_in = {t.lower() for t in wanted.include}
        wanted_out = {t.lower() for t in wanted.exclude}
        gone = {t.lower() for t in include if t.lower() not in wanted_in}
        gone |= {t.lower() for t in exclude if t.lower() not in wanted_out}
        edits += [WatchlistEdit("remove", wanted.id, t) for t in sorted(gone)]
        have_in = {t.lower() for t in include} - gone
        have_out = {t.lower() for t in exclude} - gone
        edits += [
            WatchlistEdit("add", wanted.id, t) for t in wanted.include if t.lower() not in have_in
        ]
        edits += [
            WatchlistEdit("exclude", wanted.id, t)
            for t in wanted.exclude
            if t.lower() not in have_out
        ]
    for wl_id in data.deleted_watchlists:
        if wl_id in catalog.watchlists:
            edits.append(WatchlistEdit("delete", wl_id))
    for index, entry in enumerate(data.company_aliases):
        company = catalog.companies.get(entry.company)
        if company is None:
            raise fail(["company_aliases", index, "company"], f"no company '{entry.company}'")
        edits += [
            WatchlistEdit("alias", company.id, a) for a in entry.aliases if a not in company.aliases
        ]
    return edits


async def run_import(core: PolicyWatch, path: Path, actor: str, *, dry_run: bool) -> list[str]:
    """Plan an import and, unless ``dry_run``, apply it; the changes, in words."""
    plan = await plan_import(core, path, actor)
    if not dry_run:
        for step in plan.steps:
            await step()
    return plan.lines
