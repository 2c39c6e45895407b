"""Rendered tip bodies kept in ``.tipweek/cache/bodies/``, so ``tipweek
feed``, ``email`` and ``send`` start MkDocs' page machinery (its plugins'
``on_config``, the files, a Markdown instance per page) only for a body
they have not rendered before.

A body is filed under a digest of everything its HTML can depend on: the
tip's record (its page's title, description and author come from it), the
project's mkdocs.yml (Markdown extensions, site author), the names of the
pages under docs/ and of the published tips (relative links resolve
against them), and the versions of the code that renders. So a cached body
is always the one MkDocs would render now; anything else is a miss, and the
miss renders it as before. One file per body, written atomically and named
by its content's key: two commands writing the same body write the same
bytes, and a reader sees a whole file or none.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Callable

from .. import __version__
from ..library.model import Tip
from ..library.tip_cache import CACHE_DIR

FOLDER = "bodies"
KEEP_DAYS = 60  # bodies not written again for this long are pruned when a run renders new ones
_RENDERING = ("mkdocs", "mkdocs-material", "Markdown", "pymdown-extensions")
_CODE = ("edition/render.py", "site/plugin.py", "edition/edition.py", "edition/body_cache.py")


# A distribution's folder, "name-version.dist-info" as the packaging spec
# writes it (dashes in the name become underscores), or an older egg's.
_DIST_INFO = re.compile(r"([A-Za-z0-9_.]+)-([^-]+)\.dist-info")
_EGG_INFO = re.compile(r"([A-Za-z0-9_.]+)(?:-.*)?\.egg-info")


@lru_cache(maxsize=1)
def _dist_info() -> dict[str, str | None]:
    """Installed distributions' versions by normalised name, from the names of
    the ``*.dist-info`` folders on ``sys.path``, the first one found winning
    as it does for an import. This is what ``importlib.metadata`` reads for
    a version, without importing it (with the email parser, zipfile and csv
    it is a tenth of a weekly command's time). None for a name whose first
    folder is an egg's or does not follow the spec: ``version`` asks
    ``importlib.metadata`` then."""
    found: dict[str, str | None] = {}
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                match = _DIST_INFO.fullmatch(name)
                found.setdefault(_normalise(match[1] if match else name.split("-")[0]),
                                 match[2] if match else None)
            elif name.endswith(".egg-info"):
                egg = _EGG_INFO.fullmatch(name)
                if egg:
                    found.setdefault(_normalise(egg[1]), None)
    return found


def _normalise(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def version(name: str) -> str:
    """The installed version of distribution ``name``, "-" if it is not installed."""
    found = _dist_info().get(_normalise(name))
    if found:
        return found
    from importlib import metadata  # an install without a dist-info folder (an egg, a zip)

    try:
        return metadata.version(name) or "-"
    except metadata.PackageNotFoundError:
        return "-"


@lru_cache(maxsize=1)  # asked by the body key and the text cache of one run
def _versions() -> str:
    found = [f"{name}={version(name)}" for name in _RENDERING]
    here = Path(__file__).parent.parent  # the package: _CODE names its files
    for name in _CODE:
        st = os.stat(here / name)
        found.append(f"{name}={st.st_size}:{st.st_mtime_ns}")
    return ";".join(found)


def render_key(config_file: Path, docs_dir: str, edition) -> bytes:
    """What every body of this run depends on besides its own tip."""
    digest = hashlib.blake2b(Path(config_file).read_bytes(), digest_size=20)
    digest.update(f"\0{__version__}\0{_versions()}\0".encode())
    docs = Path(docs_dir)
    for folder, dirs, names in os.walk(docs):
        dirs.sort()
        digest.update("\0".join(os.path.relpath(os.path.join(folder, n), docs) for n in sorted(names)).encode())
    digest.update("\0".join(sorted(t.slug for t in edition.published)).encode())
    return digest.digest()


class BodyCache:
    def __init__(self, folder: Path, key: bytes):
        self.folder, self.key = Path(folder), key
        self.wrote = False

    def _path(self, tip: Tip) -> Path:
        name = hashlib.blake2b(self.key + repr(tip).encode(), digest_size=20).hexdigest()
        return self.folder / f"{name}.html"

    def get(self, tip: Tip) -> str | None:
        try:
            return self._path(tip).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def put(self, tip: Tip, html: str) -> None:
        if _store(self._path(tip), html) and not self.wrote:
            self.wrote = True
            _prune(self.folder)


def _store(path: Path, text: str) -> bool:
    """Write ``path`` atomically; False (and nothing written) if it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".body.", suffix=".tmp", dir=path.parent)
    except OSError:
        return False  # read-only project: render each time
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False
    return True


def _prune(folder: Path) -> None:
    old = time.time() - KEEP_DAYS * 86400
    for path in folder.iterdir():
        try:
            if path.suffix in (".html", ".txt") and path.stat().st_mtime < old:
                path.unlink()
        except OSError:
            pass


def cached_text(root: Path) -> Callable[[str], str]:
    """``render.text_from_html``, remembered by a digest of the HTML it is
    given and of the converter's version: the email's text part, without
    importing markdownify (and BeautifulSoup) again every week."""
    folder = Path(root) / CACHE_DIR / FOLDER
    salt = f"{__version__}\0{_versions()}\0markdownify={version('markdownify')}\0".encode()

    def text(html: str) -> str:
        path = folder / (hashlib.blake2b(salt + html.encode("utf-8"), digest_size=20).hexdigest() + ".txt")
        try:
            return path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            pass
        from .render import text_from_html

        found = text_from_html(html)
        if _store(path, found):
            _prune(folder)
        return found

    return text


def cached_renderer(root: Path, config_file: Path, docs_dir: str, edition,
                    mkdocs_bodies: Callable[[], object]) -> Callable[[Tip], None]:
    """A renderer for ``edition.bodies``: the cached body if there is one,
    else the body MkDocs renders (``mkdocs_bodies()`` sets its machinery up
    once and returns the Bodies it renders into), which is then cached."""
    cache = BodyCache(Path(root) / CACHE_DIR / FOLDER, render_key(config_file, docs_dir, edition))
    rendering = []

    def render(tip: Tip) -> None:
        html = cache.get(tip)
        if html is None:
            if not rendering:
                rendering.append(mkdocs_bodies())
            html = rendering[0].html(tip)
            cache.put(tip, html)
        edition.bodies.store(tip, html)

    return render
