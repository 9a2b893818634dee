"""Logging set-up: plain lines for people, JSON lines for log pipelines.

``POLICYWATCH_LOG_FORMAT=json`` writes one JSON object per line (time, level,
logger, message, and the exception when there is one);
``POLICYWATCH_LOG_LEVEL`` sets the level (default WARNING).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime

_json_lines = False  # set by configure_logging


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(env: Mapping[str, str]) -> None:
    global _json_lines
    level = env.get("POLICYWATCH_LOG_LEVEL", "WARNING").upper()
    handler = logging.StreamHandler()
    _json_lines = env.get("POLICYWATCH_LOG_FORMAT", "").lower() == "json"
    if _json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level if level in logging.getLevelNamesMapping() else "WARNING")


def announce(text: str) -> None:
    """One line for the operator on stderr, whatever the log level: what
    ``policywatch run`` started and where ("Slack: HTTP on 0.0.0.0:3000
    /slack/events"). A JSON object in JSON log mode, so log pipelines keep
    one format."""
    if _json_lines:
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "notice",
            "logger": "policywatch.start",
            "message": text,
        }
        text = json.dumps(entry, ensure_ascii=False)
    print(text, file=sys.stderr, flush=True)
