"""Charts of the figures as SVG drawn on the server by pygal: no script in the page, so
they show on any phone and under a strict Content-Security-Policy."""
from __future__ import annotations

import re

import pygal
from flask_babel import gettext as _
from markupsafe import Markup
from pygal.style import Style

STYLE = Style(background="transparent", plot_background="transparent", font_family="sans-serif",
              colors=("#1f6f8b", "#5aa469", "#d35d6e"), label_font_size=16, major_label_font_size=16,
              legend_font_size=16, value_font_size=14, title_font_size=18)


def monthly(report) -> Markup | None:
    """Motions received and completed per month, and the satisfaction rate in percent. Drawn
    about as wide as a phone's column, so that its 16 px words stay near 16 px there; the
    page caps its width on a wide screen (``.chart svg``)."""
    if not report.months:
        return None
    months = [month for month, _f in report.months]
    chart = pygal.Bar(style=STYLE, width=320, height=260, legend_at_bottom=True, x_label_rotation=-30,
                      disable_xml_declaration=True, js=[], show_minor_y_labels=False, print_values=False,
                      secondary_range=(0, 100), margin=8, explicit_size=False)
    chart.x_labels = months
    chart.add(_("Received"), [f.received for _m, f in report.months])
    chart.add(_("Completed"), [f.completed for _m, f in report.months])
    chart.add(_("Satisfaction rate (%)"),
              [None if f.satisfaction_rate is None else round(f.satisfaction_rate * 100) for _m, f in report.months],
              secondary=True)
    # pygal always writes its configuration as an inline script for its tooltips, and an
    # inline style on the (empty) tooltip: the page shows the chart without either, as the
    # Content-Security-Policy refuses both. Its <style> block gets the request's nonce.
    svg = re.sub(r"<script\b.*?</script>", "", chart.render(is_unicode=True), flags=re.S)
    return Markup(re.sub(r'\sstyle="[^"]*"', "", svg))
