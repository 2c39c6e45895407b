"""What the service's HTTP server allows one client: a deadline for sending a
whole request, and a share of a capped number of connections.

uvicorn has neither. Its ``timeout_keep_alive`` covers only the idle time
between requests and is reset by every byte, and ASGI middleware runs only once
the headers are in, so a client that opens a connection and sends a request a
byte at a time (or never finishes it) holds a file descriptor for ever; enough
of them and the server cannot accept anyone. So this is uvicorn's own h11
protocol with two additions, kept as small as the job allows:

- a deadline from the first byte of a request (or the connection's opening)
  to the last byte of its body; a client that misses it is disconnected, and
  logged once;
- a cap on open connections, below the process's file limit: at the cap the
  connection that has waited longest for its request is closed to make room,
  so a real visitor is never left outside behind stalled ones.
"""

from __future__ import annotations

import logging
import os
import resource
import socket
import time

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("tipweek.list")
REQUEST_DEADLINE = 10.0  # seconds for a client to send its headers and body
FILE_RESERVE = 128  # descriptors kept for the database, the SMTP relay, the log and Python itself
MAX_CONNECTIONS = 4096
# asyncio accepts up to `backlog` connections at a time, before any of them
# reaches the cap, and frees a closed one's descriptor a loop turn later: kept
# small, a burst stays inside FILE_RESERVE (at 2,048, uvicorn's default, a
# crowd of stalled clients runs the process out of descriptors all the same).
# The kernel's queue of connections waiting to be accepted stays long
# (ListServer), or a crowd of real visitors would see connections refused.
ACCEPT_BURST = 32
LISTEN_QUEUE = 2048
RECEIVING = (h11.IDLE, h11.SEND_BODY)  # the client's states while its request is still coming


def connection_cap() -> int:
    """Raise this process's open-file limit as far as it may go, and return how
    many connections fit under it with room to spare."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MAX_CONNECTIONS + FILE_RESERVE
    if soft != resource.RLIM_INFINITY and soft < wanted:
        raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if raised > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(16, min(MAX_CONNECTIONS, soft - FILE_RESERVE))


class ListServer(uvicorn.Server):
    """uvicorn's server, with the kernel's accept queue made long again after
    asyncio set it to the short ACCEPT_BURST (one number serves both there)."""

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        for server in self.servers:
            for listening in server.sockets:
                with socket.socket(fileno=os.dup(listening.fileno())) as same:
                    same.listen(LISTEN_QUEUE)


def guarded_protocol(deadline: float = REQUEST_DEADLINE, max_connections: int | None = None) -> type:
    """uvicorn's h11 protocol with the deadline and the cap (``http=`` of its Config)."""
    cap = connection_cap() if max_connections is None else max_connections
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"deadline": deadline, "cap": cap, "_logged": {}})


class GuardedH11Protocol(H11Protocol):
    deadline = REQUEST_DEADLINE
    cap = MAX_CONNECTIONS
    _logged: dict[str, float] = {}  # client address -> when its last stall was logged (one per server)

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._timer = None
        self._waiting_since = time.monotonic()
        self._arm()
        if len(self.connections) > self.cap:
            self._make_room()

    def data_received(self, data: bytes) -> None:
        if self._timer is None and self.conn.their_state is h11.IDLE:
            self._waiting_since = time.monotonic()  # the next request on a kept-alive connection
            self._arm()
        super().data_received(data)
        if self.conn.their_state not in RECEIVING:
            self._disarm()  # the whole request is in: how long the answer takes is not the client's doing

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._timer = self.loop.call_later(self.deadline, self._too_slow)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _receiving(self) -> bool:
        """Waiting for (the rest of) a request, a kept-alive idle connection included."""
        return self.conn.their_state in RECEIVING and not self.transport.is_closing()

    def _too_slow(self) -> None:
        self._timer = None
        if self.transport.is_closing() or self.conn.their_state not in RECEIVING:
            return
        what = "the body of its request" if self.conn.their_state is h11.SEND_BODY else "a whole request"
        self._once(f"closed a connection from %s that had not sent {what} within {self.deadline:g} s")
        self.transport.close()

    def _make_room(self) -> None:
        """Over the cap: close the connection that has waited longest for its
        request (an idle keep-alive one counts), else this new one."""
        waiting = [c for c in self.connections if isinstance(c, GuardedH11Protocol) and c._receiving()]
        oldest = min(waiting, key=lambda c: c._waiting_since, default=self)
        oldest._once(f"at the cap of {self.cap} connections: closed the one from %s that waited longest "
                     "for its request")
        oldest._disarm()
        oldest.transport.close()

    def _once(self, message: str) -> None:
        """Log a stalled client once, not once per connection: a slow-client
        attack opens thousands, and the log must not grow with them."""
        host = self.client[0] if self.client else "?"
        now = time.monotonic()
        logged = type(self)._logged
        if now - logged.get(host, -3600.0) < 600:
            return
        if len(logged) > 10_000:
            logged.clear()
        logged[host] = now
        log.warning(message + " (further ones from that address are not logged for 10 minutes)", host)
