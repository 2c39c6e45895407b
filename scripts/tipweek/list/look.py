"""How the service's pages and the confirmation email look: the site's name,
address and primary colour, all read from mkdocs.yml (the colour through
Material's own palette, or tipweek's stylesheet for ``primary: custom``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TIPWEEK_CSS = Path(__file__).parent.parent / "site" / "assets" / "tipweek.css"
FALLBACK = ("#00695c", "#ffffff")


@dataclass(frozen=True, slots=True)
class Look:
    site_name: str
    site_url: str  # ends in /
    primary: str  # the header's background
    on_primary: str  # text on it
    language: str = "en"

    @property
    def subscribe_url(self) -> str:
        return self.site_url + "subscribe/"


def look_of(project) -> Look:
    theme = project.mkdocs.theme
    palette = theme.get("palette") or {}
    if isinstance(palette, list):
        palette = palette[0] if palette else {}
    name = str(palette.get("primary") or "indigo").strip().lower().replace(" ", "-")
    primary, on_primary = _colours(name)
    return Look(project.site.name, project.site.url, primary, on_primary,
                theme.get("language") or "en")


def _colours(name: str) -> tuple[str, str]:
    if name == "custom":
        match = re.search(r"--md-primary-fg-color:\s*(#[0-9a-fA-F]{3,8})", TIPWEEK_CSS.read_text("utf-8"))
        return (match.group(1), "#ffffff") if match else FALLBACK
    css = _material_palette()
    fg = re.search(rf"\[data-md-color-primary={re.escape(name)}\]\{{--md-primary-fg-color:(#[0-9a-fA-F]{{3,8}})", css)
    if fg is None:
        return FALLBACK
    dark_text = re.search(rf"\[data-md-color-primary={re.escape(name)}\]\{{--md-primary-bg-color:#000", css)
    return fg.group(1), "#000000" if dark_text else "#ffffff"


@lru_cache(maxsize=1)
def _material_palette() -> str:
    try:
        import material
        folder = Path(material.__file__).parent / "templates" / "assets" / "stylesheets"
        return "".join(p.read_text("utf-8") for p in folder.glob("palette.*.css"))
    except (ImportError, OSError):
        return ""


@lru_cache(maxsize=1)
def _pages():
    import jinja2

    # The sign-up fields are the site's form's too (forms/, beside signup_form).
    folders = [Path(__file__).parent / "pages", Path(__file__).parent.parent / "site" / "forms"]
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folders), autoescape=True, keep_trailing_newline=True)


def render(template: str, **context) -> str:
    return _pages().get_template(template).render(**context)
