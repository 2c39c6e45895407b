"""`tipweek post`: the week's tip to Slack and Teams webhooks, once per
channel and week, against a real HTTP server on 127.0.0.1 (webhook_servers);
the Slack messages checked with slack-sdk's own Block Kit models. The Teams
card is rendered by Microsoft's renderer in test_teams_card.py."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from slack_sdk.models.blocks import ActionsBlock, Block, ContextBlock, HeaderBlock, SectionBlock

from conftest import make_edition
from tipweek.outputs.chat import SLACK_BLOCKS_MAX, SLACK_HEADER_MAX, SLACK_TEXT_MAX, chat_tip, slack_message, teams_message
from tipweek.cli.main import main
from tipweek.sending.ledger import Ledger
from tipweek.library.model import Principle, Tip
from tipweek.calendar.reruns import Featured
from tipweek.sending.webhooks import Channel, PostReport, post_all
from webhook_servers import HOST, WebhookServer

WEEK = "2026-W47"  # the week of the fixture library's tip of 2026-11-17
TITLE = "Own the mistake"
SITE = "https://tips.example.org/"
TIP_URL = SITE + "tips/own-the-mistake/"
HUDDLE_URL = SITE + "tips/own-the-mistake/huddle/"
# Secret parts of the webhooks' paths: they must never be printed or written down.
SLACK_A = "/slack/services/T0001/B0001/secretAAAAslack"
SLACK_B = "/slack/services/T0001/B0002/secretBBBBslack"
TEAMS_C = "/teams/workflows/0c0c/triggers/manual/paths/invoke?sig=secretCCCCteams"
SECRETS = ("secretAAAAslack", "secretBBBBslack", "secretCCCCteams")
PRINCIPLES = {"ownership": Principle("ownership", "Ownership", "Fix it, whoever broke it.", ""),
              "sincerity": Principle("sincerity", "Sincerity", "Mean what you say.", "")}


# ------------------------------------------------------------------ set-up

pytestmark = pytest.mark.usefixtures("only_loopback")  # conftest: nothing in these tests may reach past 127.0.0.1


@pytest.fixture(autouse=True)
def no_webhooks_or_proxies_from_outside(monkeypatch):
    monkeypatch.delenv("TIPWEEK_SLACK_WEBHOOK", raising=False)
    monkeypatch.delenv("TIPWEEK_TEAMS_WEBHOOK", raising=False)
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def hooks():
    server = WebhookServer().start()
    yield server
    server.stop()


@pytest.fixture
def post(project):
    """Run `tipweek post` on the fixture project with these webhooks in the environment."""
    def run(*args: str, slack=(), teams=(), **env):
        environment = {"TIPWEEK_SLACK_WEBHOOK": " ".join(slack), "TIPWEEK_TEAMS_WEBHOOK": " ".join(teams), **env}
        return CliRunner(catch_exceptions=False).invoke(
            main, ["post", "--backoff", "0", "--timeout", "10", *args, "-f", str(project / "mkdocs.yml")],
            env=environment)
    return run


def summary(result) -> str:
    return result.stdout.splitlines()[-1]


def key(url: str) -> str:
    return Channel("teams" if "/teams" in url else "slack", url).key


def ledger_of(project: Path, week: str = WEEK) -> dict[str, list[str]]:
    """channel key -> its statuses in the chat ledger, in order."""
    found: dict[str, list[str]] = {}
    path = project / ".tipweek" / "ledger" / "chat" / f"{week}.jsonl"
    for line in path.read_text("utf-8").splitlines():
        entry = json.loads(line)
        found.setdefault(entry["email"], []).append(entry["status"])
    return found


def assert_no_secret(project: Path, *results) -> None:
    """No webhook URL in anything printed or written."""
    texts = [r.output.encode("utf-8") for r in results]
    texts += [p.read_bytes() for p in (project / ".tipweek").rglob("*") if p.is_file()]  # caches too
    for text in texts:
        for secret in SECRETS:
            assert secret.encode("ascii") not in text


def slack_blocks(message: dict) -> list[Block]:
    """The message's blocks through slack-sdk's models: each valid (lengths
    and required fields), and nothing in our JSON that the models drop."""
    blocks = Block.parse_all(message["blocks"])
    assert len(blocks) <= SLACK_BLOCKS_MAX
    for block in blocks:
        block.validate_json()  # raises SlackObjectFormationError past a limit
    assert [b.to_dict() for b in blocks] == message["blocks"]
    assert message["text"].strip()
    return blocks


def made_tip(title: str = TITLE, summary: str = "Say sorry, fix it, and tell them when.", **extra) -> Tip:
    return Tip(slug="own-the-mistake", title=title, date=dt.date(2026, 11, 17), tags=("ownership", "sincerity"),
               summary=summary, body="Body.", path="tips/2026/2026-11-17-own-the-mistake.md", **extra)


def messages_of(tip: Tip, rerun_on: dt.date | None = None) -> tuple[dict, dict]:
    edition = make_edition([tip], PRINCIPLES, today=dt.date(2026, 11, 22))
    item = chat_tip(edition, Featured(tip, rerun_on or tip.date, rerun=rerun_on is not None))
    return slack_message(item), teams_message(item)


def card_of(message: dict) -> dict:
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def card_texts(card: dict) -> list[str]:
    """Every text of the card's body, one per block."""
    return ["".join(run["text"] for run in block["inlines"]) for block in card["body"]]


# ------------------------------------------------------------------ the messages

def test_slack_message_is_block_kit_with_every_part():
    slack, _ = messages_of(made_tip(discuss="When did we last own a mistake out loud?"))
    header, context, summary_, discuss, principles, actions = slack_blocks(slack)
    assert isinstance(header, HeaderBlock) and header.text.text == TITLE
    assert isinstance(context, ContextBlock) and context.elements[0].text == "*Tip of the week* \u00b7 17 November 2026"
    assert isinstance(summary_, SectionBlock) and summary_.text.text == "Say sorry, fix it, and tell them when."
    assert discuss.text.text == "Discuss: When did we last own a mistake out loud?"
    assert principles.elements[0].text == (f"Principles: <{SITE}principles/ownership/|Ownership>, "
                                           f"<{SITE}principles/sincerity/|Sincerity>")
    assert isinstance(actions, ActionsBlock)
    assert [(b.text.text, b.url) for b in actions.elements] == [("Read the tip", TIP_URL), ("Huddle card", HUDDLE_URL)]
    assert actions.elements[0].style == "primary"
    assert slack["text"] == f"Tip of the week: {TITLE} <{TIP_URL}|Read the tip>"


def test_the_discussion_question_is_left_out_when_the_tip_has_none():
    slack, teams = messages_of(made_tip())
    assert "Discuss" not in json.dumps(slack) and "Discuss" not in json.dumps(teams)
    assert [type(b) for b in slack_blocks(slack)] == [HeaderBlock, ContextBlock, SectionBlock, ContextBlock,
                                                       ActionsBlock]


def test_teams_message_is_a_workflows_message_with_an_adaptive_card():
    _, teams = messages_of(made_tip(discuss="When did we last own a mistake out loud?"))
    assert teams["type"] == "message"
    card = card_of(teams)
    assert card["type"] == "AdaptiveCard" and tuple(map(int, card["version"].split("."))) <= (1, 4)
    assert card_texts(card) == ["Tip of the week \u00b7 17 November 2026", TITLE,
                                "Say sorry, fix it, and tell them when.",
                                "Discuss: When did we last own a mistake out loud?",
                                "Principles: Ownership, Sincerity"]
    links = [run["selectAction"]["url"] for run in card["body"][-1]["inlines"] if "selectAction" in run]
    assert links == [f"{SITE}principles/ownership/", f"{SITE}principles/sincerity/"]
    assert [(a["type"], a["title"], a["url"]) for a in card["actions"]] == [
        ("Action.OpenUrl", "Read the tip", TIP_URL), ("Action.OpenUrl", "Huddle card", HUDDLE_URL)]


def test_a_rerun_says_from_the_archive_with_the_first_date():
    slack, teams = messages_of(made_tip(), rerun_on=dt.date(2027, 6, 1))
    lead = "From the archive \u00b7 1 June 2027 (first published 17 November 2026)"
    assert slack_blocks(slack)[1].elements[0].text == "*From the archive* \u00b7 1 June 2027 (first published 17 November 2026)"
    assert slack["text"].startswith(f"From the archive: {TITLE} ")
    assert card_texts(card_of(teams))[0] == lead


def test_long_texts_are_cut_within_slacks_limits():
    title = "Q&A <" + "very long title " * 20
    slack, teams = messages_of(made_tip(title=title.strip(), summary="word & " * 1000,
                                        discuss="Why <b>? " * 800))
    header, _, summary_, discuss, *_ = slack_blocks(slack)  # validate_json checks each limit
    assert len(header.text.text) <= SLACK_HEADER_MAX and header.text.text.startswith("Q&amp;A &lt;very long title")
    assert header.text.text.endswith("\u2026")
    assert len(summary_.text.text) <= SLACK_TEXT_MAX and len(discuss.text.text) <= SLACK_TEXT_MAX
    assert not re.search(r"&[a-z]*\u2026", summary_.text.text), "an entity was cut in half"
    assert len(card_texts(card_of(teams))[2]) <= 3000


HOSTILE = "<!channel> <!here> Win a <https://evil.example/|prize> [now](https://evil.example/) @everyone &amp; <@U123>"


def test_a_hostile_title_cannot_ping_a_channel_or_add_a_link_in_slack():
    slack, _ = messages_of(made_tip(title=HOSTILE, summary=HOSTILE, discuss=HOSTILE))
    slack_blocks(slack)
    texts = [slack["text"]]

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                assert node.get("verbatim") is True, node  # no auto-links, no @-mentions
            if node.get("type") in ("mrkdwn", "plain_text"):
                texts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(slack["blocks"])
    for text in texts:
        # Slack reads <...> as a mention or a link: only ours are left, to the site.
        for control in re.findall(r"<([^>]*)>", text):
            assert control.startswith(SITE), f"{control!r} in {text!r}"
    assert slack_blocks(slack)[0].text.text.startswith("&lt;!channel&gt; &lt;!here&gt; Win a &lt;https://evil")
    assert "&amp;amp;" in slack["blocks"][2]["text"]["text"]  # an entity in the title is shown as typed


def slack_shows(text_object) -> str:
    """What Slack shows for a text object of the tip's words: a plain_text one as it is, its
    three entities decoded; mrkdwn would format *, _, ~ and backticks, which no escape undoes."""
    assert text_object.type == "plain_text", f"the tip's words in mrkdwn: {text_object.text!r}"
    return text_object.text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_formatting_characters_in_a_tip_are_shown_as_typed_in_slack():
    typed = "*bold* _it_ ~x~ `code` & <b>"
    slack, _ = messages_of(made_tip(title=typed, summary=f"Summary: {typed}", discuss=f"Why {typed}?"))
    header, context, summary_, discuss, principles, _ = slack_blocks(slack)
    assert slack_shows(header.text) == typed
    assert slack_shows(summary_.text) == f"Summary: {typed}"
    assert slack_shows(discuss.text) == f"Discuss: Why {typed}?"
    assert header.text.emoji is False and summary_.text.emoji is False  # :words: as typed too
    # The fallback (notifications, clients without Block Kit) is not read as mrkdwn either.
    assert slack["mrkdwn"] is False
    assert slack["text"] == f"Tip of the week: *bold* _it_ ~x~ `code` &amp; &lt;b&gt; <{TIP_URL}|Read the tip>"
    # What is still mrkdwn holds none of the tip's words.
    for element in context.elements + principles.elements:
        assert "bold" not in element.text and "code" not in element.text


# ------------------------------------------------------------------ posting, end to end

def test_posts_the_week_once_through_a_500_a_429_and_a_lost_answer(post, project, hooks):
    hooks.plan(SLACK_A, "500")
    hooks.plan(SLACK_B, "429:0")  # the wait itself is test_a_retry_after_is_waited_for_and_5xx_backs_off's
    hooks.plan(TEAMS_C, "drop")
    slack, teams = [hooks.url(SLACK_A), hooks.url(SLACK_B)], [hooks.url(TEAMS_C)]

    first = post(slack=slack, teams=teams)
    assert first.exit_code == 1, first.output  # the lost answer is new in this run
    assert summary(first) == "posted 2, 1 uncertain, 0 failed"
    assert f"uncertain: {key(hooks.url(TEAMS_C))}: the request went out but its answer was lost" in first.stderr
    assert hooks.answers(SLACK_A) == ["500", "ok"] and hooks.answers(SLACK_B) == ["429:0", "ok"]
    for path in (SLACK_A, SLACK_B, TEAMS_C):
        assert len(hooks.shown(path)) == 1, path
    for message in hooks.shown(SLACK_A) + hooks.shown(SLACK_B):
        assert slack_blocks(message)[0].text.text == TITLE
    assert card_texts(card_of(hooks.shown(TEAMS_C)[0]))[1] == TITLE
    assert {r[3] for r in hooks.requests} == {"application/json; charset=utf-8"}
    assert ledger_of(project) == {key(hooks.url(SLACK_A)): ["attempt", "failed", "attempt", "sent"],
                                  key(hooks.url(SLACK_B)): ["attempt", "failed", "attempt", "sent"],
                                  key(hooks.url(TEAMS_C)): ["attempt", "uncertain"]}

    again = post(slack=slack, teams=teams)
    assert again.exit_code == 0, again.output
    assert summary(again) == "posted 0, 2 already posted earlier, 1 uncertain earlier, 0 failed"
    assert f"uncertain since an earlier run, not posted again: {key(hooks.url(TEAMS_C))}" in again.stderr
    assert len(hooks.requests) == 5  # nothing new went out

    retried = post("--retry-uncertain", slack=slack, teams=teams)
    assert retried.exit_code == 0, retried.output
    assert summary(retried) == "posted 1, 2 already posted earlier, 0 failed"
    assert len(hooks.shown(TEAMS_C)) == 2 and len(hooks.shown(SLACK_A)) == len(hooks.shown(SLACK_B)) == 1

    last = post(slack=slack, teams=teams)
    assert summary(last) == "posted 0, 3 already posted earlier, 0 failed" and len(hooks.requests) == 6
    assert_no_secret(project, first, again, retried, last)


def test_a_retry_after_is_waited_for_and_5xx_backs_off(tmp_path, hooks):
    hooks.plan(SLACK_A, "429:7", "503", "ok")
    waits: list[float] = []
    report = PostReport()
    with Ledger(tmp_path, WEEK) as ledger:
        post_all([Channel("slack", hooks.url(SLACK_A))], lambda c: b'{"text": "hi"}', ledger, report,
                 retries=3, backoff=2.0, max_wait=60, timeout=10, sleep=waits.append)
    assert waits == [7.0, 4.0]  # Retry-After, then backoff * 2 for the second retry
    assert report.sent == 1 and not report.failed and len(hooks.shown(SLACK_A)) == 1


def test_a_refused_connection_is_tried_again(tmp_path):
    # A port nobody listens on until the first wait: then the webhook comes up there.
    probe = socket.socket()
    probe.bind((HOST, 0))
    port = probe.getsockname()[1]
    probe.close()
    server = WebhookServer(port)
    report = PostReport()
    try:
        with Ledger(tmp_path, WEEK) as ledger:
            post_all([Channel("slack", server.url(SLACK_A))], lambda c: b'{"text": "hi"}', ledger, report,
                     retries=2, backoff=0.5, timeout=10, sleep=lambda s: server.start())
        assert report.sent == 1 and len(server.shown(SLACK_A)) == 1
        statuses = [json.loads(line)["status"] for line in (tmp_path / f"{WEEK}.jsonl").read_text().splitlines()]
        assert statuses == ["attempt", "failed", "attempt", "sent"]
    finally:
        server.stop()


def test_a_long_retry_after_fails_this_run_and_the_next_run_posts(post, project, hooks):
    hooks.plan(SLACK_A, "429:3600")
    first = post(slack=[hooks.url(SLACK_A)])
    assert first.exit_code == 1 and summary(first) == "posted 0, 1 failed"
    assert "asked to wait 3600 s, more than --max-wait 60 s: run again later" in first.stderr
    second = post(slack=[hooks.url(SLACK_A)])
    assert second.exit_code == 0 and summary(second) == "posted 1, 0 failed"
    assert len(hooks.shown(SLACK_A)) == 1


def test_a_refused_payload_fails_with_the_services_answer(post, project, hooks):
    hooks.plan(SLACK_A, "404")
    result = post(slack=[hooks.url(SLACK_A)])
    assert result.exit_code == 1
    assert f"failed: {key(hooks.url(SLACK_A))}: HTTP 404 Not Found: no_service" in result.stderr
    assert hooks.answers(SLACK_A) == ["404"]  # not retried in the run: it would not help
    status = post("--status", slack=[hooks.url(SLACK_A)])
    assert f"  {key(hooks.url(SLACK_A))}: permanent: HTTP 404 Not Found: no_service" in status.stdout
    assert_no_secret(project, result, status)


def test_an_answer_that_never_comes_is_uncertain(post, project, hooks):
    hooks.plan(TEAMS_C, "hang")
    result = post("--timeout", "0.5", teams=[hooks.url(TEAMS_C)])
    assert result.exit_code == 1 and summary(result) == "posted 0, 1 uncertain, 0 failed"
    assert "the request went out but its answer was lost (TimeoutError" in result.stderr
    assert hooks.recorded.wait(10)  # the server may read the body after the sender gave up waiting
    assert len(hooks.shown(TEAMS_C)) == 1 and len(hooks.requests) == 1  # not posted twice


def test_a_redirect_is_not_followed(post, project, hooks):
    hooks.plan(SLACK_A, "302")
    result = post(slack=[hooks.url(SLACK_A)])
    assert result.exit_code == 1 and f"failed: {key(hooks.url(SLACK_A))}: HTTP 302 Found" in result.stderr
    assert [r[0] for r in hooks.requests] == [SLACK_A]  # nothing went to /elsewhere


def test_a_rerun_week_posts_its_tip_from_the_archive(post, project, hooks):
    result = post(slack=[hooks.url(SLACK_A)], teams=[hooks.url(TEAMS_C)], TIPWEEK_TODAY="2026-12-02")
    assert result.exit_code == 0, result.output
    (slack,), (teams,) = hooks.shown(SLACK_A), hooks.shown(TEAMS_C)
    header, context, *_ = slack_blocks(slack)
    assert header.text.text == "Reply before lunch"
    assert context.elements[0].text == "*From the archive* \u00b7 1 December 2026 (first published 30 December 2025)"
    assert slack["blocks"][-1]["elements"][0]["url"] == SITE + "tips/reply-before-lunch/"
    assert card_texts(card_of(teams))[:2] == [
        "From the archive \u00b7 1 December 2026 (first published 30 December 2025)", "Reply before lunch"]
    assert set(ledger_of(project, "2026-W49")) == {key(hooks.url(SLACK_A)), key(hooks.url(TEAMS_C))}


def test_dry_run_prints_the_messages_and_posts_nothing(post, project, hooks):
    result = post("--dry-run", slack=[hooks.url(SLACK_A)], teams=[hooks.url(TEAMS_C)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"would post {WEEK} '{TITLE}' to {key(hooks.url(SLACK_A))} (Slack)" in out
    assert f"would post {WEEK} '{TITLE}' to {key(hooks.url(TEAMS_C))} (Teams)" in out
    slack = json.loads(out.split("Slack message:\n", 1)[1].split("\nTeams message:\n", 1)[0])
    teams = json.loads(out.split("Teams message:\n", 1)[1].rsplit("\n", 2)[0])
    assert slack_blocks(slack)[0].text.text == TITLE and card_texts(card_of(teams))[1] == TITLE
    assert summary(result) == "would post 2, 0 failed"
    assert hooks.requests == [] and not (project / ".tipweek" / "ledger" / "chat").exists()
    assert_no_secret(project, result)


def test_status_shows_each_channel_by_its_hash(post, project, hooks):
    hooks.plan(TEAMS_C, "drop")
    post(slack=[hooks.url(SLACK_A)], teams=[hooks.url(TEAMS_C)])
    result = post("--status", slack=[hooks.url(SLACK_A), hooks.url(SLACK_B)], teams=[hooks.url(TEAMS_C)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{WEEK} '{TITLE}' (ledger ")
    assert lines[1:3] == ["delivered     1", f"  {key(hooks.url(SLACK_A))}"]
    assert lines[4].startswith("uncertain     1  (may have arrived; 'tipweek post --retry-uncertain'")
    assert lines[-2:] == ["not yet tried 1", f"  {key(hooks.url(SLACK_B))}"]
    assert not any(line.startswith("suppressed") for line in lines)
    data = json.loads(post("--status", "--json").stdout)
    assert data["delivered"] == [key(hooks.url(SLACK_A))] and data["uncertain"][0]["email"] == key(hooks.url(TEAMS_C))
    assert_no_secret(project, result)


def test_webhooks_from_the_environment_separated_by_whitespace(post, hooks):
    result = post(slack=[hooks.url(SLACK_A) + "\n", hooks.url(SLACK_B), hooks.url(SLACK_A)])
    assert result.exit_code == 0 and summary(result) == "posted 2, 0 failed"  # the same URL once
    assert len(hooks.shown(SLACK_A)) == len(hooks.shown(SLACK_B)) == 1


def test_the_options_take_the_place_of_the_environment(post, hooks):
    result = post("--teams", hooks.url(TEAMS_C), slack=[hooks.url(SLACK_A)], teams=[hooks.url("/teams/other")])
    assert result.exit_code == 0 and summary(result) == "posted 2, 0 failed"
    assert len(hooks.shown(TEAMS_C)) == 1 and hooks.shown("/teams/other") == []


def test_a_webhook_in_clear_text_to_another_machine_is_refused_unquoted(post, project):
    result = post("--slack", "http://hooks.example.org/services/secretAAAAslack")
    assert result.exit_code == 2
    assert "error: --slack #1: not an https:// webhook URL" in result.stderr
    assert_no_secret(project, result)
    result = post(teams=["ftp://x/secretCCCCteams"])
    assert result.exit_code == 2 and "$TIPWEEK_TEAMS_WEBHOOK #1: not an https:// webhook URL" in result.stderr
    assert_no_secret(project, result)
    result = post("--teams", "https://x:4a/secretCCCCteams")
    assert result.exit_code == 2 and "--teams #1: the webhook URL's port is not a number" in result.stderr
    result = post("--slack", "https://x/ok", "--slack", "https://x/secretAAAAslack\x00")
    assert result.exit_code == 2 and "--slack #2: the webhook URL has a space or a control" in result.stderr
    assert_no_secret(project, result)


def test_a_webhook_url_with_a_character_that_is_not_ascii_is_refused_up_front(post, project, hooks):
    result = post("--slack", hooks.url(SLACK_A), "--slack", hooks.url(SLACK_B) + "\u00e9")
    assert result.exit_code == 2
    assert "error: --slack #2: the webhook URL has a character that is not ASCII in it" in result.stderr
    assert "Traceback" not in result.output and hooks.requests == []
    assert not (project / ".tipweek" / "ledger" / "chat").exists()  # nothing recorded as attempted
    assert_no_secret(project, result)


def test_a_url_http_client_cannot_send_fails_for_good_and_the_next_channel_is_posted(tmp_path, hooks):
    # A channel made without channel()'s checks: http.client raises UnicodeEncodeError, a ValueError.
    report = PostReport()
    with Ledger(tmp_path, WEEK) as ledger:
        post_all([Channel("slack", hooks.url(SLACK_A) + "\u00e9"), Channel("slack", hooks.url(SLACK_B))],
                 lambda c: b'{"text": "hi"}', ledger, report, retries=2, backoff=0, timeout=10)
    assert report.sent == 1 and not report.uncertain and len(hooks.shown(SLACK_B)) == 1
    assert [why for _, why in report.failed] == [
        "the webhook URL cannot be used: UnicodeEncodeError (nothing was sent)"]
    statuses = [json.loads(line)["status"] for line in (tmp_path / f"{WEEK}.jsonl").read_text().splitlines()]
    assert statuses == ["attempt", "failed", "attempt", "sent"]  # failed for good, not uncertain, not retried


def test_post_needs_a_webhook(post):
    result = post()
    assert result.exit_code == 2 and "no webhook to post to" in result.output


def test_a_second_run_for_the_same_week_refuses(post, project, hooks):
    folder = project / ".tipweek" / "ledger" / "chat"
    with Ledger(folder, WEEK):
        result = post(slack=[hooks.url(SLACK_A)])
    assert result.exit_code == 2 and "another 'tipweek post' for this week is running" in result.stderr
    assert hooks.requests == []


def test_a_run_killed_mid_post_leaves_the_channel_uncertain(post, project, hooks):
    folder = project / ".tipweek" / "ledger" / "chat"
    with Ledger(folder, WEEK) as ledger:
        ledger.record(key(hooks.url(SLACK_A)), "attempt")  # then the process died
    result = post(slack=[hooks.url(SLACK_A), hooks.url(SLACK_B)])
    assert result.exit_code == 1 and summary(result) == "posted 1, 1 uncertain, 0 failed"
    assert f"uncertain: {key(hooks.url(SLACK_A))}: a run stopped while sending to it" in result.stderr
    assert hooks.shown(SLACK_A) == [] and len(hooks.shown(SLACK_B)) == 1
    assert post(slack=[hooks.url(SLACK_A)]).exit_code == 0 and hooks.shown(SLACK_A) == []
    assert post("--retry-uncertain", slack=[hooks.url(SLACK_A)]).exit_code == 0
    assert len(hooks.shown(SLACK_A)) == 1


def test_help_shows_examples_and_where_the_urls_come_from():
    result = CliRunner(catch_exceptions=False).invoke(main, ["post", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "tipweek post --dry-run" in result.output
    assert "$TIPWEEK_SLACK_WEBHOOK" in result.output and "$TIPWEEK_TEAMS_WEBHOOK" in result.output
    listing = CliRunner(catch_exceptions=False).invoke(main, ["--help"]).output
    assert re.search(r"^\s+post\s+Post this week's tip to Slack and Teams", listing, re.M)
