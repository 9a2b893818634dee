"""Settings read once from the environment (names are in shared/INTERFACE.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "policywatch"


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Secrets are kept out of ``repr`` so they never reach logs."""

    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str = ""
    watchlists_dir: Path | None = None
    admins: frozenset[str] = frozenset()
    allow_private_urls: bool = False
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = "https://slack.com/api/"
    slack_port: int = 3000
    discord_token: str | None = field(default=None, repr=False)
    discord_api_base: str = "https://discord.com/api/v10"
    discord_guild_id: int | None = None
    ops_port: int | None = None
    ops_host: str = "127.0.0.1"
    contact: str = "policywatch (set POLICYWATCH_CONTACT)"
    sources_file: Path | None = None
    congress_api_key: str | None = field(default=None, repr=False)
    send_empty_digests: bool = False
    ingest_interval_seconds: int = 60
    outbox_lease_seconds: int = 120

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env["POLICYWATCH_DATA_DIR"]) if env.get("POLICYWATCH_DATA_DIR") else None
        data_dir = data_dir or _default_data_dir()
        wl = env.get("POLICYWATCH_WATCHLISTS_DIR")
        guild = env.get("DISCORD_GUILD_ID")
        ops = env.get("POLICYWATCH_OPS_PORT")
        return cls(
            data_dir=data_dir,
            database_url=env.get("POLICYWATCH_DATABASE_URL")
            or f"sqlite:///{data_dir / 'policywatch.db'}",
            watchlists_dir=Path(wl) if wl else None,
            admins=frozenset(
                a.strip() for a in env.get("POLICYWATCH_ADMINS", "").split(",") if a.strip()
            ),
            allow_private_urls=env.get("POLICYWATCH_ALLOW_PRIVATE_URLS", "") == "1",
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_api_url=env.get("SLACK_API_URL") or "https://slack.com/api/",
            slack_port=int(env.get("POLICYWATCH_SLACK_PORT") or 3000),
            discord_token=env.get("DISCORD_TOKEN") or None,
            discord_api_base=env.get("DISCORD_API_BASE") or "https://discord.com/api/v10",
            discord_guild_id=int(guild) if guild else None,
            ops_port=int(ops) if ops else None,
            ops_host=env.get("POLICYWATCH_OPS_HOST") or "127.0.0.1",
            contact=env.get("POLICYWATCH_CONTACT") or "policywatch (set POLICYWATCH_CONTACT)",
            sources_file=Path(env["POLICYWATCH_SOURCES_FILE"])
            if env.get("POLICYWATCH_SOURCES_FILE")
            else None,
            congress_api_key=env.get("POLICYWATCH_CONGRESS_API_KEY") or None,
            send_empty_digests=env.get("POLICYWATCH_SEND_EMPTY_DIGESTS", "") == "1",
            outbox_lease_seconds=int(env.get("POLICYWATCH_OUTBOX_LEASE_SECONDS") or 120),
        )

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))

    @property
    def discord_enabled(self) -> bool:
        return bool(self.discord_token)
