"""What the digest sender asks of an adapter, and how an adapter answers.

An adapter's ``deliver`` either returns the platform message id, or raises one
of these so that the outbox knows whether to retry later or give up on the
subscription with a reason a user can read in ``subscriptions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.replies import Reply


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to post. ``outbox_id`` lets an adapter post idempotently
    (Slack message metadata, Discord nonce) so a resend after a crash is detectable."""

    outbox_id: int
    workspace: str
    channel: str
    reply: Reply


class DeliveryError(Exception):
    """Base for delivery failures. The message must never contain a secret."""


class RetryLater(DeliveryError):
    def __init__(self, reason: str, after_seconds: float = 30.0) -> None:
        super().__init__(reason)
        self.after_seconds = after_seconds


class PermanentDeliveryError(DeliveryError):
    """The channel is gone, the bot was removed, or it lacks permission: stop sending."""


class Courier(Protocol):
    """An adapter as the core sees it (:class:`adapters.base.Adapter` is the
    full contract adapters implement): it names its platform, connects and
    disconnects, and posts what the outbox hands it. Declared here so the
    core runs and sends through adapters without importing any of them."""

    @property
    def platform(self) -> str: ...

    @property
    def delivers_without_connection(self) -> bool: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def deliver(self, delivery: Delivery) -> str: ...

    async def already_delivered(self, delivery: Delivery) -> str | None: ...
