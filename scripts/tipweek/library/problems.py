"""How the checker's problems are shown: lines for people (path:line:
message (hint), then a count), JSON for scripts, and GitHub Actions
annotations that put each problem on its line of a pull request."""

from __future__ import annotations

import json
from typing import Callable

from .model import TipError


def show(errors: list[TipError], fmt: str, echo: Callable[..., None], warnings: list[TipError] = ()) -> None:
    """Print ``errors`` in ``fmt`` ('text', 'json' or 'github') with ``echo``
    (click.echo): text goes to standard error, the others to standard output.
    ``warnings`` are advice: printed with the errors, marked as warnings,
    never counted as problems (a check with only warnings passes)."""
    if fmt == "json":
        echo(json.dumps({"ok": not errors, "errors": [e.as_dict() for e in errors],
                         "warnings": [w.as_dict() for w in warnings]}, indent=2))
        return
    for warning in warnings:
        if fmt == "github":
            echo(github_annotation(warning, "warning"))
        else:
            hint = f" ({warning.hint})" if warning.hint else ""
            echo(f"{warning.path}:{warning.line}: warning: {warning.message}{hint}", err=True)
    for error in errors:
        if fmt == "github":
            echo(github_annotation(error))
        else:
            echo(str(error), err=True)
    if errors and fmt == "text":
        files = len({e.path for e in errors})
        echo(f"{len(errors)} problem{'s' * (len(errors) != 1)} in {files} file{'s' * (files != 1)}", err=True)


def github_annotation(error: TipError, level: str = "error") -> str:
    """A GitHub Actions workflow command that annotates the line in the PR
    (``level``: 'error', or 'warning' for advice)."""
    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(text: str) -> str:
        return data(text).replace(":", "%3A").replace(",", "%2C")

    message = error.message + (f" ({error.hint})" if error.hint else "")
    line = f",line={error.line}" if error.line else ""  # (a missing file of a built site has none)
    return f"::{level} file={prop(error.path)}{line},title=tipweek check::{data(message)}"
