"""The preview server (``tipweek serve``): MkDocs 1.6's own serve loop, with
a builder that makes dirty builds the plugin's :class:`~tipweek.preview.PreviewState`
trims to what an edit changed, and that keeps serving the last good site
when a tip is broken."""

from __future__ import annotations

import logging
import shutil
import tempfile
from os.path import isdir, isfile, join
from urllib.parse import urlsplit

from .preview import PreviewState

log = logging.getLogger("mkdocs.plugins.tipweek")


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
    from mkdocs.livereload import LiveReloadServer, _serve_url

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
            # MkDocs has logged the checker's messages; nothing was written.
            log.warning("still serving the last good preview; fix the tip and save it again")
        except BaseException:
            if state is not None:
                state.forget()
            raise
        finally:
            logging.getLogger("mkdocs.commands.build").removeFilter(quiet)
        if state is not None and not plugin.library_failed:
            log.info(f"tipweek: {state.rendered} tip page(s) rendered, {state.kept} unchanged")

    server = LiveReloadServer(builder=builder, host=host, port=port, root=site_dir, mount_path=mount_path)

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
