"""The archive of a place and the places below it: a timeline per year of meetings with
their minutes, decisions, ballots and motions, and the whole of it as one zip for
handing over to a new committee (JSON records, the minutes as PDF and Markdown, and a
manifest with the SHA-256 of every file)."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Optional

from flask import current_app
from sqlalchemy import func, select, union_all
from sqlalchemy.orm import selectinload

from .. import permissions
from ..clock import start_of_local_day, to_local, utcnow
from ..extensions import db
from ..privacy import public_name
from ..meetings.models import Meeting, MeetingState
from ..motions.models import Motion, MotionState, Responder
from ..pdf import render_pdf
from ..places.models import Place
from ..voting.models import Ballot, BallotState
from ..web import load
from . import service as minutes_service
from .models import Minutes, MinutesVersion

TIMELINE_LIMIT = 1000


def viewable_place(place_id: int) -> Place:
    place = load(Place, place_id, permissions.can_view_place)
    return place


def _below(place: Place):
    return select(Place.id).where(Place.path.startswith(place.path, autoescape=True)).scalar_subquery()


def years(place: Place) -> list[int]:
    """The local years in which something happened here, newest first."""
    below = _below(place)
    moments = union_all(
        select(Meeting.ended_at.label("at")).where(Meeting.place_id.in_(below), Meeting.ended_at.is_not(None)),
        select(Ballot.closed_at.label("at")).where(Ballot.place_id.in_(below), Ballot.closed_at.is_not(None)),
        select(Motion.created_at.label("at")).where(Motion.place_id.in_(below))).subquery()
    first, last = db.session.execute(select(func.min(moments.c.at), func.max(moments.c.at))).one()
    if first is None:
        return []
    return list(range(to_local(last).year, to_local(first).year - 1, -1))


@dataclass
class Entry:
    kind: str                  # "meeting" | "ballot" | "motion"
    at: datetime
    place: Place
    title: str
    record: Any
    minutes: Optional[Minutes] = None
    ballots: list[Ballot] = field(default_factory=list)
    motions: list[Motion] = field(default_factory=list)


def timeline(place: Place, year: int) -> list[Entry]:
    """Everything that ended (meetings, ballots) or was handed over (motions) in the local
    ``year``, newest first; ballots and motions of a meeting are shown with it."""
    start, end = start_of_local_day(date(year, 1, 1)), start_of_local_day(date(year + 1, 1, 1))
    below = _below(place)
    entries: list[Entry] = []
    ended = list(db.session.scalars(
        select(Meeting).where(Meeting.place_id.in_(below), Meeting.state == MeetingState.ended,
                              Meeting.ended_at >= start, Meeting.ended_at < end)
        .options(selectinload(Meeting.place), selectinload(Meeting.moderator), selectinload(Meeting.agenda))
        .order_by(Meeting.ended_at.desc()).limit(TIMELINE_LIMIT)))
    ids = [m.id for m in ended]
    minutes = {m.meeting_id: m for m in db.session.scalars(
        select(Minutes).where(Minutes.meeting_id.in_(ids)).options(selectinload(Minutes.versions)))} if ids else {}
    by_meeting: dict[int, Entry] = {}
    for meeting in ended:
        entry = Entry("meeting", meeting.ended_at, meeting.place, meeting.title, meeting, minutes.get(meeting.id))
        by_meeting[meeting.id] = entry
        entries.append(entry)
    for ballot in db.session.scalars(
            select(Ballot).where(Ballot.place_id.in_(below), Ballot.state == BallotState.closed,
                                 Ballot.closed_at >= start, Ballot.closed_at < end).options(selectinload(Ballot.place))
            .order_by(Ballot.closed_at.desc()).limit(TIMELINE_LIMIT)):
        if ballot.meeting_id in by_meeting:
            by_meeting[ballot.meeting_id].ballots.append(ballot)
        else:
            entries.append(Entry("ballot", ballot.closed_at, ballot.place, ballot.question, ballot))
    for motion in db.session.scalars(
            select(Motion).where(Motion.place_id.in_(below), Motion.state != MotionState.withdrawn,
                                 Motion.created_at >= start, Motion.created_at < end)
            .options(selectinload(Motion.place), selectinload(Motion.responders).selectinload(Responder.organisation))
            .order_by(Motion.created_at.desc()).limit(TIMELINE_LIMIT)):
        if motion.meeting_id in by_meeting:
            by_meeting[motion.meeting_id].motions.append(motion)
        else:
            entries.append(Entry("motion", motion.created_at, motion.place, motion.title, motion))
    return sorted(entries, key=lambda e: e.at, reverse=True)


# --- documents ----------------------------------------------------------------------------------

def markdown(version: MinutesVersion) -> str:
    """The minutes as a Markdown file: the text, then what makes it a record."""
    from flask_babel import gettext as _

    minutes = version.minutes
    with _default_locale():
        lines = [f"# {version.title}", "", version.body.rstrip(), "", "---", ""]
        lines.append("- " + _("Place") + f"：{minutes.place.full_name}")
        correction = "（" + _("Correction:") + f" {version.reason}）" if version.reason else ""
        lines.append("- " + _("Version") + f"：{version.number}{correction}")
        for signature in version.signatures:
            lines.append(f"- {signature.role.label}：{public_name(signature.user, minutes.place)}"
                         f"，{signature.at.isoformat(timespec='minutes')}Z")
        if version.sha256:
            lines.append(f"- SHA-256：`{version.sha256}`")
    return "\n".join(lines) + "\n"


def _pdf_dir(config) -> Path:
    return Path(config["UPLOAD_DIR"]) / "minutes"


def pdf(version: MinutesVersion) -> bytes:
    """A4 PDF of a version. A signed version never changes, so its PDF is made once and
    kept under its hash."""
    from ..markup import render_markdown

    def render() -> bytes:
        with _default_locale():
            return render_pdf("minutes/pdf.html", version=version, minutes=version.minutes,
                              body=render_markdown(version.body),
                              public_name=public_name)
    if not version.frozen:
        return render()
    path = _pdf_dir(current_app.config) / f"{version.sha256}.pdf"
    if path.exists():
        return path.read_bytes()
    data = render()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(data)
    partial.replace(path)   # atomic: a reader sees the whole file or none
    return data


def keep_pdf(version: MinutesVersion) -> None:
    """Make the PDF of a signed version now, if this server can (a server without Pango
    makes it when it is first asked for)."""
    from ..pdf import PdfUnavailable

    try:
        pdf(version)
    except PdfUnavailable:
        current_app.logger.warning("PDF of minutes %s not made: Pango is missing", version.minutes_id)


def _default_locale():
    from flask_babel import force_locale

    return force_locale(current_app.config["BABEL_DEFAULT_LOCALE"])


# --- the zip for handing over -------------------------------------------------------------------

def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def _meeting_record(meeting: Meeting, minutes: Optional[Minutes]) -> dict:
    name = public_name
    return {
        "id": meeting.id, "place": meeting.place.full_name, "title": meeting.title, "kind": meeting.kind.value,
        "form": meeting.form.value, "started_at": _iso(meeting.started_at), "ended_at": _iso(meeting.ended_at),
        "moderator": name(meeting.moderator, meeting.place),
        "agenda": [{"position": i.position, "title": i.title, "decision": i.decision} for i in meeting.agenda],
        "minutes": None if minutes is None else {
            "id": minutes.id, "state": minutes.state.value, "published_at": _iso(minutes.published_at),
            "archived_at": _iso(minutes.archived_at),
            "versions": [{"number": v.number, "title": v.title, "reason": v.reason, "signed_at": _iso(v.signed_at),
                          "sha256": v.sha256, "canonical": v.canonical,
                          "signatures": [{"role": s.role.value, "name": name(s.user, meeting.place),
                                          "at": _iso(s.at)} for s in v.signatures]}
                         for v in minutes.versions if v.frozen],
            "remarks": [{"kind": r.kind.value, "author": name(r.author, meeting.place), "body": r.body,
                         "at": _iso(r.at), "answer": r.answer, "answered_at": _iso(r.answered_at)}
                        for r in minutes.remarks]},
    }


def _ballot_record(ballot: Ballot) -> dict:
    return {"id": ballot.id, "place": ballot.place.full_name, "meeting": ballot.meeting_id, "question": ballot.question,
            "rule": ballot.rule, "opened_at": _iso(ballot.opened_at), "closed_at": _iso(ballot.closed_at),
            "result": ballot.final_result or ballot.result,
            # An owners' decision: the preliminary result kept beside the final one.
            "stage": ballot.stage.value if ballot.stage else None,
            "preliminary_result": ballot.result if ballot.final_result else None}


def _motion_record(motion: Motion) -> dict:
    return {"id": motion.id, "place": motion.place.full_name, "meeting": motion.meeting_id, "title": motion.title,
            "body": motion.body, "state": motion.state.value, "responders": [r.organisation.name for r in motion.responders],
            "assigned_at": _iso(motion.created_at), "complete_by": _iso(motion.complete_by),
            "completed_at": _iso(motion.completed_at), "evidence": motion.evidence, "closed_at": _iso(motion.closed_at),
            "reopened": motion.reopened_count}


def _batches(query, size: int = 200):
    """Rows of ``query`` a batch at a time, so that a large archive does not fill memory."""
    last = 0
    model = query.column_descriptions[0]["entity"]
    while True:
        rows = list(db.session.scalars(query.where(model.id > last).order_by(model.id).limit(size)))
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        db.session.expire_all()


def export_zip(place: Place, config) -> Path:
    """The whole archive of ``place`` and below as a zip in a temporary file."""
    below = _below(place)
    handle, name = tempfile.mkstemp(prefix="consult-archive-", suffix=".zip")
    os.close(handle)
    path = Path(name)
    manifest: dict[str, str] = {}

    def put(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
        # PDFs are compressed already: stored as they are, they cost no time to pack.
        archive.writestr(name, data, compress_type=zipfile.ZIP_STORED if name.endswith(".pdf") else None)
        manifest[name] = hashlib.sha256(data).hexdigest()

    def dump(value) -> bytes:
        return json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8")

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        records = []
        for meeting in _batches(select(Meeting).where(Meeting.place_id.in_(below),
                                                      Meeting.state == MeetingState.ended)):
            minutes = minutes_service.minutes_of(meeting)
            records.append(_meeting_record(meeting, minutes))
            for version in (minutes.versions if minutes else []):
                if version.frozen:
                    stem = f"minutes/meeting-{meeting.id}-v{version.number}"
                    put(archive, f"{stem}.pdf", pdf(version))
                    put(archive, f"{stem}.md", markdown(version).encode("utf-8"))
        put(archive, "meetings.json", dump(records))
        put(archive, "ballots.json", dump([_ballot_record(b) for b in _batches(
            select(Ballot).where(Ballot.place_id.in_(below), Ballot.state == BallotState.closed))]))
        put(archive, "motions.json", dump([_motion_record(m) for m in _batches(
            select(Motion).where(Motion.place_id.in_(below), Motion.state != MotionState.withdrawn))]))
        archive.writestr("manifest.json", dump({"place": place.full_name, "exported_at": _iso(utcnow()),
                                                "algorithm": "SHA-256", "files": manifest}))
    return path
