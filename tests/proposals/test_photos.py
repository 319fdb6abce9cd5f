"""Photos: content decides, EXIF (GPS) is stripped, abuse is refused and stores nothing."""
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from consult.accounts.models import Role
from consult.extensions import db
from consult.proposals.models import Category, Proposal, ProposalPhoto


def jpeg_with_gps(size=(2400, 1800)) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"                   # Make
    exif[0x8825] = {2: (39.0, 59.0, 30.0), 1: "N"}  # GPS: latitude of a home
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def resident(client, auth, tree, make_household, make_user):
    make_user("王秀英", phone="13900000001", household=make_household(tree.e1, "101"))
    make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    auth.login("13900000001")


def post(client, tree, files):
    category = str(db.session.scalar(select(Category.id)))
    return client.post_form(f"/places/{tree.b1.id}/proposals/new", {
        "title": "楼道堆物", "body": "见照片", "category_id": category, "on_behalf_of": "", "call_id": "",
        "photos": files}, content_type="multipart/form-data")


def stored_files(app):
    from pathlib import Path

    folder = Path(app.config["UPLOAD_DIR"]) / "photos"
    return sorted(folder.glob("*")) if folder.exists() else []


def test_photo_is_shrunk_reencoded_and_stripped_of_exif(app, client, tree, resident):
    response = post(client, tree, [(io.BytesIO(jpeg_with_gps()), "IMG_0001.JPG")])
    assert response.status_code == 302
    photo = db.session.scalars(select(ProposalPhoto)).one()
    assert (photo.width, photo.height) == (1600, 1200)
    served = client.get(f"/photos/{photo.token}.jpg")
    assert served.status_code == 200 and served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == "JPEG" and not image.getexif()
    page = client.get(f"/proposals/{photo.proposal_id}").get_data(as_text=True)
    assert f"/photos/{photo.token}.jpg" in page


@pytest.mark.parametrize("data, name", [
    (b"<html><script>alert(1)</script></html>", "photo.jpg"),       # HTML renamed .jpg
    (b"GIF89a" + b"\x00" * 100, "anim.gif"),                        # not an accepted format
    (b"", "empty.jpg"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "truncated.jpg"),           # a broken JPEG
])
def test_files_that_are_not_photos_are_refused(app, client, tree, resident, data, name):
    response = post(client, tree, [(io.BytesIO(data), name)])
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0
    assert stored_files(app) == []


def test_oversize_photo_is_refused(app, client, tree, resident):
    app.config["PHOTO_MAX_BYTES"] = 1000
    response = post(client, tree, [(io.BytesIO(jpeg_with_gps((300, 300))), "big.jpg")])
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_path_traversal_names_do_not_matter(app, client, tree, resident):
    response = post(client, tree, [(io.BytesIO(jpeg_with_gps((200, 100))), "../../../../etc/passwd.jpg")])
    assert response.status_code == 302
    files = stored_files(app)
    assert len(files) == 1 and files[0].parent.name == "photos" and "passwd" not in files[0].name


def test_too_many_photos_are_refused(app, client, tree, resident):
    files = [(io.BytesIO(jpeg_with_gps((100, 100))), f"{n}.jpg") for n in range(5)]
    assert post(client, tree, files).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_unknown_photo_is_404(client, resident):
    assert client.get("/photos/" + "0" * 32 + ".jpg").status_code == 404
    assert client.get("/photos/..%2F..%2Fconfig.jpg").status_code == 404


def test_one_bad_photo_among_good_ones_leaves_no_file(app, client, tree, resident):
    files = [(io.BytesIO(jpeg_with_gps((100, 100))), "good.jpg"), (io.BytesIO(b"not a photo"), "bad.jpg")]
    assert post(client, tree, files).status_code == 422
    assert stored_files(app) == []
