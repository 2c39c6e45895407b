"""The GitHub workflows, the pre-commit hook and the editor's preview.

actionlint is not packaged for Debian bookworm (and its PyPI wrappers download
a binary at install time), so the workflows are checked here with PyYAML:
triggers, jobs, pinned actions, Pages permissions, the schedule, and that each
`run:` step calls only commands this project has.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import subprocess
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner

from tipweek.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
CHECK, PUBLISH = WORKFLOWS / "check.yml", WORKFLOWS / "publish.yml"
IN_CI = os.environ.get("CI") == "true"


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict) -> dict:
    # YAML 1.1 reads the key `on` as the boolean True.
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return on


def steps(workflow: dict):
    for job_id, job in workflow["jobs"].items():
        for step in job["steps"]:
            yield job_id, step


def step_running(workflow: dict, needle: str) -> tuple[str, dict]:
    found = [(job_id, step) for job_id, step in steps(workflow) if needle in step.get("run", "")]
    assert found, f"no run: step contains {needle!r}"
    return found[0]


def step_using(workflow: dict, action: str) -> tuple[str, dict]:
    found = [(job_id, step) for job_id, step in steps(workflow)
             if step.get("uses", "").split("@")[0] == action]
    assert found, f"no step uses {action}"
    return found[0]


# ------------------------------------------------------------------ structure

@pytest.mark.parametrize("path", [CHECK, PUBLISH], ids=["check", "publish"])
def test_every_job_has_a_runner_and_steps(path):
    workflow = load(path)
    assert workflow.get("name")
    assert workflow["jobs"]
    for job_id, job in workflow["jobs"].items():
        assert job.get("runs-on"), f"{job_id}: no runs-on"
        assert job.get("steps"), f"{job_id}: no steps"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"{job_id}: a step needs exactly one of uses/run: {step}"
        for need in [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", []):
            assert need in workflow["jobs"], f"{job_id} needs unknown job {need}"


PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@v\d+(\.\d+){0,2}$")


@pytest.mark.parametrize("path", [CHECK, PUBLISH], ids=["check", "publish"])
def test_every_action_is_pinned_to_a_version_tag(path):
    for job_id, step in steps(load(path)):
        if "uses" in step:
            assert PINNED.match(step["uses"]), f"{job_id}: {step['uses']} is not pinned to a version tag (@vN)"


@pytest.mark.parametrize("path", [CHECK, PUBLISH], ids=["check", "publish"])
def test_no_expression_inside_a_script(path):
    # ${{ }} pasted into a script is a script-injection risk; pass values through env.
    for job_id, step in steps(load(path)):
        assert "${{" not in step.get("run", ""), f"{job_id}: put the expression in env: instead: {step['run']}"


def test_check_runs_on_every_pull_request_and_push():
    on = triggers(load(CHECK))
    assert "pull_request" in on and "push" in on
    for event in ("pull_request", "push"):
        assert not (on[event] or {}).get("branches") and not (on[event] or {}).get("paths"), \
            f"{event} must not be filtered"


def test_check_steps_in_order():
    workflow = load(CHECK)
    (job_id, job), = workflow["jobs"].items()
    assert str(job.get("env", {}).get("CI")).lower() == "true"
    runs = [step.get("run", "") for step in job["steps"]]
    uses = [step.get("uses", "").split("@")[0] for step in job["steps"]]
    assert uses.index("actions/checkout") < uses.index("actions/setup-python")
    python = job["steps"][uses.index("actions/setup-python")]["with"]["python-version"]
    assert str(python) == "3.11"

    def at(needle: str) -> int:
        return next(i for i, run in enumerate(runs) if needle in run)

    order = [uses.index("actions/setup-python"), at("make .venv/.installed"),
             at(".venv/bin/tipweek check --format github"), at(".venv/bin/tipweek build --strict"),
             at(".venv/bin/tipweek check --site site"), at("/usr/bin/chromium"), at("-m pytest")]
    assert order == sorted(order), runs


def test_publish_triggers():
    on = triggers(load(PUBLISH))
    assert on["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in on
    assert len(on["schedule"]) == 1 and "cron" in on["schedule"][0]


def test_publish_builds_uploads_and_deploys_to_pages():
    workflow = load(PUBLISH)
    assert workflow["concurrency"]["group"] == "pages"
    assert workflow["concurrency"].get("cancel-in-progress") is False
    build_job, build = step_running(workflow, "make site")
    upload_job, upload = step_using(workflow, "actions/upload-pages-artifact")
    assert upload_job == build_job
    assert upload["with"]["path"].rstrip("/") == "site"
    deploy_job, deploy = step_using(workflow, "actions/deploy-pages")
    job = workflow["jobs"][deploy_job]
    assert build_job in ([job["needs"]] if isinstance(job["needs"], str) else job["needs"])
    permissions = {**workflow.get("permissions", {}), **job.get("permissions", {})}
    assert permissions.get("pages") == "write" and permissions.get("id-token") == "write"
    environment = job["environment"]
    assert (environment["name"] if isinstance(environment, dict) else environment) == "github-pages"
    # Pages deploys only what the build job uploaded: no write access anywhere else.
    for other_id, other in workflow["jobs"].items():
        if other_id != deploy_job:
            assert "write" not in {**workflow.get("permissions", {}), **other.get("permissions", {})}.values()


def make_recipe(target: str) -> list[str]:
    """The command lines of a Makefile target's recipe."""
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"^{re.escape(target)}\s*:(?!=)", line))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def test_the_published_site_is_checked_after_its_build():
    # publish.yml deploys what `make site` built; `make site` refuses a site that is
    # not whole or shows a tip before its date, so such a site is never uploaded.
    recipe = make_recipe("site")
    build = next(i for i, line in enumerate(recipe) if "tipweek build" in line)
    site_check = next(i for i, line in enumerate(recipe) if "tipweek check --site site" in line)
    assert build < site_check, recipe
    workflow = load(PUBLISH)
    build_job, make_site = step_running(workflow, "make site")
    upload_job, upload = step_using(workflow, "actions/upload-pages-artifact")
    job_steps = workflow["jobs"][build_job]["steps"]
    assert job_steps.index(make_site) < job_steps.index(upload)


# ------------------------------------------------------------------ schedule

CRON_FIELDS = [("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
               ("day of week", 0, 7)]
NAMES = {3: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
         4: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]}


def cron_values(field: str, index: int) -> set[int]:
    """The values one POSIX cron field stands for (as GitHub reads them)."""
    name, lo, hi = CRON_FIELDS[index]
    names = NAMES.get(index, [])
    first = 1 if index == 3 else 0

    def number(text: str) -> int:
        if text.lower() in names:
            return names.index(text.lower()) + first
        assert text.isdigit(), f"{name}: {text!r} is not a number"
        return int(text)

    values: set[int] = set()
    for part in field.split(","):
        body, _, step = part.partition("/")
        step_by = number(step) if step else 1
        assert step_by >= 1, f"{name}: step {step}"
        if body == "*":
            start, end = lo, hi
        elif "-" in body:
            start, end = map(number, body.split("-", 1))
        else:
            start = end = number(body)
            if step:
                end = hi
        assert lo <= start <= end <= hi, f"{name}: {part!r} is outside {lo}-{hi}"
        values.update(range(start, end + 1, step_by))
    if index == 4:
        values = {v % 7 for v in values}  # 0 and 7 are both Sunday
    return values


def test_cron_parser():
    assert cron_values("*/15", 0) == {0, 15, 30, 45}
    assert cron_values("1-3,7", 4) == {1, 2, 3, 0}
    assert cron_values("TUE", 4) == {2}
    with pytest.raises(AssertionError):
        cron_values("61", 0)


def test_schedule_is_early_tuesday_in_the_publishing_zone():
    cron = triggers(load(PUBLISH))["schedule"][0]["cron"]
    fields = cron.split()
    assert len(fields) == 5, cron
    minutes, hours, days, months, weekdays = (cron_values(f, i) for i, f in enumerate(fields))
    assert fields[2] == "*" and fields[3] == "*", "run every week: day of month and month must be *"
    assert weekdays == {2}, f"{cron} must run on Tuesday (2) only"
    assert max(hours) < 9, f"{cron}: run early, before readers look"
    assert len(minutes) * len(hours) == 1, "run once a week"
    # The site's "today" is taken in the plugin's time zone: the run must fall on
    # the publishing weekday there too, in winter and in summer time.
    plugin = next(p["tipweek"] for p in load(ROOT / "mkdocs.yml")["plugins"] if isinstance(p, dict) and "tipweek" in p)
    zone, weekday = ZoneInfo(plugin.get("timezone", "UTC")), plugin.get("weekday", "tuesday")
    day = dt.date(2027, 1, 1)
    while day.year == 2027:
        if day.isoweekday() % 7 in weekdays:
            for hour in hours:
                for minute in minutes:
                    moment = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.timezone.utc)
                    assert moment.astimezone(zone).strftime("%A").lower() == weekday, moment
        day += dt.timedelta(days=1)


# ------------------------------------------------------------------ run: steps

def make_targets() -> set[str]:
    variables: dict[str, str] = {}
    targets: set[str] = set()
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if line.startswith("\t") or line.lstrip().startswith("#"):
            continue
        var = re.match(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?::=|\?=|=)\s*(.*)$", line)
        if var:
            variables[var.group(1)] = var.group(2).strip()
            continue
        rule = re.match(r"^([^\s#:=][^:=]*?)\s*:(?!=)", line)
        if rule:
            for name in rule.group(1).split():
                for _ in range(5):
                    name = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m.group(1), ""), name)
                if not name.startswith("."):
                    targets.add(name)
                elif "/" in name:  # a file target such as .venv/.installed
                    targets.add(name)
    return targets


def tipweek_subcommands() -> set[str]:
    """The subcommands `tipweek --help` lists."""
    result = CliRunner(catch_exceptions=False).invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    listing = result.output.split("Commands:", 1)[1]
    return {line.split()[0] for line in listing.splitlines() if line.strip()}


def tipweek_options(subcommand: str) -> set[str]:
    """The options of a tipweek subcommand; build and serve pass the rest to mkdocs."""
    from mkdocs.__main__ import cli as mkdocs_cli

    def options(command) -> set[str]:
        return {opt for param in command.params if param.param_type_name == "option"
                for opt in (*param.opts, *param.secondary_opts)}

    known = options(main.commands[subcommand])
    if subcommand in mkdocs_cli.commands:
        known |= options(mkdocs_cli.commands[subcommand])
    return known


KEYWORDS = {"if", "then", "elif", "else", "fi", "while", "do", "done", "!", "{", "}"}
CONTROL = {";", "&&", "||", "|", "&", "(", ")", ";;"}
# Ordinary tools of the runner image, and the browser the tests use.
TOOLS = {"echo", "printf", "exit", "test", "[", "true", "false", "grep", "date", "ln", "command", "apt-get",
         "mkdir", "cat", "/usr/bin/chromium"}


def commands(script: str) -> list[list[str]]:
    """Each simple command of a shell script, as [command, *arguments]: enough
    shell for the short scripts of a workflow (no heredocs, no subshells)."""
    found: list[list[str]] = []
    text = script.replace("\\\n", " ")
    for line in text.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        current: list[str] | None = None
        skip = False
        for token in lexer:
            if skip:
                skip = False
                continue
            if token in CONTROL:
                current = None
                continue
            if set(token) <= set("<>&") and token:
                skip = True  # a redirection and its target
                continue
            if current is not None:
                current.append(token)
                continue
            if token in KEYWORDS or token == "sudo" or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", token):
                continue
            current = [token]
            found.append(current)
    return found


def test_command_splitter():
    script = ('if [ ! -x /x ]; then\n  sudo ln -s "$a" /x\nfi\nA=1 make site PYTHON=python && echo ok >> "$F"\n'
              "make \\\n  check")
    assert [c[0] for c in commands(script)] == ["[", "ln", "make", "echo", "make"]
    assert commands(script)[2] == ["make", "site", "PYTHON=python"]


@pytest.mark.parametrize("path", [CHECK, PUBLISH], ids=["check", "publish"])
def test_run_steps_call_only_what_the_project_has(path):
    targets, subcommands = make_targets(), tipweek_subcommands()
    assert {"site", "test", ".venv/.installed"} <= targets
    assert {"check", "build", "send"} <= subcommands
    for job_id, step in steps(load(path)):
        for command, *args in commands(step.get("run", "")):
            where = f"{path.name} {job_id}: {command} {' '.join(args)}"
            if command == "make":
                wanted = [a for a in args if not a.startswith("-") and "=" not in a]
                assert wanted, f"{where}: name a target"
                for target in wanted:
                    assert target in targets, f"{where}: the Makefile has no target {target}"
            elif command == ".venv/bin/tipweek":
                assert args and args[0] in subcommands, f"{where}: not a tipweek command"
                known = tipweek_options(args[0])
                for arg in args[1:]:
                    if arg.startswith("-"):
                        assert arg.split("=")[0] in known, f"{where}: tipweek {args[0]} has no option {arg}"
            elif command == ".venv/bin/python":
                assert args[:2] == ["-m", "pytest"], f"{where}: only the test suite runs through python"
            else:
                assert command in TOOLS, f"{where}: {command} is neither a project command nor a known tool"


# ------------------------------------------------------------------ email job

def test_email_job_runs_only_with_the_smtp_secret():
    workflow = load(PUBLISH)
    job = workflow["jobs"]["email"]
    gate = re.search(r"needs\.(\w+)\.outputs\.(\w+)\s*==\s*'true'", job["if"])
    assert gate, job["if"]
    source, output = gate.groups()
    assert source in job["needs"] and "deploy" in job["needs"]
    step_id = re.search(r"steps\.(\w+)\.outputs", workflow["jobs"][source]["outputs"][output]).group(1)
    step = next(s for s in workflow["jobs"][source]["steps"] if s.get("id") == step_id)
    assert step["env"]["SMTP_HOST"] == "${{ secrets.SMTP_HOST }}"
    assert "github.ref == 'refs/heads/main'" in job["if"]


def test_email_job_sends_through_smtp_and_keeps_the_ledger():
    workflow = load(PUBLISH)
    job = workflow["jobs"]["email"]
    send = next(s for s in job["steps"] if "tipweek send" in s.get("run", ""))
    (command, *args), = commands(send["run"])
    assert command == ".venv/bin/tipweek" and args[0] == "send"
    options = dict(zip(args, args[1:]))
    assert options["--smtp"] == "$SMTP_HOST:$SMTP_PORT" and options["--user"] == "$SMTP_USER"
    assert "--starttls" in args and "--subscribers" in options and "--dry-run" not in args
    assert send["env"]["TIPWEEK_SMTP_PASSWORD"] == "${{ secrets.SMTP_PASSWORD }}"
    for name in ("SMTP_HOST", "SMTP_USER"):
        assert send["env"][name] == f"${{{{ secrets.{name} }}}}"
    ledger = options["--ledger"]

    uses = [s.get("uses", "").split("@")[0] for s in job["steps"]]
    restore = job["steps"][uses.index("actions/cache/restore")]
    save = job["steps"][uses.index("actions/cache/save")]
    position = job["steps"].index
    assert position(restore) < position(send) < position(save)
    assert restore["with"]["path"] == save["with"]["path"] == ledger
    key = restore["with"]["key"]
    assert save["with"]["key"] == key
    assert "steps.week.outputs.week" in key and "github.run_id" in key and "github.run_attempt" in key
    prefixes = restore["with"]["restore-keys"].splitlines()
    assert prefixes[0] == key.split("${{ github.run_id }}")[0], "restore this week's newest ledger first"
    assert "always()" in save["if"], "save the ledger even when the send failed half-way"
    week = next(s for s in job["steps"] if s.get("id") == "week")
    assert "%G-W%V" in week["run"]


def test_every_secret_and_variable_is_documented():
    names = set()
    for path in (CHECK, PUBLISH):
        names |= set(re.findall(r"\b(?:secrets|vars)\.([A-Za-z_][A-Za-z0-9_]*)", path.read_text(encoding="utf-8")))
    names.discard("GITHUB_TOKEN")
    assert {"SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD"} <= names
    text = PUBLISH.read_text(encoding="utf-8")
    header = "\n".join(line for line in text.split("\nname:", 1)[0].splitlines() if line.startswith("#"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Publish from GitHub", 1)[1].split("\n## ", 1)[0]
    for name in sorted(names):
        assert re.search(rf"\b{name}\b", header), f"{name} is not described at the top of publish.yml"
        assert f"`{name}`" in section, f"{name} is not in the README's 'Publish from GitHub'"


# ------------------------------------------------------------------ chat job

@pytest.mark.parametrize("slack, teams, configured", [("https://x/1", "", "true"), ("", "https://x/2", "true"),
                                                      ("", "", "false")])
def test_chat_job_runs_only_with_a_webhook_secret(tmp_path, slack, teams, configured):
    workflow = load(PUBLISH)
    job = workflow["jobs"]["chat"]
    gate = re.search(r"needs\.(\w+)\.outputs\.(\w+)\s*==\s*'true'", job["if"])
    assert gate, job["if"]
    source, output = gate.groups()
    assert source in job["needs"] and "deploy" in job["needs"]
    assert "github.ref == 'refs/heads/main'" in job["if"] and "github.event_name != 'push'" in job["if"]
    step_id = re.search(r"steps\.(\w+)\.outputs", workflow["jobs"][source]["outputs"][output]).group(1)
    step = next(s for s in workflow["jobs"][source]["steps"] if s.get("id") == step_id)
    assert step["env"] == {"SLACK_WEBHOOK_URL": "${{ secrets.SLACK_WEBHOOK_URL }}",
                           "TEAMS_WEBHOOK_URL": "${{ secrets.TEAMS_WEBHOOK_URL }}"}
    out = tmp_path / "github_output"
    subprocess.run(["bash", "-e", "-c", step["run"]], check=True, env={
        **os.environ, "SLACK_WEBHOOK_URL": slack, "TEAMS_WEBHOOK_URL": teams, "GITHUB_OUTPUT": str(out)})
    assert out.read_text() == f"configured={configured}\n"


def test_chat_job_posts_from_the_secrets_and_keeps_its_ledger():
    job = load(PUBLISH)["jobs"]["chat"]
    post = next(s for s in job["steps"] if "tipweek post" in s.get("run", ""))
    (command, *args), = commands(post["run"])
    assert command == ".venv/bin/tipweek" and args[0] == "post"
    assert "--slack" not in args and "--teams" not in args and "--dry-run" not in args  # URLs stay out of the log
    assert post["env"] == {"TIPWEEK_SLACK_WEBHOOK": "${{ secrets.SLACK_WEBHOOK_URL }}",
                           "TIPWEEK_TEAMS_WEBHOOK": "${{ secrets.TEAMS_WEBHOOK_URL }}"}
    ledger = dict(zip(args, args[1:]))["--ledger"]
    uses = [s.get("uses", "").split("@")[0] for s in job["steps"]]
    restore = job["steps"][uses.index("actions/cache/restore")]
    save = job["steps"][uses.index("actions/cache/save")]
    position = job["steps"].index
    assert position(restore) < position(post) < position(save)
    assert restore["with"]["path"] == save["with"]["path"] == ledger
    key = restore["with"]["key"]
    assert save["with"]["key"] == key and "github.run_id" in key and "github.run_attempt" in key
    assert restore["with"]["restore-keys"].splitlines()[0] == key.split("${{ github.run_id }}")[0]
    assert "always()" in save["if"] and ledger in save["if"]
    email = load(PUBLISH)["jobs"]["email"]
    email_key = next(s for s in email["steps"] if s.get("uses", "").startswith("actions/cache/save"))["with"]["key"]
    assert key.split("${{")[0] != email_key.split("${{")[0], "the two jobs must not restore each other's ledger"


# ------------------------------------------------------------------ check --format github

def test_github_annotations_escape_properties_and_stay_on_one_line(project, tipweek):
    # The plain case is in test_check.py; here a path with ',' and ':' and a
    # multi-line YAML error must still make well-formed workflow commands.
    (project / "tips/2026/own, the: mistake.md").write_text("---\ntitle: T\n---\nBody\n", encoding="utf-8")
    (project / "tips/2026/2026-12-01-x.md").write_text(
        "---\ntitle: T\ndate: 2026-12-01\ntags: [ownership\nsummary: x\n---\nBody\n", encoding="utf-8")
    result = tipweek("check", "--format", "github")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines and all(line.startswith("::error file=") for line in lines), result.output
    assert any(line.startswith("::error file=tips/2026/own%2C the%3A mistake.md,line=1,title=tipweek check::")
               for line in lines), result.output
    yaml_error = next(line for line in lines if "2026-12-01-x.md" in line)
    assert re.match(r"::error file=tips/2026/2026-12-01-x\.md,line=\d+,title=tipweek check::close the list with", yaml_error)


# ------------------------------------------------------------------ pre-commit

def test_pre_commit_hook_declaration():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "tipweek-check")
    assert hook["language"] == "system" and hook["pass_filenames"] is False
    assert re.search(hook["files"], "tips/2026/2026-11-17-own-the-mistake.md")
    assert re.search(hook["files"], "tips/principles.yml")
    assert not re.search(hook["files"], "docs/index.md")
    program, subcommand, *rest = shlex.split(hook["entry"])
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts.get(program) == "tipweek.cli.main:main", f"{program} is not this project's console script"
    assert subcommand in tipweek_subcommands() and not rest


def test_pre_commit_local_hook_runs_the_check():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    repo = next(r for r in config["repos"] if r["repo"] == "local")
    hook = next(h for h in repo["hooks"] if h["id"] == "tipweek-check")
    assert hook["language"] == "system" and hook["pass_filenames"] is False
    assert re.search(hook["files"], "tips/2026/2026-11-17-own-the-mistake.md")
    program, *args = shlex.split(hook["entry"])
    assert program == ".venv/bin/tipweek" and args == ["check"]
    executable = ROOT / program
    if not executable.exists():
        if IN_CI:
            pytest.fail(f"{program} is missing: `make test` creates it")
        pytest.skip(f"{program} is not installed here; run make check")
    result = subprocess.run([str(executable), *args], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: ")


@pytest.mark.parametrize("npm_there", [False, True])
def test_ci_run_installs_npm_only_when_it_is_missing(tmp_path, npm_there):
    # .ci/run on a stand-in machine: apt-get and make only say what they were asked.
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for tool in ("bash", "dirname"):
        (bin_ / tool).symlink_to(subprocess.run(["bash", "-c", f"command -v {tool}"], capture_output=True,
                                                text=True, check=True).stdout.strip())
    said = tmp_path / "said"
    for tool in ["apt-get", "make"] + (["npm"] if npm_there else []):
        (bin_ / tool).write_text(f'#!{bin_}/bash\necho "{tool} $*" >> {said}\n')
        (bin_ / tool).chmod(0o755)
    result = subprocess.run([str(bin_ / "bash"), str(ROOT / ".ci" / "run")], env={"PATH": str(bin_)},
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = said.read_text().splitlines()
    assert lines[0] == "apt-get update" and lines[-1] == "make test"
    assert ("apt-get install -y nodejs npm" in lines) is not npm_there
    assert not any(line.startswith("npm") for line in lines)  # never run, never replaced
