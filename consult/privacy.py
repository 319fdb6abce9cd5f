"""Personal data in what people read (PIPL's minimum necessary): one rule for names, one for
phone and ID-card numbers in free text, each applied by one function on every page.

* Names: staff acting in their office in a place are named (their office acts); anyone else
  is masked (王**) except to themselves and to the roles that need personal data there.
* Numbers: mobile and ID-card numbers that a person typed into free text are masked
  (139****5678) for everyone but the author and the staff of the place. Every page masks
  them by default (the template engine's ``finalize``); a value is shown in full only when
  ``Revealed`` says this viewer may see it.
"""
from __future__ import annotations

import re
from typing import Optional

from flask_babel import lazy_gettext as _l

from . import permissions


class Revealed(str):
    """Text the current viewer may read in full: the page does not mask numbers in it."""


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def mask_id_number(number: str) -> str:
    """A resident identity card number with its birth date and sequence hidden."""
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"


# Bounded by anything but letters, digits and the characters of tokens and URLs, so that a
# run of digits inside a hex token or a signed value is never taken for a number.
_EDGE_BEFORE = r"(?<![0-9A-Za-z_.=/-])"
_EDGE_AFTER = r"(?![0-9A-Za-z_=/-])"
# Mainland mobile numbers, also written with spaces or dashes.
MOBILE_IN_TEXT = re.compile(_EDGE_BEFORE + r"1[3-9]\d(?:[\s-]?\d){8}" + _EDGE_AFTER)
# Resident identity card numbers (18 characters: region, birth date, sequence, check).
ID_NUMBER_IN_TEXT = re.compile(
    _EDGE_BEFORE + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]" + _EDGE_AFTER)


def mask_number(number: str) -> str:
    """One number as every page shows it masked, keeping its length: an ID-card number
    1101**********0021, a mobile number 139****5678, a shorter one all stars."""
    if len(number) == 18 and ID_NUMBER_IN_TEXT.fullmatch(number):
        return mask_id_number(number)
    return mask_phone(number)


# Eleven digits, each maybe after a space or dash: in every mobile and ID-card number. Every
# value a page prints comes here; most have no such run and are let through at once.
_LONG_NUMBER = re.compile(r"\d(?:[\s-]?\d){10}")


def mask_personal_numbers(text: str) -> str:
    """Mobile and ID-card numbers in free text, masked."""
    if not text or isinstance(text, Revealed) or len(text) < 11 or not _LONG_NUMBER.search(text):
        return text
    masked = ID_NUMBER_IN_TEXT.sub(lambda m: mask_number(m.group()), text)
    return MOBILE_IN_TEXT.sub(lambda m: mask_number(re.sub(r"\D", "", m.group())), masked)


# The stars of a masked number (139****5678, 1101**********0021), which Markdown would
# otherwise take for emphasis.
_MASK_STARS = re.compile(r"(?<=\d)\*{4,}(?=[\dXx])")


def escape_masks(markdown: str) -> str:
    """Markdown source in which every masked number keeps its stars as stars."""
    return _MASK_STARS.sub(lambda m: "\\*" * len(m.group()), markdown)


def mask_name(name: str | None) -> str:
    """Keep the first character (the family name for a Chinese name) and hide the rest."""
    if not name:
        return ""
    name = name.strip()
    if len(name) == 1:
        return name
    return name[0] + "*" * min(len(name) - 1, 4) if not name.isascii() else name[0] + "***"


def shown_name(person, place, viewer=None) -> str:
    """A person's name as ``viewer`` may read it in ``place``; with no viewer, as everybody
    may (the live room, a printed record)."""
    if person is None:
        return ""
    if getattr(person, "deleted_at", None) is not None:
        return str(_l("Deleted account"))
    if (place is not None and permissions.acts_officially(person, place)) or (
            viewer is not None and permissions.can_see_person(viewer, person, place)):
        name = person.name
    else:
        name = mask_name(person.name)
    identity = permissions.public_identity(person, place)   # 党员亮身份, where they chose it
    return f"{name} · {identity}" if identity else name


def public_name(person, place) -> str:
    """A name as everybody may read it in ``place``: the whole room, a printed record."""
    return shown_name(person, place)


def shown_phone(person, place, viewer) -> str:
    if person is None or not person.phone:
        return ""
    if viewer is not None and permissions.can_see_person(viewer, person, place):
        return Revealed(person.phone)
    return mask_phone(person.phone)


def reveal_text(text: Optional[str], place, author, viewer) -> str:
    """Free text by ``author``, marked ``Revealed`` for the author and the staff of ``place``;
    for everyone else it is left as it is, for the page to mask."""
    if not text:
        return text or ""
    if viewer is not None and getattr(viewer, "is_authenticated", False) and (
            (author is not None and viewer.id == author.id)
            or (place is not None and permissions.can_see_personal_data(viewer, place))
            or permissions.is_global_administrator(viewer)):
        return Revealed(text)
    return text
