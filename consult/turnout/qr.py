"""QR codes (segno), as data URIs that a page or a PDF shows as an image: nothing is
written to disk and the page's Content-Security-Policy allows ``data:`` images."""
from __future__ import annotations

import base64
import io
from functools import lru_cache

import segno
from PIL import Image


@lru_cache(maxsize=256)
def qr_svg(text: str, scale: int = 4) -> str:
    """The QR code of ``text`` as an SVG data URI (sharp at any size: pages, notices)."""
    return segno.make(text, error="m", micro=False).svg_data_uri(scale=scale, border=2)


def qr_png(text: str, scale: int = 2, *, quick: bool = False) -> str:
    """The QR code of ``text`` as a small PNG data URI: quicker for a PDF of thousands.
    ``quick`` takes the first mask pattern instead of scoring all eight (any mask reads;
    the best one only evens out light and dark a little), a third of the time."""
    return segno.make(text, error="m", micro=False, mask=0 if quick else None).png_data_uri(scale=scale, border=2)


# On a printed sheet each code is 20 mm wide and the rows are 22 mm apart.
SHEET_PITCH = 1.1


def qr_column(texts: list[str], scale: int = 2) -> str:
    """The QR codes of ``texts`` one above the other in a single PNG data URI, each in a
    slot ``SHEET_PITCH`` times as high as wide: a sheet's rows of codes as one image, as
    a PDF of thousands draws one image far quicker than ten. Each code takes the first
    mask (any mask reads; scoring all eight takes three times as long)."""
    codes = [segno.make(text, error="m", micro=False, mask=0) for text in texts]
    side = max(code.symbol_size(scale=scale, border=2)[0] for code in codes)
    slot = round(side * SHEET_PITCH)
    column = Image.new("1", (side, slot * len(codes)), 1)
    for n, code in enumerate(codes):
        # The modules straight into an image, without a PNG of each code in between.
        width = code.symbol_size(scale=1, border=2)[0]
        modules = bytes(0 if dark else 255 for row in code.matrix_iter(scale=1, border=2) for dark in row)
        one = Image.frombytes("L", (width, width), modules).resize((width * scale,) * 2, Image.NEAREST).convert("1")
        offset = (side - one.width) // 2
        column.paste(one, (offset, n * slot + offset))
    out = io.BytesIO()
    column.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
