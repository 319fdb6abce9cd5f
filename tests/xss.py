"""The corpus of cross-site scripting payloads (tests/fixtures/xss_payloads.txt) and the
check that a page made nothing of them: the page is parsed as a browser parses it, and
any element or attribute named with a payload's marker, any on* attribute, any inline
style or script, any javascript:, vbscript: or data: link is reported."""
from __future__ import annotations

import json
import re
from pathlib import Path

import tinyhtml5

CORPUS = Path(__file__).parent / "fixtures" / "xss_payloads.txt"
PAYLOADS: list[str] = [line for line in CORPUS.read_text(encoding="utf-8").splitlines()
                       if line.strip() and not line.startswith("# ")]
MARKER = re.compile(r"xss\d{3}")

# Attributes whose value a browser follows as a URL.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "background", "poster", "srcdoc", "xlink:href",
                  "codebase", "cite", "longdesc", "usemap", "dynsrc", "lowsrc", "ping", "srcset"}
# Elements no page of the site has, and that a payload would bring.
FORBIDDEN = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "isindex", "marquee", "xmp",
             "noembed", "template", "portal", "math"}
RUNS_SCRIPT = re.compile(r"^(javascript|vbscript|data|livescript|mocha):", re.I)


def marker(payload: str) -> str:
    return MARKER.search(payload).group()


def _local(name: str) -> str:
    """``{http://www.w3.org/1999/xhtml}div`` → ``div``."""
    return name.rsplit("}", 1)[-1] if isinstance(name, str) else ""


def _url(value: str) -> str:
    """A URL as a browser reads it: control characters and whitespace left out."""
    return re.sub(r"[\x00-\x20\x7f]+", "", value or "")


def injected(html: str) -> list[str]:
    """What in ``html`` no page of the site makes by itself, but a payload would."""
    found = []
    for element in tinyhtml5.parse(html).iter():
        tag = _local(element.tag).lower()
        if not tag:
            continue                      # a comment
        where = f"<{tag}>"
        if MARKER.search(tag) or "xss" in tag:
            found.append(f"element {where}")
        if tag in FORBIDDEN:
            found.append(f"forbidden element {where}")
        if tag == "script" and not (element.get("src") or element.get("type") == "application/json"):
            found.append(f"inline script {where}: {(element.text or '')[:80]!r}")
        if tag == "style" and not element.get("nonce"):
            found.append(f"style element without the page's nonce {where}")
        if tag == "meta" and element.get("http-equiv"):
            found.append(f"meta http-equiv {where}")
        for raw_name, value in element.attrib.items():
            name = _local(raw_name).lower()
            if "xss" in name:
                found.append(f"attribute {name} on {where}")
            if name.startswith("on"):
                found.append(f"event attribute {name}={value!r} on {where}")
            if name in ("style", "formaction", "srcdoc"):
                found.append(f"attribute {name}={value!r} on {where}")
            if (name in URL_ATTRIBUTES or raw_name.endswith("}href")) and RUNS_SCRIPT.match(_url(value)):
                found.append(f"script URL {name}={value!r} on {where}")
    return found


def evaluated(text: str) -> list[str]:
    """Template injections that were evaluated: ``{{7*7}}xss123`` shown as 49xss123."""
    return re.findall(r"(?:49|7777777)xss\d{3}", text)


def text_of(html: str) -> str:
    """The text a reader sees (and the values of form fields)."""
    root = tinyhtml5.parse(html)
    parts = []
    for element in root.iter():
        if _local(element.tag) in ("script", "style"):
            continue
        parts.append(element.text or "")
        parts.append(element.tail or "")
        parts.extend(v for k, v in element.attrib.items() if _local(k) in ("value", "title", "placeholder"))
    return "".join(parts)


def embedded_json(html: str, element_id: str):
    """The JSON of ``<script type="application/json" id=...>`` as the page's script reads
    it (the element's text): fails if the block was cut short or does not parse."""
    for element in tinyhtml5.parse(html).iter():
        if _local(element.tag) == "script" and element.get("id") == element_id:
            return json.loads(element.text or "")
    raise AssertionError(f"no <script id={element_id}> in the page")


def by_id(html: str, element_id: str):
    for element in tinyhtml5.parse(html).iter():
        if element.get("id") == element_id:
            return element
    return None
