"""What the live room accepts and what it sends: one schema per message.

**In.** Every room action (``act``), the catch-up request (``since``) and the handshake's
``auth`` are checked here before anything reaches a service or the database: an object
with only the keys its action knows, each of its type and within bounds. Ids and sequence
numbers are whole numbers that fit the database's columns (PostgreSQL ``integer``, int4:
the tables' keys and ``seq`` are ``int``); JSON floats, booleans, ``NaN``, infinities,
numbers past 2**31 − 1 and negative ones are refused, and so is any nesting where a flat
value is expected. A payload that does not fit is answered with the stable code
``malformed`` (``Malformed``), whatever it holds.

**Out.** ``EVENTS`` names the data fields of every event the room sends (``{seq, kind,
at, actor, data}``); the service checks each event it writes against it (``check_event``)
and ``static/js/room.js`` applies exactly these kinds. ``TALLY`` is the live tally's
message (not an event: no ``seq``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from flask_babel import gettext as _

from ..errors import InvalidInput

INT_MAX = 2**31 - 1       # PostgreSQL integer (int4): every id and seq column of the room
TEXT_MAX = 4000           # no text field of the room takes more (statements 1,000, decisions 2,000)
KEY_MAX = 64              # a client key, a choice key, a handle
LIST_MAX = 50             # options of a ballot, choices in a cast


class Malformed(InvalidInput):
    """A message of the room that does not fit its schema."""

    code = "malformed"


@dataclass(frozen=True)
class Field:
    kind: str                  # "id", "seq", "int", "bool", "text", "key", "texts", "text_or_texts", "keys_or_key"
    required: bool = False
    max_length: int = TEXT_MAX
    minimum: int = 0
    maximum: int = INT_MAX
    nullable: bool = True


def _id(required=False):
    return Field("id", required=required, minimum=1)


ACTIONS: dict[str, dict[str, Field]] = {
    "sign_in": {},
    "mark_present": {"user": _id(), "handle": Field("key")},
    "start": {},
    "pause": {},
    "resume": {},
    "end": {},
    "item": {"item": _id(True)},
    "decision": {"item": _id(True), "text": Field("text", max_length=TEXT_MAX)},
    "speakers": {"open": Field("bool", required=True, nullable=False)},
    "raise_hand": {},
    "lower_hand": {"user": _id()},
    "lower_all": {},
    "give_floor": {"user": _id(True), "seconds": Field("int", minimum=0, maximum=INT_MAX)},
    "take_floor": {},
    "statement": {"body": Field("text")},
    "hide_statement": {"id": _id(True), "reason": Field("text")},
    "ballot_open": {"question": Field("text"), "kind": Field("key"), "rule": Field("key"),
                    "options": Field("text_or_texts", max_length=200), "max_choices": Field("int", minimum=0, maximum=1000),
                    "secret": Field("bool")},
    "ballot_close": {"ballot": _id(True)},
    "cast": {"ballot": _id(True), "choice": Field("keys_or_key", required=True, nullable=False, max_length=100),
             "client_key": Field("key")},
}

SINCE = {"seq": Field("seq", required=True, nullable=False)}
HANDSHAKE = {"meeting": _id(True), "last_seq": Field("seq")}


def _whole(value, field: Field) -> bool:
    # bool is an int in Python; floats (1.0, 1e300, inf, nan) are not whole numbers here.
    return (type(value) is int and field.minimum <= value <= field.maximum)


def _text(value, limit: int) -> bool:
    return isinstance(value, str) and len(value) <= limit


def _fits(value, field: Field) -> bool:
    if value is None:
        return field.nullable and not field.required
    kind = field.kind
    if kind in ("id", "seq", "int"):
        return _whole(value, field)
    if kind == "bool":
        return type(value) is bool
    if kind == "text":
        return _text(value, field.max_length)
    if kind == "key":
        return _text(value, KEY_MAX)
    if kind == "text_or_texts":
        if isinstance(value, str):
            return len(value) <= LIST_MAX * (field.max_length + 1)
        return (isinstance(value, list) and len(value) <= LIST_MAX
                and all(_text(v, field.max_length) for v in value))
    if kind == "keys_or_key":
        if isinstance(value, str):
            return len(value) <= field.max_length
        return (isinstance(value, list) and 0 < len(value) <= LIST_MAX
                and all(_text(v, field.max_length) for v in value))
    raise AssertionError(f"unknown field kind {kind!r}")


def check(data: Any, fields: Mapping[str, Field], *, ignore: tuple[str, ...] = ()) -> dict:
    """``data`` if it is an object with only ``fields`` (and ``ignore``), each fitting;
    otherwise ``Malformed``. Nothing is converted: what passes is what was sent."""
    if not isinstance(data, dict):
        raise Malformed(_("The room could not read this message."))
    for key, value in data.items():
        if key in ignore:
            continue
        field = fields.get(key) if isinstance(key, str) else None
        if field is None or not _fits(value, field):
            raise Malformed(_("The room could not read this message."))
    for key, field in fields.items():
        if field.required and key not in data:
            raise Malformed(_("The room could not read this message."))
    return data


def action(data: Any) -> tuple[str, dict]:
    """The action's name and its checked payload."""
    if not isinstance(data, dict) or not isinstance(data.get("action"), str):
        raise Malformed(_("The room could not read this message."))
    fields = ACTIONS.get(data["action"])
    if fields is None:
        raise Malformed(_("Unknown action."))
    return data["action"], check(data, fields, ignore=("action",))


def since(data: Any) -> int:
    return check(data, SINCE)["seq"]


def handshake(auth: Any) -> tuple[int, int]:
    """(meeting id, last seq) of a handshake; ``Malformed`` when it is not one."""
    auth = check(auth, HANDSHAKE)
    return auth["meeting"], auth.get("last_seq") or 0


# --- what the room sends ---------------------------------------------------------------------

# Every message: {seq, kind, at, actor, data}; data holds exactly these fields.
QUORUM = ("present", "expected", "quorum_met")
EVENTS: dict[str, tuple[str, ...]] = {
    "rescheduled": ("starts_at", "location"),
    "cancelled": ("reason",),
    "signed_in": ("user", "name", "role", "in_person", "invited") + QUORUM,
    "start": ("state", "item"),
    "pause": ("state", "item"),
    "resume": ("state", "item"),
    "end": ("state", "item"),
    "item": ("item", "title", "proposal"),
    "decision": ("item", "text"),
    "speakers": ("open",),
    "hand_raised": ("user", "name"),
    "hand_lowered": ("user",),
    "hands_lowered": (),
    "floor": ("user", "name", "until", "seconds"),
    "statement": ("id", "item", "user", "name", "body"),
    "statement_hidden": ("id", "reason"),
    "ballot_opened": ("ballot", "question", "choices", "kind", "max_choices", "secret", "voters"),
    "ballot_closed": ("ballot", "passed", "winners", "explanation", "marks", "cast", "eligible"),
}
# The live tally of an open ballot (sent as "tally", at most every TALLY_INTERVAL); "marks"
# only for a named ballot.
TALLY = ("ballot", "cast", "eligible", "marks")


# What the system words in an event (the marks of a for/against ballot, a count's
# explanation) is kept in the log as keys with their numbers (``i18n.SYSTEM_WORDS``) and
# worded in each reader's language when it is sent to them (``for_reader``).
WORDED = {"ballot_opened": "choices", "ballot_closed": "explanation"}


def for_reader(message: dict) -> dict:
    """An event of the log as a reader receives it: in the current language."""
    from ..i18n import system_words
    from ..voting.rules import explain

    field = WORDED.get(message["kind"])
    if field is None:
        return message
    data = dict(message["data"])
    if field == "choices":
        data["choices"] = {key: system_words(label) if isinstance(label, dict) else label
                           for key, label in (data.get("choices") or {}).items()}
    else:
        data["explanation"] = explain(data.get("explanation"))
    return {**message, "data": data}


def check_event(kind: str, data: Mapping[str, Any]) -> None:
    """The service writes only events of this schema: a new kind or field is added here
    (and to room.js) first."""
    fields = EVENTS.get(kind)
    if fields is None or set(data) != set(fields):
        raise AssertionError(f"room event {kind!r} with {sorted(data)} does not match its schema {fields}")
