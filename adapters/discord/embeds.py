"""Render a platform-neutral :class:`~bot.replies.Reply` as Discord embeds, pure functions only.

Kept free of any network or client state so the limits below can be unit-tested
without a gateway. Discord rejects a whole message (HTTP 400) when one embed
field is too long, so every string is clipped *after* escaping, and pages are
packed so that a message never exceeds 10 embeds or 6,000 characters.

Feed text is untrusted: titles and summaries come from third-party RSS. It is
escaped for markdown and mentions so "@everyone" or "<@&123>" in a headline is
shown literally; ``AllowedMentions.none()`` on the client is the second layer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.replies import Reply, ReplyItem, ReplyKind, event_label, outlets_text, short_date

# Discord's documented embed limits.
MAX_EMBEDS = 10
MAX_TOTAL_CHARS = 6000
MAX_FIELDS = 25
MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_AUTHOR = 256
MAX_URL = 2048
MAX_CUSTOM_ID = 100
MAX_BUTTON_LABEL = 80

#: Items per page: a phone screen's worth; the rest is behind "Next".
ITEMS_PER_PAGE = 5
#: Room kept free on each page for the footer ("… · Page 2/3").
_FOOTER_RESERVE = 300
_FOOTER_LIMIT = 200

#: Colour by the highest watchlist priority an item matched (0-3): grey, blue, orange, red.
PRIORITY_COLOURS: tuple[int, ...] = (0x95A5A6, 0x3498DB, 0xE67E22, 0xE74C3C)
HEADER_COLOUR = 0x5865F2
ERROR_COLOUR = 0xED4245
DENIED_COLOUR = 0xFEE75C

_CHANNEL_OR_ROLE_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>")


def neutralise_mentions(text: str) -> str:
    """Break every mention form so nothing can ping, whatever AllowedMentions says.

    ``discord.utils.escape_mentions`` covers @everyone/@here and 17-20 digit ids;
    the extra pass also breaks ``<@&123>``-style tokens with short ids and
    channel links, so feed text cannot even look like a ping.
    """
    text = discord.utils.escape_mentions(text)
    return _CHANNEL_OR_ROLE_MENTION.sub(lambda m: f"<\u200b{m.group(1)}{m.group(2)}>", text)


def safe(text: str) -> str:
    """Escape untrusted text for places where Discord renders markdown."""
    return discord.utils.escape_markdown(neutralise_mentions(text))


def clip(text: str, limit: int) -> str:
    """Shorten to ``limit`` characters with an ellipsis, never ending on a lone escape."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip("\\") + "…"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def embed_chars(embed: discord.Embed) -> int:
    """Characters Discord counts against the 6,000 limit.

    That is title, description, field names and values, footer and author name,
    which is exactly what ``discord.Embed.__len__`` adds up.
    """
    return len(embed)


def _date(item: ReplyItem) -> str:
    return short_date(item.published)


def _http_url(url: str | None) -> str | None:
    """Only http(s) links become embed URLs: Discord rejects others with a 400."""
    if url and url.startswith(("http://", "https://")) and len(url) <= MAX_URL:
        return url
    return None


def priority_colour(priority: int) -> int:
    return PRIORITY_COLOURS[max(0, min(priority, len(PRIORITY_COLOURS) - 1))]


def item_embed(item: ReplyItem, section: str | None = None) -> discord.Embed:
    """One item: linked title, then its outlets (each once), the day of its
    first report and its kind, its note, and the command that opens its thread.
    The matching reasons (``why``, kept for the console) are not shown."""
    meta = [safe(_one_line(outlets_text(item))), _date(item)]
    if kind := event_label(item.event_type):
        meta.append(kind)
    lines = [" · ".join(meta)]
    if item.note:
        lines.append(f"**Note:** {safe(_one_line(item.note))}")
    if item.story_id:
        lines.append(f"Thread: `story {neutralise_mentions(item.story_id)}`")
    embed = discord.Embed(
        title=clip(safe(_one_line(item.title)) or "(untitled)", MAX_TITLE),
        url=_http_url(item.url),
        description=clip("\n".join(lines), MAX_DESCRIPTION),
        colour=priority_colour(item.priority),
    )
    if section:
        # Author text is shown raw (no markdown), so only mentions are neutralised.
        embed.set_author(name=clip(neutralise_mentions(_one_line(section)), MAX_AUTHOR))
    return embed


_CODE_SPAN = re.compile(r"(`[^`\n]+`)")


def safe_line(text: str) -> str:
    """Like :func:`safe`, but keeps the core's inline `code` hints (e.g. "Try `subscribe x`").

    Markdown is inert inside a code span, so only mentions are neutralised there.
    """
    parts = _CODE_SPAN.split(text)
    return "".join(
        neutralise_mentions(part) if number % 2 else safe(part) for number, part in enumerate(parts)
    )


def _chunk_lines(lines: Sequence[str], limit: int) -> list[str]:
    """Join lines into blocks of at most ``limit`` characters, splitting long lines."""
    chunks: list[str] = []
    current = ""
    for raw in lines:
        line = safe_line(raw)
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            cut = line[:limit].rstrip("\\")
            chunks.append(cut)
            line = line[len(cut) :]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def header_colour(reply: Reply) -> int:
    if reply.kind is ReplyKind.DENIED:
        return DENIED_COLOUR
    if reply.kind is ReplyKind.ERROR:
        return ERROR_COLOUR
    return HEADER_COLOUR


def header_embeds(reply: Reply) -> list[discord.Embed]:
    """The reply title and its text lines; very long text continues in untitled embeds.

    Chunks are kept well under the description limit so that a header and a few
    items still fit the 6,000 character message budget.
    """
    colour = header_colour(reply)
    chunks = _chunk_lines(reply.lines, 2000) or [""]
    out = []
    for number, chunk in enumerate(chunks):
        embed = discord.Embed(description=chunk or None, colour=colour)
        if number == 0:
            embed.title = clip(safe(_one_line(reply.title)) or "policywatch", MAX_TITLE)
        out.append(embed)
    return out


@dataclass(frozen=True, slots=True)
class _Block:
    embed: discord.Embed
    is_item: bool


def render_pages(reply: Reply) -> list[list[discord.Embed]]:
    """Split a command's reply into pages of embeds (Previous/Next buttons
    page through them), each page a valid single message.

    Page 1 starts with the header; items follow, at most :data:`ITEMS_PER_PAGE`
    per page, with section headings shown as each item's author line. Every
    page's last embed carries the footer and "Page i/n", so that a page shown
    on its own still says where it is. (Digests are not paged:
    :func:`digest_pages` delivers them whole.)
    """
    blocks = [_Block(e, False) for e in header_embeds(reply)]
    blocks += [_Block(item_embed(item), True) for item in reply.items]
    for heading, section_items in reply.sections:
        blocks += [_Block(item_embed(item, heading), True) for item in section_items]

    pages: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    chars = 0
    items_here = 0
    budget = MAX_TOTAL_CHARS - _FOOTER_RESERVE
    for block in blocks:
        size = embed_chars(block.embed)
        full = (
            len(current) >= MAX_EMBEDS
            or chars + size > budget
            or (block.is_item and items_here >= ITEMS_PER_PAGE)
        )
        if current and full:
            pages.append(current)
            current, chars, items_here = [], 0, 0
        current.append(block.embed)
        chars += size
        items_here += block.is_item
    if current:
        pages.append(current)

    footer = (
        clip(neutralise_mentions(_one_line(reply.footer)), _FOOTER_LIMIT) if reply.footer else ""
    )
    for number, page in enumerate(pages, 1):
        parts = [footer] if footer else []
        if len(pages) > 1:
            parts.append(f"Page {number}/{len(pages)}")
        if parts:
            page[-1].set_footer(text=" · ".join(parts))
    return pages


# -- digests: delivered whole, in as few messages as Discord's limits allow --------

#: Kept under Discord's 6,000 characters a message, for the rounding of a few
#: characters Discord may count differently (it counts what it stores).
DIGEST_MESSAGE_CHARS = MAX_TOTAL_CHARS - 100
SECTION_COLOUR = 0x4F545C
HIGHLIGHT_MARK = "🔺"


def digest_story(item: ReplyItem, this_year: int | None = None) -> str:
    """One story as embed markdown, kept short because four messages must hold
    a long digest: the linked headline (bold when marked), then its first
    outlet and how many more, the day of its first report (the year only when
    it is not ``this_year``), its kind and its answer ("denied by Ford,
    31 Jan"). No story ids or matching reasons: ``story ID`` shows those."""
    title = clip(safe(_one_line(item.title)) or "(untitled)", 300)
    url = _http_url(item.url)
    if url:  # inside [...](...), a "]" or ")" would end the label or the link early
        label = title.replace("[", "\\[").replace("]", "\\]")
        target = url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
        title = f"[{label}]({target})"
    if item.highlight:
        title = f"{HIGHLIGHT_MARK} **{title}**"
    when = item.published
    date = "undated" if when is None else f"{when.day} {when:%b}"
    if when is not None and when.year != this_year:
        date += f" {when.year}"
    meta = [safe(_one_line(outlets_text(item, shown=1))), date]
    if kind := event_label(item.event_type):
        meta.append(kind)
    if item.note:
        meta.append(f"*{safe(_one_line(item.note))}*")
    return clip(f"{title}\n{' · '.join(meta)}", 1500)


def _digest_header(reply: Reply) -> discord.Embed:
    lines = [safe_line(line) for line in reply.lines]
    if any(item.highlight for item in reply.all_items()):
        lines.append(f"{HIGHLIGHT_MARK} marks the few stories to read first.")
    if reply.footer:
        lines.append(safe_line(reply.footer))
    return discord.Embed(
        title=clip(safe(_one_line(reply.title)) or "policywatch", MAX_TITLE),
        description=clip("\n".join(lines), 2000) or None,
        colour=header_colour(reply),
    )


def digest_pages(reply: Reply) -> list[list[discord.Embed]]:
    """A digest (or alert) as Discord messages, every story in one of them and
    as few messages as the limits allow: 10 embeds and 6,000 characters a
    message, 4,096 a description.

    The first message opens with a header embed (title, when it is due, the
    sections' sizes). Each section is an embed whose author line names it,
    its stories one after another in the description; a section that does not
    fit goes on in another embed, marked "(continued)". Nothing in a message
    is an internal id: a resent part is recognised by its content
    (:func:`page_fingerprint`).
    """
    pages: list[list[discord.Embed]] = []
    page: list[discord.Embed] = [_digest_header(reply)]
    used = embed_chars(page[0])
    sections = list(reply.sections)
    if reply.items:
        sections.insert(0, ("", reply.items))
    dates = [item.published for item in reply.all_items() if item.published]
    this_year = max(dates).year if dates else None
    for heading, items in sections:
        name = clip(neutralise_mentions(_one_line(heading)), MAX_AUTHOR - 12)
        embed: discord.Embed | None = None
        for item in items:
            story = digest_story(item, this_year)
            if embed is not None:
                text = f"{embed.description}\n\n{story}"
                if len(text) <= MAX_DESCRIPTION and used + len(story) + 2 <= DIGEST_MESSAGE_CHARS:
                    embed.description = text
                    used += len(story) + 2
                    continue
            author = name if embed is None else f"{name} (continued)" if name else ""
            if len(page) >= MAX_EMBEDS or used + len(author) + len(story) > DIGEST_MESSAGE_CHARS:
                pages.append(page)
                page, used = [], 0
                author = f"{name} (continued)" if name and embed is not None else name
            embed = discord.Embed(description=story, colour=SECTION_COLOUR)
            if author:
                embed.set_author(name=author)
            page.append(embed)
            used += len(author) + len(story)
    pages.append(page)
    return pages


def page_fingerprint(embeds: Sequence[discord.Embed]) -> tuple[tuple[str, str, str], ...]:
    """What a posted part is recognised by in channel history: its embeds'
    titles, author lines and descriptions, which differ between any two parts
    (every story is in one digest only, and headers name their day)."""
    return tuple(
        (e.title or "", e.author.name or "", (e.description or "").strip()) for e in embeds
    )


def message_chars(embeds: Sequence[discord.Embed]) -> int:
    return sum(embed_chars(e) for e in embeds)


# -- buttons: custom ids carry the command so a click works after a restart -----------

PAGE_PREFIX = "pw:p:"
ACTION_PREFIX = "pw:a:"
#: Marks a command stored by reference because it did not fit in a custom id.
REF_MARK = "#"


def command_ref(command: str) -> str:
    """A short stable key for a command too long for a 100-character custom id."""
    return REF_MARK + hashlib.sha256(command.encode()).hexdigest()[:20]


def encode_command(prefix: str, command: str) -> tuple[str, bool]:
    """Return ``(custom_id, by_reference)``; long commands are replaced by :func:`command_ref`."""
    command = _one_line(command)
    custom_id = prefix + command
    if len(custom_id) <= MAX_CUSTOM_ID and not command.startswith(REF_MARK):
        return custom_id, False
    return prefix + command_ref(command), True


def page_custom_id(page: int, command: str) -> tuple[str, bool]:
    """Custom id of a "Previous"/"Next" button: ``pw:p:<page>:<command>``."""
    return encode_command(f"{PAGE_PREFIX}{page}:", command)


def action_custom_id(command: str) -> tuple[str, bool]:
    """Custom id of a reply action button: ``pw:a:<command>``."""
    return encode_command(ACTION_PREFIX, command)


def button_label(label: str) -> str:
    return clip(_one_line(label), MAX_BUTTON_LABEL) or "Run"
