"""What needs a person now, for the home page: one short list per kind of task, each
entry one tap from where it is done. Every list comes from its domain's service; this
only puts them side by side in the order a person meets them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from flask import url_for
from flask_babel import lazy_gettext as _l


@dataclass
class Entry:
    title: str
    url: str
    action: object                       # the button's words: "Vote", "Sign" …
    detail: str = ""
    at: Optional[datetime] = None
    warn: object = None                  # a tag such as "Overdue"


@dataclass
class Section:
    key: str
    heading: object
    entries: list[Entry] = field(default_factory=list)


def needs_for(user, *, triage_days: int) -> list[Section]:
    """The sections that have something in them, in the order of the roles a person holds:
    first what they do as a resident, then as a moderator, a responder, a grid worker."""
    from .. import permissions
    from ..meetings import service as meetings
    from ..meetings.models import MeetingState
    from ..minutes import service as minutes
    from ..motions import service as motions
    from ..proposals import service as proposals
    from ..proposals.lifecycle import event_label
    from ..voting import service as voting

    sections = [
        Section("ballots", _l("Votes waiting for you"), [
            Entry(b.question, url_for("voting.detail", ballot_id=b.id), _l("Vote"), b.place.name, b.closes_at)
            for b in voting.unvoted_for(user)]),
        Section("meetings", _l("Meetings you are invited to"), [
            Entry(m.title, url_for("meetings.room", meeting_id=m.id) if m.state is not MeetingState.scheduled
                  else url_for("meetings.detail", meeting_id=m.id),
                  _l("Join now") if m.state is not MeetingState.scheduled else _l("See"),
                  m.place.name, m.starts_at, _l("Live now") if m.state is not MeetingState.scheduled else None)
            for m in meetings.coming_for(user)]),
        Section("minutes", _l("Minutes waiting for your signature"), [
            Entry(m.latest.title, url_for("minutes.detail", minutes_id=m.id), _l("Read and sign"), m.place.name,
                  m.meeting.starts_at)
            for m in minutes.to_sign_by(user)]),
        Section("news", _l("What happened to your matters"), [
            Entry(e.proposal.title, url_for("proposals.detail", proposal_id=e.proposal_id), _l("See"),
                  str(event_label(e.action)), e.at)
            for e in proposals.news_for(user)]),
    ]
    waiting = sorted(proposals.waiting_for(user), key=lambda p: p.updated_at, reverse=True)
    sections.append(Section("triage", _l("Matters waiting for triage"), [
        Entry(p.title, url_for("proposals.detail", proposal_id=p.id), _l("Triage now"), p.place.name, p.updated_at,
              _l("Overdue") if proposals.is_overdue(p, triage_days) else None)
        for p in waiting]))
    sections.append(Section("time", _l("Requests for more time"), [
        Entry(m.title, url_for("motions.detail", motion_id=m.id), _l("Decide"), m.place.name, m.extension_until)
        for m in motions.time_requests_for(user)]))
    for organisation in permissions.organisations_of(user):
        seen: set[int] = set()
        for tab, heading, action, warn in (
                ("overdue", _l("%(org)s: overdue", org=organisation.name), _l("Open"), _l("Overdue")),
                ("new", _l("%(org)s: newly assigned", org=organisation.name), _l("Acknowledge"), None),
                ("due_soon", _l("%(org)s: due soon", org=organisation.name), _l("Open"), None)):
            rows = [m for m in motions.desk(organisation, tab) if m.id not in seen]
            seen.update(m.id for m in rows)
            sections.append(Section(f"desk-{organisation.id}-{tab}", heading, [
                Entry(m.title, url_for("motions.detail", motion_id=m.id), action, m.place.name, m.complete_by, warn)
                for m in sorted(rows, key=lambda m: m.id, reverse=True)]))
    sections.append(Section("raised", _l("Matters raised where you serve"), [
        Entry(p.title, url_for("proposals.detail", proposal_id=p.id), _l("Take up"), p.place.name, p.updated_at)
        for p in proposals.raised_where_served(user)]))
    sections.append(Section("paper", _l("Paper ballots to enter"), [
        Entry(b.question, url_for("voting.voters", ballot_id=b.id), _l("Enter paper ballots"), b.place.name,
              b.closes_at)
        for b in voting.paper_desks_for(user)]))
    return [s for s in sections if s.entries]


@dataclass
class Tile:
    key: str
    name: object
    url: str
    count: int
    hint: object


def tiles_for(user) -> list[Tile]:
    """长辈模式's home: four large tiles (说事, 投票, 会议, 消息), each with how many things
    wait there."""
    from ..meetings import service as meetings
    from ..notifications.service import unread_count
    from ..proposals import service as proposals
    from ..voting import service as voting

    return [
        Tile("raise", _l("Raise a matter"), url_for("proposals.mine"), len(proposals.news_for(user)),
             _l("news on your matters")),
        Tile("vote", _l("Votes"), url_for("voting.mine"), len(voting.unvoted_for(user)), _l("waiting for your vote")),
        Tile("meet", _l("Meetings"), url_for("meetings.mine"), len(meetings.coming_for(user)), _l("coming up")),
        Tile("messages", _l("Messages"), url_for("notifications.inbox"), unread_count(user), _l("unread")),
    ]
