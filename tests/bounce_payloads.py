"""What email services post to the bounce webhook, written by us in the shapes their
documentation gives: Amazon SES's bounce and complaint notifications ("Amazon SNS
notification contents for Amazon SES": notificationType, mail, bounce / complaint), the
Amazon SNS HTTP(S) messages that carry them (Type, MessageId, TopicArn, Message as a JSON
string, Timestamp, Signature...), SNS's SubscriptionConfirmation, and the headers SNS sends."""

from __future__ import annotations

import itertools
import json

_serial = itertools.count(1)  # each notification its own ids, as SES and SNS give them


def _new(template: str) -> str:
    return template.format(next(_serial))

TOPIC = "arn:aws:sns:eu-west-1:111122223333:tipweek-bounces"
SIGNATURE = "bm90IGEgcmVhbCBzaWduYXR1cmU6IHRoZSBzZXJ2aWNlIGRvZXMgbm90IGNoZWNrIGl0"
SNS_HEADERS = {"Content-Type": "text/plain; charset=UTF-8", "User-Agent": "Amazon Simple Notification Service Agent",
               "x-amz-sns-topic-arn": TOPIC}


def _mail(recipients: list[str], headers: int = 3, message_id: str | None = None) -> dict:
    """SES's ``mail`` object: the message the notification is about (with its original headers)."""
    return {
        "timestamp": "2026-11-24T08:00:01.000Z",
        "source": "tips@example.org",
        "sourceArn": "arn:aws:ses:eu-west-1:111122223333:identity/example.org",
        "sourceIp": "192.0.2.10",
        "sendingAccountId": "111122223333",
        "messageId": message_id or _new("0102019a0b1c2d3e-5f6a7b8c-1111-2222-3333-{:012d}-000000"),
        "destination": recipients,
        "headersTruncated": False,
        "headers": [{"name": f"X-Example-{i}", "value": "x" * 60} for i in range(headers - 2)]
        + [{"name": "From", "value": "Fixture tips <tips@example.org>"},
           {"name": "Subject", "value": "Tip of the week: Own the mistake"}],
        "commonHeaders": {"from": ["Fixture tips <tips@example.org>"], "to": recipients,
                          "subject": "Tip of the week: Own the mistake"},
    }


def ses_bounce(bounce_type: str, *recipients: str, key: str = "notificationType", headers: int = 3,
               message_id: str | None = None, feedback_id: str | None = None) -> dict:
    """An SES bounce notification (``key="eventType"``: as configuration-set event publishing sends it),
    with new ids unless given."""
    permanent = bounce_type == "Permanent"
    return {
        key: "Bounce",
        "bounce": {
            "bounceType": bounce_type,
            "bounceSubType": "General" if permanent else "MailboxFull",
            "bouncedRecipients": [{"emailAddress": r, "action": "failed", "status": "5.1.1" if permanent else "4.2.2",
                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown" if permanent
                                   else "smtp; 452 4.2.2 mailbox full"} for r in recipients],
            "timestamp": "2026-11-24T08:00:03.000Z",
            "feedbackId": feedback_id or _new("0102019a0b1c2d3f-aaaabbbb-cccc-dddd-eeee-{:012d}-000000"),
            "reportingMTA": "dsn; a1-2.smtp-out.eu-west-1.amazonses.com",
            "remoteMtaIp": "198.51.100.7",
        },
        "mail": _mail(list(recipients), headers, message_id),
    }


def ses_complaint(*recipients: str, key: str = "notificationType") -> dict:
    return {
        key: "Complaint",
        "complaint": {
            "userAgent": "ExampleCorp Feedback Loop (V0.01)",
            "complainedRecipients": [{"emailAddress": r} for r in recipients],
            "complaintFeedbackType": "abuse",
            "arrivalDate": "2026-11-24T09:00:00.000Z",
            "timestamp": "2026-11-24T09:00:02.000Z",
            "feedbackId": _new("0102019a0b1c2d40-12345678-abcd-ef01-2345-{:012d}-000000"),
        },
        "mail": _mail(list(recipients)),
    }


def ses_delivery(*recipients: str) -> dict:
    return {"notificationType": "Delivery", "mail": _mail(list(recipients)),
            "delivery": {"timestamp": "2026-11-24T08:00:02.000Z", "processingTimeMillis": 540,
                         "recipients": list(recipients), "smtpResponse": "250 ok", "reportingMTA": "a1-2.example"}}


def sns_notification(message: dict, message_id: str | None = None) -> dict:
    """An SNS Notification carrying ``message`` (SNS's default: raw message delivery off), with a new
    MessageId unless given."""
    return {
        "Type": "Notification",
        "MessageId": message_id or _new("22b80b92-fdea-4c2c-8f9d-{:012d}"),
        "TopicArn": TOPIC,
        "Message": json.dumps(message),
        "Timestamp": "2026-11-24T08:00:04.000Z",
        "SignatureVersion": "1",
        "Signature": SIGNATURE,
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-example.pem",
        "UnsubscribeURL": f"https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={TOPIC}:c9135db0",
    }


def sns_subscription_confirmation(subscribe_url: str, token: str) -> dict:
    return {
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": token,
        "TopicArn": TOPIC,
        "Message": f"You have chosen to subscribe to the topic {TOPIC}.\nTo confirm the subscription, visit the "
                   "SubscribeURL included in this message.",
        "SubscribeURL": subscribe_url,
        "Timestamp": "2026-11-24T07:59:00.000Z",
        "SignatureVersion": "1",
        "Signature": SIGNATURE,
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-example.pem",
    }
