"""Logging set-up: plain lines for people, JSON lines for log pipelines.

``POLICYWATCH_LOG_FORMAT=json`` writes one JSON object per line (time, level,
logger, message, and the exception when there is one);
``POLICYWATCH_LOG_LEVEL`` sets the level (default WARNING).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime


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
    level = env.get("POLICYWATCH_LOG_LEVEL", "WARNING").upper()
    handler = logging.StreamHandler()
    if env.get("POLICYWATCH_LOG_FORMAT", "").lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level if level in logging.getLevelNamesMapping() else "WARNING")
