"""The first draft of a meeting's minutes, written from the meeting's event log: who came,
what was on the agenda, who said what, how the ballots went, what was decided and which
motions were handed to whom, and every step of the room in order. Markdown, in the
site's language; residents' names masked as in the room."""
from __future__ import annotations

from collections import Counter

from flask import current_app
from flask_babel import force_locale, format_datetime, format_time
from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.models import OrganisationKind, Role, User
from ..extensions import db
from ..meetings import service as meetings
from ..privacy import public_name
from ..meetings.models import Meeting, MeetingEvent, Statement
from .models import StatementDetail

SUMMARY_CHARS = 40


def _role_label(value: str) -> str:
    for kind in (Role, OrganisationKind):
        try:
            return str(kind(value).label)
        except ValueError:
            continue
    return _("Guest")


def _line(text: str) -> str:
    """One line of text inside a Markdown list: no line breaks that would end it."""
    return " ".join((text or "").split())


def _when(moment) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm") if moment else "—"


def _names(meeting: Meeting) -> dict[int, str]:
    ids = {e.actor_id for e in _events(meeting) if e.actor_id} | {meeting.moderator_id}
    ids |= {s.author_id for s in _statements(meeting)}
    people = db.session.scalars(select(User).where(User.id.in_(ids))) if ids else []
    return {p.id: public_name(p, meeting.place) for p in people}


def _events(meeting: Meeting) -> list[MeetingEvent]:
    return list(db.session.scalars(select(MeetingEvent).where(MeetingEvent.meeting_id == meeting.id)
                                   .order_by(MeetingEvent.seq)))


def _statements(meeting: Meeting) -> list[Statement]:
    return list(db.session.scalars(select(Statement).where(Statement.meeting_id == meeting.id).order_by(Statement.id)))


def write(meeting: Meeting, detail: StatementDetail) -> tuple[str, str]:
    """(title, Markdown body) of the draft."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _("Minutes: %(title)s", title=meeting.title), _body(meeting, detail)


def _body(meeting: Meeting, detail: StatementDetail) -> str:
    from ..motions.models import Motion
    from ..voting.models import Ballot

    events = _events(meeting)
    names = _names(meeting)
    place = meeting.place
    out: list[str] = []

    out += ["### " + _("Particulars"), ""]
    out.append("- " + _("Place") + f"：{place.full_name}")
    out.append("- " + _("Time") + f"：{_when(meeting.started_at or meeting.starts_at)} — {_when(meeting.ended_at)}")
    form = str(meeting.form.label) + (f"（{_line(meeting.location)}）" if meeting.location else "")
    out.append("- " + _("Form") + f"：{form}")
    out.append("- " + _("Moderator") + f"：{names.get(meeting.moderator_id, '')}")
    recorder = public_name(meeting.recorder, place) if meeting.recorder else _("the moderator")
    out.append("- " + _("Recorder") + f"：{recorder}")
    out.append("")

    # Attendance, from the sign-in events: each person once, with the role they came in.
    signed = {}
    for e in events:
        if e.kind == "signed_in" and e.data.get("user") not in signed:
            signed[e.data.get("user")] = e.data
    present, expected = meetings.quorum_figures(meeting)
    out += ["### " + _("Attendance"), ""]
    # One count per line that cannot contradict another: the invitees and how many of them
    # came (what the quorum counts), then those who came without an invitation.
    others = max(len(signed) - present, 0)
    if expected:
        line = _("Invited: %(m)d; present: %(p)d.", m=expected, p=present)
        if others:
            line += " " + _("Also present without an invitation (staff, guests): %(o)d.", o=others)
    else:
        line = _("Present: %(n)d.", n=len(signed))
    out.append("- " + line)
    out.append("- " + _("Quorum") + f"：{meeting.quorum.label}" + (
        "" if meeting.quorum.value == "none" else "，" + (_("reached") if meeting.quorum.met(present, expected)
                                                         else _("not reached"))))
    by_role = Counter(_role_label(d.get("role", "")) for d in signed.values())
    if by_role:
        out.append("- " + _("By role: %(list)s", list="，".join(f"{role} {n}" for role, n in by_role.most_common())))
        in_person = [d.get("name", "") for d in signed.values() if d.get("in_person")]
        online = [d.get("name", "") for d in signed.values() if not d.get("in_person")]
        if online:
            out.append("- " + _("Online") + "：" + "、".join(online))
        if in_person:
            out.append("- " + _("In person") + "：" + "、".join(in_person))
    out.append("")

    # What happened under each agenda item: the item current when a ballot opened or a
    # statement was made is the one it belongs to.
    statements = {s.id: s for s in _statements(meeting)}
    ballots = {b.id: b for b in db.session.scalars(select(Ballot).where(Ballot.meeting_id == meeting.id))}
    current, ballot_item = None, {}
    for e in events:
        if e.kind == "item":
            current = e.data.get("item")
        elif e.kind in ("start", "resume") and e.data.get("item"):
            current = e.data.get("item")
        elif e.kind == "ballot_opened":
            ballot_item[e.data.get("ballot")] = current

    out += ["### " + _("Agenda"), ""]
    items = list(meeting.agenda)
    for n, item in enumerate(items, 1):
        out += [f"#### {n}. {_line(item.title)}", ""]
        out += _statement_lines([s for s in statements.values() if s.item_id == item.id], names, detail)
        out += _ballot_lines([b for i, b in sorted(ballots.items()) if ballot_item.get(i) == item.id])
        out.append("- " + _("Decision") + f"：{_line(item.decision)}" if item.decision else "- " + _("No decision recorded."))
        out.append("")
    loose = [s for s in statements.values() if s.item_id not in {i.id for i in items}]
    loose_ballots = [b for i, b in sorted(ballots.items()) if ballot_item.get(i) not in {i.id for i in items}]
    if loose or loose_ballots:
        out += ["#### " + _("Outside the agenda"), ""]
        out += _statement_lines(loose, names, detail) + _ballot_lines(loose_ballots) + [""]

    motions = list(db.session.scalars(select(Motion).where(Motion.meeting_id == meeting.id).order_by(Motion.id)))
    out += ["### " + _("Motions handed over"), ""]
    if motions:
        for m in motions:
            responders = "、".join(r.organisation.name for r in m.responders)
            out.append("- " + _("“%(title)s” to %(responders)s, to be completed by %(date)s",
                                title=_line(m.title), responders=responders, date=_when(m.complete_by)))
    else:
        out.append("- " + _("None."))
    out.append("")

    out += ["### " + _("Proceedings"), ""]
    for e in events:
        out.append(f"- {format_time(e.at, 'HH:mm:ss')} {_describe(e, names, statements, ballots)}")
    out.append("")
    return "\n".join(out)


def _statement_lines(statements: list[Statement], names: dict[int, str], detail: StatementDetail) -> list[str]:
    if not statements:
        return ["- " + _("No statements.")]
    lines = ["- " + _("Statements") + "："]
    if detail is StatementDetail.full:
        for s in statements:
            text = _("(hidden: %(reason)s)", reason=_line(s.hidden_reason)) if s.hidden_reason else _line(s.body)
            lines.append(f"  - {names.get(s.author_id, '')}（{format_time(s.at, 'HH:mm')}）：{text}")
        return lines
    by_author: dict[int, list[Statement]] = {}
    for s in statements:
        by_author.setdefault(s.author_id, []).append(s)
    for author, said in by_author.items():
        shown = [s for s in said if not s.hidden_reason]
        first = _line(shown[0].body) if shown else ""
        opening = first[:SUMMARY_CHARS] + ("…" if len(first) > SUMMARY_CHARS else "")
        lines.append(f"  - {names.get(author, '')}：" + _("%(n)d statements", n=len(said)) +
                     (f"，{opening}" if opening else ""))
    return lines


def _ballot_lines(ballots) -> list[str]:
    lines = []
    for b in ballots:
        lines.append("- " + _("Ballot") + f"：{_line(b.question)}")
        result = b.result
        if not result:
            lines.append("  - " + _("Not closed."))
            continue
        choices = b.choices()
        marks = result.get("marks", {})
        counts = "，".join(f"{label} {marks.get(key, {}).get('headcount', 0)}" for key, label in choices.items())
        outcome = _("Adopted") if result.get("passed") else _("Not adopted")
        cast = result.get("cast", {}).get("headcount", 0)
        eligible = result.get("eligible", {}).get("headcount", 0)
        lines.append(f"  - {outcome}：{counts}；" + _("%(cast)d of %(eligible)d voted", cast=cast, eligible=eligible))
        text = b.explanation()
        if text:
            lines.append(f"  - {_line(text)}")
    return lines


def _describe(e: MeetingEvent, names: dict[int, str], statements: dict, ballots: dict) -> str:
    d, actor = e.data, names.get(e.actor_id, "")
    person = d.get("name") or names.get(d.get("user"), "")
    ballot = ballots.get(d.get("ballot"))
    question = _line(ballot.question) if ballot else _line(d.get("question", ""))
    texts = {
        "start": lambda: _("The meeting started."),
        "pause": lambda: _("The meeting was paused."),
        "resume": lambda: _("The meeting resumed."),
        "end": lambda: _("The meeting ended."),
        "rescheduled": lambda: _("The meeting was rescheduled."),
        "cancelled": lambda: _("The meeting was cancelled: %(reason)s", reason=_line(d.get("reason", ""))),
        "signed_in": lambda: _("%(name)s signed in (%(how)s).", name=person,
                               how=_("in person") if d.get("in_person") else _("online")),
        "item": lambda: _("Agenda item: %(title)s", title=_line(d.get("title", ""))),
        "decision": lambda: _("Decision recorded: %(text)s", text=_line(d.get("text", ""))),
        "speakers": lambda: _("The speakers' list was opened.") if d.get("open")
        else _("The speakers' list was closed."),
        "hand_raised": lambda: _("%(name)s raised a hand.", name=person),
        "hand_lowered": lambda: _("%(name)s lowered a hand.", name=person),
        "hands_lowered": lambda: _("All hands were lowered."),
        "floor": lambda: _("%(name)s was given the floor.", name=person) if d.get("user")
        else _("The floor was taken back."),
        "statement": lambda: _("%(name)s made a statement.", name=person or actor),
        "statement_hidden": lambda: _("A statement was hidden: %(reason)s", reason=_line(d.get("reason", ""))),
        "ballot_opened": lambda: _("Voting opened: %(question)s", question=question),
        "ballot_closed": lambda: _("Voting closed: %(question)s — %(outcome)s", question=question,
                                   outcome=_("adopted") if d.get("passed") else _("not adopted")),
    }
    return texts[e.kind]() if e.kind in texts else e.kind
