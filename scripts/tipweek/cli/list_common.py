"""What the ``tipweek list`` commands share: the ``--db`` option, opening the store
(a read names a database that is not there), the key that finds an erased address,
a note on standard error, and now."""

from __future__ import annotations

import datetime as dt

import click

from ..list.records import ERASED, StoreError
from ..list.database import open_store

DEFAULT_DB = "sqlite:///.tipweek/list.sqlite3"

db_option = click.option("--db", "db_url", default=DEFAULT_DB, show_default=True, metavar="URL",
                         help="The list's database: sqlite:///path or postgresql://user@host/db.")


def open_list(db_url: str, project, create: bool = True):
    try:
        return open_store(db_url, base=project.root, create=create)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


def erased_key_of(store):
    """What finds an erased address (``Tokens.erased_key``): None when the secret is not set and the
    store holds no erased address (nothing to keep out); a stop when it does hold some, or when the
    secret is not the one they were erased with (it would find none of them)."""
    from ..list.tokens import TokenError, Tokens, secret_from_environment

    try:
        tokens = Tokens(secret_from_environment())
    except TokenError as exc:
        if held := store.count(ERASED):
            raise click.ClickException(f"{_erased(held)} on this list at their owners' request, and only the "
                                       f"list secret finds them to keep them out: {exc}") from None
        return None
    if (check := store.erasure_check()) is not None and check != tokens.erasure_check:
        held = store.count(ERASED)
        raise click.ClickException(f"TIPWEEK_LIST_SECRET is not the secret this list's erasures were made with, so it "
                                   f"would not find the {held} erased address{'es' * (held != 1)} to keep them out: "
                                   "give the list service's own secret")
    return tokens.erased_key


def _erased(count: int) -> str:
    return "1 address was erased" if count == 1 else f"{count} addresses were erased"


def say(note: str | None) -> None:
    if note:
        click.echo(note, err=True)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
