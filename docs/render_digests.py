"""Draw a Slack digest and a Discord digest as a reader sees them, from the real
Block Kit and embed JSON our adapters post, into ``docs/digest-slack.png`` and
``docs/digest-discord.png``.

    python docs/render_digests.py            # needs chromium (Debian: apt-get install chromium)

A development tool, not run in CI: it loads the bundled sample corpus into a
throwaway database, subscribes a channel to every watchlist, builds the first
digest exactly as the scheduler would, renders it with
:func:`adapters.slack.blocks.digest_messages` and
:func:`adapters.discord.embeds.digest_pages`, turns that JSON into HTML that
imitates each client's look, and screenshots the HTML with headless Chromium.
Run it again whenever the rendering changes.
"""

from __future__ import annotations

import asyncio
import html
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from adapters.discord.embeds import digest_pages  # noqa: E402
from adapters.slack.blocks import digest_messages  # noqa: E402
from bot.caller import Caller  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core import PolicyWatch  # noqa: E402
from bot.replies import Reply  # noqa: E402

WIDTH = 860
_EMOJI = {":small_red_triangle:": "🔺", ":rotating_light:": "🚨"}


async def sample_digest() -> Reply:
    """The first digest of a channel subscribed to every watchlist, from the sample corpus."""
    with tempfile.TemporaryDirectory() as folder:
        empty = Path(folder) / "sources.yaml"
        empty.write_text("sources: []\n", encoding="utf-8")
        settings = Settings(
            data_dir=Path(folder),
            database_url=f"sqlite:///{folder}/render.db",
            sources_file=empty,
        )
        core = await PolicyWatch.open(settings)
        try:
            await core.load_sample()
            now = datetime.now(UTC)
            core.clock = lambda: now
            caller = Caller(platform="slack", workspace="T1", channel="C1", user="U1")
            await core.handle(caller, "subscribe all daily at 09:00 tz America/New_York")
            [built] = await core.run_digests(now + timedelta(days=1), dry_run=True)
            return built.reply
        finally:
            await core.close()


# ------------------------------------------------------------------ Slack


def _mrkdwn(text: str) -> str:
    """Slack mrkdwn (already escaped for Slack, which is HTML's escaping) to HTML."""
    for code, emoji in _EMOJI.items():
        text = text.replace(code, emoji)
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r'<a href="\1">\2</a>', text)
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"<b>\1</b>", text)
    text = re.sub(r"(?<![\w])_([^_\n]+)_(?![\w])", r"<i>\1</i>", text)
    text = re.sub(r"`([^`\n]+)`", r"<code>\1</code>", text)
    return text.replace("\n", "<br>")


def _slack_block(block: dict[str, Any]) -> str:
    kind = block["type"]
    if kind == "header":
        return f'<div class="s-header">{html.escape(block["text"]["text"])}</div>'
    if kind == "divider":
        return '<hr class="s-divider">'
    if kind == "section":
        accessory = block.get("accessory") or {}
        button = {"overflow": '<span class="s-overflow">⋯</span>'}.get(accessory.get("type"), "")
        if accessory.get("type") == "button":
            button = f'<span class="s-button">{html.escape(accessory["text"]["text"])}</span>'

        return f'<div class="s-section"><div>{_mrkdwn(block["text"]["text"])}</div>{button}</div>'
    if kind == "context":
        inner = " ".join(_mrkdwn(e["text"]) for e in block["elements"])
        return f'<div class="s-context">{inner}</div>'
    if kind == "actions":
        buttons = "".join(
            f'<span class="s-button {e.get("style", "")}">{html.escape(e["text"]["text"])}</span>'
            for e in block["elements"]
        )
        return f'<div class="s-actions">{buttons}</div>'
    return ""


def slack_html(reply: Reply) -> str:
    messages = digest_messages(reply)
    posts = []
    for number, message in enumerate(messages):
        head = (
            '<div class="s-name">policywatch <span class="s-app">APP</span>'
            ' <span class="s-time">9:00 AM</span></div>'
            if number == 0
            else ""
        )
        avatar = '<div class="s-avatar">pw</div>' if number == 0 else '<div class="s-gap"></div>'
        blocks = "".join(_slack_block(b) for b in message.blocks)
        posts.append(f'<div class="s-post">{avatar}<div class="s-body">{head}{blocks}</div></div>')
    return _page(
        "Slack digest",
        """
        body { background: #fff; font: 15px/1.46 -apple-system, "Segoe UI", "Noto Sans", Arial, sans-serif; color: #1d1c1d; }
        .channel { font-weight: 900; padding: 12px 20px; border-bottom: 1px solid #ddd; }
        .s-post { display: flex; padding: 4px 20px; }
        .s-avatar { width: 36px; height: 36px; border-radius: 6px; background: #2e6e4e; color: #fff;
                    font-weight: 700; text-align: center; line-height: 36px; margin-right: 8px; flex: none; }
        .s-gap { width: 44px; flex: none; }
        .s-body { flex: 1; min-width: 0; }
        .s-name { font-weight: 900; }
        .s-app { background: #e8e8e8; color: #616061; font-size: 10px; padding: 1px 3px; border-radius: 2px; }
        .s-time { color: #616061; font-weight: 400; font-size: 12px; }
        .s-header { font-size: 18px; font-weight: 900; margin: 6px 0; }
        .s-section { display: flex; justify-content: space-between; gap: 12px; margin: 6px 0; }
        .s-divider { border: 0; border-top: 1px solid #e2e2e2; margin: 10px 0; }
        .s-overflow { border: 1px solid #ddd; border-radius: 4px; padding: 0 8px; color: #616061;
                      font-weight: 900; align-self: flex-start; }
        .s-context { color: #616061; font-size: 13px; margin: 4px 0; }
        .s-actions { margin: 8px 0; }
        .s-button { border: 1px solid #bbb; border-radius: 4px; padding: 2px 10px; font-size: 13px;
                    font-weight: 700; white-space: nowrap; align-self: flex-start; margin-right: 6px; }
        .s-button.primary { background: #007a5a; color: #fff; border-color: #007a5a; }
        .s-button.danger { color: #e01e5a; }
        a { color: #1264a3; text-decoration: none; }
        code { background: #f6f6f6; border: 1px solid #ddd; border-radius: 3px; padding: 0 3px; color: #e01e5a; }
        """,
        '<div class="channel"># ev-policy</div>' + "".join(posts),
    )


# ------------------------------------------------------------------ Discord


def _discord_markdown(text: str) -> str:
    text = html.escape(text, quote=False)
    text = re.sub(r"\[((?:\\.|[^\]])+)\]\((https?://[^)\s]+)\)", r'<a href="\2">\1</a>', text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"<i>\1</i>", text)
    text = re.sub(r"`([^`\n]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\\([\\`*_~|>\[\]()])", r"\1", text)  # markdown escapes
    return text.replace("\u200b", "").replace("\n", "<br>")


def _embed(data: dict[str, Any]) -> str:
    colour = f"#{data.get('color', 0x4F545C):06x}"
    parts = []
    if data.get("author"):
        parts.append(f'<div class="d-author">{html.escape(data["author"]["name"])}</div>')
    if data.get("title"):
        parts.append(f'<div class="d-title">{html.escape(data["title"])}</div>')
    if data.get("description"):
        parts.append(f'<div class="d-desc">{_discord_markdown(data["description"])}</div>')
    return f'<div class="d-embed" style="border-left-color:{colour}">{"".join(parts)}</div>'


def discord_html(reply: Reply) -> str:
    pages = digest_pages(reply)
    posts = []
    for number, embeds in enumerate(pages):
        head = (
            '<div class="d-name">policywatch <span class="d-app">APP</span>'
            ' <span class="d-time">Today at 9:00 AM</span></div>'
            if number == 0
            else ""
        )
        avatar = '<div class="d-avatar">pw</div>' if number == 0 else '<div class="d-gap"></div>'
        body = "".join(_embed(e.to_dict()) for e in embeds)
        if number == len(pages) - 1 and reply.actions:
            body += "".join(
                f'<span class="d-button">{html.escape(a.label)}</span>' for a in reply.actions
            )
        posts.append(f'<div class="d-post">{avatar}<div class="d-body">{head}{body}</div></div>')
    return _page(
        "Discord digest",
        """
        body { background: #313338; color: #dbdee1; font: 15px/1.375 "gg sans", "Noto Sans", Arial, sans-serif; }
        .channel { color: #f2f3f5; font-weight: 600; padding: 12px 16px; border-bottom: 1px solid #26272b; }
        .d-post { display: flex; padding: 4px 16px; }
        .d-avatar { width: 40px; height: 40px; border-radius: 50%; background: #5865f2; color: #fff;
                    font-weight: 700; text-align: center; line-height: 40px; margin-right: 16px; flex: none; }
        .d-gap { width: 56px; flex: none; }
        .d-body { flex: 1; min-width: 0; max-width: 560px; }
        .d-name { color: #f2f3f5; font-weight: 600; }
        .d-app { background: #5865f2; color: #fff; font-size: 10px; padding: 1px 4px; border-radius: 3px; }
        .d-time { color: #949ba4; font-size: 12px; font-weight: 400; }
        .d-embed { background: #2b2d31; border-left: 4px solid; border-radius: 4px; padding: 8px 16px 12px 12px;
                   margin: 6px 0; font-size: 14px; }
        .d-author { color: #f2f3f5; font-weight: 600; font-size: 14px; margin: 4px 0; }
        .d-title { color: #f2f3f5; font-weight: 600; font-size: 16px; margin: 4px 0; }
        .d-desc { color: #dbdee1; }
        .d-button { display: inline-block; background: #4e5058; color: #fff; border-radius: 3px;
                    padding: 2px 16px; margin: 6px 6px 0 0; font-size: 14px; }
        a { color: #00a8fc; text-decoration: none; }
        code { background: #1e1f22; border-radius: 3px; padding: 0 3px; }
        """,
        '<div class="channel"># ev-policy</div>' + "".join(posts),
    )


# ------------------------------------------------------------------ screenshots


def _page(title: str, css: str, body: str) -> str:
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>body {{ margin: 0; width: {WIDTH}px; }} {css}</style></head>"
        f"<body>{body}<div style='height:12px'></div></body></html>"
    )


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("headless Chromium is needed: apt-get install chromium")


def screenshot(page: str, out: Path) -> None:
    """Two passes: measure the page's height, then shoot exactly that much."""
    browser = _chromium()
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "page.html"
        measure = page.replace(
            "</body>",
            "<script>document.title = 'H=' + document.documentElement.scrollHeight;</script></body>",
        )
        source.write_text(measure, encoding="utf-8")
        dom = subprocess.run(
            [*flags, f"--window-size={WIDTH},800", "--dump-dom", source.as_uri()],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        found = re.search(r"<title>H=(\d+)</title>", dom)
        height = int(found.group(1)) if found else 2000
        source.write_text(page, encoding="utf-8")
        subprocess.run(
            [
                *flags,
                f"--window-size={WIDTH},{height}",
                f"--screenshot={out}",
                source.as_uri(),
            ],
            capture_output=True,
            check=True,
            timeout=120,
        )


def main() -> None:
    reply = asyncio.run(sample_digest())
    docs = ROOT / "docs"
    screenshot(slack_html(reply), docs / "digest-slack.png")
    screenshot(discord_html(reply), docs / "digest-discord.png")
    print(f"wrote {docs / 'digest-slack.png'} and {docs / 'digest-discord.png'}")


if __name__ == "__main__":
    main()
