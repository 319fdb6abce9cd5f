"""Masking of personal data in views (PIPL): 138****1234, 王**."""
from __future__ import annotations

import re


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


# Mainland mobile numbers in free text, also written with spaces or dashes.
MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d(?:[\s-]?\d){8}(?!\d)")


def mask_mobiles(text: str) -> str:
    """Every mobile number in ``text`` as ``mask_phone`` shows one (139****5678)."""
    return MOBILE_IN_TEXT.sub(lambda m: mask_phone(re.sub(r"\D", "", m.group())), text)


def mask_name(name: str | None) -> str:
    """Keep the first character (the family name for a Chinese name) and hide the rest."""
    if not name:
        return ""
    name = name.strip()
    if len(name) == 1:
        return name
    return name[0] + "*" * min(len(name) - 1, 4) if not name.isascii() else name[0] + "***"
