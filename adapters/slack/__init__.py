"""Slack adapter: slash command, mentions, DMs and digests via slack-bolt."""

from adapters.slack.app import SlackAdapter

__all__ = ["SlackAdapter"]
