"""The minutes publicity notice for the notice board, once the minutes are published."""
from consult.minutes import service as minutes

from tests.meetings.conftest import cast, meeting  # noqa: F401  (the council and its meeting)
from tests.minutes.conftest import ended, stopped_clock  # noqa: F401  (an ended meeting, a stopped clock)
from tests.minutes.test_pages import login, sign_by_pages
from tests.turnout.test_notices import pdf_qr_codes, pdf_text, qr_pixels


def test_the_publicity_notice_of_published_minutes(client, auth, ended):
    record = minutes.minutes_of(ended.meeting)
    login(client, auth, ended.cast.moderator)
    assert client.get(f"/minutes/{record.id}/notice.pdf").status_code == 404     # not signed yet
    sign_by_pages(client, auth, ended)
    login(client, auth, ended.cast.moderator)
    assert f"/minutes/{record.id}/notice.pdf" in client.get(f"/minutes/{record.id}").get_data(as_text=True)
    response = client.get(f"/minutes/{record.id}/notice.pdf")
    text = pdf_text(response).replace("\n", "")
    assert "会议纪要公示" in text and "1号楼加装电梯协商会纪要" in text and "意见反馈截止" in text
    assert pdf_qr_codes(response) == {qr_pixels(f"http://localhost/minutes/{record.id}", scale=8, mask=None)}
