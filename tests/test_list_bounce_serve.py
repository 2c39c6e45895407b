"""The bounce webhook as ``tipweek list serve`` runs it, in its own process: off without a
token (and saying so), refusing to start with a short one, and logging an SNS subscription
confirmation for the operator without fetching anything."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from bounce_payloads import SNS_HEADERS, TOPIC, sns_subscription_confirmation
from list_support import HOST, SECRET, WAIT, free_socket, request, serve, wait_for

TOKEN = "webhook-token-for-the-tests-0123456789"


def test_the_webhook_is_off_without_a_token(project, tmp_path, monkeypatch):
    monkeypatch.delenv("TIPWEEK_WEBHOOK_TOKEN", raising=False)
    with open(tmp_path / "serve.log", "w") as log:
        proc, url = serve(project, f"sqlite:///{tmp_path}/list.sqlite3", stderr=log)
    try:
        status, body, _ = request("POST", f"{url}/webhooks/bounce", body=b'{"email": "a@example.org", '
                                  b'"type": "hard"}', headers={"Authorization": f"Bearer {TOKEN}"})
        assert status == 404 and "There is no page at this address." in body  # as any unknown path
    finally:
        proc.terminate()
        proc.wait(WAIT)
    said = (tmp_path / "serve.log").read_text()
    assert (f"bounce webhook off: set TIPWEEK_WEBHOOK_TOKEN (16 characters or more) to take bounces and "
            f"complaints at {url}/webhooks/bounce\n") in said


def test_a_short_token_stops_the_service_from_starting(project, tmp_path):
    env = {**os.environ, "TIPWEEK_LIST_SECRET": SECRET, "TIPWEEK_WEBHOOK_TOKEN": "too-short"}
    # A process with a time limit: a service that starts in spite of the token fails the test, not hangs it.
    with free_socket() as sock:
        result = subprocess.run([str(Path(sys.executable).parent / "tipweek"), "list", "serve", "--port",
                                 str(sock.getsockname()[1]), "--db", f"sqlite:///{tmp_path}/l.sqlite3", "--outbox",
                                 str(tmp_path / "out"), "-f", str(project / "mkdocs.yml")],
                                env=env, capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: TIPWEEK_WEBHOOK_TOKEN is shorter than 16 characters; make one with "
                                    "python -c")



class Recording(http.server.BaseHTTPRequestHandler):
    """Counts the requests it gets: the SubscribeURL of the test."""
    seen: list[str] = []

    def do_GET(self):
        Recording.seen.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_an_sns_subscription_confirmation_is_logged_and_not_fetched(project, tmp_path, monkeypatch):
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    catcher = http.server.HTTPServer((HOST, port), Recording)
    threading.Thread(target=catcher.serve_forever, daemon=True).start()
    subscribe_url = f"http://{HOST}:{port}/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=2336412f37fb"
    monkeypatch.setenv("TIPWEEK_WEBHOOK_TOKEN", TOKEN)
    with open(tmp_path / "serve.log", "w") as log:
        proc, url = serve(project, f"sqlite:///{tmp_path}/list.sqlite3", stderr=log)
    try:
        body = json.dumps(sns_subscription_confirmation(subscribe_url, "2336412f37fb")).encode()
        status, text, _ = request("POST", f"{url}/webhooks/bounce", body=body, headers={
            **SNS_HEADERS, "x-amz-sns-message-type": "SubscriptionConfirmation", "Authorization": f"Bearer {TOKEN}"})
        assert status == 200 and json.loads(text)["note"] == ("an SNS subscription confirmation: logged for the "
                                                              "operator to confirm")
        said = wait_for(lambda: [line for line in (tmp_path / "serve.log").read_text().splitlines()
                                 if "SNS subscription" in line], "the log line")
    finally:
        proc.terminate()
        proc.wait(WAIT)
        catcher.shutdown()
    assert said == [f"SNS subscription to {TOPIC} waits for you: open {subscribe_url}, or run aws sns "
                    f"confirm-subscription --topic-arn {TOPIC} --token 2336412f37fb"]
    assert Recording.seen == []  # the service fetched nothing
    assert f"bounce webhook on at {url}/webhooks/bounce" in (tmp_path / "serve.log").read_text()
