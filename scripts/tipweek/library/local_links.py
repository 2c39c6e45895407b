"""Whether a tip's body may hold a link or image that MkDocs resolves (a
relative one): worked out when the tip is read and kept with it, so that
``tipweek check`` loads MkDocs only when some tip has one (see link_check)."""

from __future__ import annotations

import re

_SCHEME = r"(?![a-zA-Z][a-zA-Z0-9+.-]*:|//)"
# A link, an image, a reference definition or an HTML href/src whose address
# has no scheme: the only ones MkDocs resolves (a superset; MkDocs decides).
_LOCAL = re.compile(rf"\]\(\s*<?{_SCHEME}|^[ ]{{0,3}}\[[^\]\n]+\]:\s*<?{_SCHEME}|"
                    rf"\b(?:href|src)\s*=\s*[\"']?{_SCHEME}", re.M | re.I)


def may_link(body: str) -> bool:
    """Whether ``body`` may hold a link or image MkDocs resolves (one to
    another website it leaves alone). Cheap: most tips are answered by the
    first, C-level, test."""
    if "](" not in body and "]:" not in body and "href" not in body and "src" not in body:
        return False
    return _LOCAL.search(body) is not None
