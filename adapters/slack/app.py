"""The Slack adapter: slash command, mentions, DMs and buttons in; Block Kit out.

Built on slack-bolt's :class:`AsyncApp` so that request signing, the 3 s ack
rule, retries and Socket Mode behave exactly as Slack documents them. The
adapter adds only what bolt cannot know: how to turn an event into a
:class:`~bot.caller.Caller` and chat text, and how to show a
:class:`~bot.replies.Reply`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from slack_sdk.webhook.webhook_response import WebhookResponse

from adapters.base import Adapter
from adapters.slack.blocks import (
    DEFAULT_PER_PAGE,
    SlackMessage,
    parse_page_value,
    render,
)
from bot.caller import Caller
from bot.delivery import Delivery, PermanentDeliveryError, RetryLater
from bot.replies import Reply, ReplyKind

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core import PolicyWatch

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
COMMAND = "/policywatch"
DIGEST_EVENT_TYPE = "policywatch_digest"

#: Errors after which posting to the channel can never succeed without a human.
PERMANENT_ERRORS = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "account_inactive",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "restricted_action",
        "team_access_not_granted",
        "ekm_access_denied",
    }
)
#: Errors caused by the message itself; retried once as plain text before giving up.
CONTENT_ERRORS = frozenset({"invalid_blocks", "msg_too_long", "invalid_metadata_format"})
# Where Slack's response_urls point (commercial and GovSlack).
SLACK_HOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})

_SLACK_TOKEN = re.compile(r"<([^<>]*)>")


def slack_to_plain(text: str, bot_user_id: str | None = None) -> str:
    """Turn Slack's message markup back into the chat grammar the core expects.

    Drops the mention of the bot itself (``<@UBOT> company ford``), turns
    auto-linked text back into what was typed, and unescapes ``&amp; &lt; &gt;``.
    Line breaks are kept (blank lines dropped), so that a message holding two
    commands is refused by the core rather than read as one long command.
    """

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            if bot_user_id and target[1:] == bot_user_id:
                return ""
            return "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        return label or target

    plain = _SLACK_TOKEN.sub(replace, text)
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    lines = (" ".join(line.split()) for line in plain.splitlines())
    return "\n".join(line for line in lines if line)


def _retry_after(headers: dict[str, Any] | Any) -> float | None:
    """Read Retry-After from sdk response headers (values may be lists)."""
    if not headers:
        return None
    for key, value in dict(headers).items():
        if str(key).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                return None
    return None


class BoundedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """Retry a 429 after its Retry-After, but only when that wait is short.

    The stock handler sleeps whatever Slack asks, which inside ``deliver`` could
    stall the digest sender for minutes. Longer waits are left to the outbox via
    :class:`~bot.delivery.RetryLater`.
    """

    def __init__(self, max_retry_count: int = 1, max_wait: float = 15.0) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        after = _retry_after(response.headers)
        return after is None or after <= self.max_wait


class SlackAdapter(Adapter):
    """Serve one Slack workspace (or Grid org) with one bot token.

    ``host``/``port`` default to ``0.0.0.0`` and ``settings.slack_port``; tests
    pass ``127.0.0.1`` and port 0 and read the bound port from :attr:`port`.
    """

    platform: ClassVar[str] = "slack"
    delivers_without_connection: ClassVar[bool] = True  # deliver() is a Web API call

    def __init__(
        self,
        core: PolicyWatch,
        settings: Settings,
        *,
        host: str = "0.0.0.0",
        port: int | None = None,
        per_page: int = DEFAULT_PER_PAGE,
        admin_cache_seconds: float = 60.0,
        max_retry_wait: float = 15.0,
        command: str = COMMAND,
        max_concurrent: int = 16,
    ) -> None:
        super().__init__(core, settings)
        if not settings.slack_bot_token:
            raise ValueError("SLACK_BOT_TOKEN is not set")
        self.host = host
        self.port = settings.slack_port if port is None else port
        self.per_page = per_page
        self.admin_cache_seconds = admin_cache_seconds
        retry_handlers: list[AsyncRetryHandler] = [
            AsyncConnectionErrorRetryHandler(),
            BoundedRateLimitRetryHandler(max_retry_count=1, max_wait=max_retry_wait),
        ]
        self.client = AsyncWebClient(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
            retry_handlers=retry_handlers,
        )
        self.app = AsyncApp(
            name="policywatch",
            client=self.client,
            signing_secret=settings.slack_signing_secret or "",
            request_verification_enabled=True,
            process_before_response=False,
        )
        self._users: dict[tuple[str, str], tuple[float, asyncio.Task[tuple[bool, str | None]]]] = {}
        self._inflight: set[asyncio.Task[Any]] = set()
        # Commands already acked wait here rather than all hitting the store at
        # once: measured on 100k items, 1,000 queued commands finish 3x sooner
        # with 16 at a time than unbounded (SQLite serialises them anyway).
        self._gate = asyncio.Semaphore(max_concurrent)
        self._runner: web.AppRunner | None = None
        self._http: ClientSession | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._stopped = asyncio.Event()
        self._register(command)

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        """Bind the HTTP endpoint (or connect Socket Mode) without blocking.

        Split from :meth:`start` so tests and the benchmark can learn the bound
        port before sending requests.
        """
        if not self.settings.slack_app_token and not self.settings.slack_signing_secret:
            raise RuntimeError("SLACK_SIGNING_SECRET is required for Slack over HTTP")
        self._stopped.clear()
        # One connection pool for Web API calls and response_url posts, instead
        # of the SDK's new session (and TCP/TLS handshake) per call.
        self._http = ClientSession(timeout=ClientTimeout(total=30))
        self.client.session = self._http
        if self.settings.slack_app_token:
            self._socket = AsyncSocketModeHandler(self.app, self.settings.slack_app_token)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("slack: connected in Socket Mode")
            return
        web_app = web.Application(client_max_size=1024 * 1024)
        web_app.router.add_post(EVENTS_PATH, self._http_events)
        self._runner = web.AppRunner(web_app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])
        log.info("slack: listening on %s:%s%s", self.host, self.port, EVENTS_PATH)

    async def start(self) -> None:
        if self._runner is None and self._socket is None:
            await self.open()
        await self._stopped.wait()

    async def stop(self) -> None:
        """Stop taking requests, then let commands already acked finish (briefly)."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        pending = [task for task in self._inflight if not task.done()]
        if pending:
            await asyncio.wait(pending, timeout=5.0)
        if self._http is not None:
            self.client.session = None
            await self._http.close()
            self._http = None
        self._stopped.set()

    async def _http_events(self, request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        bolt_response = await self.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    # ------------------------------------------------------------------ listeners

    def _register(self, command: str) -> None:
        self.app.command(command)(self._on_command)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.action(re.compile(r"^pw_(action|more)(:\d+)?$"))(self._on_action)

    async def _tracked(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run post-ack work so that :meth:`stop` can wait for it; never raise into bolt."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            await work()
        except Exception:
            log.exception("slack: failed to answer a request")
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def _on_command(
        self,
        ack: AsyncAck,
        command: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        # Ack first: Slack shows an error after 3 s, and a query may take longer.
        await ack()

        async def work() -> None:
            text = slack_to_plain(str(command.get("text") or ""))
            caller = await self.caller_for(context, command.get("user_name"))
            message = await self._answer(caller, text, page=1)
            await self._respond(respond, caller, message, replace_original=False)

        await self._tracked(work)

    async def _first_delivery(self, body: dict[str, Any]) -> bool:
        """False for an event some replica already answered.

        Slack re-sends an event when our 200 was slow or lost, to whichever
        replica the load balancer picks; answering twice would post the same
        reply twice, so the record of handled events lives in the database.
        """
        event_id = str(body.get("event_id") or "")
        return not event_id or await self.core.first_handling(f"slack:{event_id}")

    async def _on_mention(
        self, event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await self._answer_event(event, body, context, ephemeral=None)

    async def _on_message(
        self, event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        # Only plain DMs from people: edits, joins and bot posts carry a subtype/bot_id.
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        # A DM is private already; post normally so errors stay readable later.
        await self._answer_event(event, body, context, ephemeral=False)

    async def _answer_event(
        self,
        event: dict[str, Any],
        body: dict[str, Any],
        context: AsyncBoltContext,
        *,
        ephemeral: bool | None,
    ) -> None:
        """Run the command in a mention or DM and post the answer where it was asked.

        Mentions and DMs differ only in who picks ephemerality (``None``: the reply
        decides), so dedup, parsing and posting live here once. Events carry no
        response_url, hence a post (in the event's thread, if any) instead of respond.
        """

        async def work() -> None:
            if not await self._first_delivery(body):
                return
            text = slack_to_plain(str(event.get("text") or ""), context.bot_user_id)
            caller = await self.caller_for(context, None)
            message = await self._answer(caller, text, page=1)
            await self._post(caller, message, thread_ts=event.get("thread_ts"), ephemeral=ephemeral)

        await self._tracked(work)

    async def _on_action(
        self,
        ack: AsyncAck,
        action: dict[str, Any],
        respond: AsyncRespond,
        context: AsyncBoltContext,
        body: dict[str, Any],
    ) -> None:
        await ack()

        async def work() -> None:
            value = str(action.get("value") or "")
            paged = parse_page_value(value)
            page, text = paged if paged is not None else (1, value)
            user = body.get("user") or {}
            caller = await self.caller_for(context, user.get("username") or user.get("name"))
            message = await self._answer(caller, text, page=page)
            # "More" replaces the page in place; other buttons answer below it.
            await self._respond(respond, caller, message, replace_original=paged is not None)

        await self._tracked(work)

    # ------------------------------------------------------------------ helpers

    async def caller_for(self, context: AsyncBoltContext, fallback_name: Any) -> Caller:
        """Build the :class:`Caller`; ``platform_admin`` comes from users.info only."""
        workspace = context.team_id or context.enterprise_id or ""
        user = context.user_id or ""
        admin, name = await self.user_facts(workspace, user)
        return Caller(
            platform=self.platform,
            workspace=workspace,
            channel=context.channel_id or "",
            user=user,
            platform_admin=admin,
            display_name=name or (str(fallback_name) if fallback_name else None),
        )

    async def user_facts(self, workspace: str, user: str) -> tuple[bool, str | None]:
        """(is workspace admin or owner, display name), cached briefly.

        Cached because every command needs it and users.info is rate limited;
        briefly, so that a demoted admin loses rights within a minute. Concurrent
        lookups for the same user share one request.
        """
        if not user:
            return False, None
        key = (workspace, user)
        now = time.monotonic()
        cached = self._users.get(key)
        if cached is not None and cached[0] > now:
            return await asyncio.shield(cached[1])
        if len(self._users) > 10_000:
            self._users = {k: v for k, v in self._users.items() if v[0] > now}
        task = asyncio.ensure_future(self._lookup_user(user))
        self._users[key] = (now + self.admin_cache_seconds, task)
        result = await asyncio.shield(task)
        if result == (False, None):
            # A failed lookup must not pin "not admin" for a minute.
            self._users.pop(key, None)
        return result

    async def _lookup_user(self, user: str) -> tuple[bool, str | None]:
        try:
            response = await self.client.users_info(user=user)
        except Exception as error:
            # Not knowing means not admin; the core still honours POLICYWATCH_ADMINS.
            log.warning("slack: users.info failed: %s", _error_code(error))
            return False, None
        info = response.get("user") or {}
        admin = bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))
        profile = info.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or info.get("name")
        return admin, (str(name) if name else None)

    async def _answer(self, caller: Caller, text: str, *, page: int) -> SlackMessage:
        reply = await self.handle(caller, text)
        return render(reply, command=text, page=page, per_page=self.per_page)

    async def handle(self, caller: Caller, text: str) -> Reply:
        """Run one command; a crash becomes a polite ephemeral error, not silence."""
        try:
            async with self._gate:
                return await self.core.handle(caller, text or "help")
        except Exception:
            log.exception("slack: command failed")
            return Reply(
                title="Something went wrong",
                lines=("The error was logged. Please try again in a moment.",),
                kind=ReplyKind.ERROR,
                ephemeral=True,
            )

    def _is_slack_hook(self, url: str) -> bool:
        """Whether ``url`` is a response_url Slack would send: on Slack's hooks
        host over HTTPS, or on the configured ``SLACK_API_URL``'s host (a proxy,
        or a local fake). A payload is signed, but a leaked signing secret must
        not be enough to make the bot POST to addresses inside its network."""
        parts, api = urlsplit(url), urlsplit(self.client.base_url)
        if parts.scheme == "https" and parts.hostname in SLACK_HOOK_HOSTS:
            return True
        return (parts.scheme, parts.netloc) == (api.scheme, api.netloc)

    async def _respond(
        self,
        respond: AsyncRespond,
        caller: Caller,
        message: SlackMessage,
        *,
        replace_original: bool,
    ) -> None:
        """Answer through the interaction's response_url, or post when there is
        none Slack would have sent."""
        url = respond.response_url
        if not url or not self._is_slack_hook(url):
            if url:
                log.warning("slack: ignored a response_url outside Slack's hooks host")
            await self._post(caller, message, thread_ts=None)
            return
        fields: dict[str, Any] = {
            "text": message.text,
            "blocks": message.blocks,
            "response_type": "ephemeral" if message.ephemeral else "in_channel",
            "replace_original": replace_original,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        response: WebhookResponse
        if self._http is not None:
            webhook = AsyncWebhookClient(url=url, session=self._http)
            response = await webhook.send(**fields)
        else:
            response = await respond(**fields)
        if response.status_code != 200:
            log.warning("slack: response_url answered %s", response.status_code)

    async def _post(
        self,
        caller: Caller,
        message: SlackMessage,
        *,
        thread_ts: str | None,
        ephemeral: bool | None = None,
    ) -> None:
        private = message.ephemeral if ephemeral is None else ephemeral
        try:
            if private:
                await self.client.chat_postEphemeral(
                    channel=caller.channel,
                    user=caller.user,
                    text=message.text,
                    blocks=message.blocks,
                    thread_ts=thread_ts,
                )
            else:
                await self.client.chat_postMessage(
                    channel=caller.channel,
                    text=message.text,
                    blocks=message.blocks,
                    thread_ts=thread_ts,
                    unfurl_links=False,
                    unfurl_media=False,
                )
        except SlackApiError as error:
            log.warning("slack: could not answer in %s: %s", caller.channel, _error_code(error))

    # ------------------------------------------------------------------ digests

    async def deliver(self, delivery: Delivery) -> str:
        """Post a digest with the outbox id in message metadata; return its ts.

        The metadata is what :meth:`already_delivered` looks for after a crash,
        since Slack itself does not deduplicate a repeated chat.postMessage.
        """
        message = render(delivery.reply, command=None, per_page=40)
        metadata = {
            "event_type": DIGEST_EVENT_TYPE,
            "event_payload": {"outbox_id": delivery.outbox_id},
        }
        try:
            return await self._post_digest(delivery.channel, message, metadata, blocks=True)
        except SlackApiError as error:
            if _error_code(error) not in CONTENT_ERRORS:
                raise _delivery_error(error) from None
        try:
            # Our blocks were refused: better a plain digest than none.
            return await self._post_digest(delivery.channel, message, metadata, blocks=False)
        except SlackApiError as error:
            raise _delivery_error(error) from None

    async def _post_digest(
        self, channel: str, message: SlackMessage, metadata: dict[str, Any], *, blocks: bool
    ) -> str:
        try:
            response = await self.client.chat_postMessage(
                channel=channel,
                text=message.text,
                blocks=message.blocks if blocks else None,
                metadata=metadata,
                unfurl_links=False,
                unfurl_media=False,
            )
        except (ClientError, TimeoutError) as error:
            raise RetryLater(f"slack unreachable: {type(error).__name__}") from None
        return str(response.get("ts") or "")

    async def already_delivered(self, delivery: Delivery, max_pages: int = 5) -> str | None:
        """The ts of a message already carrying this outbox id, if any.

        Only recent history is scanned (``max_pages`` of 100): the outbox
        re-sends soon after a crash, so an old match is not worth the calls.
        """
        cursor: str | None = None
        for _ in range(max_pages):
            try:
                response = await self.client.conversations_history(
                    channel=delivery.channel,
                    include_all_metadata=True,
                    limit=100,
                    cursor=cursor,
                )
            except SlackApiError as error:
                raise _delivery_error(error) from None
            except (ClientError, TimeoutError) as error:
                raise RetryLater(f"slack unreachable: {type(error).__name__}") from None
            for msg in response.get("messages") or []:
                meta = msg.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == DIGEST_EVENT_TYPE and str(
                    payload.get("outbox_id")
                ) == str(delivery.outbox_id):
                    return str(msg.get("ts"))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None


def _error_code(error: BaseException) -> str:
    """The Slack error code only: never the request, which may hold a token."""
    if isinstance(error, SlackApiError):
        try:
            return str(error.response.get("error") or f"http {error.response.status_code}")
        except Exception:
            return "unknown"
    return type(error).__name__


def _delivery_error(error: SlackApiError) -> PermanentDeliveryError | RetryLater:
    """Map a Slack API failure to what the outbox should do next."""
    code = _error_code(error)
    if error.response.status_code == 429 or code == "ratelimited":
        after = _retry_after(error.response.headers) or 30.0
        return RetryLater("rate limited by Slack", after_seconds=after)
    if code in PERMANENT_ERRORS:
        return PermanentDeliveryError(code)
    return RetryLater(f"slack error: {code}")
