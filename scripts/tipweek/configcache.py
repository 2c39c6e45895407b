"""What the commands need from mkdocs.yml (the site's identity and the
plugin's validated options), remembered from the last time MkDocs loaded
it, so that ``tipweek feed``, ``email``, ``send``, ``check`` and
``schedule`` skip importing and running MkDocs' configuration loader
(about a third of a second) while nothing it read has changed. MkDocs is
still loaded, when a command needs more (a body that is not in the body
cache, a build).

An entry is used only for the same bytes of the same mkdocs.yml, the same
tipweek code and the same installed packages (the packages folders'
modification times change when one is installed or removed). A mkdocs.yml
whose meaning depends on anything else is loaded by MkDocs every time:
one with ``!ENV`` (environment variables), ``INHERIT`` (another file) or
``hooks`` (Python files). Only a configuration MkDocs accepted is kept, so
a broken mkdocs.yml is always reported by MkDocs itself.

One pickle in ``.tipweek/cache/``, replaced atomically; a cache that cannot
be read or written is ignored, like the tip cache.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from . import __version__
from .edition.edition import Site
from .library.tip_cache import CACHE_DIR

FILE_NAME = "project.pickle"
_CODE = ("site/options.py", "addresses.py", "project.py", "configcache.py", "edition/edition.py")
# What makes a configuration depend on more than its own bytes, written any way
# (quoted, after a byte-order mark...): a false match only costs the cache.
_OUTSIDE = re.compile(rb"INHERIT|hooks|!ENV|!!python")


@dataclass(frozen=True)
class Remembered:
    site: Site
    options: SimpleNamespace  # the plugin's options, by attribute, as TipweekConfig gives them
    docs_dir: str


def _key(config_file: Path, text: bytes) -> bytes:
    digest = hashlib.blake2b(text, digest_size=20)
    digest.update(f"\0{os.path.abspath(config_file)}\0{Path(config_file).resolve()}\0{__version__}\0"
                  f"{sys.version}\0".encode())
    here = Path(__file__).parent
    for name in _CODE:
        st = os.stat(here / name)
        digest.update(f"{name}={st.st_size}:{st.st_mtime_ns}\0".encode())
    for folder in sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}):
        try:
            digest.update(f"{folder}={os.stat(folder).st_mtime_ns}\0".encode())
        except OSError:
            digest.update(folder.encode())
    return digest.digest()


def _file(root: Path) -> Path:
    return Path(root) / CACHE_DIR / FILE_NAME


def read(config_file: Path) -> Remembered | None:
    """What the last load of ``config_file`` gave, if it still holds."""
    try:
        text = Path(config_file).read_bytes()
        if _OUTSIDE.search(text):
            return None
        with open(_file(Path(config_file).resolve().parent), "rb") as cached:
            data = pickle.load(cached)
        # MkDocs also checks that these folders exist: while one is missing, let it say so.
        if data["key"] == _key(config_file, text) and all(os.path.isdir(d) for d in data["folders"]):
            return Remembered(data["site"], SimpleNamespace(**data["options"]), data["docs_dir"])
    except Exception:  # missing, half-written, from another version: load mkdocs.yml
        pass
    return None


def write(config_file: Path, text: bytes, site: Site, options: dict, docs_dir: str,
          custom_dir: str | None = None) -> None:
    """Remember a configuration MkDocs loaded from ``text`` (the bytes it read)."""
    if _OUTSIDE.search(text):
        return
    target = _file(Path(config_file).resolve().parent)
    data = {"key": _key(config_file, text), "site": site, "options": dict(options), "docs_dir": docs_dir,
            "folders": [folder for folder in (docs_dir, custom_dir) if folder]}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{FILE_NAME}.", suffix=".tmp", dir=target.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump(data, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    except (OSError, pickle.PicklingError):
        try:
            os.unlink(tmp)
        except OSError:
            pass
