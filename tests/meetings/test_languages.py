"""The room in each reader's language: the words of the system (a for/against ballot's
marks, the explanation of a count) are kept as keys with their numbers and reach every
client worded in its own language, live, on catching up and on the page."""
import re
from datetime import timedelta

from consult.accounts.models import Role
from consult.clock import utcnow
from consult.database import unit_of_work
from consult.extensions import db
from consult.meetings import service as meetings
from consult.meetings.models import MeetingEvent, MeetingForm, MeetingKind, Quorum
from consult.voting.models import BallotKind
from sqlalchemy import select

from tests.meetings.test_live import act, connect, events

# Chinese characters, CJK punctuation and full-width forms (，；：（）、 …).
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _english(person):
    person.locale = "en"
    db.session.commit()


def _room_with_a_closed_ballot(app, meeting, cast):
    """A Chinese resident, an English resident and the moderator in the room; a ballot
    opened and closed. Returns the three phones."""
    _english(cast.zhang)
    _, moderator = connect(app, "moderator", meeting)
    _, chinese = connect(app, "13900000001", meeting)
    _, english = connect(app, "13900000002", meeting)
    assert act(chinese, "sign_in")["ok"] and act(english, "sign_in")["ok"]
    assert act(moderator, "start")["ok"]
    ballot = act(moderator, "ballot_open", question="Lift plan", kind="yes_no")["ballot"]
    assert act(chinese, "cast", ballot=ballot, choice="yes")["ok"]
    assert act(english, "cast", ballot=ballot, choice="no")["ok"]
    assert act(moderator, "ballot_close", ballot=ballot)["ok"]
    return moderator, chinese, english, ballot


def _of(phone, kind, name="event"):
    found = [e for e in events(phone, name) if e["kind"] == kind]
    assert len(found) == 1, found
    return found[0]["data"]


def test_each_client_reads_the_same_ballot_in_its_own_language(app, meeting, cast):
    _, chinese, english, _ballot = _room_with_a_closed_ballot(app, meeting, cast)
    received = {"zh": chinese.get_received(), "en": english.get_received()}
    by = {lang: {m["args"][0]["kind"]: m["args"][0]["data"] for m in msgs if m["name"] == "event"}
          for lang, msgs in received.items()}

    assert by["en"]["ballot_opened"]["choices"] == {"yes": "For", "no": "Against", "abstain": "Abstain"}
    assert by["zh"]["ballot_opened"]["choices"] == {"yes": "赞成", "no": "反对", "abstain": "弃权"}

    en, zh = by["en"]["ballot_closed"]["explanation"], by["zh"]["ballot_closed"]["explanation"]
    assert en == "votes for 50.0%: not more than 1/2" and not CJK.search(en)
    assert zh.startswith("赞成票 50.0%")
    # Every event is received once by each client, the worded ones too.
    for msgs in received.values():
        kinds = [m["args"][0]["kind"] for m in msgs if m["name"] == "event"]
        assert kinds.count("ballot_closed") == 1 and kinds.count("ballot_opened") == 1


def test_the_log_keeps_keys_and_numbers_not_words(app, meeting, cast):
    _room_with_a_closed_ballot(app, meeting, cast)
    logged = {e.kind: e.data for e in db.session.scalars(select(MeetingEvent).where(MeetingEvent.meeting_id == meeting.id))}
    assert logged["ballot_opened"]["choices"]["yes"] == {"key": "choice_yes"}
    said = logged["ballot_closed"]["explanation"]
    assert said[0]["key"] == "check" and said[0]["what"] == {"key": "votes_for"} and said[0]["value"] == "50.0"


def test_catching_up_is_worded_in_the_language_of_the_connection(app, meeting, cast):
    _room_with_a_closed_ballot(app, meeting, cast)
    _, late_english = connect(app, "13900000002", meeting, last_seq=0)
    _, late_chinese = connect(app, "13900000001", meeting, last_seq=0)
    assert _of(late_english, "ballot_opened", "events")["choices"]["abstain"] == "Abstain"
    assert _of(late_chinese, "ballot_opened", "events")["choices"]["abstain"] == "弃权"
    answer = late_english.emit("since", {"seq": 0}, callback=True)
    closed = [e for e in answer["events"] if e["kind"] == "ballot_closed"][0]["data"]
    assert closed["explanation"].startswith("votes for") and not CJK.search(closed["explanation"])


def _text(html: str) -> str:
    """All a page says (its text, its attributes such as placeholders, the data its script
    draws) but the language switcher, which names each language in its own words."""
    switcher = re.compile(r'<form[^>]*class="language"[^>]*>.*?</form>', flags=re.S)
    assert switcher.search(html)
    return switcher.sub(" ", html)


def test_english_pages_of_a_ballot_and_its_room_have_no_chinese(app, client, auth, make_place, make_household,
                                                                 make_user):
    sub = make_place("subdistrict", "Riverside")
    community = make_place("community", "Garden Court", sub)
    building = make_place("building", "Block 1", community)
    chair = make_user("Moderator Lee", username="chair", role=Role.moderator, place=community)
    voters = [make_user(f"Resident {n}", phone=f"1390000010{n}", household=make_household(building, f"10{n}"))
              for n in range(1, 4)]
    for person in [chair, *voters]:
        person.locale = "en"
    db.session.commit()
    with unit_of_work():
        meeting = meetings.schedule(building, actor=chair, title="Lift council", kind=MeetingKind.circle,
                                    form=MeetingForm.online, starts_at=utcnow() + timedelta(hours=1),
                                    quorum=Quorum.none, invite_residents=True, free_items=["The lift"])
    with unit_of_work():
        for person in voters:
            meetings.sign_in(meeting, actor=person)
        meetings.change_state(meeting, "start", actor=chair)
        closed = meetings.open_ballot(meeting, actor=chair, question="Install the lift?", rule="two_thirds")
    from consult.voting import service as voting
    with unit_of_work():
        for person, choice in zip(voters, ["yes", "yes", "abstain"]):
            voting.cast(closed, actor=person, choice=choice)
        meetings.close_ballot(meeting, closed, actor=chair)
    with unit_of_work():
        colour = meetings.open_ballot(meeting, actor=chair, question="Which colour?", rule="plurality",
                                      kind=BallotKind.multiple, options=["Red", "Blue", "Green"], max_choices=2)
    with unit_of_work():
        for person, choice in zip(voters, [["1", "2"], ["1", "2"], ["3"]]):
            voting.cast(colour, actor=person, choice=choice)
        meetings.close_ballot(meeting, colour, actor=chair)
    with unit_of_work():
        still_open = meetings.open_ballot(meeting, actor=chair, question="Paint the hall?")

    auth.login("13900000101")
    for url in (f"/meetings/{meeting.id}/room", f"/ballots/{closed.id}", f"/ballots/{colour.id}",
                f"/ballots/{still_open.id}", f"/meetings/{meeting.id}", "/ballots/"):
        page = client.get(url)
        assert page.status_code == 200, url
        text = _text(page.get_data(as_text=True))
        assert not CJK.search(text), (url, CJK.findall(text)[:20], text[max(CJK.search(text).start() - 80, 0):][:200])
    # The moderator's forms: their hints give English examples in English.
    auth.logout()
    auth.login("chair")
    for url in (f"/places/{building.id}/meetings/new", f"/places/{building.id}/ballots/new",
                f"/meetings/{meeting.id}/room"):
        page = client.get(url)
        assert page.status_code == 200, url
        text = _text(page.get_data(as_text=True))
        assert not CJK.search(text), (url, CJK.findall(text)[:20])
    auth.logout()
    auth.login("13900000101")
    room = client.get(f"/meetings/{meeting.id}/room").get_data(as_text=True)
    assert '"yes": "For"' in room and "votes for 66.6%: reaches 2/3" in room
    result = client.get(f"/ballots/{closed.id}").get_data(as_text=True)
    assert "For" in result and "Against" in result and "votes for 66.6%: reaches 2/3" in result
    chosen = client.get(f"/ballots/{colour.id}").get_data(as_text=True)
    assert "Chosen: Red, Blue" in chosen and "“Red”: 2 votes; “Blue”: 2 votes; “Green”: 1 vote" in chosen
