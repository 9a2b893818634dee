"""Take secrets out of URLs before they reach a message, a reply or a log line.

Operators paste feed URLs with a password (``https://user:pw@host/feed``) or a token
in the query (``?api_key=…``, ``&sig=…``); every place that prints a URL or an error
that may quote one goes through here, so there is one rule for what is a secret.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
# Query parameter names that carry credentials: matched as words inside the name, so
# ``api_key``, ``X-Api-Key``, ``access_token``, ``client_secret`` and ``sig`` all count.
_SECRET_PARAM = re.compile(
    r"(?:^|[-_.])(?:key|apikey|token|secret|password|passwd|pwd|pass|auth|authorization|"
    r"sig|signature|session|sessionid|sid|credential|credentials|jwt|bearer)(?:$|[-_.])"
    r"|^(?:api|access|auth|private|client|secret)?key$",
    re.IGNORECASE,
)
_URL_IN_TEXT = re.compile(r"""[A-Za-z][A-Za-z0-9+.-]*://[^\s'"<>]+""")
_TRAILING = ".,;:!?)]}"  # punctuation after a URL in a sentence, not part of it


def is_secret_param(name: str) -> bool:
    return _SECRET_PARAM.search(name) is not None


def mask_url(url: str) -> str:
    """The URL with any user:password and secret-looking query values replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_param(k) for k, _ in pairs):
            masked = [(k, MASK if is_secret_param(k) else v) for k, v in pairs]
            query = urlencode(masked, safe="*")
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def redact_text(text: str) -> str:
    """``text`` with every URL in it masked (error messages from libraries quote URLs)."""
    if "://" not in text:
        return text

    def masked(match: re.Match[str]) -> str:
        url = match.group(0)
        core = url.rstrip(_TRAILING)
        return mask_url(core) + url[len(core) :]

    return _URL_IN_TEXT.sub(masked, text)


class RedactURLs(logging.Filter):
    """Masks URLs in records of loggers we do not own: httpx logs every request URL
    (query included) at INFO, which would put a feed's token in the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
