"""How the checker's problems are shown: lines for people (path:line:
message (hint), then a count), JSON for scripts, and GitHub Actions
annotations that put each problem on its line of a pull request."""

from __future__ import annotations

import json
from typing import Callable

from .model import TipError


def show(errors: list[TipError], fmt: str, echo: Callable[..., None]) -> None:
    """Print ``errors`` in ``fmt`` ('text', 'json' or 'github') with ``echo``
    (click.echo): text goes to standard error, the others to standard output."""
    if fmt == "json":
        echo(json.dumps({"ok": not errors, "errors": [e.as_dict() for e in errors]}, indent=2))
        return
    for error in errors:
        if fmt == "github":
            echo(github_annotation(error))
        else:
            echo(str(error), err=True)
    if errors and fmt == "text":
        files = len({e.path for e in errors})
        echo(f"{len(errors)} problem{'s' * (len(errors) != 1)} in {files} file{'s' * (files != 1)}", err=True)


def github_annotation(error: TipError) -> str:
    """A GitHub Actions workflow command that annotates the line in the PR."""
    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(text: str) -> str:
        return data(text).replace(":", "%3A").replace(",", "%2C")

    message = error.message + (f" ({error.hint})" if error.hint else "")
    line = f",line={error.line}" if error.line else ""  # (a missing file of a built site has none)
    return f"::error file={prop(error.path)}{line},title=tipweek check::{data(message)}"
