"""A request body's size limit, enforced before anything reads the body."""

from __future__ import annotations


class TooLarge(Exception):
    pass


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, whether they
    announce their length or arrive in chunks, before anything reads them.
    ``paths``: a path with a limit (and a 413 response) of its own."""

    def __init__(self, app, limit: int, response, paths: dict | None = None):
        self.app, self.limit, self.response, self.paths = app, limit, response, paths or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit, response = self.paths.get(scope["path"], (self.limit, self.response))
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.strip().isdigit() and int(length) > limit:
            return await response(scope, receive, send)
        seen = 0
        started = False

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge
            return message

        async def watched_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except TooLarge:
            if not started:
                await response(scope, receive, send)
