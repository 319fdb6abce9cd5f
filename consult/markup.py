"""Markdown written by residents, rendered safely: markdown-it-py with raw HTML off, then
nh3 (Ammonia) keeps only harmless tags and attributes."""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "a", "h3", "h4", "hr"}


def render_markdown(text: str | None) -> Markup:
    html = _markdown.render(text or "")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href"}},
                      url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener noreferrer")
    return Markup(clean)
