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


LOCAL_LIMIT = 64  # octets before the @ (RFC 5321 4.5.3.1.1)


def checked_address(text: str, smtputf8: bool = True) -> str:
    """``text`` as an address (normalised: the domain in lower case), or BadAddress.
    Without ``smtputf8`` (a relay that cannot carry non-ASCII addresses) the
    domain is given in its ASCII (IDNA) form, which any relay takes."""
    text = text.strip()
    if not text:
        raise BadAddress("no address given")
    if CONTROL.search(text):
        raise BadAddress("an email address cannot contain line breaks or control characters")
    try:
        valid = validate_email(text, check_deliverability=False, allow_smtputf8=smtputf8)
    except EmailNotValidError as exc:
        raise BadAddress(str(exc).rstrip(".")) from None
    if len(valid.local_part.encode()) > LOCAL_LIMIT:
        raise BadAddress(f"the part before the @ is longer than {LOCAL_LIMIT} characters")
    return valid.normalized if smtputf8 else valid.ascii_email
