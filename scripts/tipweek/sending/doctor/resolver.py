"""The DNS look-ups of ``tipweek doctor``, through one dnspython resolver (the system's, or
``--dns``): "no such record" is an empty list, "no such name" is :meth:`Dns.exists`, and a
resolver that gives no answer to judge by is :class:`DnsTrouble`."""

from __future__ import annotations


class DnsTrouble(Exception):
    """The resolver gave no answer we can judge by (timeout, SERVFAIL, network)."""


class Dns:
    """TXT, MX and address look-ups through one dnspython resolver; "no such
    record" is an empty list, a failure is :class:`DnsTrouble`."""

    def __init__(self, server: tuple[str, int] | None = None, timeout: float = 5.0):
        import dns.resolver

        self.server = server  # (host, port) of --dns; None for the system's resolver
        if server:
            self.resolver = dns.resolver.Resolver(configure=False)
            self.resolver.port = server[1]
            self.resolver.nameservers = [server[0]]
        else:
            self.resolver = dns.resolver.Resolver()  # NoResolverConfiguration: the caller says so
        self.resolver.lifetime = timeout
        self.resolver.timeout = timeout
        self.where = f"{server[0]}:{server[1]}" if server else ", ".join(self.resolver.nameservers)

    def _answer(self, name: str, rtype: str, name_must_exist: bool = False):
        import dns.exception
        import dns.resolver

        try:
            return self.resolver.resolve(name, rtype, search=False)
        except dns.resolver.NXDOMAIN:
            if name_must_exist:
                raise
            return []
        except dns.resolver.NoAnswer:
            return []
        except dns.resolver.LifetimeTimeout:
            raise DnsTrouble(f"the resolver at {self.where} did not answer for {name} {rtype} "
                             f"in {self.resolver.lifetime:g} s") from None
        except dns.resolver.NoNameservers:
            raise DnsTrouble(f"the resolver at {self.where} failed to look up {name} {rtype} (SERVFAIL)") from None
        except (dns.exception.DNSException, OSError) as exc:
            raise DnsTrouble(f"{name} {rtype} could not be looked up at {self.where}: {exc}") from None

    def exists(self, name: str) -> bool:
        """Whether the name exists at this resolver: False on NXDOMAIN (no record of any type at
        it or under it), True when it answers, even with no record of the type asked."""
        import dns.resolver

        try:
            self._answer(name, "SOA", name_must_exist=True)
        except dns.resolver.NXDOMAIN:
            return False
        return True

    def txt(self, name: str) -> list[str]:
        """Each TXT record at ``name``, its strings joined (RFC 7208 3.3, RFC 6376 3.6.2.2)."""
        return [b"".join(r.strings).decode("utf-8", "replace") for r in self._answer(name, "TXT")]

    def mx(self, name: str) -> list[tuple[int, str]]:
        """(preference, host) of each MX; the host "." is a null MX (RFC 7505)."""
        return [(r.preference, r.exchange.to_text().rstrip(".") or ".") for r in self._answer(name, "MX")]

    def addresses(self, name: str) -> list[str]:
        return [r.to_text() for rtype in ("A", "AAAA") for r in self._answer(name, rtype)]
