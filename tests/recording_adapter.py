"""A test platform: an adapter like any other, that keeps what it was sent.

It can be told to fail: a permanent error for a channel, or a number of
"try later" answers, so the outbox's error paths run through the real sender.
"""

from __future__ import annotations

from typing import Any

from adapters.base import Adapter
from bot.delivery import Delivery, PermanentDeliveryError, RetryLater
from bot.replies import Reply


class RecordingAdapter(Adapter):
    platform = "console"
    delivers_without_connection = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[Delivery] = []
        self.gone_channels: set[str] = set()
        self.busy_answers = 0
        self.parts = 1  # messages each reply becomes
        self.busy_at_part: int | None = None  # answer "try later" once, at this part

    def part_count(self, reply: Reply) -> int:
        return self.parts

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver(self, delivery: Delivery) -> str:
        if delivery.channel in self.gone_channels:
            raise PermanentDeliveryError("channel_not_found")
        if self.busy_answers > 0:
            self.busy_answers -= 1
            raise RetryLater("rate limited", after_seconds=0.0)
        if delivery.part == self.busy_at_part:
            self.busy_at_part = None
            raise RetryLater("rate limited", after_seconds=0.0)
        self.sent.append(delivery)
        return f"m{len(self.sent)}"

    async def already_delivered(self, delivery: Delivery) -> str | None:
        for index, earlier in enumerate(self.sent, 1):
            if (earlier.outbox_id, earlier.part) == (delivery.outbox_id, delivery.part):
                return f"m{index}"
        return None
