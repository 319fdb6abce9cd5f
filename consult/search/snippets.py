"""Snippets of the original text around what was searched for, the hits in <mark>,
phone numbers masked, everything else escaped."""
from __future__ import annotations

import re
from typing import Iterable

from markupsafe import Markup, escape

from ..privacy import mask_number
from .tokens import WORD_CHARS, Run, fold

WINDOW = 80
LEAD = 24   # characters shown before the first hit
# Seven or more digits, perhaps grouped by spaces or hyphens (138 1234 5678, 6431-2345),
# and an ID-card number's check character.
_DIGITS = re.compile(r"\d(?:[ \-]?\d){6,}[Xx]?")
_SPACE = re.compile(r"\s+")


def mask_numbers(text: str) -> str:
    """Number-like runs masked, keeping the length (the hits are marked by position): a
    mobile or ID-card number as ``privacy.mask_number`` shows it on every page, shorter runs
    entirely."""
    def masked(match: re.Match) -> str:
        run = match.group()
        chars = [c for c in run if c.isdigit() or c in "Xx"]
        shown = iter(mask_number("".join(chars)) if len(chars) >= 11 else "*" * len(chars))
        return "".join(next(shown) if c.isdigit() or c in "Xx" else c for c in run)
    return _DIGITS.sub(masked, text)


def pattern(runs: Iterable[Run]) -> re.Pattern | None:
    """Where the searched runs occur in folded text: CJK runs anywhere (a single character
    as the start of a word), other words whole."""
    parts = []
    for run in sorted(set(runs), key=lambda r: -len(r.text)):
        if run.cjk:
            parts.append(re.escape(run.text))
        else:
            parts.append(f"(?<!{WORD_CHARS}){re.escape(run.text)}(?!{WORD_CHARS})")
    return re.compile("|".join(parts)) if parts else None


def _folded(text: str) -> tuple[str, list[int] | None]:
    """The folded text and, when folding changed its length, where each folded character
    came from."""
    folded = fold(text)
    if len(folded) == len(text):
        return folded, None
    pieces, origin = [], []
    for i, char in enumerate(text):
        piece = fold(char)
        pieces.append(piece)
        origin += [i] * len(piece)
    return "".join(pieces), origin


def hits(text: str, found: re.Pattern | None) -> list[tuple[int, int]]:
    """Spans of the original ``text`` that match."""
    if not text or found is None:
        return []
    folded, origin = _folded(text)
    spans = []
    for match in found.finditer(folded):
        start, end = match.span()
        if origin is not None:
            start, end = origin[start], origin[end - 1] + 1
        if spans and start < spans[-1][1]:
            continue
        spans.append((start, end))
    return spans


def _marked(text: str, spans: list[tuple[int, int]], offset: int = 0) -> Markup:
    out, at = [], 0
    for start, end in spans:
        start, end = max(start - offset, 0), min(end - offset, len(text))
        if end <= at or start >= len(text):
            continue
        out.append(escape(text[at:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:end])
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)


def highlight(text: str, found: re.Pattern | None) -> Markup:
    """The whole text (a title), its hits marked."""
    text = _SPACE.sub(" ", mask_numbers(text or "")).strip()
    return _marked(text, hits(text, found))


def snippet(text: str, found: re.Pattern | None, width: int = WINDOW) -> Markup:
    """About ``width`` characters around the first hit (or the beginning), hits marked."""
    text = _SPACE.sub(" ", mask_numbers(text or "")).strip()
    spans = hits(text, found)
    start = max(spans[0][0] - LEAD, 0) if spans else 0
    end = min(start + width, len(text))
    start = max(min(start, end - width), 0)
    piece = _marked(text[start:end], [s for s in spans if s[0] < end and s[1] > start], offset=start)
    return Markup("").join([Markup("…") if start else Markup(""), piece, Markup("…") if end < len(text) else Markup("")])
