"""Writing outputs to disk: atomically, so a crash never leaves half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path | str, data: bytes | str, mode: int = 0o644, *, sync: bool = True) -> None:
    """Write ``data`` to a temp file beside ``path``, fsync it, then rename it
    over ``path``: readers see the old file or the new one, never a mix.
    ``sync=False`` leaves out the fsync, for one of many pages of a site that
    is swapped in whole when its build is done (``build``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            if sync:
                out.flush()
                os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
