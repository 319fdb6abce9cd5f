"""``|date`` writes each day once per language: it must write what Flask-Babel writes, in
the reader's time zone (a time late in the UTC evening is the next day in Beijing)."""
from datetime import date, datetime

import pytest
from flask_babel import force_locale, format_date

from consult.web import format_day


@pytest.mark.parametrize("value", [datetime(2026, 12, 1, 15, 59), datetime(2026, 12, 1, 16, 0),
                                   datetime(2026, 1, 31, 23, 0), date(2026, 3, 4)])
@pytest.mark.parametrize("fmt", ["short", "medium", "long"])
@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_the_day_is_written_as_flask_babel_writes_it(app, value, fmt, locale):
    with app.test_request_context("/"), force_locale(locale):
        assert format_day(value, fmt) == format_date(value, fmt)


def test_a_time_late_in_the_utc_evening_is_the_next_day_in_beijing(app):
    with app.test_request_context("/"), force_locale("en"):
        assert format_day(datetime(2026, 12, 1, 16, 0), "medium") == "Dec 2, 2026"
        assert format_day(datetime(2026, 12, 1, 15, 59), "medium") == "Dec 1, 2026"
        assert format_day(None) == ""
