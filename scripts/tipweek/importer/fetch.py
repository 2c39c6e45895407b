"""The bytes of an import source: a local file or an http(s) URL."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from pathlib import Path

# An export of a large blog is tens of megabytes; past this it is not a blog.
MAX_BYTES = 200_000_000


class SourceError(Exception):
    """The source cannot be read as an archive; the message is one line for the editor."""


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def fetch(source: str, timeout: float = 30.0) -> bytes:
    """Read ``source`` whole; raise :class:`SourceError` with a one-line reason."""
    if is_url(source):
        return _download(source, timeout)
    if "://" in source:
        raise SourceError(f"{source}: only http:// and https:// addresses are fetched; "
                          "download it and give the file instead")
    path = Path(source)
    if not path.exists():
        raise SourceError(f"{source}: no such file")
    if not path.is_file():
        raise SourceError(f"{source}: not a file")
    if path.stat().st_size > MAX_BYTES:
        raise SourceError(f"{source}: larger than {MAX_BYTES // 1_000_000} MB; not a blog export")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{source}: cannot be read ({exc.strerror})") from None


def _download(url: str, timeout: float) -> bytes:
    try:
        request = urllib.request.Request(url, headers={
            "User-Agent": "tipweek-import",
            "Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.5"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise SourceError(f"{url}: the server answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason if isinstance(exc.reason, str) else getattr(exc.reason, "strerror", None) or exc.reason
        raise SourceError(f"{url}: cannot be fetched ({reason})") from None
    except TimeoutError:
        raise SourceError(f"{url}: no answer within {timeout:g} seconds") from None
    except (OSError, http.client.HTTPException) as exc:  # a connection dropped half-way
        raise SourceError(f"{url}: cannot be fetched ({exc or type(exc).__name__})") from None
    except ValueError as exc:  # urllib's word for an address it cannot parse
        raise SourceError(f"{url}: not a valid address ({exc})") from None
    if len(data) > MAX_BYTES:
        raise SourceError(f"{url}: larger than {MAX_BYTES // 1_000_000} MB; not a blog export")
    return data
