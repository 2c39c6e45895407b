"""The week's tip as a chat message: Block Kit for a Slack incoming webhook,
an Adaptive Card for a Microsoft Teams Workflows webhook.

Both say the same things, read once from the edition (:func:`chat_tip`): the
title, whether it is the tip of the week or a re-run "From the archive", the
summary, the discussion question when the tip has one, its principles, a
button to the tip's page and one to its huddle card.

The tip's own words are data, never markup. In Slack every text is escaped
(``&``, ``<``, ``>``, as Slack asks), so a title cannot ping a channel
(``<!channel>``) or add a link. mrkdwn has no escape for its formatting
characters (``*``, ``_``, ``~``, a backtick), so the tip's words go only into
``plain_text`` objects (the header, the summary, the question), which Slack
never formats, and the fallback text is sent with ``mrkdwn: false``. The
mrkdwn left (the lead line, the principles' links) holds our own words and the
principle names of principles.yml, marked ``verbatim`` so that no address or
@-word in them turns into a link or a mention. (Zero-width characters beside
the formatting characters were the other way: they change what a reader copies
and searches for, and whether Slack treats one as a word boundary is nowhere
documented.) In the card the words are ``TextRun``\\ s, which no Teams client
reads as Markdown. Lengths are kept within what each service accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..edition import urls
from ..edition.edition import Edition
from ..calendar.reruns import Featured
from ..library.dates import long_date

# Slack's limits (Block Kit reference): a header's text, a section's text, blocks in a message.
SLACK_HEADER_MAX = 150
SLACK_TEXT_MAX = 3000
SLACK_BLOCKS_MAX = 50
# Teams Workflows takes Adaptive Cards up to 1.5; 1.4 is what every Teams client renders.
CARD_VERSION = "1.4"
CARD_TEXT_MAX = 3000  # a summary or question longer than this is clipped, as in Slack
ELLIPSIS = "\u2026"

READ_THE_TIP = "Read the tip"
HUDDLE_CARD = "Huddle card"


@dataclass(frozen=True, slots=True)
class ChatTip:
    """What both messages say, as plain text and absolute URLs."""

    lead: str  # "Tip of the week" or "From the archive"
    when: str  # "17 November 2026", or for a re-run "1 December 2026 (first published 30 December 2025)"
    title: str
    summary: str
    discuss: str | None
    principles: tuple[tuple[str, str], ...]  # (name, URL of its page)
    tip_url: str
    huddle_url: str


def chat_tip(edition: Edition, featured: Featured) -> ChatTip:
    """The week's message: its own tip, or the re-run of an empty week (as the email has it)."""
    tip, site = featured.tip, edition.site
    when = long_date(featured.day)
    if featured.rerun:
        when = f"{when} (first published {long_date(tip.date)})"
    principles = tuple((edition.principles[slug].name, site.absolute(urls.principle(slug)))
                       for slug in tip.tags if slug in edition.principles)
    return ChatTip(lead="From the archive" if featured.rerun else "Tip of the week", when=when,
                   title=one_line(tip.title), summary=tip.summary.strip(),
                   discuss=(tip.discuss or "").strip() or None, principles=principles,
                   tip_url=site.absolute(urls.tip(tip.slug)), huddle_url=site.absolute(urls.huddle(tip.slug)))


def one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- Slack

def slack_escape(text: str) -> str:
    """Text as Slack shows it literally: its three control characters as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_clipped(text: str, limit: int) -> str:
    """``text`` escaped, cut (with an ellipsis) so that the escaped form is at
    most ``limit`` characters; never in the middle of an entity."""
    pieces = [slack_escape(c) for c in text]
    if sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    kept, size = [], 0
    for piece in pieces:
        if size + len(piece) > limit - len(ELLIPSIS):
            break
        kept.append(piece)
        size += len(piece)
    return "".join(kept).rstrip() + ELLIPSIS


def _plain(text: str) -> dict:
    # Shown as it is: no *bold*, _italic_, ~strike~ or `code`; emoji False keeps :words: as typed.
    return {"type": "plain_text", "text": text, "emoji": False}


def _mrkdwn(text: str) -> dict:
    # verbatim: Slack does not turn addresses, channel names or @-words in it into links or mentions.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _link(url: str, label: str) -> str:
    return f"<{slack_escape(url)}|{slack_escape(label)}>"


def slack_message(item: ChatTip) -> dict:
    """The body of a POST to a Slack incoming webhook."""
    blocks: list[dict] = [  # at most 6, far from SLACK_BLOCKS_MAX
        {"type": "header", "text": _plain(slack_clipped(item.title, SLACK_HEADER_MAX))},
        {"type": "context", "elements": [_mrkdwn(f"*{item.lead}* \u00b7 {slack_escape(item.when)}")]},
        {"type": "section", "text": _plain(slack_clipped(item.summary, SLACK_TEXT_MAX))},
    ]
    if item.discuss:
        label = "Discuss: "  # not bold: plain_text has no bold, and mrkdwn would format the question
        blocks.append({"type": "section",
                       "text": _plain(label + slack_clipped(item.discuss, SLACK_TEXT_MAX - len(label)))})
    if item.principles:
        listed = ", ".join(_link(url, name) for name, url in item.principles)
        blocks.append({"type": "context", "elements": [_mrkdwn(f"Principles: {listed}")]})
    blocks.append({"type": "actions", "elements": [
        {"type": "button", "action_id": "read-tip", "style": "primary", "url": item.tip_url,
         "text": {"type": "plain_text", "text": READ_THE_TIP}},
        {"type": "button", "action_id": "huddle-card", "url": item.huddle_url,
         "text": {"type": "plain_text", "text": HUDDLE_CARD}},
    ]})
    # Shown in notifications and by clients without Block Kit; mrkdwn False: the title as typed.
    # (The link is a control sequence, <...>, which Slack's docs set apart from mrkdwn's formatting.)
    fallback = slack_clipped(f"{item.lead}: {item.title}", SLACK_TEXT_MAX) + " " + _link(item.tip_url, READ_THE_TIP)
    return {"text": fallback, "mrkdwn": False, "blocks": blocks}


# --------------------------------------------------------------------------- Teams

def card_clipped(text: str, limit: int = CARD_TEXT_MAX) -> str:
    return text if len(text) <= limit else text[:limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def _run(text: str, **style) -> dict:
    return {"type": "TextRun", "text": text, **style}


def _rich(*inlines: dict, **style) -> dict:
    return {"type": "RichTextBlock", "inlines": list(inlines), **style}


def teams_card(item: ChatTip) -> dict:
    """The Adaptive Card: the tip's words in TextRuns (never read as Markdown)."""
    body = [
        _rich(_run(f"{item.lead} \u00b7 {item.when}", isSubtle=True, size="Small")),
        _rich(_run(item.title, size="Large", weight="Bolder"), spacing="Small"),
        _rich(_run(card_clipped(item.summary))),
    ]
    if item.discuss:
        body.append(_rich(_run("Discuss: ", weight="Bolder"), _run(card_clipped(item.discuss))))
    if item.principles:
        inlines = [_run("Principles: ", isSubtle=True)]
        for n, (name, url) in enumerate(item.principles):
            if n:
                inlines.append(_run(", ", isSubtle=True))
            inlines.append(_run(name, color="Accent", selectAction={"type": "Action.OpenUrl", "url": url}))
        body.append(_rich(*inlines))
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
        "actions": [
            {"type": "Action.OpenUrl", "title": READ_THE_TIP, "url": item.tip_url, "style": "positive"},
            {"type": "Action.OpenUrl", "title": HUDDLE_CARD, "url": item.huddle_url},
        ],
    }


def teams_message(item: ChatTip) -> dict:
    """The body of a POST to a Teams Workflows webhook: a message with the card attached."""
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "content": teams_card(item)}]}


MESSAGES = {"slack": slack_message, "teams": teams_message}


def message_for(kind: str, item: ChatTip) -> dict:
    return MESSAGES[kind](item)

