"""Render a platform-neutral :class:`~bot.replies.Reply` as Slack Block Kit.

Pure functions only, so the layout rules can be unit-tested without a server.

Why the care:

* Feed headlines and user text are untrusted. Slack parses ``<!channel>``,
  ``<@U123>`` and ``<url|label>`` in every mrkdwn field *and* in the fallback
  ``text``, so everything not produced by us is escaped (``& < >``) before it
  reaches a block; ``|`` in a link label is replaced so it cannot split a link.
* Slack rejects (not truncates) a message with more than 50 blocks, a section
  text over 3,000 characters, a header over 150 or a button value over 2,000.
  Long replies are therefore split into pages of whole items, with a "More"
  button that re-runs the same command for the next page, instead of cutting an
  item in half.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from bot.commands.grammar import SLACK_GROUP
from bot.replies import Action, Reply, ReplyItem, event_label, outlets_text

#: Slack's hard limits for messages and blocks.
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_TEXT = 3000
MAX_FALLBACK_TEXT = 3000

#: Items per interactive page; small enough to read, far below the block limit.
DEFAULT_PER_PAGE = 10
#: Lines (help text, explanations) never take more than this many blocks.
MAX_LINE_BLOCKS = 20

ACTION_ID = "pw_action"
DETAILS_LABEL = "Story details"  # an item's menu entry: its thread, in time order
HIGHLIGHT_MARK = ":small_red_triangle:"  # one of the few stories a digest says to read first
MORE_ACTION_ID = "pw_more"
PAGE_PREFIX = "page:"

Block = dict[str, Any]

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control syntax in mrkdwn.

    After this ``<!channel>`` shows literally instead of pinging everyone.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_clip(text: str, limit: int) -> str:
    """Escape ``text`` and keep the escaped result within ``limit`` characters.

    Clipping after escaping could cut an entity like ``&amp;`` in half, and
    clipping before escaping could overflow, so do both in one pass.
    """
    full = escape(text)
    if len(full) <= limit:
        return full
    out: list[str] = []
    size = 0
    for char in text:
        piece = _ESCAPES.get(char, char)
        if size + len(piece) > limit - 1:
            break
        out.append(piece)
        size += len(piece)
    out.append("…")
    return "".join(out)


def link_label(text: str, limit: int = 400) -> str:
    """Escape text for use inside ``<url|label>``: ``|`` would end the URL part."""
    return escape_clip(text.replace("|", "¦"), limit)


def safe_url(url: str | None, limit: int = 900) -> str | None:
    """Return a URL that is safe inside ``<...|...>``, or None if it should not be linked.

    Only http(s) links are made clickable; other schemes (``javascript:``,
    ``slack://``) and Slack control sequences are refused.
    """
    if not url:
        return None
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        return None
    # Percent-encode what would break the link syntax; keep the rest readable.
    cleaned = quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")
    cleaned = cleaned.replace("&", "&amp;")
    if len(cleaned) > limit:
        return None
    return cleaned


def clip_plain(text: str, limit: int) -> str:
    """Clip plain (unparsed) text such as a header or button label."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_date(moment: datetime | None) -> str:
    """``31 Jan 2026``: short and unambiguous for readers anywhere."""
    if moment is None:
        return "undated"
    return f"{moment.day} {moment:%b %Y}"


def item_text(item: ReplyItem) -> str:
    """The mrkdwn text of one item; always within :data:`MAX_SECTION_TEXT`.

    Reader's words only: outlets (each once), the day of the first report and
    the kind of event. The story id and the matching reasons (``why``, kept for
    the console and ``policywatch ask``) are not shown: the item's Details
    button opens the story's thread."""
    return digest_item_text(item)


def item_block(item: ReplyItem, index: int) -> Block:
    """A section for one item. A story gets a quiet "⋯" menu whose one entry
    opens its thread (``story ID``): the way to ask why it was picked."""
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": item_text(item)}}
    if item.story_id and len(item.story_id) < 100:
        block["accessory"] = {
            "type": "overflow",
            # Ids past any reply action's, so they stay unique within a message.
            "action_id": f"{ACTION_ID}:{MAX_ACTIONS_ELEMENTS + index}",
            "options": [
                {
                    "text": {"type": "plain_text", "text": DETAILS_LABEL},
                    "value": f"story {item.story_id}",
                }
            ],
        }
    return block


def chunk_lines(lines: Iterable[str], limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Join escaped lines into texts of at most ``limit`` characters, breaking
    only between lines (a single overlong line is clipped)."""
    chunks: list[str] = []
    current = ""
    for raw in lines:
        line = escape_clip(raw, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        current = line
    if current:
        chunks.append(current)
    return chunks


@dataclass(frozen=True, slots=True)
class _Unit:
    """One item plus the digest section it belongs to (None for plain replies)."""

    heading: str | None
    item: ReplyItem


def _units(reply: Reply) -> list[_Unit]:
    units = [_Unit(None, item) for item in reply.items]
    for heading, section_items in reply.sections:
        units.extend(_Unit(heading, item) for item in section_items)
    return units


def _unit_blocks(units: Sequence[_Unit]) -> int:
    """Blocks a page of units needs: one per item, one per section heading."""
    count = 0
    last: str | None = None
    for unit in units:
        if unit.heading is not None and unit.heading != last:
            count += 1
        last = unit.heading
        count += 1
    return count


def paginate(reply: Reply, per_page: int, budget_first: int, budget_rest: int) -> list[list[_Unit]]:
    """Split items into pages of whole items.

    Deterministic for a given reply, so re-running the command for page N
    (the "More" button) yields the same page boundaries.
    """
    pages: list[list[_Unit]] = []
    current: list[_Unit] = []
    for unit in _units(reply):
        budget = budget_first if not pages else budget_rest
        candidate = [*current, unit]
        if current and (len(candidate) > per_page or _unit_blocks(candidate) > budget):
            pages.append(current)
            current = [unit]
        else:
            current = candidate
    if current or not pages:
        pages.append(current)
    return pages


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """A rendered message: what ``chat.postMessage`` / ``respond()`` need."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    ephemeral: bool = False
    page: int = 1
    pages: int = 1


def is_ephemeral(reply: Reply) -> bool:
    """Errors, refusals and help are shown only to the person who asked."""
    return reply.is_error or reply.ephemeral


def page_value(page: int, command: str) -> str | None:
    """Button value for "show page N of this command"; None if it would not fit."""
    value = f"{PAGE_PREFIX}{page}:{command}"
    return value if len(value) <= MAX_BUTTON_VALUE else None


def parse_page_value(value: str) -> tuple[int, str] | None:
    """Inverse of :func:`page_value`; None when the value is not a page request."""
    if not value.startswith(PAGE_PREFIX):
        return None
    number, sep, command = value[len(PAGE_PREFIX) :].partition(":")
    if not sep or not number.isdigit() or int(number) < 1:
        return None
    return int(number), command


def _button(text: str, action_id: str, value: str, style: str = "default") -> Block:
    button: Block = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": clip_plain(text or "…", MAX_BUTTON_TEXT)},
        "value": value,
    }
    if style in ("primary", "danger"):
        button["style"] = style
    return button


def _action_buttons(actions: Sequence[Action], room: int) -> list[Block]:
    """Reply actions as buttons; action ids are unique within the block as Slack requires."""
    buttons: list[Block] = []
    for index, action in enumerate(actions):
        if len(buttons) >= room or len(action.command) > MAX_BUTTON_VALUE:
            continue
        buttons.append(_button(action.label, f"{ACTION_ID}:{index}", action.command, action.style))
    return buttons


def slack_mention(reply: Reply) -> str | None:
    """The user group an alert pings, only if it is one: everything else in a
    message is escaped, so this is the one way a ping can get through."""
    if reply.mention and SLACK_GROUP.match(reply.mention):
        return reply.mention
    return None


def fallback_text(reply: Reply, count: int) -> str:
    """Notification / screen-reader text; escaped because Slack parses it too."""
    parts = [reply.title or "PolicyWatch"]
    if reply.lines:
        parts.append(reply.lines[0])
    if count:
        parts.append(f"{count} item{'s' if count != 1 else ''}")
    return escape_clip(" — ".join(parts), MAX_FALLBACK_TEXT)


def render(
    reply: Reply,
    *,
    command: str | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> SlackMessage:
    """Render one page of ``reply``.

    ``command`` is the chat text that produced the reply; with it a "More"
    button is added when there are further pages. (Digests are not paged:
    :func:`digest_messages` delivers them whole.)
    """
    tail = 3  # footer context, page context, actions block
    header_blocks = 1
    line_chunks = chunk_lines(reply.lines)[:MAX_LINE_BLOCKS]
    budget_first = MAX_BLOCKS - header_blocks - tail - len(line_chunks)
    budget_rest = MAX_BLOCKS - header_blocks - tail
    pages = paginate(reply, max(1, per_page), budget_first, budget_rest)
    page = min(max(page, 1), len(pages))
    units = pages[page - 1]

    title = reply.title or "PolicyWatch"
    if len(pages) > 1:
        title = f"{clip_plain(title, MAX_HEADER_TEXT - 12)} ({page}/{len(pages)})"
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": clip_plain(title, MAX_HEADER_TEXT)},
        }
    ]
    if page == 1:
        blocks.extend(
            {"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in line_chunks
        )

    last_heading: str | None = None
    for unit in units:
        if unit.heading is not None and unit.heading != last_heading:
            blocks.append(
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": "*" + escape_clip(unit.heading, 300) + "*"},
                }
            )
        last_heading = unit.heading
        blocks.append(item_block(unit.item, len(blocks)))

    if reply.footer:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": escape_clip(reply.footer, MAX_CONTEXT_TEXT)}
                ],
            }
        )

    more: Block | None = None
    if len(pages) > 1:
        shown_before = sum(len(p) for p in pages[: page - 1])
        total = sum(len(p) for p in pages)
        first, last = shown_before + 1, shown_before + len(units)
        note = f"Items {first}–{last} of {total}"
        if command is not None:
            value = page_value(page + 1, command) if page < len(pages) else None
            if value is not None:
                more = _button("More", MORE_ACTION_ID, value, "primary")
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})

    room = MAX_ACTIONS_ELEMENTS - (1 if more else 0)
    elements = _action_buttons(reply.actions, room)
    if more is not None:
        elements.append(more)
    if elements:
        blocks.append({"type": "actions", "elements": elements})

    count = sum(len(p) for p in pages)
    text = fallback_text(reply, count)
    return SlackMessage(
        text=text,
        blocks=blocks,
        ephemeral=is_ephemeral(reply),
        page=page,
        pages=len(pages),
    )


# -- digests: delivered whole, in as many messages as Slack's limits need ----------

#: Slack refuses a message whose blocks hold much more than ~12,000 characters
#: in all (``msg_blocks_too_long``, not documented, observed near 13,000) and
#: truncates a ``text`` past 40,000. A digest message keeps its block text and
#: its fallback text each under this, so both always fit.
DIGEST_MESSAGE_CHARS = 11_000


def digest_item_text(item: ReplyItem) -> str:
    """One story as a reader wants it: the linked headline, then its outlets,
    the day of its first report, what kind of event it is and its answer, if
    any ("denied by Ford, 31 Jan"). No story ids or matching reasons: the
    Details button shows those."""
    label = link_label(item.title or "(untitled)", 400)
    url = safe_url(item.url)
    title = f"<{url}|{label}>" if url else label
    head = f"{HIGHLIGHT_MARK + ' ' if item.highlight else ''}*{title}*"
    meta = [escape_clip(outlets_text(item), 200), format_date(item.published)]
    if kind := event_label(item.event_type):
        meta.append(kind)
    if item.note:
        meta.append(f"_{escape_clip(item.note, 200)}_")
    return f"{head}\n{' · '.join(meta)}"[:MAX_SECTION_TEXT]


def _fallback_line(item: ReplyItem) -> str:
    """A story in the plain-text fallback: the linked headline, outlet and date."""
    label = link_label(item.title or "(untitled)", 400)
    url = safe_url(item.url)
    linked = f"<{url}|{label}>" if url else label
    outlet = escape_clip(item.source or "unknown source", 120)
    return f"• {linked} ({outlet}, {format_date(item.published)})"


def _text_chars(block: Block) -> int:
    """Characters of text a block carries (what Slack's size check counts)."""
    count = len(block.get("text", {}).get("text", ""))
    for option in (block.get("accessory") or {}).get("options", []):
        count += len(option["text"]["text"]) + len(option["value"])
    for element in block.get("elements", []):
        text = element.get("text")
        count += len(text["text"] if isinstance(text, dict) else text or "")
        count += len(element.get("value", ""))
    return count


@dataclass
class _Draft:
    """A digest message being filled."""

    blocks: list[Block] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    chars: int = 0
    heading: str | None = None  # the section the last block belongs to

    def fits(self, blocks: Sequence[Block], lines: Sequence[str], reserve: int) -> bool:
        chars = self.chars + sum(_text_chars(b) for b in blocks)
        text = sum(len(t) + 1 for t in (*self.text, *lines))
        return (
            len(self.blocks) + len(blocks) <= MAX_BLOCKS - reserve
            and chars <= DIGEST_MESSAGE_CHARS
            and text <= DIGEST_MESSAGE_CHARS
        )

    def add(self, blocks: Sequence[Block], lines: Sequence[str]) -> None:
        self.blocks.extend(blocks)
        self.text.extend(lines)
        self.chars += sum(_text_chars(b) for b in blocks)

    def message(self) -> SlackMessage:
        return SlackMessage(text="\n".join(self.text)[:40_000], blocks=self.blocks)


def _mrkdwn(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _head(reply: Reply) -> tuple[list[Block], list[str]]:
    """The digest's header: its title, its lines (when it is due, the sections'
    sizes), the footer, and what the mark means when some story carries it."""
    title = reply.title or "PolicyWatch"
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip_plain(title, 150)}}
    ]
    mention = slack_mention(reply)  # a channel's user group, on high-priority alerts only
    if mention:
        blocks.append(_mrkdwn(mention))
    blocks += [_mrkdwn(chunk) for chunk in chunk_lines(reply.lines)[:MAX_LINE_BLOCKS]]
    notes = [escape_clip(reply.footer, 1000)] if reply.footer else []
    if any(item.highlight for item in reply.all_items()):
        notes.append(f"{HIGHLIGHT_MARK} marks the few stories to read first.")
    if notes:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": n} for n in notes]}
        )
    heading = f"{mention} {escape_clip(title, 300)}" if mention else escape_clip(title, 300)
    text = [heading, *(escape_clip(line, 1000) for line in reply.lines)]
    return blocks, text


def digest_messages(reply: Reply) -> list[SlackMessage]:
    """A digest (or alert) as Slack messages, every story in one of them.

    A digest that fits one message (50 blocks, 3,000 characters a section,
    about 12,000 in all) is one message. A longer one is a short header
    message (title, when it is due, the sections' sizes, the buttons) followed
    by the stories, as many per message as those limits allow. Each message's
    ``text`` (the fallback Slack shows in notifications, and posts alone if it
    refuses the blocks) carries the headlines and links of its stories.
    """
    whole = _pack(reply, header_alone=False)
    if len(whole) == 1 or not reply.sections:
        return whole
    return _pack(reply, header_alone=True)


def _pack(reply: Reply, *, header_alone: bool) -> list[SlackMessage]:
    """Fill messages in order; with ``header_alone`` the header (and the
    buttons) is a message of its own, otherwise the buttons close the last."""
    head_blocks, head_text = _head(reply)
    actions = _action_buttons(reply.actions, MAX_ACTIONS_ELEMENTS)
    tail = [{"type": "actions", "elements": actions}] if actions else []
    messages: list[SlackMessage] = []
    draft = _Draft()
    draft.add(head_blocks, head_text)
    if header_alone:
        draft.add(tail, [])
        messages.append(draft.message())
        draft, tail = _Draft(), []
    for index, unit in enumerate(_units(reply)):
        item = unit.item
        block = item_block(item, index)
        blocks, lines = [block], [_fallback_line(item)]
        if unit.heading is not None and unit.heading != draft.heading:
            blocks.insert(0, _mrkdwn(f"*{escape_clip(unit.heading, 300)}*"))
            lines.insert(0, escape_clip(unit.heading, 300))
            if draft.blocks:  # a new section in the middle of a message
                blocks.insert(0, {"type": "divider"})
        if draft.blocks and not draft.fits(blocks, lines, reserve=len(tail)):
            messages.append(draft.message())
            draft_heading, draft = draft.heading, _Draft()
            if unit.heading is not None:  # a new message names its section again
                heading = escape_clip(unit.heading, 300)
                if unit.heading == draft_heading:
                    heading += " (continued)"
                blocks, lines = [_mrkdwn(f"*{heading}*"), block], [heading, lines[-1]]
        draft.add(blocks, lines)
        draft.heading = unit.heading
    draft.add(tail, [])
    if draft.blocks:
        messages.append(draft.message())
    return messages
