"""Charts of the figures as SVG drawn on the server by pygal: no script in the page, so
they show on any phone and under a strict Content-Security-Policy."""
from __future__ import annotations

import re
from functools import lru_cache

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
    return Markup(_draw(tuple(month for month, _f in report.months), (_("Received"), _("Completed"),
                                                                      _("Satisfaction rate (%)")),
                        tuple(f.received for _m, f in report.months), tuple(f.completed for _m, f in report.months),
                        tuple(None if f.satisfaction_rate is None else round(f.satisfaction_rate * 100)
                              for _m, f in report.months)))


@lru_cache(maxsize=256)
def _draw(months: tuple, names: tuple, received: tuple, completed: tuple, satisfaction: tuple) -> str:
    """The chart of these values: drawn once for the same values and words (a pure
    function of them, so nothing drawn can be out of date)."""
    chart = pygal.Bar(style=STYLE, width=320, height=260, legend_at_bottom=True, x_label_rotation=-30,
                      disable_xml_declaration=True, js=[], show_minor_y_labels=False, print_values=False,
                      secondary_range=(0, 100), margin=8, explicit_size=False)
    chart.x_labels = list(months)
    chart.add(names[0], list(received))
    chart.add(names[1], list(completed))
    chart.add(names[2], list(satisfaction), secondary=True)
    # pygal always writes its configuration as an inline script for its tooltips, and an
    # inline style on the (empty) tooltip: the page shows the chart without either, as the
    # Content-Security-Policy refuses both. Its <style> block gets the request's nonce.
    svg = re.sub(r"<script\b.*?</script>", "", chart.render(is_unicode=True), flags=re.S)
    return re.sub(r'\sstyle="[^"]*"', "", svg)
