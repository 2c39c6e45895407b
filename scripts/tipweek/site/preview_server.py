"""The preview server (``tipweek serve``): MkDocs 1.6's own serve loop, with
a builder that makes dirty builds the plugin's :class:`~tipweek.preview.PreviewState`
trims to what an edit changed, and that keeps serving the last good site
when a tip is broken, with the checker's messages on every page it serves."""

from __future__ import annotations

import html
import logging
import re
import shutil
import tempfile
from os.path import isdir, isfile, join
from urllib.parse import urlsplit

from mkdocs.livereload import LiveReloadServer

from ..library.model import TipError
from .preview import PreviewState

log = logging.getLogger("mkdocs.plugins.tipweek")
BODY_START = re.compile(rb"<body\b[^>]*>", re.I)
BANNER_STYLE = ("position:fixed;left:0;right:0;bottom:0;z-index:10000;max-height:40vh;overflow:auto;margin:0;"
                "padding:0.8em 1.2em;background:#8b1a1a;color:#fff;font:15px/1.45 system-ui,sans-serif;"
                "box-shadow:0 -2px 8px rgba(0,0,0,0.4)")


def problems_banner(errors: tuple[TipError, ...]) -> bytes:
    """What every preview page shows while the last save was refused: the
    checker's messages (escaped, as they quote what the editor typed)."""
    items = "".join(
        f'<li><code style="color:inherit;background:none">{html.escape(f"{e.path}:{e.line}")}</code>: '
        f"{html.escape(e.message)}{html.escape(f' ({e.hint})') if e.hint else ''}</li>" for e in errors)
    count = f"{len(errors)} problem{'s' * (len(errors) != 1)}"
    return (f'<div id="tipweek-problems" role="alert" style="{BANNER_STYLE}">'
            f"<strong>tipweek check refused the last save ({count}); this page is the last good preview.</strong> "
            f"Fix the tip and save it again:<ul style=\"margin:0.4em 0 0 1.2em;padding:0\">{items}</ul></div>"
            ).encode()


class PreviewServer(LiveReloadServer):
    """MkDocs' live-reload server that, while ``problems`` is not empty,
    puts them at the foot of every HTML page it serves (error pages too).
    Only the served copy changes; the built files never carry it."""

    problems: tuple[TipError, ...] = ()

    def serve_request(self, environ, start_response):
        problems = self.problems
        if not problems:
            return super().serve_request(environ, start_response)
        answered: list = []
        body = super().serve_request(environ, lambda status, headers, exc_info=None: answered.extend((status, headers)))
        status, headers = answered
        if not any(k.lower() == "content-type" and v.startswith("text/html") for k, v in headers):
            start_response(status, headers)
            return body
        try:
            content = b"".join(body)
        finally:
            getattr(body, "close", lambda: None)()
        start = BODY_START.search(content)
        at = start.end() if start else 0
        content = content[:at] + problems_banner(problems) + content[at:]
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(len(content)))])
        return [content]


class _NoDirtyWarning(logging.Filter):
    """MkDocs warns on every dirty build (and --strict would fail on it);
    the preview decides itself what a dirty build may keep."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "'dirty' build is being performed" not in record.getMessage()


def serve(config_file: str | None = None, livereload: bool = True, build_type: str | None = None,
          watch_theme: bool = False, watch: list[str] = [], *, open_in_browser: bool = False, **kwargs) -> None:
    """``mkdocs serve`` (MkDocs 1.6's own loop, options and live reload) with
    a builder that rebuilds only what changed, and that keeps serving the
    last good site when a tip is broken."""
    from mkdocs import exceptions
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.livereload import _serve_url

    site_dir = tempfile.mkdtemp(prefix="tipweek_")

    def get_config():
        config = load_config(config_file=config_file, site_dir=site_dir, **kwargs)
        config.watch.extend(watch)
        return config

    is_clean = build_type == "clean"
    config = get_config()
    config.plugins.on_startup(command="build" if is_clean else "serve", dirty=build_type == "dirty")
    host, port = config.dev_addr
    mount_path = urlsplit(config.site_url or "/").path
    config.site_url = serve_url = _serve_url(host, port, mount_path)
    quiet = _NoDirtyWarning()

    def builder(config=None) -> None:
        log.info("Building documentation...")
        if config is None:
            config = get_config()
            config.site_url = serve_url
        plugin = config.plugins["tipweek"]
        state: PreviewState | None = getattr(plugin, "incremental", None)
        dirty = build_type == "dirty" or (state is not None and state.incremental(config))
        if state is not None:
            state.index_in_background = True
            if not dirty:
                state.wait_for_index()
        logging.getLogger("mkdocs.commands.build").addFilter(quiet)
        try:
            build(config, serve_url=None if is_clean else serve_url, dirty=dirty)
        except exceptions.Abort:
            if state is None or state.site is None or not plugin.library_failed:
                if state is not None:
                    state.forget()
                raise
            # MkDocs has logged the checker's messages; nothing was written. Every page says so too.
            server.problems = plugin.library_errors
            log.warning("still serving the last good preview; fix the tip and save it again")
            return
        except BaseException:
            if state is not None:
                state.forget()
            raise
        finally:
            logging.getLogger("mkdocs.commands.build").removeFilter(quiet)
        server.problems = ()
        if state is not None and not plugin.library_failed:
            log.info(f"tipweek: {state.rendered} tip page(s) rendered, {state.kept} unchanged")

    server = PreviewServer(builder=builder, host=host, port=port, root=site_dir, mount_path=mount_path)

    def error_handler(code) -> bytes | None:
        if code in (404, 500):
            error_page = join(site_dir, f"{code}.html")
            if isfile(error_page):
                with open(error_page, "rb") as f:
                    return f.read()
        return None

    server.error_handler = error_handler
    try:
        builder(config)
        if livereload:
            server.watch(config.docs_dir)
            if config.config_file_path:
                server.watch(config.config_file_path)
            if watch_theme:
                for folder in config.theme.dirs:
                    server.watch(folder)
            server = config.plugins.on_serve(server, config=config, builder=builder)
            for item in config.watch:
                server.watch(item)
        try:
            server.serve(open_in_browser=open_in_browser)
        except KeyboardInterrupt:
            log.info("Shutting down...")
        finally:
            server.shutdown()
    finally:
        state = getattr(config.plugins["tipweek"], "incremental", None)
        if state is not None:
            state.wait_for_index()
        config.plugins.on_shutdown()
        if isdir(site_dir):
            shutil.rmtree(site_dir)
