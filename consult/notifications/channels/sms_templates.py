"""What an SMS carries: the provider's approved template for the kind of message, and its
parameters (a short title and the link), never the text people wrote."""
from __future__ import annotations

from typing import Optional

# The parameters every template is given: a short title and the link to the site.
TITLE_LENGTH = 20


def template_for(config, kind: str) -> Optional[str]:
    return (config.get("SMS_TEMPLATES") or {}).get(kind)


def parameters(message) -> dict[str, str]:
    """The named parameters of a template: what it is about, and where to read it."""
    if message.kind == "verify":
        return {"code": message.params["code"]}
    title = next((str(message.params[key]) for key in ("title", "question") if message.params.get(key)), "")
    if message.kind == "digest":
        title = message.text
    if len(title) > TITLE_LENGTH:
        title = title[:TITLE_LENGTH - 1] + "…"
    return {"title": title, "link": message.link}
