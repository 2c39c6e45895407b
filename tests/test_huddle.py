"""The huddle card: a tip's `discuss:` and `try:` front matter, checked and
scaffolded; the card page per published tip, linked from the tip's page and
the weekly email; and the starter library's questions and actions.

(How the card prints and looks on a phone: test_huddle_print.py.)"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import FIXTURES, build_site

ROOT = Path(__file__).parent.parent
OWN = "tips/2026/2026-11-17-own-the-mistake.md"
QUESTION = "When did a parcel of ours go missing, and what did we say first?"
ACTION = "Say sorry for a lost parcel in one sentence, then say what you will do."


def with_huddle(project: Path, rel: str = OWN, discuss: str = QUESTION, action: str = ACTION) -> None:
    """Give one tip of a project a question and an action, as an editor would."""
    path = project / rel
    front, body = path.read_text("utf-8").split("\n---\n", 1)
    path.write_text(f'{front}\ndiscuss: "{discuss}"\ntry: "{action}"\n---\n{body}', "utf-8")


def write_tip(project: Path, front_extra: str) -> str:
    rel = "tips/2026/2026-12-01-x.md"
    (project / rel).write_text("---\ntitle: A good title\ndate: 2026-12-01\ntags: [ownership]\n"
                               f"summary: One sentence.\n{front_extra}---\nA body with a situation and a fix.\n")
    return rel


# ------------------------------------------------------------------ front matter: check

# (the lines after summary:, the exact line `tipweek check` must print)
PROBLEMS = {
    "a discussion point that is not a question": (
        "discuss: Talk about a lost parcel.\n",
        "tips/2026/2026-12-01-x.md:6: discuss must be one question, ending in '?' "
        "(e.g. discuss: What would you have said to this customer?)"),
    "a question too long to read aloud": (
        f"discuss: {'w' * 200}?\n",
        "tips/2026/2026-12-01-x.md:6: discuss is 201 characters; at most 200 "
        "(keep it short enough to read aloud in one breath)"),
    "an action too long": (
        f"try: {'w' * 201}\n",
        "tips/2026/2026-12-01-x.md:6: try is 201 characters; at most 200 "
        "(keep it short enough to read aloud in one breath)"),
    "an action on two lines": (
        'try: "Say sorry.\\nThen act."\n',
        "tips/2026/2026-12-01-x.md:6: try must be one line "
        "(e.g. try: Say the customer's name once in every call this week.)"),
    "a list for a question": (
        "discuss: [What, why?]\n",
        "tips/2026/2026-12-01-x.md:6: 'discuss' must be text, not a list"),
    "a yes that YAML reads as true": (
        "try: yes\n",
        "tips/2026/2026-12-01-x.md:6: 'try' must be text (put it in quotes)"),
    "a ' #' that would cut the question short": (
        "discuss: Who is our #1 customer?\n",
        "tips/2026/2026-12-01-x.md:6: the text after ' #' would be cut off: YAML reads it as a comment "
        '(put the value in quotes: discuss: "Who is our #1 customer?")'),
    "a misspelled discuss": (
        "discus: What would you say?\n",
        "tips/2026/2026-12-01-x.md:6: unknown key 'discus' (did you mean 'discuss'?)"),
    "a misspelled try": (
        "trys: Say sorry once.\n",
        "tips/2026/2026-12-01-x.md:6: unknown key 'trys' (did you mean 'try'?)"),
    "the card's heading for a key": (
        "try_this_week: Say sorry once.\n",
        "tips/2026/2026-12-01-x.md:6: unknown key 'try_this_week' (allowed keys: title, date, tags, summary, "
        "author, draft, evergreen, source, discuss, try)"),
    "a control character in the action": (
        'try: "Say sorry\\u0007 once."\n',
        "tips/2026/2026-12-01-x.md:6: try contains the control character U+0007 (delete it; retype the text)"),
}


@pytest.mark.parametrize("name", PROBLEMS)
def test_check_names_the_line_and_the_fix(project, tipweek, name):
    extra, expected = PROBLEMS[name]
    write_tip(project, extra)
    result = tipweek("check")
    assert result.exit_code == 1
    assert expected in result.output.splitlines(), result.output


def test_a_question_and_an_action_are_read_and_empty_ones_are_no_problem(project, tipweek):
    from tipweek.library.loader import load_library

    with_huddle(project)
    write_tip(project, 'discuss: ""\ntry:\n')
    assert tipweek("check").output.strip() == "ok: 8 tips, 4 principles"
    library = load_library(project / "tips", project / "tips/principles.yml", project)
    own, new = library.tip("own-the-mistake"), library.tip("x")
    assert (own.discuss, own.try_this) == (QUESTION, ACTION)
    assert (new.discuss, new.try_this) == (None, None)


def test_an_edited_question_is_read_again_through_the_tip_cache(project, tipweek):
    with_huddle(project)
    assert tipweek("check").exit_code == 0  # the tip cache now holds the tip
    path = project / OWN
    path.write_text(path.read_text().replace(QUESTION, "Talk about a lost parcel."))
    result = tipweek("check")
    assert "tips/2026/2026-11-17-own-the-mistake.md:6: discuss must be one question, ending in '?'" in result.output


# ------------------------------------------------------------------ front matter: new

def test_new_scaffolds_an_empty_question_and_action_that_check_accepts(project, tipweek):
    from tipweek.library.loader import load_library

    result = tipweek("new", "Own the follow-up", "--tag", "ownership")
    path = project / "tips/2026/2026-12-01-own-the-follow-up.md"
    front, body = path.read_text().split("---\n")[1:]
    assert 'discuss: ""\ntry: ""\n' in front, front
    # Finished as the editors' guide says (a summary, a body), left empty they are no problem...
    path.write_text("---\n" + front.replace('summary: ""', "summary: One sentence.") + "---\nA real body.\n")
    assert tipweek("check").exit_code == 0, result.output
    # ...and filled in, they reach the tip.
    path.write_text(path.read_text().replace('discuss: ""', 'discuss: "Who calls back?"')
                    .replace('try: ""', 'try: "Call back one customer."'))
    assert tipweek("check").exit_code == 0
    tip = load_library(project / "tips", project / "tips/principles.yml", project).tip("own-the-follow-up")
    assert (tip.discuss, tip.try_this) == ("Who calls back?", "Call back one customer.")


# ------------------------------------------------------------------ the site

class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), ""

    def handle_data(self, data):
        if self._href is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((" ".join(self._text.split()), self._href))
            self._href = None


def links(html: str) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture(scope="module")
def huddle_site(tmp_path_factory) -> Path:
    """The fixture library with a question and an action on this week's tip, built."""
    root = tmp_path_factory.mktemp("huddle-site")
    shutil.copytree(FIXTURES / "library", root / "proj", ignore=shutil.ignore_patterns(".tipweek"))
    with_huddle(root / "proj")
    with_huddle(root / "proj", "tips/2026/2026-11-24-scheduled-secret-tip.md", "What is the secret?", "Keep it.")
    return build_site(root / "proj", root / "site")


def card(site: Path, slug: str) -> str:
    return (site / "tips" / slug / "huddle/index.html").read_text("utf-8")


def test_each_published_tip_has_a_card_and_scheduled_tips_and_drafts_none(huddle_site):
    published = sorted(p.parent.name for p in (huddle_site / "tips").glob("*/index.html"))
    assert len(published) == 5
    assert sorted(p.parent.parent.name for p in (huddle_site / "tips").glob("*/huddle/index.html")) == published
    for hidden in ("scheduled-secret-tip", "draft-unfinished-idea"):
        assert not (huddle_site / "tips" / hidden).exists()
    assert "What is the secret?" not in "".join(p.read_text() for p in huddle_site.rglob("*.html"))


def test_the_card_holds_the_point_the_takeaway_the_question_and_the_action(huddle_site):
    page = card(huddle_site, "own-the-mistake")
    text = text_of(page.split('<main class="tw-huddle">', 1)[1])
    assert text == ("Team huddle · 17 November 2026 Own the mistake "
                    "The point When your company drops the ball, the customer wants a fix, not the story of "
                    "whose fault it was. "
                    "Takeaway The customer chose you; the mistake is yours to fix. "
                    f"Talk about it {QUESTION} "
                    f"Try this week {ACTION} "
                    "The whole tip on Fixture tips: https://tips.example.org/tips/own-the-mistake/"), text
    assert "<title>Huddle card: Own the mistake - Fixture tips</title>" in page
    assert links(page) == [("Fixture tips", "../../../"), ("Read the whole tip", "../")]
    assert '<link rel="stylesheet" href="../../../assets/huddle.css">' in page
    assert (huddle_site / "assets/huddle.css").is_file()
    assert "data-pagefind-body" not in page  # the tip's own page is what search finds


def test_a_link_in_the_takeaway_still_leads_to_its_page(tmp_path):
    shutil.copytree(FIXTURES / "library", tmp_path / "proj", ignore=shutil.ignore_patterns(".tipweek"))
    path = tmp_path / "proj" / OWN
    path.write_text(path.read_text().replace("yours to fix.", "yours to fix: [call back](call-back-when-promised.md)."))
    site = build_site(tmp_path / "proj", tmp_path / "site")
    assert ("call back", "../../call-back-when-promised/") in links(card(site, "own-the-mistake"))


def test_a_card_without_a_question_or_an_action_leaves_them_out(huddle_site):
    page = card(huddle_site, "call-back-when-promised")
    text = text_of(page)
    assert "Call back when you promised" in text and "The point" in text
    assert "Talk about it" not in text and "Try this week" not in text


def test_the_tip_page_links_its_card(huddle_site):
    own = (huddle_site / "tips/own-the-mistake/index.html").read_text()
    assert ("Use it in your team huddle", "huddle/") in links(own)
    assert ("Use it in your team huddle : one page with the point, a question to talk about and something to try "
            "this week, to print or show on a phone.") in text_of(own)
    other = (huddle_site / "tips/call-back-when-promised/index.html").read_text()
    assert ("Use it in your team huddle", "huddle/") in links(other)
    assert "Use it in your team huddle : one page with the point, to print or show on a phone." in text_of(other)


def test_search_leaves_the_cards_out(huddle_site):
    import json

    entry = json.loads((huddle_site / "pagefind/pagefind-entry.json").read_text())
    pages = sum(language["page_count"] for language in entry["languages"].values())
    assert pages == 5 + 4  # the published tips and the principles; no card


def test_check_site_wants_every_card_and_no_hidden_ones(tipweek, fixture_site, tmp_path):
    site = Path(shutil.copytree(fixture_site, tmp_path / "site"))
    (site / "tips/own-the-mistake/huddle/index.html").unlink()
    secret = site / "tips/scheduled-secret-tip/huddle/index.html"
    secret.parent.mkdir(parents=True)
    shutil.copyfile(site / "tips/reply-before-lunch/huddle/index.html", secret)
    secret.write_text(secret.read_text().replace("reply-before-lunch", "scheduled-secret-tip"))
    lines = tipweek("check", "--site", str(site)).output.splitlines()
    assert (f"{site}/tips/own-the-mistake/huddle/index.html: missing: the huddle card of the tip 'Own the mistake' "
            "(build the site again with tipweek build, for the day this check is for)") in lines, lines
    assert any(line.startswith(f"{secret}:") and "scheduled tip 'A scheduled tip' is in it" in line
               for line in lines), lines


def test_the_preview_shows_a_scheduled_tips_card_marked(tmp_path):
    shutil.copytree(FIXTURES / "library", tmp_path / "proj", ignore=shutil.ignore_patterns(".tipweek"))
    with_huddle(tmp_path / "proj", "tips/2026/2026-11-24-scheduled-secret-tip.md", "What is the secret?", "Keep it.")
    site = build_site(tmp_path / "proj", tmp_path / "site", preview=True)
    text = text_of(card(site, "scheduled-secret-tip"))
    assert "Scheduled for 24 November 2026" in text and "What is the secret?" in text
    assert (site / "tips/draft-unfinished-idea/huddle/index.html").exists()


# ------------------------------------------------------------------ the weekly email

def test_the_email_shows_the_question_and_links_the_card(project, tipweek, tmp_path):
    with_huddle(project)
    assert tipweek("email", "--out", str(tmp_path / "week.eml")).exit_code == 0
    msg = email.message_from_bytes((tmp_path / "week.eml").read_bytes(), policy=email.policy.default)
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    card_url = "https://tips.example.org/tips/own-the-mistake/huddle/"
    assert ("Use it in your team huddle", card_url) in links(html)
    assert f"Talk about it: {QUESTION}" in text_of(html)
    assert f"Use it in your team huddle: {card_url}\nTalk about it: {QUESTION}\n" in text


def test_an_email_without_a_question_still_links_the_card(tipweek, tmp_path):
    tipweek("email", "--out", str(tmp_path / "week.eml"))
    msg = email.message_from_bytes((tmp_path / "week.eml").read_bytes(), policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Use it in your team huddle: https://tips.example.org/tips/own-the-mistake/huddle/\n" in text
    assert "Talk about it" not in text


# ------------------------------------------------------------------ the starter library

def _syllables(word: str) -> int:
    """English syllables, near enough for a readability grade: vowel groups, less a silent e."""
    word = re.sub(r"[^a-z]", "", word.lower())
    count = len(re.findall(r"[aeiouy]+", word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)


def grade(text: str) -> float:
    """The Flesch-Kincaid grade level of ``text``."""
    words = re.findall(r"[A-Za-z']+", text)
    sentences = max(1, len(re.findall(r"[.?!]+", text)))
    return 0.39 * len(words) / sentences + 11.8 * sum(map(_syllables, words)) / len(words) - 15.59


def test_the_grade_is_a_grade():
    assert grade("The cat sat on the mat.") < 0
    assert grade("Organisational accountability necessitates comprehensive institutional "
                 "responsiveness, irrespective of circumstances.") > 20


LAST_STARTER_TIP = dt.date(2027, 1, 26)  # the library as it shipped: 62 tips, 2025-11-25 to here


def starter_tips(tips_dir: Path) -> list:
    """The 62 starter tips only: a later editor's tip without a question or an
    action is valid (the huddle card leaves them out) and is not held to this."""
    from tipweek.library.loader import load_library

    return [t for t in load_library(tips_dir, tips_dir / "principles.yml", tips_dir.parent).tips
            if t.date <= LAST_STARTER_TIP]


def test_the_next_editors_tip_without_question_or_action_is_not_a_starter_tip(tmp_path):
    shutil.copytree(ROOT / "tips", tmp_path / "tips")
    (tmp_path / "tips/2027/2027-02-02-say-thank-you.md").write_text(
        "---\ntitle: Say thank you\ndate: 2027-02-02\ntags: [sincerity]\n"
        "summary: Thank the customer who told you what went wrong.\n---\nThey did you a favour.\n", "utf-8")
    assert [t.title for t in starter_tips(tmp_path / "tips")] == [t.title for t in starter_tips(ROOT / "tips")]


def test_every_starter_tip_has_its_own_plain_question_and_action():
    tips = starter_tips(ROOT / "tips")
    for tip in tips:
        assert tip.discuss and tip.try_this, tip.path
        for text in (tip.discuss, tip.try_this):
            assert grade(text) <= 9, f"{tip.path}: grade {grade(text):.1f}: {text}"
            assert len(text.split()) <= 24, f"{tip.path}: {text}"  # read aloud in one breath
    assert len({t.discuss for t in tips}) == len({t.try_this for t in tips}) == len(tips)  # each its tip's own
    everything = " ".join(f"{t.discuss} {t.try_this}" for t in tips)
    assert sum(grade(f"{t.discuss} {t.try_this}") for t in tips) / len(tips) <= 7
    for us, uk in (("behavior", "behaviour"), ("apologize", "apologise"), ("color", "colour"),
                   ("center", "centre"), ("recognize", "recognise"), ("favor", "favour")):
        assert us not in everything.lower(), f"UK spelling: {uk}"
