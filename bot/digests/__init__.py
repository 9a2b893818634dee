"""Subscriptions turned into messages: when digests are due, what they say,
and the outbox sender that delivers them exactly once per platform message."""
