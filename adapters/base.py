"""The whole adapter contract.

An adapter turns platform events into ``core.handle(caller, text)`` calls and
renders the :class:`~bot.replies.Reply` it gets back. For digests the core
calls ``deliver``. Console, Slack and Discord are all adapters of this one
shape; none is a special case in the core.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

from bot.delivery import Delivery
from bot.replies import Reply

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.core import PolicyWatch


class Adapter(ABC):
    platform: ClassVar[str]
    # True when ``deliver`` works without ``start`` (a web API call, the
    # terminal): ``policywatch digest`` can then send from the command line.
    delivers_without_connection: ClassVar[bool] = False

    def __init__(self, core: PolicyWatch, settings: Settings) -> None:
        self.core = core
        self.settings = settings

    @abstractmethod
    async def start(self) -> None:
        """Connect and serve until :meth:`stop` is called or the platform closes."""

    @abstractmethod
    async def stop(self) -> None:
        """Disconnect cleanly."""

    def part_count(self, reply: Reply) -> int:
        """How many platform messages ``reply`` is posted as (parts 0..n-1).

        Must depend on the reply alone, so that a sender resuming after a crash
        splits a queued digest exactly as the first attempt did."""
        return 1

    @abstractmethod
    async def deliver(self, delivery: Delivery) -> str:
        """Post part ``delivery.part`` of a digest or alert; return its message id.

        Raise :class:`bot.delivery.RetryLater` or
        :class:`bot.delivery.PermanentDeliveryError` on failure.
        """

    async def already_delivered(self, delivery: Delivery) -> str | None:
        """The message id if part ``delivery.part`` of this outbox message is
        already on the platform.

        Called before resending a message whose earlier attempt may have
        posted some of its parts before a crash. Adapters that can look it up
        (Slack message metadata, Discord channel history, a console log)
        override this; the default cannot tell, and the sender then resends
        (at-least-once)."""
        return None

    def notice(self, text: str) -> None:
        """An operator notice from the running bot ("sources: 3 of 17 could
        not be fetched ..."). Chat adapters ignore it: their operators read
        the logs. The console, where the operator is the user, shows it."""
        return None
