"""Who is asking, and where: the only platform facts the core needs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Caller:
    """The person and channel behind a command.

    ``workspace`` is the Slack team id or Discord guild id; subscriptions and
    mutes are keyed by (platform, workspace, channel) so that one workspace can
    never see or change another's. ``platform_admin`` is what the platform says
    (Slack workspace admin/owner, Discord Manage Server); the core adds
    ``POLICYWATCH_ADMINS`` on top.
    """

    platform: str
    workspace: str
    channel: str
    user: str
    platform_admin: bool = False
    display_name: str | None = None

    @property
    def channel_key(self) -> tuple[str, str, str]:
        return (self.platform, self.workspace, self.channel)
