"""The parsed-tip cache: each tip file's record and problems, as ``loader``
and ``rules`` made them, kept in ``.tipweek/cache/`` so the next command
(``check``, ``feed``, ``email``, ``build``, a ``serve`` rebuild) re-reads
only the files that changed.

An entry is used only while its file has the same size, modification time,
change time and inode as when it was read: an edit that restores the size
and mtime (``touch -r``, ``os.utime``) still moves the change time. The
whole cache is dropped when the principles file, the project folder or the
code that validates tips changes, since each of those can change what a
tip's problems are. A file changed in the second it was read is not cached
(its time stamps could hide a second write in the same tick), as git does
for its index.

The cache is one pickle, replaced atomically (a temp file beside it, then
``os.replace``): a reader sees the old cache or the new one, never half of
one. Two commands that save at once each write a whole, valid cache and
the last rename wins. A cache that cannot be read or written is ignored,
so it can only make a command faster, never wrong.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import time
from pathlib import Path
from typing import Callable

from .. import __version__
from .model import Tip, TipError

CACHE_DIR = Path(".tipweek") / "cache"
FILE_NAME = "tips.pickle"
FORMAT = 5  # 2: the vocabulary too; 3: each tip's ISO week kept with it; 4: and whether it links locally;
# 5: its huddle question and action (discuss, try)
RACY_NS = 2_000_000_000  # a file changed this close to its reading is read again next time
# The code whose rules decide what a tip file becomes: an edit of it (a new
# rule, a new message) invalidates the cache even without a version bump.
_CODE = ("library/loader.py", "library/front_matter.py", "library/rules.py", "library/model.py", "library/dates.py",
         "library/starter.py", "library/tip_cache.py", "library/local_links.py", "library/body_rules.py",
         "library/tip_files.py")

Stamp = tuple[int, int, int, int]
Entry = tuple[Stamp, Tip | None, tuple[TipError, ...]]

# The cache this process last read or wrote, by file: a long-lived process
# (tipweek serve) skips unpickling it again while no other process replaced it.
_in_memory: dict[Path, tuple[Stamp, dict]] = {}


def stamp(path: Path) -> Stamp:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _optional_stamp(path: Path) -> Stamp | None:
    try:
        return stamp(path)
    except OSError:
        return None


def _code_stamps() -> tuple:
    here = Path(__file__).parent.parent  # the package: _CODE names its files
    return tuple((name, _optional_stamp(here / name)) for name in _CODE)


class TipCache:
    """The cache of one project's tips, read when made and saved by :meth:`save`."""

    def __init__(self, folder: Path, tips_dir: Path, principles_file: Path, root: Path, publishing: tuple = ()):
        self.file = Path(folder) / FILE_NAME
        # What every entry depends on besides its own file.
        self.context = (FORMAT, __version__, _code_stamps(), str(Path(root).resolve()),
                        str(Path(tips_dir).resolve()), str(principles_file),
                        _optional_stamp(principles_file), publishing)
        self.started_ns = time.time_ns()
        self._old: dict[str, Entry] = {}
        self._old_vocabulary: tuple | None = None  # (principles, their problems)
        self._read()
        self._new: dict[str, Entry] = {}
        self._new_vocabulary: tuple | None = None
        self.hits = self.misses = 0
        self._stored = False

    @classmethod
    def for_project(cls, root: Path, tips_dir: Path, principles_file: Path, publishing: tuple = ()) -> "TipCache":
        """``publishing``: (weekday, today), on which the weekday rule's verdicts depend."""
        return cls(Path(root) / CACHE_DIR, tips_dir, principles_file, root, publishing)

    def _read(self) -> None:
        try:
            remembered = _in_memory.get(self.file)
            if remembered and remembered[0] == stamp(self.file):
                data = remembered[1]
            else:
                with open(self.file, "rb") as cached:
                    data = pickle.load(cached)
            if data["context"] == self.context:
                self._old, self._old_vocabulary = data["entries"], data.get("vocabulary")
        except Exception:  # missing, half-written by a crashed writer, or from another version
            pass

    def load_all(self, files: list[os.DirEntry], read: Callable[[os.DirEntry, list[TipError]], Tip | None],
                 errors: list[TipError]) -> list[Tip | None]:
        """The tip in each of ``files`` (directory entries from ``os.scandir``),
        in order, and their problems, added to ``errors``: from the cache if
        the file is unchanged, else from ``read(file, errors)``. One tight loop:
        a weekly run finds thousands of files, nearly all unchanged."""
        old, new, found, hits = self._old, self._new, [], 0
        for file in files:
            key = file.path
            try:
                st = file.stat()
            except OSError:
                found.append(read(file, errors))  # let the loader report it
                continue
            now = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            entry = old.get(key)
            if entry is not None and entry[0] == now:
                hits += 1
                new[key] = entry
                if entry[2]:
                    errors.extend(entry[2])
                found.append(entry[1])
            else:
                found.append(self._miss(file, now, read, errors))
        self.hits += hits
        return found

    def _miss(self, file: os.DirEntry, now: Stamp, read: Callable[[os.DirEntry, list[TipError]], Tip | None],
              errors: list[TipError]) -> Tip | None:
        """A file the cache does not hold as it is now: read it, and keep it
        unless it changed too recently to trust its time stamps."""
        self.misses += 1
        found: list[TipError] = []
        tip = read(file, found)
        errors.extend(found)
        if now[2] < self.started_ns - RACY_NS:
            self._new[file.path] = (now, tip, tuple(found))
            self._stored = True
        return tip

    def vocabulary(self, read: Callable[[list[TipError]], dict | None], errors: list[TipError]) -> dict | None:
        """The principles (and their problems, added to ``errors``): from the
        cache while the principles file is unchanged (its stamp is part of
        the context), else from ``read``."""
        if self._old_vocabulary is None:
            found: list[TipError] = []
            principles = read(found)
            entry = (principles, tuple(found))
            written = self.context[6]  # the principles file's stamp
            if written is not None and written[2] < self.started_ns - RACY_NS:
                self._new_vocabulary = entry
                self._stored = True
        else:
            entry = self._new_vocabulary = self._old_vocabulary
        errors.extend(entry[1])
        return entry[0]

    def save(self) -> None:
        """Write the entries of this scan, if they differ from what was read."""
        if not self._stored and self._new.keys() == self._old.keys():
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{FILE_NAME}.", suffix=".tmp", dir=self.file.parent)
        except OSError:
            return  # a read-only project: work uncached
        data = {"context": self.context, "entries": self._new, "vocabulary": self._new_vocabulary}
        try:
            with os.fdopen(fd, "wb") as out:
                pickle.dump(data, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.file)
            _in_memory.clear()
            _in_memory[self.file] = (stamp(self.file), data)
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass
