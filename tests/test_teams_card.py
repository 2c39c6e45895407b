"""The Teams card of `tipweek post`, parsed and rendered by Microsoft's
Adaptive Cards renderer (the npm package adaptivecards, installed by
`make test` from tests/js/package-lock.json) in Debian's Chromium, with
Markdown on as Teams has it (markdown-it). A screenshot of the rendered card
is kept in tests/artifacts/teams-card.png (git-ignored)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from chromium import require_chromium
from conftest import make_edition
from tipweek.outputs.chat import chat_tip, teams_message
from tipweek.library.model import Principle, Tip
from tipweek.calendar.reruns import Featured

JS = Path(__file__).parent / "js" / "node_modules"
RENDERER = JS / "adaptivecards" / "dist" / "adaptivecards.min.js"
STYLES = JS / "adaptivecards" / "dist" / "adaptivecards.css"  # the renderer's own look
MARKDOWN = JS / "markdown-it" / "dist" / "markdown-it.min.js"
ARTIFACTS = Path(__file__).parent / "artifacts"
PRINCIPLES = {"ownership": Principle("ownership", "Ownership", "Fix it, whoever broke it.", ""),
              "sincerity": Principle("sincerity", "Sincerity", "Mean what you say.", "")}
HOSTILE = ("<at>General</at> [Win a prize](https://evil.example/) **now** <a href=\"https://evil.example/\">x</a> "
           "https://evil.example/")

# Parse the card against version 1.4 as Teams would, collect every parse and
# validation event, then render it into the page.
RENDER = """([card, version]) => {
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = window.markdownit().render(text);
    result.didProcess = true;
  };
  const events = [];
  const context = new AdaptiveCards.SerializationContext(AdaptiveCards.Versions["v" + version.replace(".", "_")]);
  const parsed = new AdaptiveCards.AdaptiveCard();
  parsed.parse(card, context);
  for (let i = 0; i < context.eventCount; i++) {
    const e = context.getEventAt(i);
    events.push({phase: "parse", event: AdaptiveCards.ValidationEvent[e.event], message: e.message});
  }
  for (const e of parsed.validateProperties().validationEvents) {
    events.push({phase: "validate", event: AdaptiveCards.ValidationEvent[e.event], message: e.message});
  }
  const rendered = parsed.render();
  if (!rendered) { events.push({phase: "render", event: "nothing rendered", message: ""}); }
  else { document.getElementById("card").appendChild(rendered); }
  return events;
}"""


def require_renderer() -> None:
    if RENDERER.exists() and MARKDOWN.exists():
        return
    message = f"{RENDERER} is missing: run `make test` (it runs npm ci --prefix tests/js)"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture
def page(browser):
    require_chromium(module=False)
    require_renderer()
    page = browser.new_page(viewport={"width": 560, "height": 420}, device_scale_factor=2)
    page.set_content('<!doctype html><html><head><meta charset="utf-8"><style>'
                     'body { margin: 0; padding: 16px; background: #f5f5f5; font-family: "Segoe UI", sans-serif; }'
                     '#card { background: #fff; border: 1px solid #ddd; border-radius: 4px; width: 520px; }'
                     '</style></head><body><div id="card"></div></body></html>')
    page.add_style_tag(path=str(STYLES))
    page.add_script_tag(path=str(MARKDOWN))
    page.add_script_tag(path=str(RENDERER))
    yield page
    page.close()


def card(title: str = "Own the mistake", **extra) -> dict:
    tip = Tip(slug="own-the-mistake", title=title, date=dt.date(2026, 11, 17), tags=("ownership", "sincerity"),
              summary="When your company drops the ball, the customer wants a fix, not the story of whose fault "
                      "it was.", body="Body.", path="tips/2026/2026-11-17-own-the-mistake.md", **extra)
    edition = make_edition([tip], PRINCIPLES, today=dt.date(2026, 11, 22))
    (attachment,) = teams_message(chat_tip(edition, Featured(tip, tip.date, rerun=False)))["attachments"]
    return attachment["content"]


def render(page, content: dict) -> list[dict]:
    return page.evaluate(RENDER, [content, content["version"]])


def test_the_card_parses_validates_and_renders_without_an_event(page):
    content = card(discuss="When did we last own a mistake out loud, and what did the customer say?")
    assert render(page, content) == []
    text = page.inner_text("#card")
    for part in ("Tip of the week \u00b7 17 November 2026", "Own the mistake", "the customer wants a fix",
                 "Discuss: When did we last own a mistake out loud", "Principles: Ownership, Sincerity",
                 "Read the tip", "Huddle card"):
        assert part in text, part
    buttons = page.locator("#card button")
    assert [b.strip() for b in buttons.all_inner_texts()] == ["Read the tip", "Huddle card"]
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "teams-card.png"
    page.locator("#card").screenshot(path=str(shot))
    print(f"screenshot of the rendered Teams card: {shot}")
    assert shot.stat().st_size > 5000


def test_the_renderer_reports_what_teams_would_refuse(page):
    """The check above can fail: a card past 1.4 or with an unknown element is reported."""
    content = card()
    content["body"].append({"type": "Table", "columns": [{"width": 1}], "rows": []})  # 1.5
    content["body"].append({"type": "NoSuchThing", "text": "?"})
    events = render(page, content)
    assert events and any("Table" in e["message"] for e in events), events
    assert any("NoSuchThing" in e["message"] for e in events), events


def test_a_hostile_title_is_text_not_a_link_or_a_mention(page):
    content = card(title=HOSTILE, discuss=HOSTILE)
    assert render(page, content) == []
    text = page.inner_text("#card")
    assert text.count(HOSTILE) == 2  # the title and the question, shown as typed
    assert page.locator("#card strong, #card b").count() == 0  # no Markdown was read in it
    hrefs = page.eval_on_selector_all("#card [href]", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs == ["https://tips.example.org/principles/ownership/",
                     "https://tips.example.org/principles/sincerity/"]  # only the card's own links


def test_markdown_is_on_as_in_teams(page):
    """The check above can fail: the same words in a TextBlock, which Teams
    reads as Markdown, do become a link and bold text."""
    content = card()
    content["body"].append({"type": "TextBlock", "text": HOSTILE, "wrap": True})
    assert render(page, content) == []
    assert page.locator('#card a[href="https://evil.example/"]').count() >= 1
    assert page.locator("#card strong").count() == 1
