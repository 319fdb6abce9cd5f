"""PDF for the paper file, by WeasyPrint from an HTML template. WeasyPrint needs Pango and
a CJK font from the system (Debian: libpango-1.0-0, fonts-noto-cjk); without them the
export says so instead of failing."""
from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l

from .errors import DomainError


class PdfUnavailable(DomainError):
    code = "pdf_unavailable"
    status = 503


def render_pdf(template: str, **context) -> bytes:
    try:
        from weasyprint import HTML
    except OSError as missing:   # the Pango library is not installed
        raise PdfUnavailable(_l("PDF export is not available on this server (Pango is missing).")) from missing
    return HTML(string=render_template(template, **context)).write_pdf()
