"""Photos (of a matter, a motion's progress, a paper ballot). The file's content decides what it is, never its name: Pillow must
read it as JPEG, PNG or WebP; it is turned upright, shrunk, and re-encoded as JPEG, which
drops EXIF (a phone photo carries the GPS position of the resident's home). Stored under
a random name outside ``static/``."""
from __future__ import annotations

import io
import secrets
from pathlib import Path

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InvalidInput

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
LONGEST_SIDE = 1600
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded


def photo_dir(config) -> Path:
    path = Path(config["UPLOAD_DIR"]) / "photos"
    path.mkdir(parents=True, exist_ok=True)
    return path


def encode_photo(data: bytes, *, config) -> tuple[bytes, int, int]:
    """Check one photo and re-encode it; returns (jpeg, width, height). Nothing is
    written, so that one bad photo among several leaves no file behind."""
    if not data:
        raise InvalidInput(_l("The photo is empty."))
    if len(data) > config["PHOTO_MAX_BYTES"]:
        raise InvalidInput(_l("A photo may be at most %(n)d MB.", n=config["PHOTO_MAX_BYTES"] // (1024 * 1024)))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise InvalidInput(_l("Only JPEG, PNG and WebP photos can be added."))
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidInput(_l("The photo is too large."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
            image = image.convert("RGB")
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)
            return out.getvalue(), image.width, image.height
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput(_l("This file is not a photo that can be read."))


def save_photo(jpeg: bytes, *, config) -> str:
    """Write an encoded photo under a random name; returns the name (token)."""
    token = secrets.token_hex(16)
    (photo_dir(config) / f"{token}.jpg").write_bytes(jpeg)
    return token
