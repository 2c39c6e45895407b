"""Who may join, as the form and an import see it: an address the list can deliver
to (the one address check, in ``addresses``) and a name it can print."""

from __future__ import annotations

import re

from ..addresses import BadAddress, checked_address

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
NAME_LIMIT = 100


class BadInput(ValueError):
    pass


def clean_email(value: str, smtputf8: bool = True) -> str:
    """The address as the list keeps it. Without ``smtputf8`` (the relay
    cannot carry non-ASCII addresses) a non-ASCII local part is refused and a
    non-ASCII domain is kept in its ASCII (IDNA) form, which any relay takes."""
    value = value.strip()
    if not value:
        raise BadInput("Please enter your email address.")
    if CONTROL.search(value):
        raise BadInput("An email address cannot contain line breaks or control characters.")
    local = value.rpartition("@")[0]
    if not smtputf8 and not local.isascii():
        raise BadInput("Our mail server cannot deliver to an address with accented or non-Latin letters before "
                       "the @. Please use another address.")
    try:
        return checked_address(value, smtputf8)  # the one check, shared with import, send and the options
    except BadAddress as exc:
        raise BadInput(f"That doesn't look like an email address: {exc}.") from None


def clean_name(value: str) -> str:
    value = value.strip()
    if CONTROL.search(value):
        raise BadInput("A name cannot contain line breaks or control characters.")
    if len(value) > NAME_LIMIT:
        raise BadInput(f"Please keep the name under {NAME_LIMIT} characters.")
    return value
