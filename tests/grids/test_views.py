from datetime import timedelta

from sqlalchemy import select

from consult.extensions import db
from consult.grids.models import Report, ReportState
from consult.motions.models import Motion


def report_as_resident(client, auth, tree, title="楼道灯不亮"):
    auth.login("13900000001")
    response = client.post_form(f"/places/{tree.e1.id}/reports/new", {"title": title, "body": "三楼<b>灯</b>坏了"})
    auth.logout()
    return response


def test_a_resident_reports_and_reads_their_report(client, auth, area, tree):
    auth.login("13900000001")
    assert f"/places/{tree.e1.id}/reports/new" in client.get(f"/places/{tree.e1.id}").get_data(as_text=True)
    response = client.post_form(f"/places/{tree.e1.id}/reports/new", {"title": "楼道灯不亮", "body": "三楼<b>灯</b>坏了"})
    assert response.status_code == 302
    report = db.session.scalars(select(Report)).one()
    assert report.author_id == area.resident.id and report.household_id == area.h101.id
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "楼道灯不亮" in page and "三楼&lt;b&gt;灯" in page and "<b>灯" not in page
    assert f"/reports/{report.id}/accept" not in page
    assert "楼道灯不亮" in client.get("/reports/mine").get_data(as_text=True)


def test_an_empty_report_shows_the_form_again(client, auth, area, tree):
    auth.login("13900000001")
    assert client.post_form(f"/places/{tree.e1.id}/reports/new", {"title": ""}).status_code == 422
    assert db.session.scalar(select(Report.id)) is None


def test_others_neither_report_here_nor_read_the_report(client, auth, area, tree):
    report_as_resident(client, auth, tree)
    report = db.session.scalars(select(Report)).one()
    auth.login("13900000002")
    assert client.get(f"/reports/{report.id}").status_code == 404
    assert client.get(f"/places/{tree.e1.id}/reports/new").status_code == 403
    assert client.get(f"/grids/{area.micro1.id}/reports").status_code == 404
    auth.logout()
    auth.login("worker2")
    assert client.get(f"/reports/{report.id}").status_code == 404


def test_the_grid_worker_takes_up_and_settles_a_report(client, auth, area, tree):
    report_as_resident(client, auth, tree)
    report = db.session.scalars(select(Report)).one()
    auth.login("worker")
    queue = client.get(f"/grids/{area.micro1.id}/reports").get_data(as_text=True)
    assert "楼道灯不亮" in queue
    assert client.post_form(f"/reports/{report.id}/accept").status_code == 302
    assert client.post_form(f"/reports/{report.id}/settle", {"outcome": "已换灯泡"}).status_code == 302
    db.session.expire_all()
    assert report.state is ReportState.settled and report.outcome == "已换灯泡"
    assert "楼道灯不亮" not in client.get(f"/grids/{area.micro1.id}/reports").get_data(as_text=True)
    assert "楼道灯不亮" in client.get(f"/grids/{area.micro1.id}/reports?all=1").get_data(as_text=True)


def test_the_grid_worker_sends_a_report_on_to_the_property_company(client, auth, area, tree):
    report_as_resident(client, auth, tree)
    report = db.session.scalars(select(Report)).one()
    auth.login("worker")
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "恒安物业" in page
    response = client.post_form(f"/reports/{report.id}/dispatch",
                                {"organisations": str(area.company.id), "note": "请物业维修", "complete_days": "3"})
    assert response.status_code == 302
    motion = db.session.scalars(select(Motion)).one()
    assert motion.complete_by - motion.created_at == timedelta(days=3)
    db.session.expire_all()
    assert report.state is ReportState.dispatched
    assert f"/motions/{motion.id}" in client.get(f"/reports/{report.id}").get_data(as_text=True)


def test_the_figures_page_shows_the_chain(client, auth, area, tree):
    report_as_resident(client, auth, tree)
    auth.login("moderator")
    page = client.get(f"/places/{tree.fc.id}/figures").get_data(as_text=True)
    assert 'id="reports"' in page
    assert client.get(f"/grids/{area.large.id}/reports").status_code == 200


def test_the_grid_page_shows_its_micro_grids_and_leader(client, auth, area, admin):
    auth.login("admin")
    page = client.get(f"/grids/{area.large.id}").get_data(as_text=True)
    assert area.micro1.name in page and area.micro2.name in page and "grid_leader" in page
    response = client.post_form(f"/grids/{area.micro1.id}/roles", {"login": "worker2", "role": "grid_leader"})
    assert response.status_code == 302
    assert any(g.role.value == "grid_leader" and g.grid_id == area.micro1.id for g in area.worker2.grants)
