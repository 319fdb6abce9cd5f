"""Masking of personal data in views (PIPL): 138****1234, 王**."""
from __future__ import annotations


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def mask_name(name: str | None) -> str:
    """Keep the first character (the family name for a Chinese name) and hide the rest."""
    if not name:
        return ""
    name = name.strip()
    if len(name) == 1:
        return name
    return name[0] + "*" * min(len(name) - 1, 4) if not name.isascii() else name[0] + "***"
