"""QR codes (segno), as data URIs that a page or a PDF shows as an image: nothing is
written to disk and the page's Content-Security-Policy allows ``data:`` images."""
from __future__ import annotations

from functools import lru_cache

import segno


@lru_cache(maxsize=256)
def qr_svg(text: str, scale: int = 4) -> str:
    """The QR code of ``text`` as an SVG data URI (sharp at any size: pages, notices)."""
    return segno.make(text, error="m", micro=False).svg_data_uri(scale=scale, border=2)


def qr_png(text: str, scale: int = 2, *, quick: bool = False) -> str:
    """The QR code of ``text`` as a small PNG data URI: quicker for a PDF of thousands.
    ``quick`` takes the first mask pattern instead of scoring all eight (any mask reads;
    the best one only evens out light and dark a little), a third of the time."""
    return segno.make(text, error="m", micro=False, mask=0 if quick else None).png_data_uri(scale=scale, border=2)
