"""Two service instances under uvicorn on one real PostgreSQL cluster, hit by a
few dozen threads at once: PostgreSQL does not serialise writers as SQLite
does, so every per-address and per-IP rule must hold across instances.

The threads only collect answers; the assertions are made here, in the test's
own thread."""

from __future__ import annotations

import shutil
import threading

import pytest

from conftest import FIXTURES
from list_support import SECRET, ServiceThread, request
from tipweek.project import Project
from tipweek.list.confirmation import confirmation_sender, transport_factory
from tipweek.list.look import look_of
from tipweek.list.service import Settings, create_app
from tipweek.list.database import open_store
from tipweek.list.tokens import Tokens

THREADS = 40



@pytest.fixture
def two_instances(tmp_path, postgres, recording_smtp):
    """Two services, each with its own store, on one fresh database; one mailbox."""
    shutil.copytree(FIXTURES / "library", tmp_path / "proj")
    project = Project.load(tmp_path / "proj" / "mkdocs.yml")
    look = look_of(project)
    db = postgres.new_database()
    instances, settings_of = [], []
    for _ in range(2):
        settings = Settings(open_store(db), Tokens(SECRET), look, "", confirmation_sender(
            look, project.options.email_from, transport_factory(tmp_path, None, recording_smtp.address, False, None)),
            ip_limit=10)
        instances.append(ServiceThread(create_app(settings)))
        settings_of.append(settings)
    with instances[0], instances[1]:
        yield [i.url for i in instances], open_store(db), recording_smtp.handler, settings_of


def at_once(urls: list[str], forms: list[dict]) -> list[int]:
    """POST each form to /subscribe from its own thread, all released together,
    alternating between the instances; the statuses in order."""
    start = threading.Barrier(len(forms))
    statuses: list = [None] * len(forms)

    def post(i: int) -> None:
        start.wait()
        try:
            statuses[i] = request("POST", f"{urls[i % len(urls)]}/subscribe", form=forms[i])[0]
        except Exception as exc:  # noqa: BLE001 - reported by the test's own thread
            statuses[i] = repr(exc)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(forms))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return statuses


def test_one_new_address_signed_up_from_both_instances_at_once(two_instances):
    urls, store, mailbox, settings = two_instances
    for each in settings:
        each.ip_limit = 1000
    statuses = at_once(urls, [{"email": "race@example.org", "name": "Race"}] * THREADS)
    assert statuses == [200] * THREADS
    [sub] = store.everyone()
    assert [(e.action, e.how) for e in store.events()] == [("joined", "form")]  # one join in the consent record
    assert mailbox.count("race@example.org") == 3  # each sign-up gets its email, up to 3 a day


def test_the_per_ip_limit_holds_across_instances(two_instances):
    urls, store, _, _ = two_instances
    statuses = at_once(urls, [{"email": f"ip{i}@example.org"} for i in range(THREADS)])
    assert sorted(statuses) == [200] * 10 + [429] * (THREADS - 10)
    assert len(store.everyone()) == 10
