"""``tipweek build`` and ``tipweek serve``: MkDocs, called in-process with the
configuration already loaded and the user's MkDocs options passed through
unchanged (parsed by MkDocs' own commands, so they mean what they mean there).
"""

from __future__ import annotations

import datetime as dt
import errno
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click

from .project import Project, ProjectError


@contextmanager
def mkdocs_options(command: str, args: tuple[str, ...]) -> Iterator[dict]:
    """The options of ``mkdocs <command>`` in ``args``, as MkDocs parses them.
    While the block runs, MkDocs' log output is set up as its command line
    sets it up (-q and -v included)."""
    from mkdocs.__main__ import cli as mkdocs_cli

    with mkdocs_cli.commands[command].make_context(f"tipweek {command}", list(args)) as ctx:
        params = dict(ctx.params)
        if params.pop("config_file", None) is not None:
            raise click.UsageError("give the configuration file with -f before other options")
        yield params


class BuildFailed(Exception):
    """MkDocs stopped; it has already said why."""


def build(config_file: str | None, today: dt.date | None, args: tuple[str, ...],
          load=Project.load) -> Path:
    """Build the site into its folder, swapping it in only when the build
    succeeded: MkDocs empties the folder before building, so a failed or
    killed build would otherwise leave no site at all."""
    with mkdocs_options("build", args) as options:
        clean = options.pop("clean")
        project = load(config_file, **options)
        site_dir = Path(project.mkdocs.site_dir).resolve()
        partial = site_dir.with_name(f".{site_dir.name}.partial")
        _build_into(project, partial, today, clean)
    previous = site_dir.with_name(f".{site_dir.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    if site_dir.exists():
        site_dir.rename(previous)
    partial.rename(site_dir)
    shutil.rmtree(previous, ignore_errors=True)
    return site_dir


def _build_into(project: Project, folder: Path, today: dt.date | None, clean: bool) -> None:
    from mkdocs import exceptions
    from mkdocs.commands.build import build as mkdocs_build

    shutil.rmtree(folder, ignore_errors=True)
    config = project.mkdocs
    config.site_dir = str(folder)
    config.plugins.on_startup(command="build", dirty=not clean)
    project.plugin.today = today
    try:
        mkdocs_build(config, dirty=not clean)
    except exceptions.Abort as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise BuildFailed(str(exc)) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        config.plugins.on_shutdown()


def serve(config_file: str | None, today: dt.date | None, args: tuple[str, ...], load=Project.load,
          list_url: str | None = None) -> None:
    """The live preview: MkDocs' server, with scheduled tips and drafts shown.
    MkDocs reloads mkdocs.yml on each rebuild (so an edit of it shows); the
    plugin instance, and so ``today``, lasts the whole session."""
    from .preview_server import serve as preview_serve

    with mkdocs_options("serve", args) as options:
        overrides = {k: options.pop(k) for k in ("strict", "theme", "use_directory_urls", "dev_addr")}
        project = load(config_file, **overrides)  # a bad mkdocs.yml stops here, with its line
        project.plugin.today, project.plugin.list_url = today, list_url
        address = project.mkdocs.dev_addr
        try:
            preview_serve(config_file=project.mkdocs.config_file_path, **options, **overrides)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ProjectError(f"{address.host}:{address.port} is already in use (another preview?); "
                                   f"pick another port with -a {address.host}:{address.port + 1}") from None
            raise
