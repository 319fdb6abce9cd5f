"""What every searchable kind shares: the plain text of Markdown. The kinds themselves are
registered by their domains (their ``searching`` modules, declared in ``domain``)."""
from __future__ import annotations

import html
import re

from ..markup import render_markdown

_MARKDOWN = re.compile(r"[*_`#>\[\]<&\\~|]|^\s*(?:\d+[.)]|[-+])\s", re.M)
_BLOCK_END = re.compile(r"</(?:p|li|h\d|blockquote|pre)>|<br\s*/?>|<hr\s*/?>")
_TAG = re.compile(r"<[^>]+>")


def plain_text(markdown: str | None) -> str:
    """What a reader sees of Markdown, without its marks (``**停运**`` → ``停运``)."""
    text = markdown or ""
    if not _MARKDOWN.search(text):
        return text
    rendered = _BLOCK_END.sub("\n", str(render_markdown(text)))
    return html.unescape(_TAG.sub("", rendered)).strip()
