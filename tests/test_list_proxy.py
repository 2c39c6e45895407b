"""`tipweek list serve --trusted-proxy`: the per-IP sign-up limit counts the
visitor's address, which X-Forwarded-For carries only from a proxy the
operator named; from anyone else the header is ignored. Any 127.x.y.z is this
machine, so the tests send from 127.0.0.5 (the "balancer") and 127.0.0.6 (a
visitor who sets the header himself)."""

from __future__ import annotations

from list_support import request, serve
from tipweek.list.database import open_store

BALANCER, VISITOR = "127.0.0.5", "127.0.0.6"


def sign_ups(url: str, source: str, forwarded_for: list[str]) -> list[int]:
    return [request("POST", f"{url}/subscribe", form={"email": f"p{n}-{source}@example.org"}, source=source,
                    headers={"X-Forwarded-For": client})[0] for n, client in enumerate(forwarded_for)]


def counted(db: str) -> set[str]:
    with open_store(db)._read() as cur:
        cur.execute("SELECT DISTINCT ip FROM signups")
        return {ip for (ip,) in cur.fetchall()}


def test_a_balancer_on_another_host(project):
    db = f"sqlite:///{project}/list.sqlite3"
    proc, url = serve(project, db, "--ip-limit", "2", "--trusted-proxy", BALANCER)
    try:
        # Four visitors through the balancer: each has a limit of their own.
        assert sign_ups(url, BALANCER, [f"198.51.100.{i}" for i in range(4)]) == [200] * 4
        # A visitor straight in cannot pose as many: the header is ignored, the limit is theirs.
        assert sign_ups(url, VISITOR, [f"203.0.113.{i}" for i in range(3)]) == [200, 200, 429]
        # Nor can one on this machine, once the operator named the proxy.
        assert sign_ups(url, "127.0.0.1", [f"192.0.2.{i}" for i in range(3)]) == [200, 200, 429]
        assert counted(db) == {*(f"198.51.100.{i}" for i in range(4)), VISITOR, "127.0.0.1"}
    finally:
        proc.kill()
        proc.wait(20)


def test_by_default_only_a_proxy_on_this_machine_is_trusted(project):
    db = f"sqlite:///{project}/list.sqlite3"
    proc, url = serve(project, db, "--ip-limit", "1")
    try:
        assert sign_ups(url, "127.0.0.1", ["198.51.100.1", "198.51.100.2"]) == [200, 200]
        assert sign_ups(url, VISITOR, ["203.0.113.1", "203.0.113.2"]) == [200, 429]
    finally:
        proc.kill()
        proc.wait(20)


def test_a_trusted_proxy_that_is_not_an_address(project, tipweek):
    result = tipweek("list", "serve", "--trusted-proxy", "balancer.internal")
    assert result.exit_code == 2
    assert "Invalid value for --trusted-proxy: 'balancer.internal' is not an IP address or network" in result.output
