"""Signed tokens for the links in emails. Each purpose (confirm, unsubscribe,
manage) has its own salt, so a token made for one can never be used for
another; each carries the subscriber's id, never the address, so no URL
reveals who it belongs to.

A confirm token expires after 7 days; the unsubscribe and manage tokens never
do (they sit in every message someone may open years later).

The same secret keys the hash an erased address leaves behind
(``erased_key``): without the secret, nobody holding the database or a backup
can test an address against it."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer

from .records import key

CONFIRM_FOR = dt.timedelta(days=7)
SECRET_VARIABLE = "TIPWEEK_LIST_SECRET"
MAKE_A_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
ERASED_PREFIX = "erased:"  # then 64 hex digits: never an address, so never a lookup's match
DEVELOPMENT_SECRET = ".tipweek/list-secret"  # made by `make list` in the project folder, for the local service


class TokenError(Exception):
    """A token that is not ours, was edited, or is for something else."""


class TokenExpired(TokenError):
    """A confirm token older than 7 days."""


def secret_from_environment() -> str:
    """The signing secret, or a one-line message saying how to make one."""
    secret = os.environ.get(SECRET_VARIABLE, "")
    if not secret and Path(DEVELOPMENT_SECRET).is_file():  # run in the project folder, after `make list`
        raise TokenError(f"{SECRET_VARIABLE} is not set; use the one `make list` made, on the same line: "
                         f"{SECRET_VARIABLE}=$(cat {DEVELOPMENT_SECRET}) before the command (a new secret would "
                         "break the links the running list service signed)")
    if len(secret) < 16:
        problem = "is not set" if not secret else "is shorter than 16 characters"
        raise TokenError(f"{SECRET_VARIABLE} {problem}; make one with {MAKE_A_SECRET} "
                         f"and keep it in the service's environment (the same value for every instance and "
                         f"for tipweek send --list)")
    return secret


@dataclass(frozen=True)
class Tokens:
    secret: str
    clock: Callable[[], float] = time.time

    def _timed(self) -> URLSafeTimedSerializer:
        clock = self.clock

        class ClockSigner(TimestampSigner):  # so tests can make an 8-day-old link
            def get_timestamp(self) -> int:
                return int(clock())

        return URLSafeTimedSerializer(self.secret, salt="tipweek-list-confirm", signer=ClockSigner)

    def _plain(self, purpose: str = "unsubscribe") -> URLSafeSerializer:
        return URLSafeSerializer(self.secret, salt=f"tipweek-list-{purpose}")

    def confirm_token(self, subscriber_id: int) -> str:
        return self._timed().dumps(subscriber_id)

    def unsubscribe_token(self, subscriber_id: int) -> str:
        return self._plain().dumps(subscriber_id)

    def manage_token(self, subscriber_id: int) -> str:
        """For the reader's own page (pause, their data, erase): in every email, never expiring."""
        return self._plain("manage").dumps(subscriber_id)

    def erased_key(self, email: str) -> str:
        """What an erased address leaves in the store: an HMAC-SHA256 of the address as the list
        compares it (``records.key``), under a key of its own derived from the secret."""
        derived = hmac.new(self.secret.encode(), b"tipweek-list-erased-address", hashlib.sha256).digest()
        return ERASED_PREFIX + hmac.new(derived, key(email).encode(), hashlib.sha256).hexdigest()

    @property
    def erasure_check(self) -> str:
        """A value the store keeps with its first erasure, to tell later whether a secret is the one
        its erasures were made with (another one finds none of them): the key of an address no one has."""
        return self.erased_key("erasure-check@tipweek.invalid")

    def read_confirm(self, token: str) -> int:
        try:
            value = self._timed().loads(token, max_age=int(CONFIRM_FOR.total_seconds()))
        except SignatureExpired:
            raise TokenExpired("this confirmation link is more than 7 days old") from None
        except BadData:
            raise TokenError("this link is not valid (it may have been cut or changed)") from None
        return _id(value)

    def read_unsubscribe(self, token: str) -> int:
        return self._read_plain(token, "unsubscribe")

    def read_manage(self, token: str) -> int:
        return self._read_plain(token, "manage")

    def _read_plain(self, token: str, purpose: str) -> int:
        try:
            value = self._plain(purpose).loads(token)
        except BadData:
            raise TokenError("this link is not valid (it may have been cut or changed)") from None
        return _id(value)


def _id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise TokenError("this link is not valid")
    return value
