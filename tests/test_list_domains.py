"""An internal list: the plugin's allowed_domains, as a reader, an operator and an
editor meet it. The service under uvicorn with its confirmation email received by
aiosmtpd; ``tipweek list serve`` and ``list import`` as an operator runs them, on
SQLite and PostgreSQL; the Subscribe page of a built site; ``tipweek check``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, build_site
from list_support import SECRET, ServiceThread, request, serve, snapshot, wait_for
from tipweek.cli.main import main
from tipweek.list.confirmation import confirmation_sender, transport_factory
from tipweek.list.database import open_store
from tipweek.list.look import look_of
from tipweek.list.service import Settings, create_app
from tipweek.list.tokens import Tokens
from tipweek.project import Project

SENTENCE = "Only addresses at example.org or bücher.de can join."
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
REFUSED = "is not at example.org or bücher.de: only addresses there can join this list."


def with_option(project: Path, lines: str) -> Path:
    """The project's mkdocs.yml with ``lines`` added to the tipweek plugin's options."""
    config = project / "mkdocs.yml"
    text = config.read_text("utf-8")
    config.write_text(text.replace("      list_id: tips.example.org\n", f"      list_id: tips.example.org\n{lines}"),
                      "utf-8")
    return config


def title(body: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", body, re.S).group(1)


# ------------------------------------------------------------------ the service's form

@pytest.fixture(scope="module")
def internal(tmp_path_factory, recording_smtp):
    """The service of a project whose allowed_domains are example.org and bücher.de
    (written as an editor might: in capitals, and in its ASCII form)."""
    tmp = tmp_path_factory.mktemp("internal")
    shutil.copytree(FIXTURES / "library", tmp / "proj")
    with_option(tmp / "proj", "      allowed_domains: [Example.ORG, xn--bcher-kva.de]\n")
    project = Project.load(tmp / "proj" / "mkdocs.yml")
    store = open_store(f"sqlite:///{tmp}/list.sqlite3")
    look = look_of(project)
    settings = Settings(store, Tokens(SECRET), look, "", confirmation_sender(
        look, project.options.email_from, transport_factory(tmp, None, recording_smtp.address, False, None)),
        allowed_domains=tuple(project.options.allowed_domains))
    thread = ServiceThread(create_app(settings))
    settings.list_url = thread.url
    with thread:
        yield thread.url, store, recording_smtp.handler


@pytest.mark.parametrize("address,kept_as", [
    ("ana@example.org", "ana@example.org"),
    ("bo@mail.example.org", "bo@mail.example.org"),  # a subdomain
    ("Cy@EXAMPLE.org", "Cy@example.org"),
    ("di@bücher.de", "di@xn--bcher-kva.de"),  # the option's ASCII form takes the Unicode address...
    ("ed@post.xn--bcher-kva.de", "ed@post.xn--bcher-kva.de"),  # ...and its ASCII form
], ids=["domain", "subdomain", "capitals", "unicode", "idna"])
def test_an_address_at_an_allowed_domain_joins(internal, address, kept_as):
    url, store, mailbox = internal
    status, body, _ = request("POST", f"{url}/subscribe", form={"email": address, "name": "Reader"})
    assert status == 200 and title(body) == "Check your inbox"
    mail = wait_for(lambda: [m for m in mailbox.received if m.rcpt_tos == [kept_as]], f"the mail to {kept_as}")
    assert "/confirm/" in mail[0].message.get_body(("plain",)).get_content()
    assert store.find(kept_as).state == "pending"


@pytest.mark.parametrize("address", ["dee@gmail.com", "dee@badexample.org", "dee@example.org.evil.com",
                                     "dee@bücher.de.example.com", "dee@xn--bcher-kva.com"])
def test_an_address_outside_is_refused_and_nothing_happens(internal, address):
    url, store, mailbox = internal
    before = snapshot(store), len(mailbox.received)
    status, body, _ = request("POST", f"{url}/subscribe", form={"email": address, "name": "Dee"})
    assert (snapshot(store), len(mailbox.received)) == before
    assert status == 400
    assert re.search(rf'<p class="error" role="alert" id="form-error">\S+ {REFUSED}</p>', body)
    assert SENTENCE in body  # the form again, saying who can join
    assert 'name="name" autocomplete="name" maxlength="100" value="Dee"' in body  # as they typed it
    assert store.find(address) is None


def test_the_services_own_form_says_who_can_join(internal):
    url, _, _ = internal
    status, body, _ = request("GET", f"{url}/subscribe")
    assert status == 200
    assert f'<p class="small" id="tw-domains">{SENTENCE}</p>' in body
    assert 'aria-describedby="tw-domains"' in body


def test_list_serve_reads_the_option(project, tmp_path):
    """From mkdocs.yml to the running service, as an operator starts it."""
    with_option(project, "      allowed_domains: example.org\n")  # one domain alone, without the list
    log = tmp_path / "serve.log"
    with open(log, "wb") as err:
        proc, url = serve(project, f"sqlite:///{tmp_path}/list.sqlite3", stderr=err)
    try:
        assert "sign-ups only from example.org (allowed_domains)\n" in log.read_text()  # the operator sees it
        assert "Only addresses at example.org can join." in request("GET", f"{url}/subscribe")[1]
        status, body, _ = request("POST", f"{url}/subscribe", form={"email": "zed@example.com"})
        assert status == 400 and "zed@example.com is not at example.org: only addresses" in body
        assert request("POST", f"{url}/subscribe", form={"email": "ann@team.example.org"})[0] == 200
    finally:
        proc.terminate()
        proc.wait(20)
    assert len(list((project / "outbox" / "new").iterdir())) == 1  # one confirmation, to ann
    assert [s.email for s in open_store(f"sqlite:///{tmp_path}/list.sqlite3").everyone()] == ["ann@team.example.org"]


# ------------------------------------------------------------------ the site's Subscribe page

def test_the_subscribe_page_says_who_can_join(project, tmp_path):
    shutil.copy(Path(__file__).parent.parent / "docs" / "subscribe.md", project / "docs" / "subscribe.md")
    with_option(project, "      list_url: https://list.example.org\n      allowed_domains: [example.org, bücher.de]\n")
    page = (build_site(project, tmp_path / "site") / "subscribe" / "index.html").read_text("utf-8")
    form = re.search(r'<form class="tw-signup" method="post" action="https://list.example.org/subscribe">.*?</form>',
                     page, re.S).group(0)
    assert f'<p class="small" id="tw-domains">{SENTENCE}</p>' in form


# ------------------------------------------------------------------ import

def run(project, *args):
    return CliRunner(catch_exceptions=False).invoke(main, ["list", *args, "-f", str(project / "mkdocs.yml")])


def test_an_import_with_one_address_outside_imports_nothing(project, db_url, tmp_path):
    with_option(project, "      allowed_domains: [example.org, bücher.de]\n")
    open_store(db_url).import_confirmed([("old@example.org", "Old")], NOW)
    before = open_store(db_url).everyone()
    people = tmp_path / "people.csv"
    people.write_text("email,name\nana@example.org,Ana\nbo@mail.example.org,Bo\ndi@xn--bcher-kva.de,Di\n"
                      "cy@badexample.org,Cy\ned@example.org.evil.com,Ed\n", "utf-8")
    result = run(project, "import", str(people), "--db", db_url)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{people}:5: cy@badexample.org is not at example.org or bücher.de: only addresses there can join this "
        "list (allowed_domains in mkdocs.yml)",
        f"{people}:6: ed@example.org.evil.com is not at example.org or bücher.de: only addresses there can join this "
        "list (allowed_domains in mkdocs.yml)",
        f"Error: 2 bad row(s) in {people}; nothing imported"]
    assert open_store(db_url).everyone() == before  # the one from before, and nobody else

    people.write_text("email,name\nana@example.org,Ana\nbo@mail.example.org,Bo\ndi@xn--bcher-kva.de,Di\n", "utf-8")
    result = run(project, "import", str(people), "--db", db_url)
    assert result.exit_code == 0 and "3 added" in result.output
    assert len(open_store(db_url).everyone()) == 4


def test_those_outside_stay_and_are_counted(project, db_url, tmp_path):
    """Set after people joined, the option leaves them on the list; stats and
    the restore of an export say how many are outside."""
    people = tmp_path / "people.csv"
    people.write_text("email,name\nana@example.org,Ana\nzed@gmail.com,Zed\nyan@yahoo.example,Yan\n", "utf-8")
    assert run(project, "import", str(people), "--db", db_url).exit_code == 0
    assert run(project, "unsubscribe", "yan@yahoo.example", "--db", db_url).exit_code == 0  # gone: not counted
    backup = tmp_path / "backup.csv"
    assert run(project, "export", "--out", str(backup), "--db", db_url).exit_code == 0

    with_option(project, "      allowed_domains: [example.org]\n")
    note = ("note: 1 pending or confirmed {} is not at example.org (allowed_domains): they stay on the list and get "
            "the tips until they leave; `tipweek list unsubscribe ADDRESS` takes one off")
    result = run(project, "stats", "--db", db_url)
    assert result.output.splitlines()[:2] == ["2 confirmed, 0 pending, 1 unsubscribed, 0 bounced",
                                              note.format("on the list")]
    assert json.loads(run(project, "stats", "--json", "--db", db_url).output)["outside_allowed_domains"] == 1
    assert [s.email for s in open_store(db_url).deliverable()] == ["ana@example.org", "zed@gmail.com"]

    # A restore brings the list back as it was (the outsider too), and says so.
    empty = f"sqlite:///{tmp_path}/restored.sqlite3"
    result = run(project, "import", str(backup), "--db", empty)
    assert result.exit_code == 0 and note.format("in the file") in result.output.splitlines()
    rows = {r["email"]: r["state"] for r in csv.DictReader(io.StringIO(backup.read_text()))}
    assert {s.email: s.state for s in open_store(empty).everyone()} == rows


# ------------------------------------------------------------------ the option

@pytest.mark.parametrize("value,message", [
    ("['*.example.org']", "'*.example.org' is not a domain: write example.org (its subdomains are allowed too)"),
    ("['@example.org']", "'@example.org' is not a domain: write it without @ (example.org)"),
    ("[staff@example.org]", "'staff@example.org' is not a domain: write it without @ (example.org)"),
    ("['https://Example.org/']", "'https://Example.org/' is not a domain: write the domain alone, without https:// "
                                 "or a path (example.org)"),
    ("[example.org, localhost]", "'localhost' is not a domain like example.org (it should have a period)"),
    ("[corp.local]", "'corp.local' is not a domain like example.org (it is a special-use or reserved name that "
                     "cannot be used with email)"),
    ("['example.org, example.com']", "'example.org, example.com' is not one domain: write each as an entry of its "
                                     "own, like [example.org, example.com]"),
    ("[42]", "42 is not a domain: write domains like [example.org, example.com]"),
    ("{example.org: yes}", "expected a list of domains, like [example.org, example.com]"),
], ids=["wildcard", "at", "address", "url", "no-dot", "special-use", "comma", "number", "mapping"])
def test_a_bad_entry_is_named_by_tipweek_check(project, tipweek, value, message):
    config = with_option(project, f"      allowed_domains: {value}\n")
    line = config.read_text().splitlines().index(f"      allowed_domains: {value}") + 1
    result = tipweek("check")
    assert result.exit_code == 1
    assert result.output == f"Error: {config}:{line}: Config value 'plugins': Plugin 'tipweek' option " \
                            f"'allowed_domains': {message}\n"


def test_good_entries_pass_tipweek_check(project, tipweek):
    with_option(project, "      allowed_domains:\n        - example.org\n        - Bücher.DE\n")
    result = tipweek("check")
    assert result.exit_code == 0, result.output
    assert Project.load(project / "mkdocs.yml").options.allowed_domains == ["example.org", "bücher.de"]

