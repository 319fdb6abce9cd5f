from sqlalchemy import select

from consult.conventions.models import Convention, VersionState
from consult.extensions import db
from tests.conventions.test_service import TEXT, adopt


def test_a_moderator_drafts_residents_read_and_the_adopted_text_shows_its_hash(client, auth, area, tree):
    auth.login("moderator")
    assert f"/places/{tree.fc.id}/conventions" in client.get(f"/places/{tree.fc.id}").get_data(as_text=True)
    response = client.post_form(f"/places/{tree.fc.id}/conventions", {
        "kind": "residents", "title": "居民公约", "body": "第一条 <script>x</script>爱护环境"})
    assert response.status_code == 302
    convention = db.session.scalars(select(Convention)).one()
    assert client.post_form(f"/conventions/{convention.id}/vote").status_code == 302
    db.session.expire_all()
    assert convention.pending.state is VersionState.voting
    auth.logout()
    auth.login("13900000001")
    page = client.get(f"/conventions/{convention.id}").get_data(as_text=True)
    assert "&lt;script&gt;x" in page and "<script>x" not in page
    assert f"/ballots/{convention.versions[0].ballot_id}" in page
    assert client.post_form(f"/places/{tree.fc.id}/conventions", {"kind": "residents", "title": "x",
                                                                    "body": "y"}).status_code == 403


def test_the_version_in_force_and_an_amendment(client, auth, area, tree):
    from consult.conventions import service as conventions
    from consult.conventions.models import ConventionKind
    from consult.database import unit_of_work

    with unit_of_work():
        convention = conventions.draft_convention(tree.fc, actor=area.moderator, kind=ConventionKind.residents,
                                                  title="居民公约", body=TEXT)
    adopt(area, convention.pending)
    auth.login("moderator")
    page = client.get(f"/conventions/{convention.id}").get_data(as_text=True)
    assert convention.versions[0].sha256 in page and 'id="in-force"' in page
    response = client.post_form(f"/conventions/{convention.id}/amend",
                                {"body": TEXT + "\n第三条 文明养犬", "reason": "增加养犬条款"})
    assert response.status_code == 302
    db.session.expire_all()
    assert [v.state for v in convention.versions] == [VersionState.adopted, VersionState.draft]
