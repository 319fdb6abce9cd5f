"""The evidence pack of an owners' decision: one zip a homeowners' committee can bring to
court — every ballot record, the preliminary and final results with their explanations,
the objections and answers, what other domains contribute (the register, the notice and
its delivery log, the proxies), a manifest of SHA-256 per file, a printable summary and
a compliance check of each procedural requirement, with whether and when it was met.

Domains contribute by declaring ``evidence=`` on their ``Domain``: a callable ``(ballot) ->
(files, requirements)`` of ``EvidenceFile`` and ``Requirement``. A secret ballot's pack
holds nothing that links a voter to a choice: the participations say who voted, how and
when; the box, in receipt order, what was voted, without weight or time."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from flask import current_app
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _

from ..clock import utcnow
from ..extensions import db
from .models import Ballot, BallotBoxEntry, Channel, ObjectionState, ResultStage, Secrecy
from .rules import RULES


@dataclass(frozen=True)
class EvidenceFile:
    path: str          # inside the zip, e.g. "voting/records.csv"
    content: bytes
    title: str         # what it is, in words, for the summary


@dataclass(frozen=True)
class Requirement:
    label: str                 # the procedural requirement, in words
    met: bool
    at: Optional[datetime]     # when it was met (UTC), if it was
    detail: str = ""


def _when(moment: Optional[datetime]) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm") if moment else ""


def _csv(header: list[str], rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    # A BOM so that Excel reads the Chinese as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode("utf-8")


def _how(part) -> str:
    """How a vote came in: online by the owner, on paper, or by another account for them."""
    if part.channel is Channel.paper:
        return str(Channel.paper.label)
    if part.cast_by_id != part.voter.user_id and part.voter.user_id is not None:
        return _("Online, cast by another account for the owner")
    return str(part.channel.label)


def _records(ballot: Ballot) -> tuple[list[EvidenceFile], list[str]]:
    from ..photos import photo_dir
    from . import results

    named = ballot.secrecy is Secrecy.named
    header = [_("No."), _("Units"), _("Area (m²)"), _("Voted"), _("How"), _("When"), _("Changed on"),
              _("Witness"), _("Photo")]
    if named:
        header.append(_("Vote"))
    rows, photos = [], []
    folder = photo_dir(current_app.config)
    for n, entry in enumerate(results.entries(ballot, everyone=True), 1):
        part = entry.participation
        photo = ""
        if part is not None and part.evidence and part.evidence != "pending":
            path = folder / f"{part.evidence}.jpg"
            if path.is_file():
                photo = f"voting/photos/{part.evidence}.jpg"
                photos.append(EvidenceFile(photo, path.read_bytes(),
                                           _("Photo of the signed paper ballot of %(units)s", units=entry.rooms)))
        row = [n, entry.rooms, entry.voter.area, _("Yes") if part else _("No"),
               _how(part) if part else "", _when(part.at) if part else "",
               _when(part.changed_at) if part else "", (part.witness or "") if part else "", photo]
        if named:
            row.append(entry.choice or "")
        rows.append(row)
    title = _("Every ballot record: units, area, channel, time, witness, photo and vote") if named else \
        _("Every ballot record: units, area, channel, time; no votes, the ballot was secret")
    files = [EvidenceFile("voting/records.csv", _csv(header, rows), title)]
    return files + photos, []


def _box(ballot: Ballot) -> list[EvidenceFile]:
    """A secret ballot's box as published: receipt and vote, in receipt order — no weight
    (an exact area could single out a flat) and no time."""
    choices = ballot.choices()
    entries = db.session.scalars(db.select(BallotBoxEntry).where(BallotBoxEntry.ballot_id == ballot.id)
                                 .order_by(BallotBoxEntry.receipt)).all()
    rows = [[e.receipt, "、".join(choices.get(k, _("Blank")) for k in e.choice.split(","))] for e in entries]
    return [EvidenceFile("voting/box.csv", _csv([_("Receipt"), _("Vote")], rows),
                         _("The ballot box of the secret ballot, in receipt order"))]


def _objections(ballot: Ballot) -> EvidenceFile:
    from . import results

    rooms = results.rooms_of(ballot)
    rows = [[o.id, rooms.get(o.voter_id, ""), _when(o.raised_at), o.reason, o.state.label, o.answer or "",
             _when(o.answered_at), results.describe(ballot, o.correction)] for o in results.objections_of(ballot)]
    return EvidenceFile("voting/objections.csv",
                        _csv([_("No."), _("Entry"), _("Raised on"), _("Reason"), _("Answer"), _("Answer given"),
                              _("Answered on"), _("Correction")], rows),
                        _("Objections to the preliminary result and their answers"))


def _settings(ballot: Ballot) -> dict:
    return {"ballot": ballot.id, "question": ballot.question, "place": ballot.place.full_name,
            "rule": str(RULES[ballot.rule].label), "electorate": str(ballot.electorate.label),
            "secrecy": str(ballot.secrecy.label), "changes": str(ballot.changes.label),
            "non_voters": str(ballot.non_voters.label), "non_voters_reference": ballot.non_voters_reference,
            "drafted_at": ballot.created_at, "opens_at": ballot.opens_at, "opened_at": ballot.opened_at,
            "closes_at": ballot.closes_at, "first_closes_at": ballot.first_closes_at,
            "extended_at": ballot.extended_at, "extension_reason": ballot.extension_reason,
            "closed_at": ballot.closed_at, "objections_until": ballot.objections_until,
            "finalized_at": ballot.finalized_at, "stage": ballot.stage.value if ballot.stage else None}


def requirements(ballot: Ballot) -> list[Requirement]:
    """The procedural requirements of the vote and the staged result, each with whether
    and when it was met."""
    from . import results

    rule = RULES[ballot.rule]
    days = current_app.config["OWNERS_OBJECTION_DAYS"]
    limit = current_app.config["OWNERS_EXTENSION_MAX_DAYS"]
    shown = ballot.final_result or ballot.result or {}
    objections = results.objections_of(ballot)
    unanswered = [o for o in objections if o.state is ObjectionState.open]
    out = [
        Requirement(_("The ballot states how it is counted, whether a vote may be changed and how owners who do "
                      "not vote are counted"), True, ballot.created_at,
                    f"{rule.label}；{ballot.changes.label}；{ballot.non_voters.label}"),
        Requirement(_("Owners who do not vote are counted with the majority only where the owners' rules of "
                      "procedure provide it"),
                    ballot.non_voters.value == "not_counted" or bool(ballot.non_voters_reference), ballot.created_at,
                    ballot.non_voters_reference or ""),
        Requirement(_("Voting opened"), ballot.opened_at is not None, ballot.opened_at),
    ]
    if ballot.extended_at is not None:
        extension = ballot.closes_at - ballot.first_closes_at
        out.append(Requirement(_("Extended once, short of participation, with notice to the owners, by at most "
                                 "%(n)d days", n=limit), extension <= timedelta(days=limit), ballot.extended_at,
                               ballot.extension_reason or ""))
    closed_ok = ballot.closed_at is not None and (
        ballot.closes_at is None or ballot.closed_at >= ballot.closes_at or bool(shown.get("early_reason")))
    out.append(Requirement(_("Voting closed as announced, or early with a reason on the record"), closed_ok,
                           ballot.closed_at, shown.get("early_reason") or ""))
    if rule.by_area and shown.get("checks"):
        met = all(c["met"] for c in shown["checks"][:2])
        out.append(Requirement(_("At least 2/3 of the area and 2/3 of the owners took part"), met,
                               ballot.closed_at if met else None))
    out += [
        Requirement(_("Preliminary result published to the owners with the per-unit record"),
                    ballot.stage is not None, ballot.closed_at if ballot.stage is not None else None),
        Requirement(_("Owners could object for %(n)d days", n=days),
                    ballot.objections_until is not None and ballot.closed_at is not None
                    and ballot.objections_until - ballot.closed_at >= timedelta(days=days),
                    ballot.objections_until),
        Requirement(_("Every objection answered on the record"), ballot.stage is not None and not unanswered,
                    max((o.answered_at for o in objections if o.answered_at), default=None),
                    _("%(n)d objections, %(m)d awaiting an answer", n=len(objections), m=len(unanswered))),
        Requirement(_("Final result announced"), ballot.stage is ResultStage.final, ballot.finalized_at),
    ]
    return out


def contribute(ballot: Ballot) -> tuple[list[EvidenceFile], list[Requirement]]:
    """What the ballot itself puts in the pack."""
    files = [EvidenceFile("voting/ballot.json", _json(_settings(ballot)),
                          _("The ballot: question, counting rule, settings and times"))]
    records, _reqs = _records(ballot)
    files += records
    if ballot.secrecy is Secrecy.secret and ballot.state.value == "closed":
        files += _box(ballot)
    if ballot.result:
        files.append(EvidenceFile("voting/result-preliminary.json", _json(ballot.result),
                                  _("The preliminary result with its explanation")))
    if ballot.final_result:
        files.append(EvidenceFile("voting/result-final.json", _json(ballot.final_result),
                                  _("The final result with its explanation and corrections")))
    files.append(_objections(ballot))
    return files, requirements(ballot)


def collect(ballot: Ballot) -> tuple[list[EvidenceFile], list[Requirement]]:
    """Every domain's contribution, in the order the domains are declared."""
    from ..domains import evidence_sources

    files: list[EvidenceFile] = []
    reqs: list[Requirement] = []
    for source in evidence_sources():
        more_files, more_reqs = source(ballot)
        files += list(more_files)
        reqs += list(more_reqs)
    return files, reqs


def compliance(ballot: Ballot) -> list[Requirement]:
    return collect(ballot)[1]


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def build_pack(ballot: Ballot) -> bytes:
    """The zip: every contributed file, the compliance check, the printable summary and a
    manifest of SHA-256 per file (``sha256sum -c MANIFEST.sha256`` checks it)."""
    from ..pdf import render_pdf

    files, reqs = collect(ballot)
    check = [[r.label, _("Met") if r.met else _("Not met"), _when(r.at), r.detail] for r in reqs]
    files.append(EvidenceFile("compliance.csv", _csv([_("Requirement"), _("Met"), _("When"), _("Detail")], check),
                              _("The compliance check")))
    summary = render_pdf("voting/evidence_pdf.html", ballot=ballot, files=files, requirements=reqs,
                         rule=RULES[ballot.rule], result=ballot.final_result or ballot.result,
                         digests={f.path: sha256(f.content) for f in files}, now=utcnow(),
                         locale=str(get_locale()))
    files.append(EvidenceFile("summary.pdf", summary, _("The printable summary")))
    seen: set[str] = set()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = []
        for f in files:
            if f.path in seen:
                raise ValueError(f"two evidence files at {f.path}")
            seen.add(f.path)
            archive.writestr(f.path, f.content)
            manifest.append(f"{sha256(f.content)}  {f.path}")
        archive.writestr("MANIFEST.sha256", "\n".join(manifest) + "\n")
    return buffer.getvalue()
