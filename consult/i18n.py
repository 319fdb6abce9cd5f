"""Language and time zone selection."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app, has_request_context, session
from flask_babel import force_locale, format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .clock import to_local


def select_locale() -> str:
    """The signed-in person's language, else the one chosen in this browser, else Chinese.
    Outside a request (commands, service calls in tests) the default applies."""
    languages = current_app.config["LANGUAGES"]
    if has_request_context():
        if current_user and current_user.is_authenticated and current_user.locale in languages:
            return current_user.locale
        chosen = session.get("locale")
        if chosen in languages:
            return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def format_deadline(moment: datetime | None, fmt: str = "short") -> str:
    """A deadline as people say it: one that ends at local midnight is the end of the day
    before ("16 December 24:00"), not the start of the next one."""
    if moment is None:
        return ""
    local = to_local(moment)
    if local.time() != time.min:
        return format_datetime(moment, fmt)
    return f"{format_date(local.date() - timedelta(days=1), fmt)} 24:00"


def sentences(parts) -> str:
    """Sentences of the system's words joined in the reader's punctuation (；or ; )."""
    return _("; ").join(str(part) for part in parts if part)


def listed(items) -> str:
    """Names listed in the reader's punctuation (、or , )."""
    return _(", ").join(str(item) for item in items)


def _check(p: dict) -> str:
    """One threshold of a count, in words, not signs: "参与面积 2.1%，未达到 2/3"."""
    values = {"what": system_words(p["what"]), "value": p["value"], "bound": p["bound"]}
    if p["inclusive"]:
        return _("%(what)s %(value)s%%: reaches %(bound)s", **values) if p["met"] \
            else _("%(what)s %(value)s%%: does not reach %(bound)s", **values)
    return _("%(what)s %(value)s%%: more than %(bound)s", **values) if p["met"] \
        else _("%(what)s %(value)s%%: not more than %(bound)s", **values)


# What the system itself writes on a record (a reason for a step nobody took by hand, the
# explanation of a count, the marks of a for/against ballot): kept as a key with its
# numbers, and worded in each reader's language when shown.
SYSTEM_WORDS = {
    "choice_yes": lambda p: _("For"),
    "choice_no": lambda p: _("Against"),
    "choice_abstain": lambda p: _("Abstain"),
    "votes_for": lambda p: _("votes for"),
    "participating_area": lambda p: _("participating area"),
    "participating_owners": lambda p: _("participating owners"),
    "area_in_favour": lambda p: _("area in favour"),
    "owners_in_favour": lambda p: _("owners in favour"),
    "area_for_option": lambda p: _("area for “%(option)s”", option=p["option"]),
    "owners_for_option": lambda p: _("owners for “%(option)s”", option=p["option"]),
    "check": _check,
    "option_votes": lambda p: ngettext("“%(option)s”: %(num)d vote", "“%(option)s”: %(num)d votes", p["n"],
                                       option=p["option"]),
    "tied": lambda p: _("Tied for the last place: %(options)s", options=listed(p["options"])),
    "none_adopted": lambda p: _("“%(option)s” has at least as many votes as any option: none is adopted.",
                                option=p["option"]),
    "non_voters_not_counted": lambda p: _("Owners who did not vote are not counted with the majority"),
    "non_voters_to_none": lambda p: _(
        "As the owners' rules of procedure provide (%(reference)s), owners who did not vote are counted with the "
        "majority; no option leads by both area and headcount, so they are added to none", reference=p["reference"]),
    "non_voters_to_option": lambda p: _(
        "As the owners' rules of procedure provide (%(reference)s), the %(n)d owners who did not vote "
        "(%(area)s m²) are counted with “%(option)s”", reference=p["reference"], n=p["n"], area=p["area"],
        option=system_words(p["option"]) if isinstance(p["option"], dict) else p["option"]),
    "corrected_entries": lambda p: _("%(n)d entries corrected after objections", n=p["n"]),
    "reopen_by_author": lambda p: _("The resident who raised the matter is not satisfied."),
    "reopen_unsatisfied": lambda p: _("%(n)d of %(total)d households are not satisfied.", n=p["n"],
                                      total=p["total"]),
    "deadline_passed": lambda p: _("A deadline passed %(hours)d hours ago.", hours=p["hours"]),
    "rating_ended": lambda p: _("The time for rating has ended."),
}


def system_words(said: dict) -> str:
    """The system's words ``said`` (``{"key": …, **numbers}``) in the current language."""
    return SYSTEM_WORDS[said["key"]](said)


def said(key: str, **numbers) -> tuple[str, dict]:
    """The system's words as stored: the text in the site's default language (for the audit
    log and search) and the key with its numbers, from which each reader's page words it."""
    words = {"key": key, **numbers}
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return system_words(words), words
