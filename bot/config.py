"""Settings read once from the environment (names are in shared/INTERFACE.md).

A value that cannot be used is refused here, naming the variable and what it
takes, so an operator never meets it later as a traceback."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(ValueError):
    """An environment value that cannot be used: one line, exit status 2."""


def _number(
    env: Mapping[str, str], name: str, default: int | None, low: int, high: int, what: str
) -> int | None:
    """``env[name]`` as a whole number in ``[low, high]``; ``default`` when unset."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ConfigError(f"{name} must be {what} ({low}-{high}), got '{raw[:40]}'")
    return value


def _port(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    return _number(env, name, default, 0, 65535, "a TCP port number")


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
            slack_port=_port(env, "POLICYWATCH_SLACK_PORT", 3000) or 0,
            discord_token=env.get("DISCORD_TOKEN") or None,
            discord_api_base=env.get("DISCORD_API_BASE") or "https://discord.com/api/v10",
            discord_guild_id=_number(
                env, "DISCORD_GUILD_ID", None, 1, 2**63 - 1, "a Discord server id"
            ),
            ops_port=_port(env, "POLICYWATCH_OPS_PORT", None),
            ops_host=env.get("POLICYWATCH_OPS_HOST") or "127.0.0.1",
            contact=env.get("POLICYWATCH_CONTACT") or "policywatch (set POLICYWATCH_CONTACT)",
            sources_file=Path(env["POLICYWATCH_SOURCES_FILE"])
            if env.get("POLICYWATCH_SOURCES_FILE")
            else None,
            congress_api_key=env.get("POLICYWATCH_CONGRESS_API_KEY") or None,
            send_empty_digests=env.get("POLICYWATCH_SEND_EMPTY_DIGESTS", "") == "1",
            outbox_lease_seconds=_number(
                env, "POLICYWATCH_OUTBOX_LEASE_SECONDS", 120, 0, 86_400, "a number of seconds"
            )
            or 0,
        )

    def platform_problems(self) -> list[str]:
        """Platforms configured by half: each would otherwise be skipped in silence."""
        problems = []
        if self.slack_bot_token and not (self.slack_signing_secret or self.slack_app_token):
            problems.append(
                "SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (Slack over HTTP) "
                "nor SLACK_APP_TOKEN (Socket Mode) is"
            )
        if not self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token):
            which = "SLACK_APP_TOKEN" if self.slack_app_token else "SLACK_SIGNING_SECRET"
            problems.append(f"{which} is set but SLACK_BOT_TOKEN is not")
        if not self.discord_token and (self.discord_guild_id is not None):
            problems.append("DISCORD_GUILD_ID is set but DISCORD_TOKEN is not")
        return problems

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))

    @property
    def discord_enabled(self) -> bool:
        return bool(self.discord_token)
