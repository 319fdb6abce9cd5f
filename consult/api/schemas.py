"""The shapes of what the API takes and gives (marshmallow): requests are validated by
them, responses dumped through them, and the OpenAPI document is generated from them.

Everything a person typed is given as the pages show it: names through
``privacy.shown_name``, free text with mobile and ID-card numbers masked unless
``privacy.reveal_text`` reveals it to this viewer (``shown_text``)."""
from __future__ import annotations

from datetime import timezone

from marshmallow import EXCLUDE, fields, validate
from marshmallow import Schema as BaseSchema

from ..privacy import mask_personal_numbers, reveal_text, shown_name

# An id: a positive 32-bit integer, as the tables hold them (a larger one names no row).
ID = validate.Range(1, 2 ** 31 - 1)
LIMIT = fields.Integer(load_default=20, validate=validate.Range(1, 100),
                       metadata={"description": "Items per page (1–100)."})
CURSOR = fields.String(load_default=None, metadata={"description": "The `next_cursor` of the previous page."})


class Moment(fields.DateTime):
    """A time, stored as naive UTC, given in RFC 3339 with its offset (…+00:00)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


class Schema(BaseSchema):
    """Fields a request has that the schema does not know are left out, so that a client
    written for a later version still works; what is known is validated."""

    class Meta:
        unknown = EXCLUDE


def shown_text(text, place, author, viewer) -> str:
    """Free text as a page shows it to ``viewer``: in full where it is revealed to them,
    else with its personal numbers masked."""
    return mask_personal_numbers(reveal_text(text, place, author, viewer))


def person(user, place, viewer) -> dict | None:
    if user is None:
        return None
    return {"id": user.id, "name": shown_name(user, place, viewer)}


class PageArgs(Schema):
    limit = LIMIT
    cursor = CURSOR


class Person(Schema):
    id = fields.Integer()
    name = fields.String(metadata={"description": "Masked (王**) unless this viewer may read it."})


class PlaceRef(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()


class PlaceOut(PlaceRef):
    parent_id = fields.Integer(allow_none=True)
    path = fields.List(fields.Integer(), metadata={"description": "Ids from the root down to this place."})
    children = fields.List(fields.Nested(PlaceRef))


class PlacePage(Schema):
    items = fields.List(fields.Nested(PlaceRef))
    next_cursor = fields.String(allow_none=True)


# --- proposals -----------------------------------------------------------------------------

class ProposalArgs(PageArgs):
    state = fields.String(load_default=None)
    tier = fields.String(load_default=None)
    category = fields.Integer(load_default=None, validate=ID)
    call = fields.Integer(load_default=None, validate=ID)
    sort = fields.String(load_default="newest", validate=validate.OneOf(("newest", "cosigned", "oldest_open")))


class ProposalOut(Schema):
    id = fields.Integer()
    place = fields.Nested(PlaceRef)
    title = fields.String()
    body = fields.String()
    state = fields.String()
    tier = fields.String()
    category = fields.String()
    author = fields.Nested(Person)
    cosign_count = fields.Integer()
    created_at = Moment()
    updated_at = Moment()
    can_cosign = fields.Boolean()
    can_comment = fields.Boolean()


class ProposalPage(Schema):
    items = fields.List(fields.Nested(ProposalOut))
    next_cursor = fields.String(allow_none=True)


class ProposalIn(Schema):
    title = fields.String(required=True, validate=validate.Length(1, 100))
    body = fields.String(required=True, validate=validate.Length(1, 5000))
    category_id = fields.Integer(required=True, validate=ID)
    call_id = fields.Integer(load_default=None, validate=ID,
                             metadata={"description": "An open call of the place (提案征集)."})


class CallOut(Schema):
    id = fields.Integer()
    place = fields.Nested(PlaceRef)
    title = fields.String()
    description = fields.String()
    closes_at = Moment()
    open = fields.Boolean()


class CallPage(Schema):
    items = fields.List(fields.Nested(CallOut))
    next_cursor = fields.String(allow_none=True)


class CommentIn(Schema):
    body = fields.String(required=True, validate=validate.Length(1, 2000))
    parent_id = fields.Integer(load_default=None, validate=ID)


class CommentOut(Schema):
    id = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    author = fields.Nested(Person)
    body = fields.String(allow_none=True)
    hidden_reason = fields.String(allow_none=True)
    created_at = Moment()


class CommentPage(Schema):
    items = fields.List(fields.Nested(CommentOut))
    next_cursor = fields.String(allow_none=True)


class CosignOut(Schema):
    proposal_id = fields.Integer()
    cosign_count = fields.Integer()


# --- ballots ------------------------------------------------------------------------------------

class OptionOut(Schema):
    key = fields.String(metadata={"description": "What to send in `choice`."})
    label = fields.String()


class BallotOut(Schema):
    id = fields.Integer()
    place = fields.Nested(PlaceRef)
    proposal_id = fields.Integer(allow_none=True)
    meeting_id = fields.Integer(allow_none=True)
    question = fields.String()
    kind = fields.String()
    options = fields.List(fields.Nested(OptionOut))
    max_choices = fields.Integer()
    electorate = fields.String()
    secrecy = fields.String()
    rule = fields.String()
    state = fields.String()
    opens_at = Moment(allow_none=True)
    closes_at = Moment(allow_none=True)
    opened_at = Moment(allow_none=True)
    closed_at = Moment(allow_none=True)
    voted = fields.Boolean(metadata={"description": "Whether this viewer's vote (or their household's) is counted."})
    may_vote = fields.Boolean()


class BallotPage(Schema):
    items = fields.List(fields.Nested(BallotOut))
    next_cursor = fields.String(allow_none=True)


class CastIn(Schema):
    choice = fields.List(fields.String(), required=True, validate=validate.Length(min=1),
                         metadata={"description": "The keys of the options chosen (`yes`, `no`, `abstain`, or "
                                                           "`1`, `2` …)."})
    client_key = fields.String(load_default=None, validate=validate.Length(max=64),
                               metadata={"description": "The same key on a retry returns the same answer; "
                                                        "defaults to the Idempotency-Key."})
    household_id = fields.Integer(load_default=None, validate=ID)


class CastOut(Schema):
    ballot_id = fields.Integer()
    counted = fields.Boolean()
    receipt = fields.String(allow_none=True, metadata={
        "description": "A secret ballot's receipt: shown in this answer only, kept nowhere but in the box."})


class ResultOut(Schema):
    ballot_id = fields.Integer()
    state = fields.String()
    result = fields.Dict(allow_none=True)


# --- motions ---------------------------------------------------------------------------------

class MotionArgs(PageArgs):
    state = fields.String(load_default=None)
    open_only = fields.Boolean(load_default=False)


class MotionOut(Schema):
    id = fields.Integer()
    place = fields.Nested(PlaceRef)
    proposal_id = fields.Integer(allow_none=True)
    title = fields.String()
    body = fields.String()
    state = fields.String()
    answer = fields.String(allow_none=True)
    responders = fields.List(fields.String())
    created_at = Moment()
    complete_by = Moment()
    acknowledged_at = Moment(allow_none=True)
    completed_at = Moment(allow_none=True)
    closed_at = Moment(allow_none=True)
    evaluation_closes_at = Moment(allow_none=True)
    actions = fields.List(fields.String(), metadata={"description": "What this viewer may do now."})


class RatingsOut(Schema):
    motion_id = fields.Integer()
    round = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    total = fields.Integer()
    satisfied_share = fields.Float(allow_none=True)
    mine = fields.String(allow_none=True, metadata={"description": "This viewer's household's rating this round."})


class MotionPage(Schema):
    items = fields.List(fields.Nested(MotionOut))
    next_cursor = fields.String(allow_none=True)


class AnswerIn(Schema):
    answer = fields.String(required=True)
    reason = fields.String(load_default=None, validate=validate.Length(max=5000))


class TextIn(Schema):
    body = fields.String(required=True, validate=validate.Length(1, 5000))


class TimeIn(Schema):
    until = fields.Date(required=True, metadata={"description": "The last day (local) asked for."})
    reason = fields.String(required=True, validate=validate.Length(1, 5000))


class RateIn(Schema):
    score = fields.String(required=True)
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))


# --- meetings and minutes -------------------------------------------------------------------

class MeetingOut(Schema):
    id = fields.Integer()
    place = fields.Nested(PlaceRef)
    title = fields.String()
    kind = fields.String()
    form = fields.String()
    state = fields.String()
    starts_at = Moment()
    location = fields.String()
    invited = fields.Boolean()


class MeetingPage(Schema):
    items = fields.List(fields.Nested(MeetingOut))
    next_cursor = fields.String(allow_none=True)


class InvitationIn(Schema):
    accept = fields.Boolean(required=True)


class InvitationOut(Schema):
    meeting_id = fields.Integer()
    accepted = fields.Boolean(allow_none=True)


class MinutesVersionOut(Schema):
    number = fields.Integer()
    title = fields.String()
    body = fields.String()
    sha256 = fields.String()
    verified = fields.Boolean(metadata={"description": "The hash matches the version's canonical content."})
    frozen_at = Moment(allow_none=True)
    reason = fields.String(allow_none=True)


class MinutesOut(Schema):
    id = fields.Integer()
    meeting_id = fields.Integer()
    place = fields.Nested(PlaceRef)
    state = fields.String()
    versions = fields.List(fields.Nested(MinutesVersionOut))


# --- 12345 work orders ---------------------------------------------------------------------------

class WorkOrderIn(Schema):
    number = fields.String(required=True, validate=validate.Length(1, 40),
                           metadata={"description": "The hotline's order number: sent again, nothing is done twice."})
    address = fields.String(required=True, validate=validate.Length(1, 300),
                            metadata={"description": "The caller's address as the hotline wrote it."})
    matter = fields.String(required=True, validate=validate.Length(1, 4000))
    category = fields.String(load_default=None, validate=validate.Length(max=60),
                             metadata={"description": "A category's name (Chinese or English), if it has one here."})
    deadline = fields.DateTime(load_default=None, metadata={
        "description": "When the hotline wants it done: RFC 3339; without an offset, the site's local time."})


class WorkOrderOut(Schema):
    number = fields.String()
    state = fields.String(metadata={"description": "`accepted`, `answered`, `completed` or `closed`."})
    answer = fields.String(allow_none=True, metadata={"description": "The organisation's answer or what was done."})
    place = fields.Nested(PlaceRef)
    household_id = fields.Integer(allow_none=True)
    matched = fields.Boolean(metadata={"description": "Whether the address named the place."})
    motion_id = fields.Integer()
    deadline = Moment(allow_none=True)
    created_at = Moment()
    updated_at = Moment()


# --- notifications, search, figures --------------------------------------------------------------

class NotificationOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    text = fields.String()
    params = fields.Dict()
    created_at = Moment()
    read = fields.Boolean()


class NotificationPage(Schema):
    items = fields.List(fields.Nested(NotificationOut))
    next_cursor = fields.String(allow_none=True)
    unread = fields.Integer()


class ReadOut(Schema):
    unread = fields.Integer()


class SearchArgs(PageArgs):
    q = fields.String(required=True, validate=validate.Length(1, 200))
    place = fields.Integer(load_default=None, validate=ID,
                           metadata={"description": "Default: the viewer's own scope."})
    kind = fields.List(fields.String(), load_default=list,
                       metadata={"description": "proposal, ballot, statement, motion, minutes (default: all)."})
    tier = fields.String(load_default=None)
    start = fields.Date(load_default=None)
    end = fields.Date(load_default=None)


class HitOut(Schema):
    kind = fields.String()
    id = fields.Integer(metadata={"description": "The record's id (a proposal's, a motion's …)."})
    title = fields.String()
    snippet = fields.String()
    caption = fields.String()
    at = Moment()
    place = fields.Nested(PlaceRef, allow_none=True)


class SearchOut(Schema):
    items = fields.List(fields.Nested(HitOut))
    total = fields.Integer()
    next_cursor = fields.String(allow_none=True)


class FiguresArgs(Schema):
    start = fields.Date(load_default=None)
    end = fields.Date(load_default=None)


class FiguresOut(Schema):
    place = fields.Nested(PlaceRef)
    start = fields.Date()
    end = fields.Date()
    total = fields.Dict(metadata={"description": "Counts and rates (0–1, null without a base) of the place."})
    places = fields.List(fields.Dict(), metadata={"description": "The same per place below."})
    organisations = fields.List(fields.Dict(), metadata={"description": "The same per responder."})


# --- tokens -----------------------------------------------------------------------------

class TokenOut(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    scope = fields.String()


class MeOut(Schema):
    id = fields.Integer()
    name = fields.String()
    client = fields.String(allow_none=True)
    scopes = fields.List(fields.String())
    expires_at = Moment()
