"""A small fake of the Slack Web API (and of response_url) for tests and the benchmark.

It runs on 127.0.0.1 only, records every call, and can be told to fail: a 429
with Retry-After, or an error code such as ``channel_not_found``. It also
offers helpers to build *signed* requests the way Slack sends them, so tests
exercise bolt's real signature check rather than switching it off.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from adapters.tests.local_server import serve_locally

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"


@dataclass
class Call:
    """One recorded request: the API method (or ``response_url``) and its arguments."""

    method: str
    args: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    status: int = 200
    error: str = "ratelimited"
    retry_after: int | None = None


@dataclass
class FakeSlack:
    """The fake server. Use as ``async with FakeSlack() as fake:``."""

    team_id: str = "T1"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    port: int = 0
    _failures: dict[str, deque[Failure]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _changed: asyncio.Condition | None = None
    _ts: int = 0
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    #: Refuse every message that has blocks, as Slack does when it rejects a layout.
    refuse_blocks: bool = False

    # ------------------------------------------------------------------ control

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def fail(
        self, method: str, error: str, *, status: int = 200, retry_after: int | None = None
    ) -> None:
        """Make the next call of ``method`` fail (queue several for several failures)."""
        self._failures.setdefault(method, deque()).append(Failure(status, error, retry_after))

    def add_user(
        self, user: str, *, admin: bool = False, owner: bool = False, name: str = ""
    ) -> None:
        self.users[user] = _user_info(user, admin=admin, owner=owner, name=name)

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self, predicate: Callable[[list[Call]], bool], timeout: float = 5.0
    ) -> list[Call]:
        """Wait until the recorded calls satisfy ``predicate`` (answers arrive after ack)."""
        assert self._changed is not None
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self.calls)), timeout)
        return self.calls

    async def wait_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        await self.wait_for(
            lambda calls: len([c for c in calls if c.method == method]) >= count, timeout
        )
        return self.of(method)

    # ------------------------------------------------------------------ server

    async def __aenter__(self) -> FakeSlack:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{name}", self._response)
        app.router.add_get("/socket", self._socket)
        self._runner, self.port = await serve_locally(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _record(self, method: str, args: dict[str, Any]) -> None:
        self.calls.append(Call(method, args))
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    @staticmethod
    async def _args(request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            raw = await request.text()
            if request.content_type == "application/json":
                args.update(json.loads(raw or "{}"))
            else:
                args.update(dict(parse_qsl(raw)))
        for key in ("blocks", "metadata"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def send_envelope(self, kind: str, payload: dict[str, Any], envelope_id: str) -> None:
        """Push a Socket Mode envelope (``slash_commands``, ``events_api``, ...) to the app."""
        await self.wait_for(lambda calls: bool(self._sockets))
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
            }
        )

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1})
        self._sockets.append(ws)
        await self._record("socket.connect", {})
        async for message in ws:
            if message.type.name == "TEXT":
                await self._record("socket.ack", json.loads(message.data))
        return ws

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.json()
        body["_name"] = request.match_info["name"]
        await self._record("response_url", body)
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        args["_auth"] = request.headers.get("Authorization", "")
        await self._record(method, args)
        queue = self._failures.get(method)
        if queue:
            failure = queue.popleft()
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            return web.json_response(
                {"ok": False, "error": failure.error}, status=failure.status, headers=headers
            )
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        result: dict[str, Any] = handler(args)
        return web.json_response({"ok": True, **result})

    def _next_ts(self) -> str:
        self._ts += 1
        return f"{int(time.time())}.{self._ts:06d}"

    # ------------------------------------------------------------------ methods

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://fake.slack.com/",
            "team": "Fake",
            "user": "policywatch",
            "team_id": self.team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }

    def _m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://127.0.0.1:{self.port}/socket"}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user"))
        return {"user": self.users.get(user) or _user_info(user)}

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        blocks = args.get("blocks")
        refused = _refusal(blocks) if isinstance(blocks, list) else None
        if refused is None and self.refuse_blocks and blocks:
            refused = "invalid_blocks"
        if refused is not None:
            return {"ok": False, "error": refused}
        ts = self._next_ts()
        channel = str(args.get("channel"))
        message = {"type": "message", "ts": ts, "text": args.get("text"), "bot_id": BOT_ID}
        if args.get("metadata"):
            message["metadata"] = args["metadata"]
        self.history.setdefault(channel, []).insert(0, message)
        return {"channel": channel, "ts": ts, "message": message}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": self._next_ts()}

    def _m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        messages = self.history.get(str(args.get("channel")), [])
        include = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        out = [m if include else {k: v for k, v in m.items() if k != "metadata"} for m in messages]
        return {"messages": out[: int(args.get("limit") or 100)], "has_more": False}


def _refusal(blocks: list[dict[str, Any]]) -> str | None:
    """The error Slack answers for blocks beyond its limits, or None.

    Documented: 50 blocks a message, 3,000 characters in a section's text,
    150 in a header, 25 elements in an actions block, action ids unique in a
    message. Observed (not documented): about 13,000 characters of text in all
    gives ``msg_blocks_too_long``."""
    if len(blocks) > 50:
        return "invalid_blocks"
    action_ids: list[str] = []
    chars = 0
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        chars += len(text)
        limit = {"section": 3000, "header": 150}.get(block.get("type", ""), 3000)
        if len(text) > limit:
            return "invalid_blocks"
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        if block.get("type") == "actions" and len(elements) > 25:
            return "invalid_blocks"
        for element in elements:
            if element.get("action_id"):
                action_ids.append(element["action_id"])
            inner = element.get("text")
            chars += len(inner.get("text", "") if isinstance(inner, dict) else inner or "")
    if len(action_ids) != len(set(action_ids)):
        return "invalid_blocks"
    return "msg_blocks_too_long" if chars > 13_000 else None


def _user_info(
    user: str, *, admin: bool = False, owner: bool = False, name: str = ""
) -> dict[str, Any]:
    """A users.info ``user`` object; users nobody added are plain members named after their id."""
    return {
        "id": user,
        "name": name or user.lower(),
        "is_admin": admin,
        "is_owner": owner,
        "profile": {"display_name": name or user.lower()},
    }


# ---------------------------------------------------------------------- signing


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack would send: ``v0=`` HMAC-SHA256 of ``v0:{ts}:{body}``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def command_body(
    text: str,
    *,
    response_url: str,
    team: str = "T1",
    channel: str = "C1",
    user: str = "U1",
    command: str = "/policywatch",
) -> tuple[str, str]:
    """A slash-command request body (form encoded) and its content type."""
    form = {
        "token": "legacy",
        "team_id": team,
        "team_domain": team.lower(),
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A1",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }
    return urlencode(form), "application/x-www-form-urlencoded"


def event_body(
    event: dict[str, Any], *, team: str = "T1", event_id: str = "Ev1"
) -> tuple[str, str]:
    """An Events API envelope (JSON)."""
    envelope = {
        "token": "legacy",
        "team_id": team,
        "api_app_id": "A1",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team, "user_id": BOT_USER_ID, "is_bot": True}],
    }
    return json.dumps(envelope), "application/json"


def action_body(
    value: str,
    *,
    response_url: str,
    action_id: str = "pw_action:0",
    team: str = "T1",
    channel: str = "C1",
    user: str = "U1",
    menu: bool = False,
) -> tuple[str, str]:
    """A block_actions interactivity payload (form field ``payload``): a button
    click, or with ``menu`` the choice of an overflow menu's option."""
    clicked: dict[str, Any] = (
        {
            "type": "overflow",
            "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value},
        }
        if menu
        else {"type": "button", "value": value}
    )
    payload = {
        "type": "block_actions",
        "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "username": user.lower(), "team_id": team},
        "api_app_id": "A1",
        "channel": {"id": channel, "name": "general"},
        "container": {"type": "message", "message_ts": "1.1", "channel_id": channel},
        "trigger_id": "1.2.3",
        "response_url": response_url,
        "actions": [
            {
                **clicked,
                "action_id": action_id,
                "block_id": "b1",
                "action_ts": str(time.time()),
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
