"""Tests for the Discord adapter, run against a local fake Discord."""
