"""The part of an owners' decision's evidence pack that comes before the vote and from
proxies: the register and its objections, the notice and its delivery log, the postings,
the proxies with their authorisations; and the procedural requirements with whether and
when each was met."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Optional

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..pdf import PdfUnavailable, render_pdf
from ..photos import photo_dir
from ..voting.evidence import EvidenceFile, Requirement
from ..voting.models import Ballot, BallotKind, Channel, Participation
from ..voting.rules import RULES
from . import service as owners
from .models import ObjectionState, ProxyVote

Files = list[tuple[str, bytes, str]]
Requirements = list[tuple[str, bool, Optional[datetime], str]]


def _csv(header: list[str], rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    # A BOM so that Excel, which most offices open it with, reads the Chinese as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _when(moment: Optional[datetime]) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm") if moment else ""


def _name(person) -> str:
    return person.name if person is not None else ""


def _photo(token: Optional[str]) -> Optional[bytes]:
    if not token:
        return None
    path = photo_dir(current_app.config) / f"{token}.jpg"
    return path.read_bytes() if path.is_file() else None


def _register_files(ballot: Ballot, register) -> Files:
    place = ballot.place
    entries = _csv([_("Unit"), _("Area (m²)"), _("Owner who votes"), _("Certificate bound"), _("Corrected at")],
                   [[e.household.address_within(place), e.area, _name(e.owner), _("yes") if e.bound else _("no"),
                     _when(e.corrected_at)] for e in register.entries])
    objections = _csv([_("No."), _("Unit"), _("Raised by"), _("Raised at"), _("Objection"), _("Decision"),
                       _("Answer"), _("Settled by"), _("Settled at"), _("Change")],
                      [[o.id, o.entry.household.address_within(place), _name(o.raised_by), _when(o.raised_at),
                        o.reason, str(o.state.label), o.answer or "", _name(o.settled_by), _when(o.settled_at),
                        "; ".join(f"{k}: {a} → {b}" for k, (a, b) in (o.change or {}).items())]
                       for o in register.objections])
    return [("owners/register.csv", entries, _("Owner register as frozen for the ballot")),
            ("owners/register-objections.csv", objections, _("Objections to the register and their answers"))]


def _notice_files(ballot: Ballot, notice) -> Files:
    files: Files = []
    try:
        pdf = render_pdf("owners/notice_pdf.html", ballot=ballot, notice=notice, rule=RULES[ballot.rule],
                         register=owners.register_of(ballot))
        files.append(("owners/notice.pdf", pdf, _("Notice to the owners")))
    except PdfUnavailable:
        files.append(("owners/notice.txt", notice.matter.encode("utf-8"), _("Notice to the owners")))
    for n, token in enumerate(notice.documents or [], 1):
        data = _photo(token)
        if data is not None:
            files.append((f"owners/notice-documents/{n}.jpg", data, _("Document %(n)d", n=n)))
    rows = []
    for row in owners.delivery_log(notice):
        channels = "; ".join(f"{d.channel}: {d.status} {_when(d.sent_at)}".strip() for d in row["deliveries"])
        rows.append([_name(row["owner"]), "、".join(row["units"]), channels, _when(row["read_at"]),
                     _("yes") if row["reached"] else _("no"),
                     "; ".join(f"{p.place.full_name} {p.spot} {_when(p.posted_at)}" for p in row["postings"])])
    files.append(("owners/notice-delivery-log.csv",
                  _csv([_("Owner"), _("Units"), _("Channels"), _("Read in the app"), _("Reached"), _("Posted")], rows),
                  _("Delivery log of the notice")))
    postings = []
    for posting in notice.postings:
        postings.append([posting.id, posting.place.full_name, posting.spot, _when(posting.posted_at),
                         _name(posting.posted_by), f"postings/{posting.id}.jpg"])
        data = _photo(posting.photo)
        if data is not None:
            files.append((f"owners/postings/{posting.id}.jpg", data, _("Photo of the posted notice")))
    files.append(("owners/postings.csv", _csv([_("No."), _("Building or entrance"), _("Where exactly"), _("Posted at"),
                                               _("Posted by"), _("Photo")], postings), _("Postings")))
    return files


def _proxy_files(ballot: Ballot) -> Files:
    files: Files = []
    voted = {pv.proxy_id for pv in db.session.scalars(select(ProxyVote).where(ProxyVote.ballot_id == ballot.id))}
    rows = []
    for p in owners.proxies_in(ballot):
        proxy = _name(p.proxy) or p.proxy_phone or ""
        rows.append([p.id, _name(p.owner), proxy, _("this ballot") if p.ballot_id else _when(p.valid_until),
                     str(p.method.label), _name(p.recorded_by), _when(p.created_at), _when(p.revoked_at),
                     _("Voted by %(name)s on behalf of the owner", name=proxy) if p.id in voted else "",
                     f"proxies/{p.id}.jpg" if p.photo else ""])
        data = _photo(p.photo)
        if data is not None:
            files.append((f"owners/proxies/{p.id}.jpg", data, _("Signed authorisation")))
    header = [_("No."), _("Owner"), _("Proxy"), _("Authorised for"), _("How"), _("Recorded by"), _("Recorded at"),
              _("Revoked at"), _("Vote"), _("Photo")]
    files.insert(0, ("owners/proxies.csv", _csv(header, rows), _("Proxies (written authorisations)")))
    return files


def evidence(ballot: Ballot) -> tuple[Files, Requirements]:
    """Files (path in the zip, content, title) and requirements (label, met, when,
    detail) of the procedure before the vote and of the proxies."""
    files: Files = []
    requirements: Requirements = []
    config = current_app.config
    register = owners.register_of(ballot)
    check_days = config["OWNERS_REGISTER_CHECK_DAYS"]
    label = _("Register published for %(n)d days", n=check_days)
    if register is None:
        requirements.append((label, False, None, _("The register was not published.")))
        requirements.append((_("Objections to the register settled"), False, None, _("No register.")))
    else:
        files += _register_files(ballot, register)
        shown = register.check_until - register.published_at
        requirements.append((label, shown >= timedelta(days=check_days), register.published_at,
                             _("Published %(start)s, open for checking until %(end)s, frozen %(frozen)s.",
                               start=_when(register.published_at), end=_when(register.check_until),
                               frozen=_when(register.frozen_at) or _("not yet"))))
        settled = [o for o in register.objections if o.state is not ObjectionState.open]
        upheld = sum(1 for o in settled if o.state is ObjectionState.upheld)
        requirements.append((_("Objections to the register settled"), len(settled) == len(register.objections),
                             max((o.settled_at for o in settled), default=None),
                             _("%(n)d objections: %(u)d upheld and corrected, %(r)d rejected, %(o)d open.",
                               n=len(register.objections), u=upheld, r=len(settled) - upheld,
                               o=len(register.objections) - len(settled))))
        requirements.append((_("Ballot opened on the frozen register"),
                             register.frozen_at is not None and (ballot.opened_at is None
                                                                 or register.frozen_at <= ballot.opened_at),
                             register.frozen_at, _("Frozen %(when)s.", when=_when(register.frozen_at) or _("not yet"))))
    notice = owners.notice_of(ballot)
    notice_days = config["OWNERS_NOTICE_DAYS"]
    label = _("Notice %(n)d days before voting opened", n=notice_days)
    if notice is None:
        requirements.append((label, False, None, _("No notice was published.")))
        requirements.append((_("Every owner notified or the notice posted"), False, None, _("No notice.")))
    else:
        files += _notice_files(ballot, notice)
        opening = ballot.opened_at or ballot.opens_at
        early_enough = opening is not None and opening - notice.published_at >= timedelta(days=notice_days)
        requirements.append((label, early_enough, notice.published_at,
                             _("Published %(start)s, voting opened %(open)s.", start=_when(notice.published_at),
                               open=_when(opening) or _("not yet"))))
        log = owners.delivery_log(notice)
        reached = sum(1 for row in log if row["reached"])
        posted = sum(1 for row in log if not row["reached"] and row["postings"])
        missing = len(log) - reached - posted
        requirements.append((_("Every owner notified or the notice posted"), missing == 0,
                             max((p.posted_at for p in notice.postings), default=notice.published_at),
                             _("%(n)d owners: %(r)d reached through their channels, %(p)d covered by a posting, "
                               "%(m)d neither.", n=len(log), r=reached, p=posted, m=missing)))
    if ballot.kind is BallotKind.yes_no:
        requirements.append((_("Owners could vote for, against or abstain"), True, ballot.created_at,
                             "、".join(ballot.choices().values())))
    else:
        offered = any(o.none_of_these for o in ballot.options)
        requirements.append((_("The choice offered “none of these”"), offered, ballot.created_at,
                             "、".join(ballot.choices().values())))
    files += _proxy_files(ballot)
    by_proxy = sum(1 for path, _data, _title in files if path.startswith("owners/proxies/"))
    requirements.append((_("Proxy votes cast under an authorisation on record"), _proxy_votes_on_record(ballot),
                         None, _("%(n)d signed authorisations photographed.", n=by_proxy)))
    return files, requirements


def _proxy_votes_on_record(ballot: Ballot) -> bool:
    """Every vote cast by a proxy has the authorisation it was cast under."""
    proxied = db.session.scalar(select(func.count()).select_from(Participation).where(
        Participation.ballot_id == ballot.id, Participation.channel == Channel.proxy)) or 0
    recorded = db.session.scalar(select(func.count()).select_from(ProxyVote).where(
        ProxyVote.ballot_id == ballot.id)) or 0
    return proxied == recorded


def contribution(ballot: Ballot) -> tuple[list[EvidenceFile], list[Requirement]]:
    """This domain's part of an owners' decision's evidence pack and compliance check."""
    files, requirements = evidence(ballot)
    return [EvidenceFile(*f) for f in files], [Requirement(*r) for r in requirements]
