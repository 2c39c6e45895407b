"""Reading what an email service posts to ``/webhooks/bounce``, in three shapes:

- plain JSON, for any service or script: ``{"email": "...", "type": "hard" | "soft" | "complaint"}``;
- an Amazon SES bounce or complaint notification (``notificationType``, or ``eventType`` when it
  comes from a configuration set's event publishing), as SNS delivers it with raw message
  delivery on;
- the same inside an Amazon SNS message (``Type`` ``Notification``, the SES JSON as the string
  ``Message``), and SNS's own ``SubscriptionConfirmation`` and ``UnsubscribeConfirmation``.

SES's bounce types: ``Permanent`` is a hard bounce, ``Transient`` a soft one, and
``Undetermined`` (SES could not tell why the mail bounced) soft too: a hard bounce stops all
mail to the person at once, which a message we cannot read does not justify; if the address
is really gone, it keeps bouncing, and the soft-bounce rule stops it within a month.
Other SES notifications (deliveries, opens, ...) are taken and change nothing.

A body of another shape is a :class:`BadReport` whose message names what is wrong.

What identifies a report, so that one delivered twice is taken once (``bounces``): SNS's
``MessageId`` (the same on each of its retries), and SES's own ids, ``mail.messageId`` with the
bounce's or complaint's ``feedbackId`` (or, without one, its ``timestamp``), which stay the same
whether SNS wraps the notification or delivers it raw, and if SES itself publishes it twice.
A plain report may carry its own ``"id"``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.utils import parseaddr

from ..addresses import CONTROL
from .bounces import COMPLAINT, HARD, KINDS, SOFT

SES_BOUNCE_TYPES = {"Permanent": HARD, "Transient": SOFT, "Undetermined": SOFT}
PLAIN_SHAPE = '{"email": ADDRESS, "type": "hard" | "soft" | "complaint"}'
ID_LIMIT = 200  # characters of a report's id


class BadReport(ValueError):
    """A body that is not one of the shapes; the message says what is wrong."""


@dataclass(frozen=True)
class Report:
    bounces: list[tuple[str, str]] = field(default_factory=list)  # (address, kind)
    note: str | None = None  # what else the body was, when it reports no address
    for_operator: str | None = None  # a line for the service's log: what the operator is to do
    message_ids: tuple[str, ...] = ()  # what identifies it: "sns:...", "ses:...", "id:..."


def read_report(body: bytes) -> Report:
    data = _json(body, "the body")
    if not isinstance(data, dict):
        raise BadReport(f"the body must be a JSON object: {PLAIN_SHAPE}, an Amazon SES notification or an "
                        "Amazon SNS message")
    if "Type" in data:
        return _sns(data)
    if "notificationType" in data or "eventType" in data:
        return _ses(data, "the body")
    if "email" in data or "type" in data:
        return _plain(data)
    raise BadReport(f"the body is none of the shapes this endpoint takes: {PLAIN_SHAPE}, an Amazon SES "
                    "notification (with notificationType or eventType) or an Amazon SNS message (with Type)")


def _json(text: bytes | str, what: str):
    try:
        return json.loads(text)
    except UnicodeDecodeError:
        raise BadReport(f"{what} is not UTF-8 text") from None
    except ValueError as exc:
        raise BadReport(f"{what} is not JSON ({exc.msg}, character {exc.pos + 1})") from None


def _plain(data: dict) -> Report:
    kind = data.get("type")
    if kind not in KINDS:
        raise BadReport(f'"type" must be "hard", "soft" or "complaint", not {json.dumps(kind)}')
    ids = () if data.get("id") is None else ("id:" + _id(data["id"], '"id"'),)
    return Report([(_address(data.get("email"), '"email"'), kind)], message_ids=ids)


def _sns(data: dict) -> Report:
    kind = data["Type"]
    if kind == "Notification":
        message = data.get("Message")
        if not isinstance(message, str):
            raise BadReport('an SNS Notification needs "Message": the SES notification as a JSON string')
        report = _ses(_object(_json(message, "the SNS Message"), "the SNS Message"), "the SNS Message")
        if data.get("MessageId") is None:
            return report
        sns = "sns:" + _id(data["MessageId"], '"MessageId"')
        return Report(report.bounces, report.note, report.for_operator, (sns, *report.message_ids))
    if kind == "SubscriptionConfirmation":
        topic, url, token = _fields(data, kind, "TopicArn", "SubscribeURL", "Token")
        return Report(note="an SNS subscription confirmation: logged for the operator to confirm",
                      for_operator=f"SNS subscription to {topic} waits for you: open {url}, or run aws sns "
                                   f"confirm-subscription --topic-arn {topic} --token {token}")
    if kind == "UnsubscribeConfirmation":
        topic, url = _fields(data, kind, "TopicArn", "SubscribeURL")
        return Report(note="an SNS unsubscribe confirmation: logged for the operator",
                      for_operator=f"SNS no longer sends {topic} here (to subscribe again, open {url})")
    raise BadReport(f'"Type" {json.dumps(kind)} is not an SNS message type this endpoint takes '
                    "(Notification, SubscriptionConfirmation, UnsubscribeConfirmation)")


def _fields(data: dict, kind: str, *names: str) -> list[str]:
    """The named fields of an SNS message, each a string with no line breaks in it (they go to the log)."""
    missing = [name for name in names if not isinstance(data.get(name), str) or not data[name]
               or CONTROL.search(data[name])]
    if missing:
        raise BadReport(f"an SNS {kind} needs {', '.join(missing)} (text on one line)")
    return [data[name] for name in names]


def _ses(data: dict, where: str) -> Report:
    kind = data.get("notificationType", data.get("eventType"))
    if kind == "Bounce":
        bounce = _object(data.get("bounce"), f'{where}\'s "bounce"')
        bounce_type = bounce.get("bounceType")
        if bounce_type not in SES_BOUNCE_TYPES:
            raise BadReport(f'{where}\'s bounce.bounceType must be Permanent, Transient or Undetermined, '
                            f'not {json.dumps(bounce_type)}')
        people = _recipients(bounce, "bouncedRecipients", where)
        return Report([(email, SES_BOUNCE_TYPES[bounce_type]) for email in people],
                      message_ids=_ses_ids(data, bounce, where))
    if kind == "Complaint":
        complaint = _object(data.get("complaint"), f'{where}\'s "complaint"')
        return Report([(email, COMPLAINT) for email in _recipients(complaint, "complainedRecipients", where)],
                      message_ids=_ses_ids(data, complaint, where))
    if isinstance(kind, str) and kind:
        return Report(note=f"an SES {kind} notification: only bounces and complaints change the list")
    raise BadReport(f'{where}\'s notificationType (or eventType) must be a string such as "Bounce" or '
                    f'"Complaint", not {json.dumps(kind)}')


def _ses_ids(data: dict, part: dict, where: str) -> tuple[str, ...]:
    """SES's id of one bounce or complaint: the mail's messageId with the feedbackId (or the
    timestamp); none when the notification lacks them."""
    mail = data.get("mail") if isinstance(data.get("mail"), dict) else {}
    feedback = part.get("feedbackId") or part.get("timestamp")
    if mail.get("messageId") is None or feedback is None:
        return ()
    message_id = _id(mail["messageId"], f"{where}'s mail.messageId")
    return (f"ses:{message_id}:{_id(feedback, f'{where} feedbackId')}",)


def _id(value, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > ID_LIMIT or CONTROL.search(value):
        raise BadReport(f"{what} must be text on one line of 1 to {ID_LIMIT} characters, not {json.dumps(value)[:80]}")
    return value.strip()


def _object(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise BadReport(f"{what} must be a JSON object")
    return value


def _recipients(part: dict, name: str, where: str) -> list[str]:
    entries = part.get(name)
    shape = f'{where}\'s {name} must be a non-empty list of {{"emailAddress": ADDRESS}}'
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise BadReport(shape)
    return [_address(e.get("emailAddress"), f"{name}[{i}].emailAddress") for i, e in enumerate(entries)]


def _address(value, what: str) -> str:
    """The address in ``value`` (SES may give one as ``Name <address>``)."""
    if not isinstance(value, str) or not value.strip():
        raise BadReport(f"{what} must be an email address, not {json.dumps(value)}")
    if CONTROL.search(value):
        raise BadReport(f"{what} contains line breaks or control characters")
    address = parseaddr(value)[1] if "<" in value else value.strip()
    if "@" not in address:
        raise BadReport(f"{what} must be an email address, not {json.dumps(value)}")
    return address
