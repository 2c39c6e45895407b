"""POST /webhooks/bounce as an email service meets it: the list service under uvicorn on
127.0.0.1 (``test_list_bounce_serve`` runs it as ``tipweek list serve``), on SQLite and on
PostgreSQL, with plain JSON and with Amazon SES notifications (raw, and inside SNS messages;
shapes in ``bounce_payloads``). Each effect is checked where the operator sees it:
``tipweek list show``, ``list stats``, and the next ``tipweek send --list``."""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from bounce_payloads import SNS_HEADERS, ses_bounce, ses_complaint, ses_delivery, sns_notification
from list_support import HOST, SECRET, WAIT, ServiceThread, request, snapshot
from smtp_servers import LocalSMTP, Recorder
from tipweek.cli.main import main
from tipweek.list.database import open_store
from tipweek.list.look import look_of
from tipweek.list.service import Settings, create_app
from tipweek.list.tokens import Tokens
from tipweek.project import Project

TOKEN = "webhook-token-for-the-tests-0123456789"
START = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc)
PEOPLE = [("ana@example.org", "Ana Lima"), ("bob@example.org", "Bob Okafor"), ("cy@example.org", "Cy Young")]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Webhook:
    url: str
    store: object
    clock: Clock
    project: Path
    db_url: str

    def post(self, body, auth: str | None = f"Bearer {TOKEN}", headers: dict | None = None):
        """(status, the JSON answer, the response's headers) of one POST to the webhook."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
        if auth:
            headers["Authorization"] = auth
        conn = http.client.HTTPConnection(HOST, int(self.url.rsplit(":", 1)[1]), timeout=WAIT)
        try:
            conn.request("POST", "/webhooks/bounce", body=data, headers=headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read()), response.msg
        finally:
            conn.close()

    def run(self, *args: str):
        return CliRunner(catch_exceptions=False).invoke(main, [*args, "--db", self.db_url, "-f",
                                                               str(self.project / "mkdocs.yml")])

    def shown(self, address: str) -> list[str]:
        """``tipweek list show ADDRESS``: its state line, then each event as 'action how'."""
        lines = self.run("list", "show", address).output.splitlines()
        return [lines[0]] + [" ".join(line.split()[1:]) for line in lines[1:]]


@pytest.fixture
def webhook(project, db_url):
    store = open_store(db_url)
    store.import_confirmed(PEOPLE, START - dt.timedelta(days=60))
    clock = Clock()
    settings = Settings(store, Tokens(SECRET), look_of(Project.load(project / "mkdocs.yml")), "",
                        lambda sub, url: None, clock=clock, webhook_token=TOKEN)
    with ServiceThread(create_app(settings)) as thread:
        yield Webhook(thread.url, store, clock, project, db_url)


BEFORE = ["joined import", "confirmed import"]


# ------------------------------------------------------------------ who may post

def test_without_the_token_nothing_changes_and_the_answer_asks_for_bearer_or_basic(webhook):
    before = snapshot(webhook.store)
    basic = base64.b64encode(f"tipweek:{TOKEN}".encode()).decode()
    wrong_basic = base64.b64encode(f"{TOKEN}:nope".encode()).decode()  # the token as the user name is not it
    for auth in (None, "Bearer nope", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {wrong_basic}",
                 "Basic ???", TOKEN, f"Token {TOKEN}"):
        status, answer, headers = webhook.post({"email": "bob@example.org", "type": "hard"}, auth=auth)
        assert status == 401, auth
        assert "Authorization: Bearer TOKEN" in answer["error"] and "HTTP Basic" in answer["error"]
        # SNS sends without credentials first and repeats with them when asked for Basic.
        assert headers.get_all("WWW-Authenticate") == ['Bearer realm="tipweek"', 'Basic realm="tipweek", '
                                                                                 'charset="UTF-8"']
    assert snapshot(webhook.store) == before

    assert webhook.post({"email": "bob@example.org", "type": "soft"}, auth=f"Basic {basic}")[0] == 200
    assert webhook.post({"email": "cy@example.org", "type": "soft"}, auth=f"bearer {TOKEN}")[0] == 200
    assert webhook.shown("bob@example.org")[1:] == BEFORE + ["soft-bounced webhook"]


# ------------------------------------------------------------------ what each kind does

def test_plain_json_hard_soft_and_complaint(webhook):
    status, answer, headers = webhook.post({"email": "Bob@Example.org", "type": "hard"})
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert answer == {"recorded": [{"email": "Bob@Example.org", "type": "hard", "state": "bounced",
                                    "events": ["bounced"]}], "ignored": []}
    assert webhook.post({"email": "ana@example.org", "type": "soft"})[1]["recorded"] == [
        {"email": "ana@example.org", "type": "soft", "state": "confirmed", "events": ["soft-bounced"]}]
    assert webhook.post({"email": "cy@example.org", "type": "complaint"})[1]["recorded"] == [
        {"email": "cy@example.org", "type": "complaint", "state": "unsubscribed", "events": ["complained"]}]

    assert webhook.shown("bob@example.org") == ["bob@example.org (Bob Okafor): bounced", *BEFORE, "bounced webhook"]
    assert webhook.shown("ana@example.org") == ["ana@example.org (Ana Lima): confirmed", *BEFORE,
                                                "soft-bounced webhook"]
    assert webhook.shown("cy@example.org") == ["cy@example.org (Cy Young): unsubscribed", *BEFORE,
                                               "complained webhook"]
    stats = webhook.run("list", "stats").output
    assert stats.startswith("1 confirmed, 0 pending, 1 unsubscribed, 1 bounced\n")
    assert "2026-W48: 0 joined, 0 confirmed, 1 left, 1 bounced, 1 soft bounce\n" in stats
    assert json.loads(webhook.run("list", "stats", "--json").output)["weeks"][-1]["soft_bounced"] == 1


def test_ses_through_sns_and_raw(webhook):
    # Through SNS (raw message delivery off): the SES notification is the string Message.
    status, answer, _ = webhook.post(sns_notification(ses_bounce("Permanent", "bob@example.org",
                                                                 "nobody@example.org")), headers=SNS_HEADERS)
    assert status == 200
    assert answer == {"recorded": [{"email": "bob@example.org", "type": "hard", "state": "bounced",
                                    "events": ["bounced"]}],
                      "ignored": [{"email": "nobody@example.org", "type": "hard", "reason": "not on the list"}]}
    answer = webhook.post(sns_notification(ses_complaint("cy@example.org")), headers=SNS_HEADERS)[1]
    assert answer["recorded"][0]["state"] == "unsubscribed"
    # Raw message delivery: the SES JSON itself.
    raw = {**SNS_HEADERS, "x-amz-sns-rawdelivery": "true"}
    answer = webhook.post(ses_bounce("Transient", "ana@example.org"), headers=raw)[1]
    assert answer["recorded"] == [{"email": "ana@example.org", "type": "soft", "state": "confirmed",
                                   "events": ["soft-bounced"]}]
    # Undetermined counts as soft; eventType is how a configuration set's event publishing names it.
    answer = webhook.post(ses_bounce("Undetermined", "ana@example.org", key="eventType"), headers=raw)[1]
    assert answer["recorded"][0]["type"] == "soft"
    answer = webhook.post(ses_complaint("Ana Lima <ana@example.org>", key="eventType"), headers=raw)[1]
    assert answer["recorded"][0]["state"] == "unsubscribed"

    assert webhook.shown("bob@example.org")[1:] == BEFORE + ["bounced webhook"]
    assert webhook.shown("cy@example.org")[1:] == BEFORE + ["complained webhook"]
    assert webhook.shown("ana@example.org") == ["ana@example.org (Ana Lima): unsubscribed", *BEFORE,
                                                "soft-bounced webhook", "soft-bounced webhook", "complained webhook"]
    # A delivery notification on the same topic is taken, and changes nothing.
    before = snapshot(webhook.store)
    assert webhook.post(sns_notification(ses_delivery("ana@example.org")))[1] == {
        "recorded": [], "ignored": [], "note": "an SES Delivery notification: only bounces and complaints change "
                                               "the list"}
    assert snapshot(webhook.store) == before


def test_the_third_soft_bounce_within_30_days_bounces(webhook):
    for day in (0, 12, 29):
        webhook.clock.now = START + dt.timedelta(days=day, hours=1)
        answer = webhook.post({"email": "ana@example.org", "type": "soft"})[1]
    assert answer["recorded"] == [{"email": "ana@example.org", "type": "soft", "state": "bounced",
                                   "events": ["soft-bounced", "bounced"]}]
    assert webhook.shown("ana@example.org") == ["ana@example.org (Ana Lima): bounced", *BEFORE,
                                                *["soft-bounced webhook"] * 3, "bounced webhook"]
    # Once the operator lifts the bounce, the count starts again.
    webhook.store.lift_bounce("ana@example.org", START + dt.timedelta(days=30))
    webhook.clock.now = START + dt.timedelta(days=31)
    assert webhook.post({"email": "ana@example.org", "type": "soft"})[1]["recorded"][0]["state"] == "confirmed"


def test_a_pause_or_a_resume_on_the_manage_page_does_not_restart_the_soft_bounce_count(webhook):
    ana = webhook.store.find("ana@example.org")
    page = f"{webhook.url}/manage/{Tokens(SECRET).manage_token(ana.id)}"
    for day, action in ((0, None), (5, "pause"), (6, None), (7, "resume"), (8, None)):
        webhook.clock.now = START + dt.timedelta(days=day)
        if action:
            assert request("POST", page, form={"action": action, "weeks": "4"})[0] == 200
        else:
            answer = webhook.post({"email": "ana@example.org", "type": "soft"})[1]
    assert answer["recorded"] == [{"email": "ana@example.org", "type": "soft", "state": "bounced",
                                   "events": ["soft-bounced", "bounced"]}]
    assert webhook.shown("ana@example.org")[1:] == [
        *BEFORE, "soft-bounced webhook", "paused page", "soft-bounced webhook", "resumed page",
        "soft-bounced webhook", "bounced webhook"]


def test_a_notification_delivered_three_times_counts_once(webhook):
    """SNS delivers at least once, and again when our 200 was lost: three copies are one soft bounce."""
    copy = sns_notification(ses_bounce("Transient", "ana@example.org", "nobody@example.org"))
    first = webhook.post(copy, headers=SNS_HEADERS)[1]
    assert [r["events"] for r in first["recorded"]] == [["soft-bounced"]]
    before = snapshot(webhook.store)
    for hours in (1, 2):
        webhook.clock.now = START + dt.timedelta(hours=hours)
        status, answer, _ = webhook.post(copy, headers=SNS_HEADERS)
        reason = f"already recorded (message id sns:{copy['MessageId']})"
        assert status == 200 and answer == {"recorded": [], "ignored": [
            {"email": "ana@example.org", "type": "soft", "reason": reason},
            {"email": "nobody@example.org", "type": "soft", "reason": reason}]}
    assert snapshot(webhook.store)[:2] == before[:2]
    assert webhook.shown("ana@example.org") == ["ana@example.org (Ana Lima): confirmed", *BEFORE,
                                                "soft-bounced webhook"]


def test_copies_posted_at_the_same_moment_count_once(webhook):
    """SNS may retry before our first answer is out: the copies meet in the database (on PostgreSQL
    in parallel transactions), and one of them is recorded."""
    copy = json.dumps(sns_notification(ses_bounce("Transient", "bob@example.org"))).encode()
    start = threading.Barrier(4)
    answers = []

    def post():
        start.wait(WAIT)
        answers.append(webhook.post(copy))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert sorted(len(a[1]["recorded"]) for a in answers) == [0, 0, 0, 1] and {a[0] for a in answers} == {200}
    assert webhook.shown("bob@example.org") == ["bob@example.org (Bob Okafor): confirmed", *BEFORE,
                                                "soft-bounced webhook"]


def test_raw_ses_and_plain_reports_with_an_id_count_once_and_ids_are_kept_30_days(webhook):
    raw = {**SNS_HEADERS, "x-amz-sns-rawdelivery": "true"}
    bounce = ses_bounce("Transient", "ana@example.org")
    assert webhook.post(bounce, headers=raw)[1]["recorded"][0]["events"] == ["soft-bounced"]
    ses_id = f"ses:{bounce['mail']['messageId']}:{bounce['bounce']['feedbackId']}"
    assert webhook.post(bounce, headers=raw)[1]["ignored"][0]["reason"] == f"already recorded (message id {ses_id})"
    # SES published it twice: another SNS message around the same bounce.
    again = webhook.post(sns_notification(bounce))[1]
    assert again["ignored"][0]["reason"] == f"already recorded (message id {ses_id})"
    # The same mail's next bounce (another feedbackId) counts.
    nxt = ses_bounce("Transient", "ana@example.org", message_id=bounce["mail"]["messageId"])
    assert webhook.post(nxt, headers=raw)[1]["recorded"][0]["events"] == ["soft-bounced"]

    report = {"email": "bob@example.org", "type": "soft", "id": "relay-42"}
    assert webhook.post(report)[1]["recorded"][0]["events"] == ["soft-bounced"]
    assert webhook.post(report)[1]["ignored"] == [{"email": "bob@example.org", "type": "soft",
                                                   "reason": "already recorded (message id id:relay-42)"}]
    assert webhook.post({**report, "id": "relay-43"})[1]["recorded"][0]["events"] == ["soft-bounced"]
    webhook.clock.now = START + dt.timedelta(days=31)  # forgotten after 30 days: a new report
    assert webhook.post(report)[1]["recorded"][0]["events"] == ["soft-bounced"]
    assert webhook.shown("ana@example.org")[1:] == BEFORE + ["soft-bounced webhook"] * 2
    assert webhook.shown("bob@example.org")[1:] == BEFORE + ["soft-bounced webhook"] * 3


def test_the_guides_example_sns_notification_does_what_the_guide_says(webhook):
    guide = (Path(__file__).parent.parent / "docs" / "running-the-list.md").read_text("utf-8")
    trial = guide[guide.index("#### Trying it on your own machine"):]
    body = re.search(r"Save this body as `sns-bounce.json`.*?```json\n(.*?)```", trial, re.S).group(1)
    answer = re.search(r"The answer is `(\{.*?\})`", trial).group(1)
    assert 'Content-Type: text/plain; charset=UTF-8" \\\n     --data-binary @sns-bounce.json' in trial
    mine = body.replace("you@example.org", "ana@example.org").encode()
    status, got, _ = webhook.post(mine, headers=SNS_HEADERS)
    assert status == 200 and got == json.loads(answer.replace("you@example.org", "ana@example.org"))
    assert webhook.shown("ana@example.org")[-1] == "soft-bounced webhook"
    again = webhook.post(mine, headers=SNS_HEADERS)[1]
    assert f"ignored` as `{again['ignored'][0]['reason']}`" in trial


def test_three_soft_bounces_spread_over_more_than_30_days_do_not(webhook):
    for day in (0, 20, 40):
        webhook.clock.now = START + dt.timedelta(days=day)
        answer = webhook.post({"email": "ana@example.org", "type": "soft"})[1]
    assert answer["recorded"][0]["state"] == "confirmed"
    assert webhook.shown("ana@example.org") == ["ana@example.org (Ana Lima): confirmed", *BEFORE,
                                                *["soft-bounced webhook"] * 3]


def test_a_backup_keeps_what_the_webhook_recorded(webhook, tmp_path):
    webhook.post({"email": "ana@example.org", "type": "soft"})
    webhook.post({"email": "bob@example.org", "type": "hard"})
    assert webhook.run("list", "export", "--out", str(tmp_path / "backup.csv")).exit_code == 0
    restored = CliRunner(catch_exceptions=False).invoke(main, [
        "list", "import", str(tmp_path / "backup.csv"), "--db", f"sqlite:///{tmp_path}/restored.sqlite3",
        "-f", str(webhook.project / "mkdocs.yml")])
    assert restored.exit_code == 0, restored.output
    again = Webhook(webhook.url, None, webhook.clock, webhook.project, f"sqlite:///{tmp_path}/restored.sqlite3")
    assert again.shown("ana@example.org") == webhook.shown("ana@example.org")
    assert again.shown("bob@example.org") == ["bob@example.org (Bob Okafor): bounced", *BEFORE, "bounced webhook"]


def test_unknown_addresses_and_people_who_left_are_ignored(webhook):
    webhook.store.unsubscribe(webhook.store.find("cy@example.org").id, START, "page")
    before = snapshot(webhook.store)
    answer = webhook.post(sns_notification(ses_bounce("Permanent", "stranger@example.org", "cy@example.org")))
    assert answer == (200, {"recorded": [], "ignored": [
        {"email": "stranger@example.org", "type": "hard", "reason": "not on the list"},
        {"email": "cy@example.org", "type": "hard", "reason": "left the list already"}]}, answer[2])
    assert webhook.post({"email": "cy@example.org", "type": "complaint"})[1]["ignored"][0]["reason"] == \
        "left the list already"
    assert snapshot(webhook.store) == before
    webhook.post({"email": "bob@example.org", "type": "hard"})
    assert webhook.post({"email": "bob@example.org", "type": "soft"})[1]["ignored"][0]["reason"] == "bounced already"


@pytest.mark.parametrize("body, problem", [
    (b"not json", "the body is not JSON (Expecting value, character 1)"),
    (b"\xff\xfe{", "the body is not"),
    (b'["bob@example.org"]', "the body must be a JSON object"),
    (b'{"email": "bob@example.org"}', '"type" must be "hard", "soft" or "complaint", not null'),
    (b'{"email": "bob@example.org", "type": "bounced"}', '"type" must be "hard", "soft" or "complaint", not "bounced"'),
    (b'{"email": 7, "type": "hard"}', '"email" must be an email address, not 7'),
    (b'{"email": "bob@example.org\\r\\nX: y", "type": "hard"}', '"email" contains line breaks'),
    (b'{"address": "bob@example.org"}', "the body is none of the shapes this endpoint takes"),
    (b'{"Type": "Notification", "Message": "{not json"}', "the SNS Message is not JSON"),
    (b'{"Type": "Notification", "Message": {"notificationType": "Bounce"}}', '"Message": the SES notification as '
                                                                              'a JSON string'),
    (b'{"Type": "Surprise"}', '"Type" "Surprise" is not an SNS message type this endpoint takes'),
    (b'{"Type": "SubscriptionConfirmation", "TopicArn": "arn"}', "needs SubscribeURL, Token (text on one line)"),
    (b'{"Type": "SubscriptionConfirmation", "TopicArn": "arn", "SubscribeURL": "https://x/\\nforged line", '
     b'"Token": "t"}', "needs SubscribeURL (text on one line)"),
    (b'{"notificationType": "Bounce", "bounce": {"bounceType": "Permanent"}}',
     "bouncedRecipients must be a non-empty list of {\"emailAddress\": ADDRESS}"),
    (b'{"notificationType": "Bounce", "bounce": {"bounceType": "Soft", "bouncedRecipients": []}}',
     "bounce.bounceType must be Permanent, Transient or Undetermined, not \"Soft\""),
    (b'{"notificationType": "Complaint"}', "the body's \"complaint\" must be a JSON object"),
    (b'{"eventType": 3}', "notificationType (or eventType) must be a string"),
    (b'{"email": "bob@example.org", "type": "soft", "id": 42}', '"id" must be text on one line of 1 to 200 characters'),
    (b'{"email": "bob@example.org", "type": "soft", "id": ""}', '"id" must be text on one line'),
    (b'{"Type": "Notification", "MessageId": ["x"], "Message": "{\\"eventType\\": \\"Open\\"}"}',
     '"MessageId" must be text on one line'),
])
def test_a_body_of_the_wrong_shape_is_a_400_that_says_what_is_wrong(webhook, body, problem):
    before = snapshot(webhook.store)
    status, answer, _ = webhook.post(body)
    assert status == 400 and problem in answer["error"], answer
    assert snapshot(webhook.store) == before


def test_a_big_sns_message_fits_and_a_huge_body_does_not(webhook):
    recipients = ["bob@example.org"] + [f"gone{i}@example.org" for i in range(49)]
    body = json.dumps(sns_notification(ses_bounce("Permanent", *recipients, headers=150))).encode()
    assert len(body) > 16 * 1024  # past the form's limit
    status, answer, _ = webhook.post(body, headers=SNS_HEADERS)
    assert status == 200 and len(answer["recorded"]) == 1 and len(answer["ignored"]) == 49
    status, answer, _ = webhook.post(b" " * (600 * 1024))
    assert status == 413 and answer == {"error": "the body is larger than 512 KB"}
    # The same without a length announced: counted as it arrives.
    status, text, _ = request("POST", f"{webhook.url}/webhooks/bounce", body=iter([b" " * 65536] * 10), headers={
        "Authorization": f"Bearer {TOKEN}", "Transfer-Encoding": "chunked"})
    assert status == 413 and json.loads(text) == {"error": "the body is larger than 512 KB"}


# ------------------------------------------------------------------ the next send

def test_send_list_does_not_mail_a_subscriber_the_webhook_bounced(webhook, monkeypatch):
    config = webhook.project / "mkdocs.yml"
    config.write_text(config.read_text().replace(
        "list_id: tips.example.org", "list_id: tips.example.org\n      list_url: https://list.example.org"))
    monkeypatch.setenv("TIPWEEK_LIST_SECRET", SECRET)
    assert webhook.post(sns_notification(ses_bounce("Permanent", "bob@example.org")))[0] == 200
    server = LocalSMTP(Recorder())
    server.start()
    try:
        result = CliRunner(catch_exceptions=False).invoke(main, [
            "send", "--list", webhook.db_url, "--smtp", server.address, "--backoff", "0", "--timeout", "10",
            "--ledger", str(webhook.project / "ledger"), "-f", str(config)])
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "sent 2, skipped 0 unsubscribed, 1 suppressed, 0 invalid, 0 failed"
    assert sorted(server.handler.recipients()) == ["ana@example.org", "cy@example.org"]
