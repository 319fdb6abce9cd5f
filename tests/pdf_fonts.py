"""Making the PDFs with the system's fonts or with none that has Chinese, and reading back
which faces a PDF embeds and which characters those faces really draw.

Fontconfig reads its configuration once per process, so each PDF is made in a process of
its own, with FONTCONFIG_FILE naming a configuration that holds DejaVu alone (if even that
is installed) when the system's Chinese fonts are to be hidden, or no font at all."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = {"Consult-Serif", "Consult-Sans"}        # the families of consult/pdf.py's @font-face rules
SYSTEM, HIDDEN, NONE = "system fonts", "no Chinese font on the system", "no font at all on the system"
RENDER = "import sys; from consult.pdf import html_to_pdf; sys.stdout.buffer.write(html_to_pdf(sys.stdin.read()))"
PLAIN = "import sys, weasyprint; sys.stdout.buffer.write(weasyprint.HTML(string=sys.stdin.read()).write_pdf())"


def fontconfig_without_chinese(folder: Path, dejavu: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "fonts.conf"
    conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
                    "<fontconfig>\n" + ("  <dir>/usr/share/fonts/truetype/dejavu</dir>\n" if dejavu else "")
                    + f"  <cachedir>{folder / 'cache'}</cachedir>\n</fontconfig>\n")
    return conf


def environment(fonts: str, folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("FONTCONFIG_FILE", "FONTCONFIG_PATH")}
    if fonts in (HIDDEN, NONE):
        env["FONTCONFIG_FILE"] = str(fontconfig_without_chinese(folder, dejavu=fonts == HIDDEN))
    return env


def make_pdf(html: str, env: dict, script: str = RENDER) -> bytes:
    done = subprocess.run([sys.executable, "-c", script], input=html.encode(), env=env, cwd=ROOT,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout


@pytest.fixture(params=[SYSTEM, HIDDEN])
def pdfs_made_apart(request, monkeypatch, tmp_path):
    """Every PDF the app makes during the test is made in another process, with the
    system's fonts or with no Chinese font; the list of (html, pdf) made."""
    from tests.conftest import service_missing

    try:
        import weasyprint  # noqa: F401
    except OSError:
        service_missing("Pango, for PDF export (Debian: libpango-1.0-0 libpangoft2-1.0-0)")
    import consult.pdf

    env, made = environment(request.param, tmp_path / "fontconfig"), []

    def html_to_pdf(html: str) -> bytes:
        made.append((html, make_pdf(html, env)))
        return made[-1][1]
    monkeypatch.setattr(consult.pdf, "html_to_pdf", html_to_pdf)
    return made


def shown_text(html: str) -> str:
    """The text of the body of a page of HTML."""
    body = html.split("<body", 1)[1]
    return unescape(re.sub(r"<[^>]*>", "", body.split(">", 1)[1]))


def chinese(text: str) -> set[str]:
    """The Chinese characters and the full-width punctuation of ``text``."""
    return {c for c in text if not c.isspace() and (
        "\u3000" <= c <= "\u303f" or "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"
        or "\uff00" <= c <= "\uffef" or c >= "\U00020000")}


def _to_unicode(cmap: bytes) -> dict[int, str]:
    mapping = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for first, last, start in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            for offset, code in enumerate(range(int(first, 16), int(last, 16) + 1)):
                mapping[code] = chr(int(start, 16) + offset)
    return mapping


def embedded_faces(pdf: bytes) -> dict[str, set[str]]:
    """Each embedded font's name (a bundled face by its family), with the characters it draws:
    those its ToUnicode map names whose glyph in the embedded font has an outline."""
    faces: dict[str, set[str]] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            # "ABCDEF+Consult-Sans-Bold": the subset tag, the family and the style asked for
            name = str(font["/BaseFont"]).lstrip("/").split("+")[-1]
            name = next((family for family in BUNDLED if name.startswith(family + "-") or name == family), name)
            drawn = faces.setdefault(name, set())
            descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font
                          else font)["/FontDescriptor"].get_object()
            program = next((descriptor[k].get_object().get_data() for k in ("/FontFile3", "/FontFile2", "/FontFile")
                            if k in descriptor), None)
            if program is None or "/ToUnicode" not in font:
                continue
            face = TTFont(io.BytesIO(program))
            order, glyphs = face.getGlyphOrder(), face.getGlyphSet()
            for gid, text in _to_unicode(font["/ToUnicode"].get_object().get_data()).items():
                if gid and gid < len(order):
                    pen = BoundsPen(glyphs)
                    glyphs[order[gid]].draw(pen)
                    if pen.bounds is not None:
                        drawn.update(text)
    return faces


def assert_bundled_faces_draw_the_chinese(html: str, pdf: bytes) -> None:
    """Every Chinese character of the page is in the PDF's text and drawn by a bundled face,
    and the PDF embeds no other face."""
    wanted = chinese(shown_text(html))
    assert len(wanted) > 10, "a page without Chinese proves nothing"
    extracted = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert not wanted - set(extracted), f"not in the PDF's text: {''.join(sorted(wanted - set(extracted)))}"
    faces = embedded_faces(pdf)
    assert set(faces) <= BUNDLED, f"faces from the system: {set(faces) - BUNDLED}"
    drawn = set().union(*faces.values())
    assert not wanted - drawn, f"no glyph for: {''.join(sorted(wanted - drawn))}"
