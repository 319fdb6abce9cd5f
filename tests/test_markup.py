"""Markdown from residents renders harmless: a corpus of XSS payloads."""
from html.parser import HTMLParser

import pytest

from consult.markup import ALLOWED_TAGS, render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "![x](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<svg onload=alert(1)>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<details open ontoggle=alert(1)>",
    "``<script>``",
    "<<script>script>alert(1)<</script>/script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]


class Elements(HTMLParser):
    """What a browser would build from the HTML: its tags and attributes (escaped text
    such as ``&lt;script&gt;`` is only text)."""

    def __init__(self, html):
        super().__init__()
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_renders_harmless(payload):
    for tag, attrs in Elements(str(render_markdown(payload))).found:
        assert tag in ALLOWED_TAGS, (payload, tag)
        assert set(attrs) <= {"href", "rel"}, (payload, attrs)
        if "href" in attrs:
            assert attrs["href"].split(":")[0].lower() in ("http", "https", "mailto"), (payload, attrs)


def test_ordinary_markdown_survives():
    html = str(render_markdown("**电梯**坏了\n\n- 1单元\n- 2单元\n\n[物业电话](https://example.com)"))
    assert "<strong>电梯</strong>" in html and "<li>1单元</li>" in html
    assert 'href="https://example.com"' in html and 'rel="nofollow noopener noreferrer"' in html
