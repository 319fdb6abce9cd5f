from sqlalchemy import select

from consult.extensions import db
from consult.proposals.models import Category
from consult.visits.models import Visit


def test_grid_worker_logs_a_visit_and_raises_the_matter_in_one_step(client, auth, area):
    auth.login("grid")
    category = db.session.scalars(select(Category)).first()
    response = client.post_form(f"/households/{area.h101.id}/visits", {
        "visited_at": "2026-11-20T10:00", "outcome": "follow_up", "heard": "电梯<script>x</script>异响",
        "matter_title": "电梯异响", "category_id": str(category.id), "resident_id": str(area.resident.id)})
    assert response.status_code == 302
    visit = db.session.scalars(select(Visit)).one()
    assert visit.proposal.author_id == area.resident.id
    page = client.get(f"/households/{area.h101.id}/visits").get_data(as_text=True)
    assert "电梯异响" in page and "<script>x" not in page and "电梯&lt;script&gt;" in page
    # 10:00 typed in Shanghai is stored as 02:00 UTC
    assert visit.visited_at.hour == 2


def test_missing_time_shows_the_form_again(client, auth, area):
    auth.login("grid")
    response = client.post_form(f"/households/{area.h101.id}/visits", {"outcome": "settled", "heard": "好"})
    assert response.status_code == 422
    assert db.session.scalars(select(Visit)).first() is None


def test_residents_do_not_find_the_visits_pages(client, auth, area, tree):
    auth.login("13900000002")
    assert client.get(f"/households/{area.h101.id}/visits").status_code == 404
    assert client.get(f"/households/{area.h102.id}/visits").status_code == 404
    assert client.get(f"/places/{tree.b1.id}/visits").status_code == 404
    assert "/visits" not in client.get(f"/places/{tree.b1.id}").get_data(as_text=True)


def test_moderator_reads_the_place_visits_for_a_period(client, auth, area, tree):
    auth.login("grid")
    client.post_form(f"/households/{area.h101.id}/visits", {
        "visited_at": "2026-11-20T10:00", "outcome": "settled", "heard": "问了垃圾分类"})
    auth.logout()
    auth.login("moderator")
    assert f"/places/{tree.fc.id}/visits" in client.get(f"/places/{tree.fc.id}").get_data(as_text=True)
    page = client.get(f"/places/{tree.fc.id}/visits?start=2026-11-01&end=2026-11-30").get_data(as_text=True)
    assert "问了垃圾分类" in page and "101" in page
    empty = client.get(f"/places/{tree.fc.id}/visits?start=2026-10-01&end=2026-10-30").get_data(as_text=True)
    assert "问了垃圾分类" not in empty
