"""A small local Discord: REST + gateway on 127.0.0.1, enough for the real discord.py client.

Why a fake server instead of mocks: the adapter's risky parts (Route.BASE, the
gateway URL from ``/gateway/bot``, RESUME after a dropped socket, what actually
goes over the wire in callbacks and followups) only show up when the real
library talks HTTP and websockets. Everything here is deterministic: ids are
counters, there is no wall clock in payloads, and tests wait on recorded
requests instead of sleeping.

Every JSON response is sent with ``Content-Type: application/json`` exactly,
because discord.py only parses a body as JSON for that bare type.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from adapters.tests.local_server import serve_locally

APP_ID = 900000000000000001
BOT_ID = 900000000000000001
GUILD_A = 111111111111111111
GUILD_B = 222222222222222222
CHANNEL_A = 311111111111111111
CHANNEL_B = 322222222222222222
USER_ID = 411111111111111111
MANAGE_GUILD = 1 << 5
#: Permissions a plain member has in the fake (view/send/read history), no Manage Server.
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 16)
#: The same member with Manage Server, which the admin commands ask for.
ADMIN_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_GUILD
#: The message flag that makes a callback or followup visible to the invoking user only.
EPHEMERAL = 1 << 6

BOT_USER: dict[str, Any] = {
    "id": str(BOT_ID),
    "username": "policywatch",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
}


@dataclass
class Recorded:
    """One REST request the client made, with its decoded JSON body (or None)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class GatewayLog:
    """What happened on the gateway, so tests can assert IDENTIFY vs RESUME."""

    connects: list[str] = field(default_factory=list)
    identifies: int = 0
    resumes: list[dict[str, Any]] = field(default_factory=list)
    heartbeats: int = 0


def followup_to(data: dict[str, Any]) -> Callable[[Recorded], bool]:
    """A request filter: the followup message answering interaction ``data``."""
    path = f"/api/v10/webhooks/{APP_ID}/{data['token']}"
    return lambda r: r.method == "POST" and r.path == path


def callback_to(data: dict[str, Any]) -> Callable[[Recorded], bool]:
    """A request filter: the interaction callback answering ``data``."""
    path = f"/api/v10/interactions/{data['id']}/{data['token']}/callback"
    return lambda r: r.path == path


def _json(data: Any, status: int = 200) -> web.Response:
    # Not web.json_response: that appends "; charset=utf-8", which discord.py ignores.
    return web.Response(
        status=status, body=json.dumps(data).encode(), content_type="application/json"
    )


class FakeDiscord:
    """The fake server. ``async with FakeDiscord() as fake:`` starts it on a random port."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.gateway = GatewayLog()
        self.session_id = "fake-session-1"
        #: channel id -> (HTTP status, Discord error code, message) for POST /channels/{id}/messages
        self.channel_errors: dict[int, tuple[int, int, str]] = {}
        #: the same for GET /channels/{id}/messages (reading history)
        self.history_errors: dict[int, tuple[int, int, str]] = {}
        #: channel id -> messages posted there, oldest first (what history returns)
        self.channel_messages: dict[int, list[dict[str, Any]]] = {}
        self._changed = asyncio.Condition()
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self._next_id = 500000000000000000
        self._nonces: dict[tuple[str, str], dict[str, Any]] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.ready = asyncio.Event()
        self.resumed = asyncio.Event()

    # -- lifecycle -------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/api/v10/gateway/bot", self._gateway_bot)
        app.router.add_get("/api/v10/users/@me", self._me)
        app.router.add_get("/api/v10/oauth2/applications/@me", self._app_info)
        app.router.add_put("/api/v10/applications/{app}/commands", self._commands)
        app.router.add_put("/api/v10/applications/{app}/guilds/{guild}/commands", self._commands)
        app.router.add_post("/api/v10/interactions/{iid}/{token}/callback", self._callback)
        app.router.add_post("/api/v10/webhooks/{app}/{token}", self._followup)
        app.router.add_patch("/api/v10/webhooks/{app}/{token}/messages/{mid}", self._edit_followup)
        app.router.add_delete(
            "/api/v10/webhooks/{app}/{token}/messages/{mid}", self._delete_followup
        )
        app.router.add_post("/api/v10/channels/{cid}/messages", self._channel_message)
        app.router.add_get("/api/v10/channels/{cid}/messages", self._channel_history)
        app.router.add_get("/gateway", self._gateway_ws)
        app.router.add_get("/resume", self._gateway_ws)
        self._runner, self.port = await serve_locally(app)

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    # -- recording and waiting -------------------------------------------------------

    async def _record(self, request: web.Request, body: Any) -> Recorded:
        rec = Recorded(request.method, request.path, dict(request.query), body)
        async with self._changed:
            self.requests.append(rec)
            self._changed.notify_all()
        return rec

    async def wait_for(
        self, predicate: Callable[[Recorded], bool], *, timeout: float = 5.0, after: int = 0
    ) -> Recorded:
        """Return the first request (from index ``after``) matching ``predicate``."""

        def find() -> Recorded | None:
            return next((r for r in self.requests[after:] if predicate(r)), None)

        async def waiter() -> Recorded:
            async with self._changed:
                while (found := find()) is None:
                    await self._changed.wait()
                return found

        return await asyncio.wait_for(waiter(), timeout)

    def callbacks(self, interaction_id: int) -> list[Recorded]:
        path = f"/api/v10/interactions/{interaction_id}/"
        return [r for r in self.requests if r.path.startswith(path)]

    def message_payloads(self) -> list[Any]:
        """Every outgoing body that carries message content (content, embeds or components)."""
        out: list[Any] = []
        for rec in self.requests:
            body = rec.body
            if not isinstance(body, dict):
                continue
            if rec.path.endswith("/callback"):
                body = body.get("data")
                if not isinstance(body, dict):
                    continue
            if any(k in body for k in ("content", "embeds", "components")):
                out.append(body)
        return out

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- REST -----------------------------------------------------------------------

    async def _body(self, request: web.Request) -> Any:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        await self._record(request, body)
        return body

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        await self._body(request)
        return _json(
            {
                "url": f"ws://127.0.0.1:{self.port}/gateway",
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def _me(self, request: web.Request) -> web.Response:
        await self._body(request)
        if request.headers.get("Authorization") != "Bot test-token":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return _json(BOT_USER)

    async def _app_info(self, request: web.Request) -> web.Response:
        await self._body(request)
        return _json(
            {
                "id": str(APP_ID),
                "name": "policywatch",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": {**BOT_USER, "id": str(USER_ID), "bot": False},
                "verify_key": "00",
                "flags": 0,
            }
        )

    async def _commands(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        out = []
        for cmd in body or []:
            out.append(
                {
                    **cmd,
                    "id": str(self._new_id()),
                    "application_id": str(APP_ID),
                    "version": "1",
                    **(
                        {"guild_id": request.match_info["guild"]}
                        if "guild" in request.match_info
                        else {}
                    ),
                }
            )
        return _json(out)

    def message_from(self, body: dict[str, Any]) -> dict[str, Any]:
        """A full message object for a recorded followup body (for building button clicks)."""
        return self._message(CHANNEL_A, body, webhook=True)

    def _message(
        self, channel_id: int | str, body: dict[str, Any], *, webhook: bool = False
    ) -> dict[str, Any]:
        return {
            "id": str(self._new_id()),
            "channel_id": str(channel_id),
            "type": 0,
            "content": body.get("content") or "",
            "author": BOT_USER,
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": "2026-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "flags": int(body.get("flags") or 0),
            "nonce": body.get("nonce"),
            **({"webhook_id": str(APP_ID), "application_id": str(APP_ID)} if webhook else {}),
        }

    async def _callback(self, request: web.Request) -> web.Response:
        body = await self._body(request) or {}
        data = body.get("data") or {}
        resource: dict[str, Any] = {"type": body.get("type")}
        if body.get("type") in (4, 7):
            resource["message"] = self._message(CHANNEL_A, data, webhook=True)
        return _json(
            {
                "interaction": {
                    "id": request.match_info["iid"],
                    "type": 2,
                    "response_message_loading": body.get("type") == 5,
                    "response_message_ephemeral": bool(int(data.get("flags") or 0) & EPHEMERAL),
                },
                "resource": resource,
            }
        )

    async def _followup(self, request: web.Request) -> web.Response:
        body = await self._body(request) or {}
        return _json(self._message(CHANNEL_A, body, webhook=True))

    async def _edit_followup(self, request: web.Request) -> web.Response:
        body = await self._body(request) or {}
        return _json(self._message(CHANNEL_A, body, webhook=True))

    async def _delete_followup(self, request: web.Request) -> web.Response:
        await self._body(request)
        return web.Response(status=204)

    async def _channel_message(self, request: web.Request) -> web.Response:
        body = await self._body(request) or {}
        cid = int(request.match_info["cid"])
        if cid in self.channel_errors:
            status, code, message = self.channel_errors[cid]
            return _json({"message": message, "code": code}, status=status)
        invalid = _embed_problem(body.get("embeds") or [])
        if invalid is not None:
            return _json({"message": f"Invalid Form Body: {invalid}", "code": 50035}, status=400)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            key = (str(cid), str(nonce))
            if key not in self._nonces:  # enforce_nonce: the earlier message comes back
                self._nonces[key] = self.post_to_channel(cid, body)
            return _json(self._nonces[key])
        return _json(self.post_to_channel(cid, body))

    def post_to_channel(self, cid: int, body: dict[str, Any]) -> dict[str, Any]:
        """Store a message in a channel's history (also used by tests to set one up)."""
        message = self._message(cid, body)
        self.channel_messages.setdefault(cid, []).append(message)
        return message

    def forget_nonces(self) -> None:
        """Let Discord's nonce window pass: a resend is no longer recognised."""
        self._nonces.clear()

    async def _channel_history(self, request: web.Request) -> web.Response:
        """GET /channels/{id}/messages: newest first, ``limit`` and ``before`` honoured."""
        await self._record(request, None)
        cid = int(request.match_info["cid"])
        if cid in self.history_errors:
            status, code, message = self.history_errors[cid]
            return _json({"message": message, "code": code}, status=status)
        newest_first = list(reversed(self.channel_messages.get(cid, [])))
        before = request.query.get("before")
        if before is not None:
            newest_first = [m for m in newest_first if int(m["id"]) < int(before)]
        limit = int(request.query.get("limit", "50"))
        # Discord keeps no nonce: only the answer to the send carries it.
        return _json([{**m, "nonce": None} for m in newest_first[:limit]])

    # -- gateway --------------------------------------------------------------------

    async def _gateway_ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._ws = ws
        self.gateway.connects.append(request.path)
        await ws.send_str(
            json.dumps({"op": 10, "d": {"heartbeat_interval": 45000}, "s": None, "t": None})
        )
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            payload = json.loads(msg.data)
            op = payload.get("op")
            if op == 1:
                self.gateway.heartbeats += 1
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
            elif op == 2:
                self.gateway.identifies += 1
                await self._identify(ws)
            elif op == 6:
                self.gateway.resumes.append(payload["d"])
                if payload["d"].get("session_id") == self.session_id:
                    await self._dispatch(ws, "RESUMED", {})
                    self.resumed.set()
                else:
                    await ws.send_str(json.dumps({"op": 9, "d": False, "s": None, "t": None}))
        return ws

    async def _dispatch(self, ws: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        self._seq += 1
        await ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    async def _identify(self, ws: web.WebSocketResponse) -> None:
        guilds = [GUILD_A, GUILD_B]
        await self._dispatch(
            ws,
            "READY",
            {
                "v": 10,
                "user": BOT_USER,
                "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
                "session_id": self.session_id,
                "resume_gateway_url": f"ws://127.0.0.1:{self.port}/resume",
                "application": {"id": str(APP_ID), "flags": 0},
                "private_channels": [],
                "relationships": [],
            },
        )
        for guild_id, channel_id in ((GUILD_A, CHANNEL_A), (GUILD_B, CHANNEL_B)):
            await self._dispatch(ws, "GUILD_CREATE", guild_payload(guild_id, channel_id))
        self.ready.set()

    async def inject(self, event: str, data: dict[str, Any]) -> None:
        """Send one dispatch (e.g. INTERACTION_CREATE) on the current gateway connection."""
        ws = self._ws
        assert ws is not None and not ws.closed, "no gateway connection"
        await self._dispatch(ws, event, data)

    async def interact(
        self,
        data: dict[str, Any],
        *,
        until: Callable[[dict[str, Any]], Callable[[Recorded], bool]] = followup_to,
    ) -> Recorded:
        """Send INTERACTION_CREATE ``data`` and return the bot's answer to it.

        The answer is the followup by default; ``until=callback_to`` returns the
        interaction callback instead (autocomplete choices, an immediate refusal).
        """
        await self.inject("INTERACTION_CREATE", data)
        return await self.wait_for(until(data))

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close the gateway socket server-side, as Discord does on a restart or hiccup."""
        ws = self._ws
        assert ws is not None
        self.resumed.clear()
        await ws.close(code=code, message=b"fake reconnect")


def assert_no_pings(fake: FakeDiscord) -> None:
    """Every message the bot sent (there must be some) disables all mentions."""
    payloads = fake.message_payloads()
    assert payloads
    for body in payloads:
        assert body.get("allowed_mentions") == {"parse": []}, body


def _text_channel(channel_id: int, guild_id: int) -> dict[str, Any]:
    """The guild's one text channel, "policy"; GUILD_CREATE and interactions both carry it."""
    return {
        "id": str(channel_id),
        "type": 0,
        "name": "policy",
        "position": 0,
        "permission_overwrites": [],
        "guild_id": str(guild_id),
    }


def guild_payload(guild_id: int, channel_id: int) -> dict[str, Any]:
    """A GUILD_CREATE with one text channel and an @everyone role."""
    return {
        "id": str(guild_id),
        "name": f"guild {guild_id}",
        "icon": None,
        "owner_id": str(USER_ID),
        "roles": [
            {
                "id": str(guild_id),
                "name": "@everyone",
                "permissions": str(MEMBER_PERMISSIONS),
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "channels": [_text_channel(channel_id, guild_id)],
        "members": [],
        "threads": [],
        "emojis": [],
        "stickers": [],
        "features": [],
        "member_count": 2,
        "large": False,
        "unavailable": False,
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "preferred_locale": "en-US",
        "mfa_level": 0,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "system_channel_flags": 0,
        "premium_tier": 0,
        "nsfw_level": 0,
        "joined_at": "2026-01-01T00:00:00+00:00",
    }


class InteractionFactory:
    """Builds INTERACTION_CREATE payloads with fresh ids (one factory per test)."""

    def __init__(self) -> None:
        self._next = 700000000000000000

    def _id(self) -> int:
        self._next += 1
        return self._next

    def _base(
        self, kind: int, *, guild_id: int | None, channel_id: int, user_id: int, permissions: int
    ) -> dict[str, Any]:
        iid = self._id()
        user = {
            "id": str(user_id),
            "username": f"user{user_id % 1000}",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
        }
        data: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(APP_ID),
            "type": kind,
            "token": f"tok{iid}",
            "version": 1,
            "locale": "en-US",
            "attachment_size_limit": 8388608,
            "app_permissions": str((1 << 10) | (1 << 11) | (1 << 14) | (1 << 16)),
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id or 0)},
            "channel": (
                {**_text_channel(channel_id, guild_id), "nsfw": False, "flags": 0}
                if guild_id
                else {"id": str(channel_id), "type": 1, "flags": 0}
            ),
            "channel_id": str(channel_id),
        }
        if guild_id:
            data["guild_id"] = str(guild_id)
            data["guild_locale"] = "en-US"
            data["context"] = 0
            data["member"] = {
                "user": user,
                "roles": [],
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str(permissions),
            }
        else:
            data["context"] = 1
            data["user"] = user
            data["channel"]["recipients"] = [user]
        return data

    def command(
        self,
        command: str,
        subcommand: str,
        options: dict[str, Any] | None = None,
        *,
        guild_id: int | None = GUILD_A,
        channel_id: int = CHANNEL_A,
        user_id: int = USER_ID,
        permissions: int = MEMBER_PERMISSIONS,
        focused: str | None = None,
        command_guild: int | None = None,
    ) -> dict[str, Any]:
        """A type-2 slash command (or type-4 autocomplete when ``focused`` names an option).

        ``command_guild`` is set when the command was registered on a guild, as Discord does.
        """
        kind = 4 if focused else 2
        data = self._base(
            kind, guild_id=guild_id, channel_id=channel_id, user_id=user_id, permissions=permissions
        )
        sub_options = []
        for name, value in (options or {}).items():
            opt_type = 4 if isinstance(value, int) else 3
            opt: dict[str, Any] = {"name": name, "type": opt_type, "value": value}
            if name == focused:
                opt["focused"] = True
            sub_options.append(opt)
        data["data"] = {
            "id": "1",
            "name": command,
            "type": 1,
            "options": [{"name": subcommand, "type": 1, "options": sub_options}],
        }
        if command_guild is not None:
            data["data"]["guild_id"] = str(command_guild)
        return data

    def click(
        self,
        custom_id: str,
        message: dict[str, Any],
        *,
        guild_id: int | None = GUILD_A,
        channel_id: int = CHANNEL_A,
        user_id: int = USER_ID,
        permissions: int = MEMBER_PERMISSIONS,
    ) -> dict[str, Any]:
        """A type-3 button click on ``message`` (as recorded by the fake)."""
        data = self._base(
            3, guild_id=guild_id, channel_id=channel_id, user_id=user_id, permissions=permissions
        )
        data["data"] = {"custom_id": custom_id, "component_type": 2}
        data["message"] = message
        return data


class StubCore:
    """A stand-in for :class:`bot.core.PolicyWatch` that returns canned replies.

    Used where a test needs a reply the sample data cannot produce on demand
    (hostile text, many pages, action buttons); records every call so tests can
    check what chat text a slash command turned into and who the caller was.
    """

    def __init__(
        self, replies: dict[str, Any] | None = None, admins: frozenset[str] = frozenset()
    ) -> None:
        self.replies: dict[str, Any] = dict(replies or {})
        self.calls: list[tuple[Any, str]] = []
        self.admins = admins

    async def handle(self, caller: Any, text: str) -> Any:
        from bot.replies import Reply, ReplyKind

        self.calls.append((caller, text))
        for prefix, reply in self.replies.items():
            if text == prefix or text.startswith(prefix + " "):
                return reply
        return Reply(title=f"Unknown command: {text}", kind=ReplyKind.ERROR, ephemeral=True)

    def complete(self, field: str, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        names = [f"{field}-{n:02d}" for n in range(40)]
        return [(n.upper(), n) for n in names if n.startswith(prefix)][:limit]

    def is_admin(self, caller: Any) -> bool:
        return bool(caller.platform_admin or caller.user in self.admins)


def _embed_problem(embeds: list[dict[str, Any]]) -> str | None:
    """What Discord's documented embed limits refuse (HTTP 400, code 50035):
    10 embeds, 6,000 characters in all (titles, descriptions, field names and
    values, footers, author names), 256 a title or author, 4,096 a
    description, 25 fields."""
    if len(embeds) > 10:
        return "more than 10 embeds"
    total = 0
    for embed in embeds:
        title = embed.get("title") or ""
        description = embed.get("description") or ""
        author = (embed.get("author") or {}).get("name") or ""
        footer = (embed.get("footer") or {}).get("text") or ""
        fields = embed.get("fields") or []
        if len(title) > 256 or len(author) > 256:
            return "title or author over 256"
        if len(description) > 4096:
            return "description over 4096"
        if len(fields) > 25:
            return "more than 25 fields"
        total += len(title) + len(description) + len(author) + len(footer)
        total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
    return "embeds over 6000 characters" if total > 6000 else None


@asynccontextmanager
async def running_bot(
    core: Any, tmp_path: Path, *, guild_id: int | None = None
) -> AsyncIterator[tuple[FakeDiscord, Any]]:
    """Start a fake Discord and the real adapter against it; yield ``(fake, adapter)``.

    discord.py keeps ``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` as class
    attributes; they are restored afterwards so one test cannot leak its port into the next.
    """
    import discord
    from discord.gateway import DiscordWebSocket

    from adapters.discord import DiscordAdapter
    from bot.config import Settings

    saved_base, saved_gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    async with FakeDiscord() as fake:
        settings = Settings(
            data_dir=tmp_path,
            database_url=f"sqlite:///{tmp_path}/t.db",
            discord_token="test-token",
            discord_api_base=fake.api_base,
            discord_guild_id=guild_id,
        )
        adapter = DiscordAdapter(core, settings)
        adapter.guild_ready_timeout = 0.05  # the fake sends every GUILD_CREATE at once
        task = asyncio.create_task(adapter.start())
        try:
            ready = asyncio.create_task(adapter.wait_until_ready(10))
            done, _ = await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                ready.cancel()
                task.result()  # raises the start-up error
                raise RuntimeError("adapter stopped before it was ready")
            ready.result()
            yield fake, adapter
        finally:
            await adapter.stop()
            await asyncio.wait_for(task, 10)
            discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved_base, saved_gateway
