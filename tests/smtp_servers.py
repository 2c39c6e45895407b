"""Real SMTP servers for the send tests, on 127.0.0.1 only, on a free port.

- ``LocalSMTP``: an aiosmtpd server in its own thread, with a handler:
  ``Recorder`` keeps every message it accepted; ``FaultyHandler`` also
  refuses chosen recipients (4xx once, 5xx always), drops the connection after
  the k-th message, or loses the answer to a message it has taken;
  ``RefusingHandler`` refuses every message until told to stop.
- ``RawServer``: a bare TCP server for what aiosmtpd will not do: answer
  ``421`` on connect, or accept the connection and never say a word.

No sleeps: every wait is on an event with a time limit.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

HOST = "127.0.0.1"
WAIT = 20.0  # the longest any event wait may take before a test fails


@dataclass
class Received:
    """One message the server accepted: its envelope and the parsed message."""
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes

    @property
    def to(self) -> str:
        return self.message["To"].addresses[0].addr_spec


class Recorder:
    """Accept every message; keep it."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.rcpt_log: list[tuple[str, str]] = []  # every RCPT and the reply it got
        self.peers: set[tuple[str, int]] = set()  # the client end of every session that sent a RCPT

    def keep(self, envelope) -> None:
        raw = envelope.original_content
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      BytesParser(policy=policy.default).parsebytes(raw), raw))

    def recipients(self) -> list[str]:
        """Every envelope recipient of every accepted message, lower-cased, in order."""
        return [r.lower() for msg in self.received for r in msg.rcpt_tos]

    def count(self, address: str) -> int:
        return self.recipients().count(address.lower())

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.peers.add(session.peer)
        reply = self.rcpt_reply(address)
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        self.rcpt_log.append((address.lower(), reply))
        return reply

    def rcpt_reply(self, address: str) -> str:
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.keep(envelope)
        return "250 2.0.0 OK: queued"


class FaultyHandler(Recorder):
    """A server with faults, switched off all at once with ``faulting = False``
    (a mailbox that does not exist, ``permanent``, stays refused)."""

    def __init__(self, *, drop_after: int | None = None, temporary: dict[str, str] | None = None,
                 permanent: dict[str, str] | None = None, lose_answer: dict[str, str] | None = None):
        super().__init__()
        self.faulting = True
        self.drop_after = drop_after  # close the connection right after the k-th accepted message
        self.temporary = {k.lower(): v for k, v in (temporary or {}).items()}  # RCPT reply, once
        self.permanent = {k.lower(): v for k, v in (permanent or {}).items()}  # RCPT reply, always
        # address -> "drop" (close the connection) or "stall" (wait until released):
        # either way, after the server has taken the message and before it answers.
        self.lose_answer = {k.lower(): v for k, v in (lose_answer or {}).items()}
        self.release = threading.Event()
        self.drops = 0

    def rcpt_reply(self, address: str) -> str:
        key = address.lower()
        if key in self.permanent:
            return self.permanent[key]
        if self.faulting and key in self.temporary:
            return self.temporary.pop(key)
        return super().rcpt_reply(address)

    async def handle_DATA(self, server, session, envelope):
        self.keep(envelope)
        lost = self.faulting and self.lose_answer.pop(envelope.rcpt_tos[0].lower(), None)
        if lost == "drop":
            self.drops += 1
            server.transport.close()  # the message is taken; its "250" never leaves
            return "250 2.0.0 OK: queued (never seen by the client)"
        if lost == "stall":
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, WAIT)
            return "250 2.0.0 OK: queued (too late)"
        if self.faulting and self.drop_after and len(self.received) == self.drop_after:
            self.drops += 1
            # Answer 250 for this one, then hang up before the next command.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 2.0.0 OK: queued"


class RefusingHandler(Recorder):
    """A relay that refuses every message while ``refusing`` (a suspended account, a blocked
    sender): with ``reply`` to each RCPT (a 5xx there reads as a hard bounce) or, with
    ``at="DATA"``, after the data; it accepts again once ``refusing`` is False."""

    def __init__(self, reply: str, at: str = "RCPT"):
        super().__init__()
        assert at in ("RCPT", "DATA")
        self.reply, self.at = reply, at
        self.refusing = True
        self.refused: list[str] = []  # every recipient it refused, lower-cased, in order

    def rcpt_reply(self, address: str) -> str:
        if self.refusing and self.at == "RCPT":
            self.refused.append(address.lower())
            return self.reply
        return super().rcpt_reply(address)

    async def handle_DATA(self, server, session, envelope):
        if self.refusing and self.at == "DATA":
            self.refused.extend(r.lower() for r in envelope.rcpt_tos)
            return self.reply
        return await super().handle_DATA(server, session, envelope)


class BlockingHandler(Recorder):
    """Accept messages until the ``block_at``-th transaction, then hold it and
    every later one, either at its MAIL command (nothing taken) or after its
    data (taken, not yet answered), until ``release`` is set. ``blocking`` is
    set once ``holds`` transactions are held at once (one per connection)."""

    def __init__(self, block_at: int, where: str, holds: int = 1):
        super().__init__()
        assert where in ("MAIL", "DATA")
        self.block_at, self.where, self.holds = block_at, where, holds
        self.transactions = 0
        self.held = 0
        self.blocking = threading.Event()
        self.release = threading.Event()

    async def _hold(self) -> bool:
        if self.release.is_set():
            return False
        self.held += 1
        if self.held >= self.holds:
            self.blocking.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, WAIT)
        return True

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.transactions += 1
        envelope.transaction = self.transactions
        if self.where == "MAIL" and self.transactions >= self.block_at and await self._hold():
            return "421 4.3.0 too late"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_DATA(self, server, session, envelope):
        self.keep(envelope)
        if self.where == "DATA" and envelope.transaction >= self.block_at:
            await self._hold()
        return "250 2.0.0 OK: queued"


@dataclass
class Authenticator:
    """aiosmtpd authenticator: one login and password; remembers every try."""
    login: str
    password: str
    tries: list[tuple[str, str, str]] = field(default_factory=list)  # (mechanism, login, password)

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        self.tries.append((mechanism, login, password))
        return AuthResult(success=(login, password) == (self.login, self.password), handled=False)


class LocalSMTP(Controller):
    """aiosmtpd on 127.0.0.1 and a port the system picks."""

    def __init__(self, handler, **smtp_kwargs):
        super().__init__(handler, hostname=HOST, port=0, server_hostname="smtp.test", ready_timeout=WAIT,
                         **smtp_kwargs)

    def _trigger_server(self):
        # aiosmtpd connects to self.port to start the server: use the bound one.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"


class RawServer:
    """A bare TCP server on 127.0.0.1 in its own event loop thread. On each
    connection it sends ``greeting`` and hangs up, or, when ``greeting`` is
    None, holds the connection open and never says a word."""

    def __init__(self, greeting: bytes | None):
        self.greeting = greeting
        self.connections = 0
        self._writers: list[asyncio.StreamWriter] = []
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.server = self.loop.run_until_complete(asyncio.start_server(self._client, HOST, 0))
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        if not ready.wait(WAIT):
            raise RuntimeError("the raw test server did not start")
        self.port = self.server.sockets[0].getsockname()[1]

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.greeting is None:
            self._writers.append(writer)  # keep it open, say nothing
            return
        writer.write(self.greeting)
        await writer.drain()
        writer.close()

    def stop(self) -> None:
        async def shut() -> None:
            self.server.close()
            for writer in self._writers:
                writer.close()

        asyncio.run_coroutine_threadsafe(shut(), self.loop).result(WAIT)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(WAIT)
        self.loop.close()
