"""Printable A4 notices for the notice board, each with a QR code to its page, and the
per-building paper ballot sheet with one QR per voter."""
import base64
import io
from datetime import datetime

import segno
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from consult.extensions import db
from consult.meetings.models import Meeting, MeetingForm, MeetingKind
from consult.turnout.qr import SHEET_PITCH, qr_column, qr_png
from consult.voting.models import BallotVoter

from tests.voting.test_pages import people, run_ballot, vote  # noqa: F401  (a fixture and helpers)


def pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_images(response) -> int:
    return len(pdf_qr_codes(response))


def pdf_qr_codes(response) -> set[bytes]:
    """The pixels of every image in the PDF, in black and white."""
    reader = PdfReader(io.BytesIO(response.data))
    return {image.image.convert("1").tobytes() for page in reader.pages for image in page.images}


def data_uri_pixels(uri: str) -> bytes:
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("1").tobytes()


def test_a_column_of_codes_holds_each_code_in_its_slot():
    links = ["http://localhost/ballots/1/voters/7/paper", "http://localhost/ballots/1/voters/10000/paper"]
    column = Image.open(io.BytesIO(base64.b64decode(qr_column(links).split(",", 1)[1]))).convert("1")
    slot = round(column.width * SHEET_PITCH)
    assert column.height == 2 * slot
    for n, link in enumerate(links):
        one = Image.open(io.BytesIO(base64.b64decode(qr_png(link, quick=True).split(",", 1)[1]))).convert("1")
        offset = (column.width - one.width) // 2
        assert column.crop((offset, n * slot + offset, offset + one.width, n * slot + offset + one.height)) \
            .tobytes() == one.tobytes()


def qr_pixels(link: str, scale: int = 2, mask=0) -> bytes:
    """The pixels of the QR code of ``link`` as the sheet prints it (the first mask) or a
    notice (``mask=None``: the best one)."""
    out = io.BytesIO()
    segno.make(link, error="m", micro=False, mask=mask).save(out, kind="png", scale=scale, border=2)
    return Image.open(io.BytesIO(out.getvalue())).convert("1").tobytes()


def test_ballot_notice_and_result_notice_of_a_secret_ballot_give_totals_only(client, auth, tree, people):
    ballot = run_ballot(client, auth, tree.b1, secrecy="secret")
    vote(client, auth, "13900000001", ballot, "yes")
    vote(client, auth, "13900000003", ballot, "no")
    auth.login("moderator")
    notice = pdf_text(client.get(f"/ballots/{ballot.id}/notice.pdf"))
    assert "表决公告" in notice and "是否同意加装电梯" in notice and f"/ballots/{ballot.id}" in notice
    assert client.get(f"/ballots/{ballot.id}/result-notice.pdf").status_code == 404   # not counted yet
    client.post_form(f"/ballots/{ballot.id}/close", {"confirmed": "1"})
    response = client.get(f"/ballots/{ballot.id}/result-notice.pdf")
    result = pdf_text(response)
    assert "表决结果公告" in result and "同意" in result and "反对" in result
    assert "王秀英" not in result and "赵大妈" not in result   # nobody is named
    assert pdf_qr_codes(response) == {qr_pixels(f"http://localhost/ballots/{ballot.id}", scale=8, mask=None)}   # to the page
    page = client.get(f"/ballots/{ballot.id}").get_data(as_text=True)
    assert f"/ballots/{ballot.id}/result-notice.pdf" in page


def test_meeting_notice_and_its_link_for_the_moderator(client, auth, tree, people):
    meeting = Meeting(place=tree.fc, title="加装电梯议事会", kind=MeetingKind.circle, form=MeetingForm.in_person,
                      starts_at=datetime(2026, 12, 20, 6, 0), location="社区活动室", moderator_id=people.moderator.id)
    db.session.add(meeting)
    db.session.commit()
    auth.login("moderator")
    assert f"/meetings/{meeting.id}/notice.pdf" in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    text = pdf_text(client.get(f"/meetings/{meeting.id}/notice.pdf"))
    assert "会议通知" in text and "加装电梯议事会" in text and "社区活动室" in text
    auth.logout()
    auth.login("13900000004")     # a resident of another community
    assert client.get(f"/meetings/{meeting.id}/notice.pdf").status_code == 404


def test_the_ballot_sheet_has_one_qr_per_voter_opening_the_paper_desk(client, auth, tree, people):
    ballot = run_ballot(client, auth, tree.b1)
    auth.login("grid")
    response = client.get(f"/ballots/{ballot.id}/turnout/buildings/{tree.b1.id}/sheet.pdf")
    text = pdf_text(response)
    voters = db.session.scalars(select(BallotVoter).where(BallotVoter.ballot_id == ballot.id)).all()
    assert "纸质表决票" in text and "101" in text and "201" in text
    from consult.turnout import service as turnout

    in_order = [d.voter.id for d in turnout.doors(ballot, tree.b1, actor=people.grid)]
    column = qr_column([f"http://localhost/ballots/{ballot.id}/voters/{v}/paper" for v in in_order])
    assert pdf_qr_codes(response) == {data_uri_pixels(column)} and sorted(in_order) == [v.id for v in voters]
    # The QR leads to the paper-ballot desk of that voter, which the grid worker can open.
    assert client.get(f"/ballots/{ballot.id}/voters/{voters[0].id}/paper").status_code == 200
    auth.logout()
    auth.login("13900000001")
    assert client.get(f"/ballots/{ballot.id}/turnout/buildings/{tree.b1.id}/sheet.pdf").status_code == 403
