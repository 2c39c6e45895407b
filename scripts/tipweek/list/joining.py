"""Who may join, as the form and an import see it: an address the list can deliver
to (the one address check, in ``addresses``), at one of the plugin's
``allowed_domains`` when it has some, and a name it can print."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..addresses import CONTROL, BadAddress, at_domains, checked_address, listed
from .records import CONFIRMED, PENDING

NAME_LIMIT = 100


class BadInput(ValueError):
    pass


class OutsideDomains(BadInput):
    """A good address, but not at the list's allowed_domains."""


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


def check_domain(email: str, allowed_domains: Sequence[str]) -> None:
    """OutsideDomains unless ``email`` (a clean one) is at ``allowed_domains`` or under one; none: anyone."""
    if not at_domains(email, allowed_domains):
        raise OutsideDomains(f"{email} is not at {listed(allowed_domains)}: only addresses there can join this list.")


def outside(people: Iterable, allowed_domains: Sequence[str]) -> int:
    """How many on the list (pending or confirmed) are not at ``allowed_domains``:
    they joined before the option was set, or came back with a restored export.
    They stay, and get the tips, until they leave (docs/running-the-list.md)."""
    return sum(1 for p in people if p.state in (PENDING, CONFIRMED) and not at_domains(p.email, allowed_domains))


def outside_note(people: Iterable, allowed_domains: Sequence[str], where: str) -> str | None:
    """One line for the operator when some on the list are outside ``allowed_domains``."""
    number = outside(people, allowed_domains)
    if not number:
        return None
    return (f"note: {number} pending or confirmed {where} {'is' if number == 1 else 'are'} not at "
            f"{listed(allowed_domains)} (allowed_domains): they stay on the list and get the tips until they "
            "leave; `tipweek list unsubscribe ADDRESS` takes one off")


def clean_name(value: str) -> str:
    value = value.strip()
    if CONTROL.search(value):
        raise BadInput("A name cannot contain line breaks or control characters.")
    if len(value) > NAME_LIMIT:
        raise BadInput(f"Please keep the name under {NAME_LIMIT} characters.")
    return value
