"""The one check of an email address, for every place one comes in: the
sign-up form, ``tipweek list import``, a send's CSV list and the plugin's
options (email_from, reply_to). It is email-validator's (syntax only, no DNS),
so an address the service takes is one the sender mails, and the other way round.
Also what a domain is, and whether an address is at one, for the plugin's
``allowed_domains`` (an internal list)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urlsplit

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


# An internal list's ``allowed_domains``: the same check decides what a domain is,
# so a domain the option takes is one an address can have.

def checked_domain(text: str) -> str:
    """``text`` as a bare domain (lower case, its letters as written: bücher.de,
    not xn--bcher-kva.de), or BadAddress with how to write it."""
    text = text.strip()
    if "@" in text:
        raise BadAddress(f"'{text}' is not a domain: write it without @ ({text.rpartition('@')[2] or 'example.org'})")
    if "/" in text:
        host = urlsplit(text if "//" in text else f"//{text}").hostname or "example.org"
        raise BadAddress(f"'{text}' is not a domain: write the domain alone, without https:// or a path ({host})")
    if "*" in text:
        raise BadAddress(f"'{text}' is not a domain: write {text.lstrip('*.') or 'example.org'} (its subdomains "
                         "are allowed too)")
    if "," in text or " " in text:
        raise BadAddress(f"'{text}' is not one domain: write each as an entry of its own, like [example.org, "
                         "example.com]")
    if not text or CONTROL.search(text):
        raise BadAddress(f"{text!r} is not a domain like example.org")
    try:
        return validate_email(f"postmaster@{text}", check_deliverability=False).domain
    except EmailNotValidError as exc:
        reason = str(exc).rstrip(".").replace("The part after the @-sign is not valid. It", "it")
        reason = reason.replace("The part after the @-sign", "it")
        reason = reason.replace("immediately after the @-sign", "at the start").replace("An email address", "it")
        raise BadAddress(f"'{text}' is not a domain like example.org ({reason[:1].lower() + reason[1:]})") from None


@lru_cache(maxsize=1024)
def _ascii(domain: str) -> str:
    """A domain's IDNA (ASCII) form, in lower case: the form two spellings of a domain share."""
    try:
        return validate_email(f"postmaster@{domain}", check_deliverability=False).ascii_domain.lower()
    except EmailNotValidError:
        return domain.lower()


def address_key(address: str) -> str:
    """The form every spelling of one address shares, for finding it again: the domain in its
    IDNA (ASCII) form, all in lower case (zoe@Bücher.de and zoe@xn--bcher-kva.de are one)."""
    local, at, domain = address.strip().rpartition("@")
    return f"{local}@{_ascii(domain)}".lower() if at else address.strip().lower()


def at_domains(address: str, domains: Sequence[str]) -> bool:
    """Whether ``address`` is at one of ``domains`` or under it (example.org takes
    a@example.org and a@mail.example.org, not a@badexample.org); any address when
    there are none. Compared on the IDNA form, so bücher.de takes a@xn--bcher-kva.de."""
    if not domains:
        return True
    at = _ascii(address.rpartition("@")[2])
    return any(at == allowed or at.endswith("." + allowed) for allowed in map(_ascii, domains))


def listed(domains: Sequence[str]) -> str:
    """'example.org', 'example.org or example.com', 'a.org, b.org or c.org'."""
    return " or ".join(filter(None, [", ".join(domains[:-1]), domains[-1]])) if domains else ""
