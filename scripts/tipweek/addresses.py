"""The one check of an email address, for every place one comes in: the
sign-up form, ``tipweek list import``, a send's CSV list and the plugin's
options (email_from, reply_to). It is email-validator's (syntax only, no DNS),
so an address the service takes is one the sender mails, and the other way round."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class BadAddress(ValueError):
    """Not an email address; the message says why."""


def checked_address(text: str) -> str:
    """``text`` as an address (normalised: the domain in lower case), or BadAddress."""
    text = text.strip()
    if not text:
        raise BadAddress("no address given")
    if CONTROL.search(text):
        raise BadAddress("an email address cannot contain line breaks or control characters")
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise BadAddress(str(exc)) from None
