"""policywatch: the platform-neutral core of the bot.

Nothing under ``bot`` imports Slack or Discord; adapters translate their
platform's events into calls on :class:`bot.core.PolicyWatch`.
"""

__version__ = "0.1.0"
