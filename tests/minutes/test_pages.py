"""Minutes over HTTP: the recorder edits and sends for signatures, signers sign, residents
read, object and download; a signed version cannot be edited through the pages; the
archive of a place and its zip, whose manifest verifies."""
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

from pypdf import PdfReader

from consult.minutes import service as minutes
from consult.minutes.models import MinutesState


def login(client, auth, user):
    auth.logout()
    auth.login(user.phone or user.username)


def sign_by_pages(client, auth, ended):
    record = minutes.minutes_of(ended.meeting)
    login(client, auth, ended.cast.moderator)
    page = client.get(f"/meetings/{ended.meeting.id}").get_data(as_text=True)
    assert 'id="minutes-link"' in page
    page = client.get(f"/minutes/{record.id}").get_data(as_text=True)
    assert "会议过程" in page and 'name="body"' in page
    body = record.latest.body.replace("采用北侧方案，报街道审批", "采用北侧方案，报街道审批（会后补充：电话13912345678）")
    assert client.post_form(f"/minutes/{record.id}/edit", {"title": "1号楼加装电梯协商会纪要", "body": body}).status_code == 302
    client.post_form(f"/minutes/{record.id}/representatives", {"people": [str(ended.cast.wang.id)]})
    client.post_form(f"/minutes/{record.id}/submit")
    asked = client.post_form(f"/minutes/{record.id}/sign").get_data(as_text=True)
    assert 'name="confirmed"' in asked and not record.latest.signatures
    client.post_form(f"/minutes/{record.id}/sign", {"confirmed": "1"})
    login(client, auth, ended.cast.wang)
    page = client.get(f"/minutes/{record.id}").get_data(as_text=True)
    assert "我已阅读纪要并签字" in page
    client.post_form(f"/minutes/{record.id}/sign", {"confirmed": "1"})
    return record


def test_the_recorder_edits_the_signers_sign_and_the_residents_read(client, auth, ended):
    record = sign_by_pages(client, auth, ended)
    assert record.state is MinutesState.publicity
    login(client, auth, ended.cast.zhao)
    page = client.get(f"/minutes/{record.id}").get_data(as_text=True)
    assert record.current.sha256 in page and "校验一致" in page and "会后补充" in page
    assert "13912345678" not in page and "139****5678" in page
    client.post_form(f"/minutes/{record.id}/remarks", {"kind": "objection", "body": "费用分摊比例需要再议"})
    login(client, auth, ended.cast.moderator)
    objection = record.remarks[0]
    client.post_form(f"/minutes/{record.id}/remarks/{objection.id}/answer", {"body": "将在下次会议讨论"})
    assert objection.answer == "将在下次会议讨论"


def test_signed_minutes_cannot_be_edited_through_the_pages(client, auth, ended):
    record = sign_by_pages(client, auth, ended)
    before = (record.current.title, record.current.body, record.current.sha256)
    login(client, auth, ended.cast.moderator)
    for url, data in ((f"/minutes/{record.id}/edit", {"title": "改", "body": "改"}),
                      (f"/minutes/{record.id}/redraft", {"statements": "full"}),
                      (f"/minutes/{record.id}/representatives", {"people": [str(ended.cast.zhang.id)]})):
        response = client.post_form(url, data, follow_redirects=True)
        assert response.status_code == 200 and "只能修改草稿" in response.get_data(as_text=True)
    assert (record.current.title, record.current.body, record.current.sha256) == before and minutes.verify(record.current)
    login(client, auth, ended.cast.outsider)     # another building: may read, not write
    assert client.post_form(f"/minutes/{record.id}/edit", {"title": "改", "body": "改"}).status_code in (302, 303)
    assert record.current.body == before[1]


def test_a_draft_is_not_shown_to_residents(client, auth, ended):
    record = minutes.minutes_of(ended.meeting)
    login(client, auth, ended.cast.zhao)
    assert client.get(f"/minutes/{record.id}").status_code == 404
    assert 'id="minutes-link"' not in client.get(f"/meetings/{ended.meeting.id}").get_data(as_text=True)


def test_pdf_and_markdown_of_the_signed_minutes(app, client, auth, ended):
    record = sign_by_pages(client, auth, ended)
    version = record.current
    kept = Path(app.config["UPLOAD_DIR"]) / "minutes" / f"{version.sha256}.pdf"
    assert kept.exists()                                   # made when the last signature landed
    response = client.get(f"/minutes/{record.id}/versions/1.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    for words in ("1号楼加装电梯协商会纪要", "采用北侧方案", "会议过程", version.sha256):
        assert words in text.replace("\n", ""), words
    assert "13912345678" not in text and response.data == kept.read_bytes()
    markdown = client.get(f"/minutes/{record.id}/versions/1.md").get_data(as_text=True)
    assert markdown.startswith("# 1号楼加装电梯协商会纪要") and version.sha256 in markdown


def test_a_correction_shows_its_changes(client, auth, ended):
    record = sign_by_pages(client, auth, ended)
    login(client, auth, ended.cast.moderator)
    client.post_form(f"/minutes/{record.id}/correct", {"body": "补充反对理由"})
    body = record.latest.body + "\n\n- 张**反对：费用过高"
    client.post_form(f"/minutes/{record.id}/edit", {"title": record.latest.title, "body": body})
    page = client.get(f"/minutes/{record.id}/versions/2").get_data(as_text=True)
    assert "<ins>- 张**反对：费用过高</ins>" in page and "补充反对理由" in page


def test_the_archive_of_a_building_and_its_zip(client, auth, ended, tree):
    record = sign_by_pages(client, auth, ended)
    login(client, auth, ended.cast.zhao)
    page = client.get(f"/places/{tree.b1.id}/archive").get_data(as_text=True)
    for words in ("1号楼加装电梯协商会", "采用北侧方案，报街道审批", "是否同意北侧加装电梯方案", "提交加装电梯审批材料",
                  record.current.sha256[:12]):
        assert words in page, words
    assert "1号楼加装电梯协商会" not in client.get(f"/places/{tree.b2.id}/archive").get_data(as_text=True)
    response = client.get(f"/places/{tree.b1.id}/archive.zip")
    assert response.status_code == 200
    data = b"".join(response.response) if not response.data else response.data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist()) - {"manifest.json"}
        assert names == set(manifest["files"]) and f"minutes/meeting-{ended.meeting.id}-v1.pdf" in names
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
        meetings = json.loads(archive.read("meetings.json"))
        assert meetings[0]["minutes"]["versions"][0]["sha256"] == record.current.sha256
        everything = b"".join(archive.read(n) for n in names if not n.endswith(".pdf")).decode("utf-8")
        assert not re.search(r"1[3-9]\d{9}", everything)
        assert "王秀英" not in everything
