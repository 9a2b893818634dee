"""The Discord adapter: slash commands in, embeds out, digests through ``deliver``.

Design notes (why it looks like this):

* One mapping table (:data:`SUBCOMMANDS`) turns each subcommand and its options
  into chat-grammar text for ``core.handle``. The core parses and validates, so
  Discord and the console can never disagree about what a command means.
* ``DISCORD_API_BASE`` must reach every REST call, interaction callbacks and
  followups included, so ``discord.http.Route.BASE`` is set before login. The
  gateway URL is then asked from ``GET /gateway/bot`` in ``setup_hook`` because a
  plain :class:`discord.Client` would otherwise connect to the real Discord.
* Buttons are :class:`discord.ui.DynamicItem` subclasses whose custom id holds the
  command; they keep working after a restart and run as the *clicking* user.
* Every message goes out with ``AllowedMentions.none()`` (set on the client), and
  feed text is escaped in :mod:`adapters.discord.embeds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Optional

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from adapters.base import Adapter
from adapters.discord.embeds import (
    ACTION_PREFIX,
    PAGE_PREFIX,
    REF_MARK,
    action_custom_id,
    button_label,
    digest_pages,
    page_custom_id,
    page_fingerprint,
    render_pages,
)
from bot.caller import Caller
from bot.commands.grammar import DISCORD_ROLE
from bot.commands.tokens import quote
from bot.delivery import Delivery, DeliveryError, PermanentDeliveryError, RetryLater
from bot.logs import announce
from bot.replies import Reply, ReplyKind

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core import PolicyWatch

log = logging.getLogger(__name__)

COMMAND = "policywatch"
ADMIN_COMMAND = "policywatch-admin"


# -- the one mapping table ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Option:
    """One slash-command option and how its value is written into chat text."""

    name: str
    description: str
    annotation: Any = str
    required: bool = False
    fmt: str = "{}"  # e.g. "{}d" for days, "at {}" for time
    complete: str | None = None  # core.complete field ("name" or "watchlist")
    allow_all: bool = False  # offer "all" in autocomplete (subscribe/unsubscribe)
    # Free text (a company name, a term, a search): written in quotes when it has
    # several words, so that none of them ("2025", "7d", "alias") is read as an
    # option of the command; one option stays one argument, as Discord typed it.
    literal: bool = False


@dataclass(frozen=True, slots=True)
class Subcommand:
    """A subcommand: chat words, then options in order. Admin ones live under /policywatch-admin."""

    name: str
    description: str
    words: str
    options: tuple[Option, ...] = ()
    admin: bool = False
    private: bool = False  # defer ephemerally (help, audit, admin changes)


_Days = app_commands.Range[int, 1, 365]
_Cadence = Literal["daily", "weekly", "instant"]

_NAME = Option(
    "name", "Company name, alias or ticker", required=True, complete="name", literal=True
)
_WATCHLIST = Option("watchlist", "Watchlist id", required=True, complete="watchlist")
_SUB_WATCHLIST = Option(
    "watchlist", "Watchlist id, or all", required=True, complete="watchlist", allow_all=True
)
_DAYS = Option(
    "days", "Only the last N days (default: everything stored)", annotation=_Days, fmt="{}d"
)
_TERM = Option("term", "Word or phrase", required=True, literal=True)
_ANY_WATCHLIST = Option(
    "watchlist", "Watchlist id, or all (the default)", complete="watchlist", allow_all=True
)
_SOURCE = Option("name", "A source added in chat", required=True, complete="source")
_Min = Literal["high", "normal"]

SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("help", "What policywatch can do", "help", private=True),
    Subcommand("company", "Recent items about a company", "company", (_NAME, _DAYS)),
    Subcommand("topic", "Recent items for a watchlist", "topic", (_WATCHLIST, _DAYS)),
    Subcommand(
        "search",
        "Full-text search over stored items",
        "search",
        (Option("query", "Words to search for", required=True),),
    ),
    Subcommand("watchlists", "List watchlists", "watchlists"),
    Subcommand(
        "subscribe",
        "Post a digest of a watchlist in this channel",
        "subscribe",
        (
            _SUB_WATCHLIST,
            Option("cadence", "How often", annotation=_Cadence),
            Option("day", "Weekday for weekly digests, e.g. mon", fmt="on {}"),
            Option("time", "Time of day, HH:MM", fmt="at {}"),
            Option("timezone", "Area/City, e.g. Europe/Berlin", fmt="tz {}"),
            Option("quiet", "Quiet hours for instant alerts, e.g. 22:00-07:00", fmt="quiet {}"),
            Option("min", "Only items of at least this priority", annotation=_Min, fmt="min {}"),
            Option("only", "Only items mentioning this term", fmt="only {}", literal=True),
            Option(
                "without", "Leave out items mentioning this term", fmt="without {}", literal=True
            ),
        ),
    ),
    Subcommand("filters", "This channel's per-subscription filters", "filters"),
    Subcommand(
        "pause",
        "Hold this channel's digests and alerts",
        "pause",
        (
            _ANY_WATCHLIST,
            Option("days", "For N days (default: until resumed)", annotation=_Days, fmt="for {}d"),
        ),
    ),
    Subcommand("resume", "End a pause now", "resume", (_ANY_WATCHLIST,)),
    Subcommand("unsubscribe", "Stop a digest in this channel", "unsubscribe", (_SUB_WATCHLIST,)),
    Subcommand("subscriptions", "What this channel is subscribed to", "subscriptions"),
    Subcommand("digest", "Preview this channel's next digest", "digest"),
    Subcommand(
        "digest-send-test",
        "Post a marked sample digest here now",
        "digest send-test",
        private=True,
    ),
    Subcommand("sources", "Configured sources and their health", "sources"),
    Subcommand(
        "story",
        "One story's thread in time order",
        "story",
        (Option("story", "Story id", required=True),),
    ),
    # admin
    Subcommand(
        "watchlist-create",
        "Create a watchlist",
        "watchlist create",
        (
            Option("watchlist", "New watchlist id", required=True),
            Option("title", "Display name", required=True, literal=True),
        ),
        admin=True,
        private=True,
    ),
    Subcommand(
        "watchlist-add",
        "Add a term",
        "watchlist add",
        (_WATCHLIST, _TERM),
        admin=True,
        private=True,
    ),
    Subcommand(
        "watchlist-exclude",
        "Exclude a term",
        "watchlist exclude",
        (_WATCHLIST, _TERM),
        admin=True,
        private=True,
    ),
    Subcommand(
        "watchlist-remove",
        "Remove a term",
        "watchlist remove",
        (_WATCHLIST, _TERM),
        admin=True,
        private=True,
    ),
    Subcommand(
        "watchlist-delete",
        "Delete a watchlist (asks first)",
        "watchlist delete",
        (_WATCHLIST,),
        admin=True,
        private=True,
    ),
    Subcommand(
        "watchlist-restore",
        "Bring back a deleted watchlist",
        "watchlist restore",
        (Option("watchlist", "Id of the deleted watchlist", required=True),),
        admin=True,
        private=True,
    ),
    Subcommand(
        "company-alias",
        "Add an alias to a company",
        "company alias",
        (
            Option("name", "Company", required=True, complete="name"),
            Option("alias", "New alias", required=True, literal=True),
        ),
        admin=True,
        private=True,
    ),
    Subcommand(
        "source-add",
        "Fetch a feed once, show what it holds, and add it",
        "source add",
        (
            Option("url", "Feed URL (RSS or Atom)", required=True),
            Option("name", "Short name, e.g. ustr-press (default: from the host)"),
            Option("every", "How often to fetch, e.g. 15m or 2h", fmt="every {}"),
        ),
        admin=True,
        private=True,
    ),
    *(
        Subcommand(
            f"source-{action}",
            f"{action.title()} a source added in chat",
            f"source {action}",
            (_SOURCE,),
            admin=True,
            private=True,
        )
        for action in ("remove", "pause", "resume")
    ),
    Subcommand(
        "alert-mention",
        "Mention a role in this channel's high-priority alerts",
        "alert mention",
        (
            Option(
                "role",
                "The role to mention (never everyone)",
                annotation=discord.Role,
                required=True,
            ),
        ),
        admin=True,
        private=True,
    ),
    Subcommand(
        "alert-mention-off",
        "Stop mentioning anyone in this channel's alerts",
        "alert mention off",
        admin=True,
        private=True,
    ),
    Subcommand(
        "audit",
        "Last admin changes",
        "audit",
        (Option("count", "How many (default 20)", annotation=app_commands.Range[int, 1, 100]),),
        admin=True,
        private=True,
    ),
)


def to_chat_text(spec: Subcommand, values: dict[str, Any]) -> str:
    """Write a subcommand and its option values as chat grammar ("company ford 7d").

    Whitespace inside values is collapsed so an option cannot smuggle a second line.
    """
    parts = [spec.words]
    for option in spec.options:
        value = values.get(option.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        # A role is written as its mention (<@&ID>), as a chat user would type it.
        text = " ".join((value.mention if isinstance(value, discord.Role) else str(value)).split())
        if option.literal and " " in text:
            # A double quote with an apostrophe cannot be quoted: left as typed.
            with contextlib.suppress(ValueError):
                text = quote(text, force=True)
        parts.append(option.fmt.format(text))
    return " ".join(parts)


def caller_for(interaction: discord.Interaction[Any]) -> Caller:
    """Who clicked or typed, and where. Manage Server is read from this very interaction."""
    user = interaction.user
    return Caller(
        platform="discord",
        workspace=str(interaction.guild_id) if interaction.guild_id else "dm",
        channel=str(interaction.channel_id),
        user=str(user.id),
        platform_admin=interaction.guild_id is not None and interaction.permissions.manage_guild,
        display_name=user.display_name,
    )


# -- buttons ---------------------------------------------------------------------------


def adapter_of(interaction: discord.Interaction[Any]) -> DiscordAdapter | None:
    """The adapter behind a click (buttons are created by discord.py, not by us)."""
    client = interaction.client
    return client.adapter if isinstance(client, PolicyWatchClient) else None


_Button = discord.ui.Button[discord.ui.View]


class PageButton(discord.ui.DynamicItem[_Button], template=r"pw:p:(?P<page>\d+):(?P<command>.+)"):
    """The "Previous"/"Next" buttons: re-runs the command as the clicker and shows another page."""

    def __init__(self, page: int, command: str, label: str, custom_id: str) -> None:
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, custom_id=custom_id)
        )
        self.page = page
        self.command = command

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PageButton:
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(int(match["page"]), match["command"], label or "More", match.string)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        adapter = adapter_of(interaction)
        if adapter is not None:
            await adapter.on_page_click(interaction, self.command, self.page)


class ActionButton(discord.ui.DynamicItem[_Button], template=r"pw:a:(?P<command>.+)"):
    """A :class:`bot.replies.Action`: runs its command as the clicking user."""

    def __init__(
        self, command: str, label: str, custom_id: str, style: discord.ButtonStyle
    ) -> None:
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id))
        self.command = command

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ActionButton:
        if isinstance(item, discord.ui.Button):
            return cls(match["command"], item.label or "Run", match.string, item.style)
        return cls(match["command"], "Run", match.string, discord.ButtonStyle.secondary)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        adapter = adapter_of(interaction)
        if adapter is not None:
            await adapter.on_action_click(interaction, self.command)


_STYLES = {"primary": discord.ButtonStyle.primary, "danger": discord.ButtonStyle.danger}


# -- the client ------------------------------------------------------------------------


class PolicyWatchClient(discord.Client):
    """discord.Client with our command tree; no privileged intents (only ``guilds``)."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        # The bot never joins voice: "PyNaCl/davey is not installed, voice will
        # NOT be supported" would only alarm an operator.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True  # channel/guild cache for interactions; not privileged
        super().__init__(
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=adapter.guild_ready_timeout,
        )
        self.adapter = adapter
        self.tree: app_commands.CommandTree[PolicyWatchClient] = app_commands.CommandTree(self)
        self._announced = False

    async def on_ready(self) -> None:
        """Say once who the bot is and how many servers it is in."""
        if not self._announced:
            self._announced = True
            count = len(self.guilds)
            announce(f"Discord: connected as {self.user}, {count} guild{'s' * (count != 1)}")

    async def setup_hook(self) -> None:
        """Point the gateway at what ``/gateway/bot`` says, register buttons, sync commands."""
        _shards, url, _limits = await self.http.get_bot_gateway()
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        self.add_dynamic_items(PageButton, ActionButton)
        await self.adapter.register_commands(self.tree)


class DiscordAdapter(Adapter):
    """Serves ``/policywatch`` and ``/policywatch-admin`` and delivers digests to channels."""

    platform: ClassVar[str] = "discord"
    #: Commands too long for a custom id, by reference (lost on restart; the click then says so).
    _MAX_REFS = 2048
    #: How long READY waits for more GUILD_CREATEs (discord.py default); tests shorten it.
    guild_ready_timeout: float = 2.0

    def __init__(self, core: PolicyWatch, settings: Settings) -> None:
        super().__init__(core, settings)
        self.client: PolicyWatchClient | None = None
        self._refs: OrderedDict[str, str] = OrderedDict()

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Log in, connect and serve until :meth:`stop`; discord.py reconnects and RESUMEs."""
        token = self.settings.discord_token
        if not token:
            raise RuntimeError("DISCORD_TOKEN is not set")
        # Route.BASE is read by every Route(), so it must be set before the first request.
        discord.http.Route.BASE = self.settings.discord_api_base.rstrip("/")
        self.client = PolicyWatchClient(self)
        async with self.client:
            await self.client.start(token)

    async def stop(self) -> None:
        if self.client is not None and not self.client.is_closed():
            await self.client.close()

    async def wait_until_ready(self, timeout: float = 30.0) -> None:
        """Wait for READY and the guild data, for callers that must not act before (tests)."""
        for _ in range(int(timeout * 20)):
            if self.client is not None and self.client.is_ready():
                return
            await asyncio.sleep(0.05)
        raise TimeoutError("Discord did not become ready")

    # -- commands ----------------------------------------------------------------------

    def build_groups(self) -> list[app_commands.Group]:
        """Create both command groups from :data:`SUBCOMMANDS`."""
        user_group = app_commands.Group(name=COMMAND, description="Policy and industry news")
        admin_group = app_commands.Group(
            name=ADMIN_COMMAND,
            description="Manage policywatch watchlists (Manage Server)",
            default_permissions=discord.Permissions(manage_guild=True),
            guild_only=True,
        )
        for spec in SUBCOMMANDS:
            group = admin_group if spec.admin else user_group
            command: app_commands.Command[Any, ..., None] = app_commands.Command(
                name=spec.name,
                description=spec.description,
                callback=self._make_callback(spec),
                parent=group,
            )
            for option in spec.options:
                if option.complete:
                    command.autocomplete(option.name)(self._make_autocomplete(option))
            group.add_command(command)
        return [user_group, admin_group]

    async def register_commands(self, tree: app_commands.CommandTree[PolicyWatchClient]) -> None:
        """Add both groups and sync them: to one guild when DISCORD_GUILD_ID is set
        (visible at once), else globally (Discord may take a while to show them)."""
        guild = (
            discord.Object(id=self.settings.discord_guild_id)
            if self.settings.discord_guild_id
            else None
        )
        for group in self.build_groups():
            tree.add_command(group, guild=guild, override=True)
        try:
            await tree.sync(guild=guild)
        except discord.HTTPException as exc:
            # Commands registered earlier keep working; do not refuse to start over this.
            log.warning("Discord command sync failed: %s %s", exc.status, exc.text)

    def _make_callback(self, spec: Subcommand) -> Callable[..., Coroutine[Any, Any, None]]:
        """A callback whose signature lists the table's options, so discord.py builds them.

        discord.py reads parameters with ``inspect.signature``, which honours
        ``__signature__``; the body itself just forwards the values.
        """

        async def callback(interaction: discord.Interaction[Any], **values: Any) -> None:
            await self.run_subcommand(interaction, spec, values)

        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        params = [inspect.Parameter("interaction", kind, annotation=discord.Interaction)]
        for option in sorted(spec.options, key=lambda o: not o.required):
            if option.required:
                params.append(inspect.Parameter(option.name, kind, annotation=option.annotation))
            else:
                params.append(
                    inspect.Parameter(
                        option.name,
                        kind,
                        default=None,
                        annotation=Optional[option.annotation],  # noqa: UP045
                    )
                )
        callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
            o.name: o.description for o in spec.options
        }
        callback.__qualname__ = callback.__name__ = f"policywatch_{spec.name.replace('-', '_')}"
        return callback

    def _make_autocomplete(
        self, option: Option
    ) -> Callable[
        [discord.Interaction[Any], str], Coroutine[Any, Any, list[app_commands.Choice[str]]]
    ]:
        field = option.complete or option.name

        async def autocomplete(
            interaction: discord.Interaction[Any], current: str
        ) -> list[app_commands.Choice[str]]:
            if field == "source":  # chat-added sources live in the store
                names = await self.core.chat_source_names()
                key = current.strip().lower()
                return [app_commands.Choice(name=n, value=n) for n in names if key in n][:25]
            return self.choices(field, current, allow_all=option.allow_all)

        return autocomplete

    def choices(
        self, field: str, current: str, *, allow_all: bool = False
    ) -> list[app_commands.Choice[str]]:
        """Autocomplete choices from the core; Discord allows at most 25, names/values ≤ 100."""
        try:
            pairs = list(self.core.complete(field, current.strip(), limit=25))
        except Exception:
            log.exception("autocomplete failed for %s", field)
            pairs = []
        if allow_all and "all".startswith(current.strip().lower()):
            pairs = [("all", "all"), *[p for p in pairs if p[1] != "all"]]
        out: list[app_commands.Choice[str]] = []
        for label, value in pairs[:25]:
            out.append(app_commands.Choice(name=label[:100] or value[:100], value=value[:100]))
        return out

    async def run_subcommand(
        self, interaction: discord.Interaction[Any], spec: Subcommand, values: dict[str, Any]
    ) -> None:
        """Translate, check admin rights again, defer, run, answer with a followup."""
        text = to_chat_text(spec, values)
        caller = caller_for(interaction)
        if spec.admin and not self.core.is_admin(caller):
            # Re-checked on every call: default_permissions is only a UI default
            # that a server can override per role or channel.
            denied = Reply(
                title="Only server admins (Manage Server) can do that.",
                kind=ReplyKind.DENIED,
                ephemeral=True,
            )
            await interaction.response.send_message(embeds=render_pages(denied)[0], ephemeral=True)
            return
        await interaction.response.defer(ephemeral=spec.private, thinking=True)
        reply = await self._handle(caller, text)
        await self._send_followup(interaction, reply, text, deferred_private=spec.private)

    async def _handle(self, caller: Caller, text: str) -> Reply:
        try:
            return await self.core.handle(caller, text)
        except Exception:
            log.exception("command failed: %s", text.split(" ", 1)[0])
            return Reply(
                title="Sorry, that failed on our side. Please try again later.",
                kind=ReplyKind.ERROR,
                ephemeral=True,
            )

    async def _send_followup(
        self,
        interaction: discord.Interaction[Any],
        reply: Reply,
        command: str,
        *,
        deferred_private: bool,
    ) -> None:
        private = deferred_private or reply.ephemeral or reply.is_error
        if private and not deferred_private:
            # The first followup after a public defer replaces the public "thinking"
            # message and ignores the ephemeral flag; delete it so the error stays private.
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                log.debug("could not delete deferred response")
        await self._send_first_page(interaction, reply, command, private=private)

    async def _send_first_page(
        self, interaction: discord.Interaction[Any], reply: Reply, command: str, *, private: bool
    ) -> None:
        """Send page 1 of ``reply`` as a new followup, with its buttons when it has any.

        Shared by slash commands and action clicks, which both answer in a new message.
        """
        pages = render_pages(reply)
        view = self.build_view(reply, command, 0, len(pages))
        if view is None:
            await interaction.followup.send(embeds=pages[0], ephemeral=private)
        else:
            await interaction.followup.send(embeds=pages[0], view=view, ephemeral=private)

    # -- buttons -----------------------------------------------------------------------

    def _encoded(self, custom_id: str, by_reference: bool, command: str) -> str:
        if by_reference:
            key = custom_id.rsplit(REF_MARK, 1)[1]
            self._refs[REF_MARK + key] = " ".join(command.split())  # as encode_command hashed it
            self._refs.move_to_end(REF_MARK + key)
            while len(self._refs) > self._MAX_REFS:
                self._refs.popitem(last=False)
        return custom_id

    def resolve_command(self, encoded: str) -> str | None:
        """Decode a command from a custom id; None when a by-reference one was forgotten."""
        if encoded.startswith(REF_MARK):
            return self._refs.get(encoded)
        return encoded

    def build_view(
        self, reply: Reply, command: str, page: int, pages: int
    ) -> discord.ui.View | None:
        """Previous/Next for multi-page replies (row 0) and the reply's actions (rows 1-4)."""
        if reply.is_error:
            return None
        view = discord.ui.View(timeout=None)
        if pages > 1:
            for target, label in ((page - 1, "Previous"), (page + 1, "Next")):
                if 0 <= target < pages:
                    cid, by_ref = page_custom_id(target, command)
                    view.add_item(
                        PageButton(target, command, label, self._encoded(cid, by_ref, command))
                    )
        for number, action in enumerate(reply.actions[:20]):
            cid, by_ref = action_custom_id(action.command)
            button = ActionButton(
                action.command,
                button_label(action.label),
                self._encoded(cid, by_ref, action.command),
                _STYLES.get(action.style, discord.ButtonStyle.secondary),
            )
            button.item.row = 1 + number // 5
            view.add_item(button)
        return view if view.children else None

    async def on_page_click(
        self, interaction: discord.Interaction[Any], encoded: str, page: int
    ) -> None:
        """Show page ``page`` of the command's reply, recomputed for the clicking user."""
        clicked = await self._run_click(interaction, encoded)
        if clicked is None:
            return
        command, reply = clicked
        if reply.is_error or reply.ephemeral:
            await interaction.followup.send(embeds=render_pages(reply)[0], ephemeral=True)
            return
        pages = render_pages(reply)
        page = max(0, min(page, len(pages) - 1))
        view = self.build_view(reply, command, page, len(pages))
        await interaction.edit_original_response(embeds=pages[page], view=view)

    async def on_action_click(self, interaction: discord.Interaction[Any], encoded: str) -> None:
        """Run an action's command as the clicking user; answer in a new message."""
        clicked = await self._run_click(interaction, encoded)
        if clicked is None:
            return
        command, reply = clicked
        # No "thinking" message to remove here: a click's defer only acknowledges it.
        await self._send_first_page(
            interaction, reply, command, private=reply.ephemeral or reply.is_error
        )

    async def _run_click(
        self, interaction: discord.Interaction[Any], encoded: str
    ) -> tuple[str, Reply] | None:
        """Acknowledge a button click and run its command as the clicker: ``(command, reply)``.

        None when a by-reference command was forgotten; the clicker has been told so.
        Both kinds of button go through here so they defer and expire alike.
        """
        command = self.resolve_command(encoded)
        await interaction.response.defer()
        if command is None:
            gone = Reply(
                title="This button has expired; run the command again.", kind=ReplyKind.ERROR
            )
            await interaction.followup.send(embeds=render_pages(gone)[0], ephemeral=True)
            return None
        return command, await self._handle(caller_for(interaction), command)

    # -- digests -----------------------------------------------------------------------

    def part_count(self, reply: Reply) -> int:
        return len(digest_pages(reply))

    async def deliver(self, delivery: Delivery) -> str:
        """Post one part of a digest; idempotent per part thanks to ``nonce`` +
        ``enforce_nonce`` (a retry within Discord's window gets the posted
        message back). The last part carries the digest's buttons."""
        channel = self._digest_channel(delivery)
        pages = digest_pages(delivery.reply)
        embeds = pages[delivery.part]
        view = (
            self.build_view(delivery.reply, "digest", 0, 1)
            if delivery.part == len(pages) - 1
            else None
        )
        nonce = delivery_nonce(delivery.outbox_id, delivery.part)
        ping = role_ping(delivery.reply) if delivery.part == 0 else {}
        try:
            if view is None:
                message = await channel.send(embeds=embeds, nonce=nonce, **ping)
            else:
                message = await channel.send(embeds=embeds, view=view, nonce=nonce, **ping)
        except _TALKING_FAILED as exc:
            raise _delivery_error(exc) from None
        return str(message.id)

    async def already_delivered(self, delivery: Delivery, limit: int = 200) -> str | None:
        """The id of a message of ours in the channel's recent history that is
        this part, recognised by its content (nonces are not kept in history,
        and a digest shows no internal id). Without Read Message History the
        answer is "cannot tell", and the sender resends."""
        channel = self._digest_channel(delivery)
        client = self.client
        assert client is not None and client.user is not None
        wanted = page_fingerprint(digest_pages(delivery.reply)[delivery.part])
        try:
            async for message in channel.history(limit=limit):
                if message.author.id == client.user.id and (
                    page_fingerprint(message.embeds) == wanted
                ):
                    return str(message.id)
        except discord.Forbidden:
            log.info(
                "no Read Message History in %s: resending outbox %s",
                delivery.channel,
                delivery.outbox_id,
            )
            return None
        except _TALKING_FAILED as exc:
            raise _delivery_error(exc) from None
        return None

    def _digest_channel(self, delivery: Delivery) -> discord.PartialMessageable:
        client = self.client
        if client is None or client.is_closed() or not client.is_ready():
            raise RetryLater("Discord is not connected yet")
        try:
            channel_id = int(delivery.channel)
        except ValueError:
            raise PermanentDeliveryError(
                f"not a Discord channel id: {delivery.channel!r}"
            ) from None
        guild_id = int(delivery.workspace) if delivery.workspace.isdigit() else None
        return client.get_partial_messageable(channel_id, guild_id=guild_id)


def role_ping(reply: Reply) -> dict[str, Any]:
    """``content`` and ``allowed_mentions`` that ping exactly the alert's role, or
    nothing: the client allows no mentions at all, and this widens it by one role
    only, never to users, ``@everyone`` or ``@here``."""
    match = DISCORD_ROLE.match(reply.mention or "")
    if match is None:
        return {}
    role = discord.Object(id=int(match.group(1)))
    return {
        "content": reply.mention,
        "allowed_mentions": discord.AllowedMentions(everyone=False, users=False, roles=[role]),
    }


def delivery_nonce(outbox_id: int, page: int = 0) -> str:
    """Discord nonces are at most 25 characters; this one is stable for a given outbox row.

    Readable (``pw42``, ``pw42p1``) for realistic ids; a hash keeps absurd ones in bounds.
    """
    nonce = f"pw{outbox_id}" if page == 0 else f"pw{outbox_id}p{page}"
    if len(nonce) <= 25:
        return nonce
    return "pw" + hashlib.sha256(nonce.encode()).hexdigest()[:23]


# What a call to Discord's REST API can fail with.
_TALKING_FAILED = (discord.HTTPException, TimeoutError, aiohttp.ClientError, OSError)


def _delivery_error(exc: BaseException) -> DeliveryError:
    """The outbox's view of a failed call: a channel gone or forbidden stops the
    subscription, anything else is retried later."""
    if isinstance(exc, discord.Forbidden | discord.NotFound):
        return PermanentDeliveryError(_describe(exc))
    if isinstance(exc, discord.HTTPException):
        return RetryLater(_describe(exc))
    return RetryLater(f"network error talking to Discord: {type(exc).__name__}")


def _describe(exc: discord.HTTPException) -> str:
    """A user-readable reason (shown in ``subscriptions``); Discord's error text holds no secret."""
    reasons = {50001: "the bot cannot see that channel", 50013: "the bot lacks permission there"}
    reason = reasons.get(exc.code) or (exc.text or "").strip() or "request failed"
    if isinstance(exc, discord.NotFound):
        reason = "the channel no longer exists" if exc.code in (0, 10003) else reason
    return f"Discord {exc.status}: {reason}"


__all__: Sequence[str] = (
    "ACTION_PREFIX",
    "PAGE_PREFIX",
    "SUBCOMMANDS",
    "DiscordAdapter",
    "PolicyWatchClient",
    "caller_for",
    "delivery_nonce",
    "to_chat_text",
)
