"""Discord adapter: ``/policywatch`` slash commands, embed replies and digest delivery.

Always ``import discord`` absolutely inside this package: the package is named
``adapters.discord`` and must never shadow the discord.py library.
"""

from adapters.discord.app import DiscordAdapter

__all__ = ["DiscordAdapter"]
