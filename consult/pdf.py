"""PDF for the paper file, by WeasyPrint from an HTML template.

The Chinese type comes with the app, not from the system: the Noto Serif SC and Noto Sans
SC faces (SIL Open Font License), installed from PyPI with the other requirements. For each
document the two faces are cut down, by HarfBuzz's subsetter (uharfbuzz, also from PyPI),
to the characters of that document, and given to WeasyPrint by @font-face rules under names
of our own ("Consult Serif", "Consult Sans"), so that no system font can stand in for them.
Cutting them first keeps the PDF small: WeasyPrint embeds only the glyphs used but keeps
their numbers, and in a face of 30,000 glyphs the tables up to the highest number used
would weigh some 100 KB per face. What WeasyPrint still needs from the system is Pango
(Debian: libpango-1.0-0, libpangoft2-1.0-0); without it the export says so instead of
failing.

``python -m consult.pdf --check`` tells whether this machine can make PDFs."""
from __future__ import annotations

import sys
import tempfile
from functools import lru_cache
from html import unescape
from pathlib import Path
from typing import Iterable

from flask import render_template
from flask_babel import lazy_gettext as _l

from .errors import DomainError

# The family names the PDF templates use, and the file of each face.
FACES = {"Consult Serif": "NotoSerifSC-Regular.otf", "Consult Sans": "NotoSansSC-Regular.otf"}
# Printable ASCII, and what WeasyPrint writes itself: list markers, hyphens, ellipses, quotes.
EXTRA_CHARACTERS = {chr(c) for c in range(0x20, 0x7F)} | set("•◦▪‐–—…“”‘’")
PANGO_FIX = "install Pango (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)"


class PdfUnavailable(DomainError):
    code = "pdf_unavailable"
    status = 503


def font_dir() -> Path:
    """Where the bundled faces are: the data package pinned in requirements.txt."""
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.__file__).parent


@lru_cache(maxsize=None)
def _face(name: str):
    import uharfbuzz

    return uharfbuzz.Face(uharfbuzz.Blob.from_file_path(str(font_dir() / name)))


def subset_face(name: str, characters: Iterable[str]) -> bytes:
    """The face in file ``name`` cut down to ``characters`` (and the glyphs that shaping
    them may need), its glyphs numbered anew from 1."""
    import uharfbuzz

    wanted = uharfbuzz.SubsetInput()
    wanted.unicode_set.update(ord(c) for c in characters)
    wanted.flags = uharfbuzz.SubsetFlags.NO_HINTING | uharfbuzz.SubsetFlags.DESUBROUTINIZE
    return uharfbuzz.subset(_face(name), wanted).blob.data


def document_characters(html: str) -> set[str]:
    """Every character the document may show: those of its HTML (a few more than its
    text: markup is ASCII) and those WeasyPrint adds itself (page numbers, list markers)."""
    return set(unescape(html)) | EXTRA_CHARACTERS


def font_faces_css(folder: Path, characters: set[str]) -> str:
    """The @font-face rules of the bundled faces, cut down to ``characters`` into files
    in ``folder``."""
    rules = []
    for family, name in FACES.items():
        path = folder / name
        path.write_bytes(subset_face(name, characters))
        rules.append(f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}"); }}')
    return "\n".join(rules)


def html_to_pdf(html: str) -> bytes:
    """The PDF of a page of HTML whose styles use the bundled faces."""
    try:
        from weasyprint import CSS, HTML
        from weasyprint.text.fonts import FontConfiguration
    except OSError as missing:   # the Pango library is not installed
        raise PdfUnavailable(_l("PDF export is not available on this server (Pango is missing).")) from missing
    fonts = FontConfiguration()
    with tempfile.TemporaryDirectory(prefix="consult-pdf-") as folder:
        faces = CSS(string=font_faces_css(Path(folder), document_characters(html)), font_config=fonts)
        return HTML(string=html).write_pdf(stylesheets=[faces], font_config=fonts)


def render_pdf(template: str, **context) -> bytes:
    return html_to_pdf(render_template(template, **context))


def check() -> list[str]:
    """What this machine lacks to make PDFs, each with its fix; empty when nothing."""
    problems = []
    try:
        import weasyprint  # noqa: F401
    except OSError:
        problems.append(f"PDF export needs Pango: {PANGO_FIX}")
    except ImportError:
        problems.append("PDF export needs WeasyPrint: run make install")
    missing = []
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        missing.append("uharfbuzz")
    try:
        missing += [name for name in FACES.values() if not (font_dir() / name).is_file()]
    except ImportError:
        missing.append("pylopdf-fonts-zh-cn")
    if missing:
        problems.append(f"PDF export needs {', '.join(missing)} from requirements.txt: run make install")
    return problems


def main(argv: list[str]) -> int:
    if argv != ["--check"]:
        print("usage: python -m consult.pdf --check", file=sys.stderr)
        return 2
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
