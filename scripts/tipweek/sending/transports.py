"""Where messages go: a Maildir outbox (the default, no server needed) or an
SMTP server, with the failures of each mapped to the outcomes the run acts on."""

from __future__ import annotations

import ipaddress
import mailbox
import os
import re
import smtplib
import socket
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Callable

from .errors import HardBounce, PermanentFailure, SendError, ServerUnavailable, TemporaryFailure, UncertainDelivery


class BadSetting(SendError):
    """A transport option that cannot work (``option`` names it, for a usage error)."""

    def __init__(self, message: str, option: str):
        super().__init__(message)
        self.option = option


def transport_factory(root: Path, outbox: str | None, smtp: str | None, starttls: bool, user: str | None,
                      timeout: float = 30.0) -> Callable[[], "MaildirOutbox | SmtpTransport"]:
    """The one choice of transport, for ``tipweek send`` and ``tipweek list serve``, checked
    once at start-up: SMTP when ``smtp`` (HOST:PORT) is given, else a Maildir outbox
    (``outbox``, by default .tipweek/outbox). The password comes from $TIPWEEK_SMTP_PASSWORD
    alone. Each call makes a fresh transport (a send opens one per connection; the service
    one per confirmation email)."""
    if not smtp:
        folder = Path(outbox) if outbox else Path(root) / ".tipweek" / "outbox"
        return lambda: MaildirOutbox(folder)
    host, _, port = smtp.rpartition(":")
    if not host or not port.isdigit():
        raise BadSetting("expected HOST:PORT, e.g. smtp.example.org:587", "--smtp")
    password = os.environ.get("TIPWEEK_SMTP_PASSWORD")
    if user and password is None:
        raise SendError("--user is set but TIPWEEK_SMTP_PASSWORD is not")
    if user and not starttls and not is_loopback(host):
        raise SendError(f"refusing to send the login for {user} to {host} in clear text without --starttls "
                        "(only a server on this machine may do without)")
    return lambda: SmtpTransport(host.strip("[]"), int(port), starttls=starttls, user=user, password=password,
                                 timeout=timeout)


class MaildirOutbox:
    """Delivery into a Maildir folder: no server needed, easy to inspect."""

    def __init__(self, folder: Path):
        folder.parent.mkdir(parents=True, exist_ok=True)  # Maildir creates only the last folder
        self.box = mailbox.Maildir(str(folder), create=True)
        self.where = f"outbox {folder}"

    def deliver(self, msg, sender: str, recipient: str) -> None:
        self.box.add(_message(msg))

    def close(self) -> None:
        pass


class _SMTP(smtplib.SMTP):
    """smtplib.SMTP that notes when the whole message (up to the final ".") is
    on the wire: from then on only the server knows whether it took it."""

    message_sent = False

    def data(self, msg):
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = re.sub(r"(?:\r\n|\n|\r(?!\n))", "\r\n", msg).encode("ascii")
        data = re.sub(rb"(?m)^\.", b"..", msg)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        self.send(data + b".\r\n")
        self.message_sent = True
        return self.getreply()


def is_loopback(host: str) -> bool:
    """True for a server on this machine (where a login needs no TLS)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SmtpTransport:
    """One SMTP session for the whole run, reopened when the server drops it."""

    def __init__(self, host: str, port: int, *, starttls: bool = False, user: str | None = None,
                 password: str | None = None, timeout: float = 30.0):
        self.host, self.port, self.starttls = host, port, starttls
        self.user, self.password, self.timeout = user, password, timeout
        self.where = f"smtp {host}:{port}"
        self._smtp: smtplib.SMTP | None = None

    def _lost(self, exc: BaseException) -> str:
        """Why the link broke: smtplib reports a timeout as a disconnection."""
        if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
            return f"no answer from {self.where} within {self.timeout:g} s"
        return f"{self.where} dropped the connection"

    def _connect(self) -> _SMTP:
        if self.user and self.password is None:
            raise SendError("--user is set but TIPWEEK_SMTP_PASSWORD is not")
        try:
            smtp = _SMTP(self.host, self.port, timeout=self.timeout)
        except smtplib.SMTPConnectError as exc:
            raise self._refused(exc, "refused the connection") from None
        except (smtplib.SMTPServerDisconnected, TimeoutError) as exc:
            raise ServerUnavailable(self._lost(exc)) from None
        except OSError as exc:
            raise SendError(f"cannot connect to {self.where}: {exc.strerror or exc}") from None
        # Over a real network a message spans many segments, and Nagle's rule
        # holds back the last one until the server ACKs the one before, which
        # a server may delay by up to 40 ms. (Loopback, with a message in one
        # segment, does not show it.)
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._open_session(smtp)
        except Exception as exc:
            smtp.close()
            raise self._session_failure(exc) from None
        return smtp

    def _open_session(self, smtp: _SMTP) -> None:
        code, reply = smtp.ehlo()
        if 400 <= code < 500:
            raise smtplib.SMTPResponseException(code, reply)
        if self.starttls:
            if not smtp.has_extn("starttls"):
                raise SendError(f"{self.where} does not offer STARTTLS; refusing to send the password "
                                "or the list in clear text")
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if self.user:
            smtp.login(self.user, self.password)

    def offers(self, extension: str) -> bool:
        """Whether the server's EHLO (the one after STARTTLS) lists ``extension``."""
        if self._smtp is None:
            self._smtp = self._connect()
        return self._smtp.has_extn(extension)

    def _refused(self, exc: smtplib.SMTPResponseException, what: str) -> Exception:
        """A 4xx means busy (the run waits and retries); anything else ends the run."""
        if 400 <= exc.smtp_code < 500:
            return ServerUnavailable(f"{self.where} is busy: {exc.smtp_code} {_text(exc.smtp_error)}")
        return SendError(f"{self.where} {what}: {exc.smtp_code} {_text(exc.smtp_error)}")

    def _session_failure(self, exc: Exception) -> Exception:
        """What a failure while opening the session means for the run (order
        matters: the smtplib and ssl errors are kinds of OSError)."""
        if isinstance(exc, SendError):
            return exc
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return SendError(f"{self.where} refused the login for {self.user}: {exc.smtp_code} "
                             f"{_text(exc.smtp_error)}")
        if isinstance(exc, smtplib.SMTPResponseException):
            return self._refused(exc, "refused the session")
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return SendError(f"{self.where}: {exc}")
        if isinstance(exc, ssl.SSLError):
            return SendError(f"{self.where}: TLS failure: {exc}")
        if isinstance(exc, (smtplib.SMTPServerDisconnected, TimeoutError)):
            return ServerUnavailable(self._lost(exc))
        if isinstance(exc, OSError):
            return SendError(f"{self.where}: network failure: {exc}")
        return exc

    def deliver(self, msg, sender: str, recipient: str) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        smtp = self._smtp
        smtp.message_sent = False
        try:
            wire = getattr(msg, "wire", None)
            if wire is not None and sender.isascii() and recipient.isascii():
                smtp.sendmail(sender, [recipient], wire)  # the bytes send_message would make
            else:
                smtp.send_message(_message(msg), from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = exc.recipients[recipient]
            self._reset()
            # A 5xx to RCPT is about the address itself: a hard bounce. A 5xx
            # elsewhere (MAIL, DATA) is about the sender or the message.
            raise (TemporaryFailure if 400 <= code < 500 else HardBounce)(f"{code} {_text(reply)}") from None
        except smtplib.SMTPResponseException as exc:
            # The server answered: whatever the step, it did not take the message.
            self._drop() if exc.smtp_code == 421 else self._reset()
            raise (TemporaryFailure if 400 <= exc.smtp_code < 500 else PermanentFailure)(
                f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError as exc:  # e.g. an address that needs SMTPUTF8
            self._reset()
            raise PermanentFailure(f"{self.where}: {exc}") from None
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            reason = self._lost(exc) if isinstance(exc, (smtplib.SMTPServerDisconnected, TimeoutError)) \
                else f"network error: {exc}"
            if smtp.message_sent:
                raise UncertainDelivery(f"{reason} after the message was sent") from None
            raise TemporaryFailure(reason) from None

    def _reset(self) -> None:
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()


def _message(msg) -> EmailMessage:
    """What a transport is given: an EmailMessage, or a send's ``letters.Letter`` (made on demand)."""
    return msg.message() if hasattr(msg, "wire") else msg


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
