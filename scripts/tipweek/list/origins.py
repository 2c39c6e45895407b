"""Whether a POST came from another website (a forged form): the manage page's guard.

The manage link's token cannot be guessed, but an email can be forwarded, and a page
elsewhere could then post to its link. Browsers say where a form was sent from:
``Sec-Fetch-Site`` (``cross-site`` for another site's page) and ``Origin`` (the sending
page's scheme://host[:port]), and a page's script cannot forge either. A POST is refused
when ``Sec-Fetch-Site`` is ``cross-site``, or ``Origin`` is there and is neither the
service's public origin (``list_url``) nor the host the request was sent to (``Host``: the
same service under another name, such as localhost for 127.0.0.1, or a second name the proxy
serves; another site's page cannot choose the Host its visitor's browser sends, so this lets
no forged form through). ``Origin: null`` (a sandboxed frame, or a page that hides its
referrer) is refused too: the manage page sends ``Referrer-Policy: same-origin``, so its own
forms carry their real origin.

A request with neither header (curl, an old browser) is let through: it is no forged form
of a browser that has them. Not for ``/unsubscribe`` (a mail provider's one-click POST,
RFC 8058, is cross-site by nature) nor ``/webhooks/bounce`` (a token guards it).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request

DEFAULT_PORTS = {"http": 80, "https": 443}
# The manage page's referrer policy: no token leaves for another site, and the page's own
# forms carry their Origin (under "no-referrer" a browser sends "Origin: null" for them).
REFERRER_POLICY = "same-origin"


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, lower case, without the scheme's default port."""
    parts = urlsplit(url.strip().lower())
    port = parts.port
    host = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname or ""
    shown = f":{port}" if port is not None and port != DEFAULT_PORTS.get(parts.scheme) else ""
    return f"{parts.scheme}://{host}{shown}"


def from_another_site(request: Request, list_url: str) -> bool:
    """Whether the browser says this request came from another site's page."""
    if request.headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return False
    try:
        sent_from = origin_of(origin)
    except ValueError:  # not a URL (a port out of range, ...): not ours
        return True
    if list_url and sent_from == origin_of(list_url):
        return False
    host = request.headers.get("host", "").strip().lower()
    return not host or sent_from.partition("://")[2] not in (host, host.removesuffix(":80").removesuffix(":443"))
