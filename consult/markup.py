"""Markdown written by residents, rendered safely: markdown-it-py with raw HTML off, then
nh3 (Ammonia) keeps only harmless tags and attributes: no script, style, frames, event
attributes or images, and links only to http, https and mailto."""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from .privacy import escape_masks

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "a", "h3", "h4", "hr"}
URL_SCHEMES = {"http", "https", "mailto"}


def clean_html(html: str) -> str:
    """Only the allowed tags, links with an allowed scheme; everything else removed."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href"}}, url_schemes=URL_SCHEMES,
                     link_rel="nofollow noopener noreferrer")


def render_markdown(text: str | None) -> Markup:
    return Markup(clean_html(_markdown.render(escape_masks(text or ""))))
