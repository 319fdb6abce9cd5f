"""No markup a person typed becomes page markup: the corpus of XSS payloads
(tests/fixtures/xss_payloads.txt) goes into every field people write — names of people,
places, grids and organisations, categories, proposals and their comments, calls, meetings
and their agenda, statements sent over the room's socket, decisions, ballots and their
options, motions and what responders and residents write on them, minutes and remarks —
and every page that shows them is parsed as a browser parses it."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import tinyhtml5
from sqlalchemy import select

from consult import clock
from consult.accounts import service as accounts
from consult.accounts.models import OrganisationKind, Role
from consult.database import unit_of_work
from consult.extensions import db
from consult.markup import clean_html, render_markdown
from consult.meetings import service as meetings
from consult.meetings.models import MeetingForm, MeetingKind, Quorum, Statement
from consult.minutes import service as minutes
from consult.minutes.models import RemarkKind
from consult.motions import service as motions
from consult.motions.models import Answer, Score
from consult.places import service as places
from consult.places.models import PlaceKind, Relation
from consult.proposals import service as proposals
from consult.proposals.models import Tier
from consult.voting import service as voting
from consult.voting.models import BallotKind, Electorate, Secrecy
from tests.conftest import FormClient
from tests.meetings.test_live import act, connect, events
from tests.xss import PAYLOADS, by_id, embedded_json, evaluated, injected, marker, text_of

CHUNK = 19          # a ballot takes at most 20 options
CHUNKS = [PAYLOADS[i:i + CHUNK] for i in range(0, len(PAYLOADS), CHUNK)]


def run(fn, *args, **kwargs):
    with unit_of_work():
        return fn(*args, **kwargs)


class Payloads:
    """The chunk's payloads one after the other, each fitting the field it is put in; a
    short field takes the next short payload of the whole corpus when the chunk has none."""

    def __init__(self, chunk):
        self.chunk = chunk
        self._next = itertools.cycle(chunk)
        self._short = itertools.cycle(sorted(PAYLOADS, key=len))

    def fit(self, limit: int) -> str:
        for _ in range(len(self.chunk)):
            payload = next(self._next)
            if len(payload) <= limit:
                return payload
        return next(p for p in self._short if len(p) <= limit)

    def distinct(self, limit: int, n: int) -> list[str]:
        """``n`` different payloads that fit: the chunk's first, then the corpus's."""
        return list(dict.fromkeys([p for p in self.chunk + PAYLOADS if len(p) <= limit]))[:n]

    def all(self, limit: int = 10_000) -> list[str]:
        return [p for p in self.chunk if len(p) <= limit]

    def text(self, limit: int) -> str:
        """As much of the chunk as fits, a payload a paragraph."""
        out = ""
        for payload in self.chunk:
            if len(out) + len(payload) + 2 > limit:
                break
            out += payload + "\n\n"
        return out.strip()


def test_every_payload_has_its_own_marker():
    assert 60 <= len(PAYLOADS) <= 150
    markers = [marker(p) for p in PAYLOADS]
    assert len(set(markers)) == len(markers)
    assert all(p == p.strip() and "\n" not in p for p in PAYLOADS)


def test_the_check_sees_what_a_payload_makes():
    """The checker itself: a payload written raw into a page is found, escaped it is not."""
    from markupsafe import escape

    for payload in PAYLOADS:
        if payload.startswith("<") and "xss" in payload.split(">")[0] and not payload.startswith(("<!", "<?", "<javascript")):
            assert injected(f"<!doctype html><html><body><p>{payload}</p></body></html>"), payload
        assert not injected(f"<!doctype html><html><body><p title=\"{escape(payload)}\">{escape(payload)}</p>"
                            f"<textarea>{escape(payload)}</textarea></body></html>"), payload


@pytest.mark.parametrize("payload", PAYLOADS, ids=[marker(p) for p in PAYLOADS])
def test_markdown_keeps_nothing_dangerous(payload):
    """The one place that makes markup of what people write: Markdown, cleaned by nh3."""
    html = f"<!doctype html><html><body>{render_markdown(payload)}</body></html>"
    assert not injected(html), (payload, str(render_markdown(payload)))
    for element in tinyhtml5.parse(html).iter():
        href = element.get("href")
        if href is not None:
            assert href.split(":")[0].lower() in ("http", "https", "mailto") or not href.split(":")[0].isalpha(), href


def test_markdown_drops_dangerous_links_and_elements():
    html = str(render_markdown(
        "[a](javascript:alert(1)) [b](data:text/html,x) [c](vbscript:x) ![d](data:image/png;base64,AA==)\n\n"
        "<iframe src=https://evil.example></iframe><p style=\"color:red\" onclick=\"x()\">e</p>"))
    assert "<a" not in html and "<img" not in html and "<iframe" not in html and "<p style" not in html, html
    assert "&lt;iframe" in html                                  # raw HTML is shown as text


@pytest.mark.parametrize("payload", PAYLOADS, ids=[marker(p) for p in PAYLOADS])
def test_the_cleaner_alone_strips_raw_html(payload):
    """Should Markdown ever pass raw HTML through, the cleaner still removes whatever runs
    script or changes the page: scripts, frames, styles, event attributes, script links."""
    html = clean_html(payload)
    found = [f for f in injected(f"<!doctype html><html><body>{html}</body></html>") if "xss" not in f]
    assert not found, (payload, html)
    for element in tinyhtml5.parse(html).iter():
        assert set(element.attrib) <= {"href", "rel"}, (payload, html)


# --- the world, written by people who type payloads -------------------------------------------

@pytest.fixture
def stopped_clock():
    from datetime import datetime

    clock.set_now(datetime(2026, 5, 9, 1, 0))
    yield
    clock.set_now(None)


def build(app, admin, make_user, chunk):
    """Places, people, a matter, a council held over the socket with a ballot, a motion, the
    minutes and a ballot of the households, every text written from the chunk."""
    p = Payloads(chunk)
    sub = run(places.create_place, None, PlaceKind.subdistrict, p.fit(80), actor=admin)
    community = run(places.create_place, sub, PlaceKind.community, p.fit(80), actor=admin)
    building = run(places.create_place, community, PlaceKind.building, p.fit(80), actor=admin)
    entrance = run(places.create_place, building, PlaceKind.entrance, p.fit(80), actor=admin)
    grid = run(places.create_grid, community, p.fit(80), [building.id], actor=admin)
    homes = [run(places.add_household, entrance, room, "80.00", actor=admin) for room in p.distinct(20, 3)]

    moderator = make_user(p.fit(50), username="moderator", role=Role.moderator, place=community)
    worker = make_user(p.fit(50), username="worker", role=Role.grid_worker, place=building)
    expert = make_user(p.fit(50), phone="13900000009", role=Role.expert, place=sub)
    manager = make_user(p.fit(50), username="manager", role=Role.property_manager, place=community)
    wang = make_user(p.fit(50), phone="13900000001")
    zhang = make_user(p.fit(50), phone="13900000002")
    zhao = make_user(p.fit(50), phone="13900000003")
    for person, home in zip((wang, zhang, zhao), homes):
        run(places.attach_member, home, person, Relation.owner, actor=admin)
    company = run(accounts.create_organisation, community, OrganisationKind.property_company, p.fit(100), actor=admin)
    run(accounts.add_organisation_member, company, manager, actor=admin, title=p.fit(50))
    category = run(proposals.save_category, None, actor=admin, name_zh=p.fit(40), name_en=p.fit(60), position=99,
                   active=True)

    # A matter, its comments, its triage; a call for proposals.
    call = run(proposals.open_call, community, actor=moderator, title=p.fit(100), description=p.text(5000),
               closes_at=clock.utcnow() + timedelta(days=30))
    matter = run(proposals.raise_proposal, entrance, actor=wang, title=p.fit(100), body=p.text(5000),
                 category=category, call=call)
    comments = [run(proposals.comment, matter, actor=zhang, body=payload) for payload in p.all()]
    run(proposals.comment, matter, actor=wang, body=p.fit(2000), parent=comments[0])
    run(proposals.hide_comment, comments[-1], actor=moderator, reason=p.fit(1000))
    run(proposals.triage, matter, actor=moderator, category=category, tier=Tier.circle, reason=p.fit(1000))

    # A council: the agenda is the matter and the chunk; statements arrive over the socket.
    meeting = run(meetings.schedule, building, actor=moderator, title=p.fit(120), kind=MeetingKind.circle,
                  form=MeetingForm.hybrid, starts_at=clock.utcnow() + timedelta(hours=1), location=p.fit(200),
                  quorum=Quorum.half, invite_residents=True, people=[expert], organisations=[company],
                  proposals=[matter], free_items=p.all(200))
    run(meetings.change_state, meeting, "start", actor=moderator)
    for person in (wang, zhang, expert):
        run(meetings.sign_in, meeting, actor=person)
    run(meetings.mark_present, meeting, zhao, actor=moderator)
    _, wang_phone = connect(app, "13900000001", meeting)
    _, expert_phone = connect(app, "13900000009", meeting)
    sent = []
    for phone, payload in zip(itertools.cycle((wang_phone, expert_phone)), p.all(1000)):
        answer = act(phone, "statement", body=payload)
        assert answer["ok"], answer
        sent.append(payload)
    received = [e["data"]["body"] for e in events(wang_phone) if e["kind"] == "statement"]
    assert received == sent                                  # as text, unchanged
    statement = db.session.scalars(select(Statement).where(Statement.meeting_id == meeting.id)
                                   .order_by(Statement.id.desc())).first()
    run(meetings.hide_statement, meeting, statement, actor=moderator, reason=p.fit(500))
    run(meetings.set_speakers_open, meeting, True, actor=moderator)
    run(meetings.raise_hand, meeting, actor=wang)
    run(meetings.give_floor, meeting, expert, actor=moderator, seconds=300)
    run(meetings.record_decision, meeting, meeting.agenda[0], actor=moderator, text=p.fit(2000))
    options = p.all(100)[:20]
    if len(options) < 2:
        options += [p.fit(100) for _ in range(2)]
    room_ballot = run(meetings.open_ballot, meeting, actor=moderator, question=p.fit(200), kind=BallotKind.single,
                      options=list(dict.fromkeys(options)), rule="plurality")
    for person in (wang, zhang):
        run(voting.cast, room_ballot, actor=person, choice="1")
    open_ballot = run(meetings.open_ballot, meeting, actor=moderator, question=p.fit(200))
    world = dict(admin=admin, moderator=moderator, worker=worker, expert=expert, manager=manager, wang=wang,
                 zhang=zhang, zhao=zhao, sub=sub, community=community, building=building, entrance=entrance,
                 grid=grid, homes=homes, company=company, category=category, call=call, matter=matter,
                 meeting=meeting, room_ballot=room_ballot, open_ballot=open_ballot, statements=sent, payloads=p)
    return type("World", (), world)


def finish(w):
    """Close the room's ballots, end the meeting; the motion, the minutes and a ballot of
    the households follow."""
    p = w.payloads
    run(meetings.close_ballot, w.meeting, w.room_ballot, actor=w.moderator)
    run(meetings.close_ballot, w.meeting, w.open_ballot, actor=w.moderator)
    motion = run(motions.assign, w.building, actor=w.moderator, title=p.fit(100), body=p.text(4000),
                 organisations=[w.company], meeting=w.meeting, proposal=w.matter)
    run(meetings.change_state, w.meeting, "end", actor=w.moderator)
    run(motions.answer, motion, actor=w.manager, answer=Answer.partial, reason=p.fit(4000))
    run(motions.post_progress, motion, actor=w.manager, body=p.text(4000))
    run(motions.complete, motion, actor=w.manager, evidence=p.fit(4000))
    run(motions.rate, motion, actor=w.zhang, score=Score.unsatisfied, comment=p.fit(1000))
    record = run(minutes.start, w.meeting, actor=w.moderator)
    run(minutes.edit, record, actor=w.moderator, title=p.fit(200), body=record.latest.body + "\n\n" + p.text(20000))
    run(minutes.submit, record, actor=w.moderator)
    run(minutes.sign, record, actor=w.moderator)
    run(minutes.remark, record, actor=w.wang, kind=RemarkKind.objection, body=p.fit(1000))
    run(minutes.answer, record.remarks[0], actor=w.moderator, body=p.fit(1000))
    options = list(dict.fromkeys(p.all(100)[:20] or [p.fit(100), p.fit(100)]))
    ballot = run(voting.draft_ballot, w.building, actor=w.moderator, question=p.fit(200),
                 electorate=Electorate.households, secrecy=Secrecy.secret, rule="plurality",
                 kind=BallotKind.single, options=options if len(options) > 1 else options + ["x"])
    run(voting.open_ballot, ballot, actor=w.moderator)
    run(voting.cast, ballot, actor=w.wang, choice="1")
    w.motion, w.minutes, w.ballot = motion, record, ballot


def pages(w):
    """Each page that shows what was written, and who looks at it."""
    m, b, c = w.meeting.id, w.building.id, w.community.id
    everyone = ["/", "/proposals/", "/meetings/", "/ballots/", "/inbox", "/account",
                f"/proposals/{w.matter.id}", f"/places/{w.entrance.id}/proposals", f"/meetings/{m}",
                f"/places/{b}/meetings", f"/places/{b}/ballots", f"/places/{b}/motions", f"/places/{b}/archive",
                f"/places/{c}/figures", f"/places/{c}/search?q=alert", f"/places/{c}/search?q=script",
                f"/places/{w.sub.id}", f"/places/{c}", f"/places/{b}", f"/places/{w.entrance.id}", "/places/"]
    return {
        "moderator": everyone + [f"/places/{b}/meetings/new", f"/places/{w.entrance.id}/proposals/new",
                                 f"/places/{b}/motions/new", f"/places/{b}/ballots/new",
                                 f"/places/{b}/meetings/new?proposal={w.matter.id}"],
        "wang": everyone,
        "manager": ["/desk", "/desk?tab=all", "/"],
        "admin": ["/admin/people", "/admin/categories", f"/people/{w.wang.id}", f"/people/{w.moderator.id}",
                  f"/people/{w.expert.id}", f"/people/{w.manager.id}", f"/households/{w.homes[0].id}",
                  f"/places/{w.sub.id}/audit", f"/places/{c}/grids", f"/places/{b}/invites", f"/grids/{w.grid.id}",
                  f"/organisations/{w.company.id}", f"/places/{b}/edit", f"/places/{c}"],
    }


def login_as(app, who):
    client = FormClient(app, app.response_class, use_cookies=True)
    handle = who.username or who.phone
    response = client.post_form("/login", {"identifier": handle, "password": "correct horse 278"})
    assert response.status_code == 302, handle
    return client


def look(client, url):
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 200, (url, response.status_code)
    html = response.get_data(as_text=True)
    assert not injected(html), (url, injected(html))
    assert not evaluated(text_of(html)), (url, evaluated(text_of(html)))
    return html


def check_room(client, w):
    """The room's embedded state parses and holds every text as it was written."""
    html = look(client, f"/meetings/{w.meeting.id}/room")
    state = embedded_json(html, "room-state")
    assert state["meeting"]["title"] == w.meeting.title
    assert [i["title"] for i in state["agenda"]] == [i.title for i in w.meeting.agenda]
    bodies = [s["body"] for s in state["statements"]]
    assert bodies[:-1] == w.statements[:-1] and bodies[-1] is None     # the last one hidden
    questions = [b["question"] for b in state["ballots"]]
    assert w.room_ballot.question in questions
    yes_no = next(b for b in state["ballots"] if b["ballot"] == w.open_ballot.id)
    assert list(yes_no["choices"]) == ["yes", "no", "abstain"]             # in their order, not sorted
    assert by_id(html, "room-text") is not None and embedded_json(html, "room-text")["connected"]
    assert "".join(by_id(html, "room").itertext()).count(w.meeting.title) >= 1   # the heading, as text
    return state


@pytest.mark.parametrize("chunk", range(len(CHUNKS)), ids=[f"payloads-{i + 1}" for i in range(len(CHUNKS))])
def test_no_payload_becomes_markup_on_any_page(app, admin, make_user, stopped_clock, chunk):
    w = build(app, admin, make_user, CHUNKS[chunk])
    users = {"moderator": w.moderator, "wang": w.wang, "zhang": w.zhang, "manager": w.manager, "admin": w.admin}
    clients = {name: login_as(app, person) for name, person in users.items()}
    check_room(clients["moderator"], w)
    check_room(clients["wang"], w)
    proposal = look(clients["wang"], f"/proposals/{w.matter.id}")
    assert w.matter.title in text_of(proposal)                                # shown, as text
    finish(w)
    for name, urls in pages(w).items():
        for url in urls:
            look(clients[name], url)
    look(clients["zhang"], f"/ballots/{w.ballot.id}")                        # the options to choose from
    run(voting.close_ballot, w.ballot, actor=w.moderator)
    for url in (f"/motions/{w.motion.id}", f"/minutes/{w.minutes.id}", f"/minutes/{w.minutes.id}/versions/1",
                f"/ballots/{w.ballot.id}", f"/ballots/{w.ballot.id}/box", f"/ballots/{w.room_ballot.id}",
                f"/meetings/{w.meeting.id}/minutes"):
        look(clients["moderator"], url)
        look(clients["wang"], url)
    look(clients["moderator"], f"/ballots/{w.ballot.id}/voters")
    look(clients["manager"], f"/motions/{w.motion.id}")
    check_room(clients["moderator"], w)


# --- through the forms, and what pages echo back --------------------------------------------

def test_payloads_posted_through_the_forms_come_back_as_text(client, auth, tree, make_user, make_household,
                                                             admin):
    """A resident raises matters and comments through the pages, a moderator schedules a
    meeting; a refused form shows what was typed in its fields; a refusal names the thing."""
    from consult.proposals.models import Category, Proposal

    make_user("王秀英", phone="13900000001", household=make_household(tree.e1, "101"))
    make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    category = db.session.scalars(select(Category).where(Category.active)).first()
    auth.login("13900000001")
    for payload in PAYLOADS[::3]:
        page = client.post_form(f"/places/{tree.e1.id}/proposals/new",
                                {"title": payload[:100], "body": payload, "category_id": str(category.id),
                                 "call_id": ""}, follow_redirects=True)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert not injected(html), (payload, injected(html))
        assert payload[:100] in text_of(html)
        matter = db.session.scalars(select(Proposal).order_by(Proposal.id.desc())).first()
        page = client.post_form(f"/proposals/{matter.id}/comments", {"body": payload}, follow_redirects=True)
        assert not injected(page.get_data(as_text=True)), payload
    refused = client.post_form(f"/places/{tree.e1.id}/proposals/new",      # too long: the form again, filled in
                               {"title": PAYLOADS[0] * 5, "body": PAYLOADS[1], "category_id": str(category.id)})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert not injected(html) and PAYLOADS[0] * 5 in text_of(html) and PAYLOADS[1] in text_of(html)

    auth.logout()
    auth.login("moderator")
    page = client.post_form(f"/places/{tree.b1.id}/meetings/new", {
        "title": PAYLOADS[10], "kind": "circle", "form": "online", "quorum": "none",
        "starts_at": (clock.utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), "invite_residents": "y",
        "free_items": "\n".join(p for p in PAYLOADS if len(p) <= 200)[:4000]}, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and PAYLOADS[10] in text_of(html), html
    assert not injected(html)
    for payload in PAYLOADS[::7]:                                           # echoed by search
        html = client.get(f"/places/{tree.fc.id}/search", query_string={"q": payload}).get_data(as_text=True)
        assert not injected(html), (payload, injected(html))

    auth.logout()
    auth.login("admin")
    name = PAYLOADS[0]
    client.post_form("/admin/categories", {"cnew-name_zh": name, "cnew-name_en": name, "cnew-position": "9",
                                           "cnew-active": "y"})
    again = client.post_form("/admin/categories", {"cnew-name_zh": name, "cnew-name_en": name, "cnew-position": "9",
                                                   "cnew-active": "y"}, follow_redirects=True)
    html = again.get_data(as_text=True)                                     # a refusal that names it
    assert again.status_code == 409 and name in text_of(html), again.status_code
    assert not injected(html)

    auth.logout()
    for payload in PAYLOADS[:3]:                                            # the login form, refused
        html = auth.login(payload).get_data(as_text=True)
        assert not injected(html) and payload in text_of(html)


def test_translated_messages_quoting_what_was_typed_are_text(app):
    """Flask-Babel's lazy strings declare ``__html__``: a message that quotes a name or a
    title must still be escaped, flashed or on the error page."""
    from flask import flash, render_template
    from flask_babel import lazy_gettext as _l

    from consult.errors import Conflict

    payload = PAYLOADS[0]
    message = _l("There is already a category named “%(name)s”.", name=payload)
    assert Conflict(message).message == str(message) and isinstance(Conflict(message).message, str)
    with app.test_request_context("/"):
        flash(message, "error")
        html = render_template("errors/error.html", status=409, title="", message=message)
    assert not injected(html) and payload in text_of(html)
    assert html.count("&lt;script xss001&gt;") == 2                       # the flash and the message
