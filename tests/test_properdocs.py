"""The way forward: the project builds unchanged with ProperDocs, the
continuation of MkDocs 1.x, and gives the same site as MkDocs.

Both builds run on a copy of this repository's own mkdocs.yml, docs/ and
tips/, at once, each as its command-line tool runs it (`tipweek build` as
`make site` does, and `properdocs build`), for the same day. ProperDocs is in
the test extra beside MkDocs: it is its own package (`properdocs`), and it
stands in for `mkdocs` only in its own process (its command line maps the
`mkdocs.*` imports of Material and of our plugin onto itself), so the MkDocs
build of the same venv is untouched.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TODAY

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The one line where the two sites may differ: Material names the generator.
GENERATOR = re.compile(rb'<meta name="generator" content="[^"]*">')


def require_properdocs() -> Path:
    """The properdocs command of this venv; fail under CI=true, else skip, without it."""
    command = BIN / "properdocs"
    if command.exists():
        return command
    message = "properdocs is not installed in this venv (it is in the test extra: make test installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def files_of(site: Path) -> dict[str, bytes]:
    """Every file of a built site, path -> bytes (gzip read inside)."""
    found = {}
    for path in sorted(site.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            found[path.relative_to(site).as_posix()] = data
    return found


def comparable(files: dict[str, bytes]) -> dict[str, bytes]:
    """The site as the two builds must agree on it: the generator line left
    out of pages. Pagefind writes its filter chunk in a different order from
    one run to the next (the same MkDocs build twice gives two names), and its
    meta file and entry name that chunk: the chunk is compared by what it
    holds (its bytes sorted), the other two without the names."""
    same: dict[str, bytes] = {}
    filters = {path: re.search(r"([^/]+)\.pf_filter$", path).group(1).encode() for path in files
               if path.endswith(".pf_filter")}
    for path, data in files.items():
        if path in filters:
            path, data = f"{path.rsplit('/', 1)[0]}/({len(data)} bytes, order aside)", bytes(sorted(data))
        elif path.endswith(".pf_meta"):
            for name in filters.values():
                data = data.replace(name, b"(a filter chunk)")
            path = f"{path.rsplit('/', 1)[0]}/(meta)"
        elif path.endswith(".html"):
            data = GENERATOR.sub(b'<meta name="generator">', data, count=1)
        elif path.endswith("pagefind-entry.json"):
            entry = json.loads(data)
            for language in entry["languages"].values():
                language.pop("hash")
            data = json.dumps(entry, sort_keys=True).encode()
        same[path] = data
    return same


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory) -> tuple[Path, Path, str]:
    """This project built by MkDocs (tipweek build) and by ProperDocs, at once."""
    properdocs = require_properdocs()
    root = tmp_path_factory.mktemp("two-builds")
    projects = []
    for tool in ("mkdocs", "properdocs"):  # a copy each: no cache in .tipweek/ shared by the two at once
        project = root / f"{tool}-project"
        project.mkdir()
        shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
        for folder in ("docs", "tips"):
            shutil.copytree(ROOT / folder, project / folder)
        projects.append(project)
    # One day for tipweek and one build date for MkDocs (the sitemap's lastmod) in both.
    env = {**os.environ, "TIPWEEK_TODAY": TODAY, "SOURCE_DATE_EPOCH": "1795000000", "NO_MKDOCS_2_WARNING": "1"}
    mkdocs_site, properdocs_site = root / "mkdocs-site", root / "properdocs-site"
    runs = [subprocess.Popen([str(BIN / "tipweek"), "build", "--strict", "--site-dir", str(mkdocs_site)],
                             cwd=projects[0], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
            subprocess.Popen([str(properdocs), "build", "--strict", "--site-dir", str(properdocs_site)],
                             cwd=projects[1], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)]
    logs = [run.communicate(timeout=300)[0] for run in runs]
    for run, log, name in zip(runs, logs, ("tipweek build (MkDocs)", "properdocs build")):
        assert run.returncode == 0, f"{name} failed:\n{log}"
    return mkdocs_site, properdocs_site, logs[1]


def test_properdocs_builds_the_project_as_mkdocs_does(two_builds):
    mkdocs_site, properdocs_site, log = two_builds
    assert "tipweek: search index of" in log  # our plugin ran inside ProperDocs
    by_mkdocs, by_properdocs = files_of(mkdocs_site), files_of(properdocs_site)
    # The generator line is the one difference, and it names ProperDocs.
    assert b"ProperDocs" in GENERATOR.search(by_properdocs["index.html"]).group()
    assert b"mkdocs-1." in GENERATOR.search(by_mkdocs["index.html"]).group()
    # Feeds, sitemap and the email's web versions: byte for byte.
    for path in ("feed.xml", "atom.xml", "feed.json", "principles/ownership/feed.xml", "sitemap.xml",
                 "sitemap.xml.gz", "email/latest.html"):
        assert by_properdocs[path] == by_mkdocs[path], path
    assert [p for p in by_mkdocs if p.startswith("email/")] == [p for p in by_properdocs if p.startswith("email/")]
    # Every other file: the same set, the same bytes apart from the generator line.
    left, right = comparable(by_mkdocs), comparable(by_properdocs)
    assert sorted(left) == sorted(right)
    differ = [path for path in left if left[path] != right[path]]
    assert not differ, f"ProperDocs' site differs from MkDocs' in {differ}"


def test_the_site_check_passes_on_the_properdocs_build(two_builds):
    """`tipweek check --site` finds ProperDocs' site whole, with nothing scheduled in it."""
    _, properdocs_site, _ = two_builds
    result = subprocess.run([str(BIN / "tipweek"), "check", "--site", str(properdocs_site), "-f",
                             str(properdocs_site.parent / "properdocs-project" / "mkdocs.yml")],
                            env={**os.environ, "TIPWEEK_TODAY": TODAY}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "none of the" in result.stdout
