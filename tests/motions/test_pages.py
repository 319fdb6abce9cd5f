"""Motion pages over HTTP: assigning, the desk of each organisation, acting, rating, the
figures page and its CSV."""
import csv
import io

from consult import clock
from consult.motions import service as motions
from consult.motions.models import Motion, MotionState

from .support import assign, do


def login(client, auth, user):
    auth.logout()
    auth.login(user.phone)


def assign_by_page(client, auth, area, **extra):
    login(client, auth, area.moderator)
    page = client.get(f"/places/{area.tree.b1.id}/motions/new")
    assert page.status_code == 200 and "富成物业" in page.get_data(as_text=True)
    data = {"title": "修复1号楼电梯", "body": "电梯停运", "lead": str(area.company.id), "raters": "place", **extra}
    return client.post_form(f"/places/{area.tree.b1.id}/motions/new", data)


def test_moderator_assigns_and_the_responder_works_it_through(client, auth, area):
    response = assign_by_page(client, auth, area)
    assert response.status_code == 302
    motion = Motion.query.one()
    login(client, auth, area.manager)
    desk = client.get("/desk").get_data(as_text=True)
    assert "修复1号楼电梯" in desk
    assert client.post_form(f"/motions/{motion.id}/acknowledge").status_code == 302
    client.post_form(f"/motions/{motion.id}/answer", {"answer": "accept"})
    clock.advance(days=1)
    client.post_form(f"/motions/{motion.id}/complete", {"body": "已更换控制板"})
    assert Motion.query.one().state is MotionState.completed
    login(client, auth, area.residents[0])
    page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert "已更换控制板" in page and 'name="score"' in page
    record = page.split('class="timeline"', 1)[1]
    assert record.count("富成物业") >= 3   # acknowledged, accepted, completed: by the company
    client.post_form(f"/motions/{motion.id}/rate", {"score": "satisfied", "body": "很好"})
    page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert 'id="my-rating"' in page and 'name="score"' not in page
    again = client.post_form(f"/motions/{motion.id}/rate", {"score": "unsatisfied"}, follow_redirects=True)
    assert "已经评价" in again.get_data(as_text=True) or "already rated" in again.get_data(as_text=True)


def test_bad_input_is_refused_on_the_page_and_nothing_is_written(client, auth, area):
    response = assign_by_page(client, auth, area, title="")
    assert response.status_code == 422
    response = assign_by_page(client, auth, area, lead="999999")
    assert response.status_code == 422
    assert Motion.query.count() == 0


def test_another_company_cannot_open_the_desk_or_act(client, auth, area):
    assign_by_page(client, auth, area)
    motion = Motion.query.one()
    login(client, auth, area.rival)
    assert client.get(f"/desk?org={area.company.id}").status_code == 403
    assert "修复1号楼电梯" not in client.get("/desk").get_data(as_text=True)
    client.post_form(f"/motions/{motion.id}/acknowledge")
    assert Motion.query.one().state is MotionState.assigned
    login(client, auth, area.residents[0])
    assert client.get("/desk").status_code == 403


def test_figures_page_and_csv(client, auth, area):
    assign_by_page(client, auth, area)
    page = client.get(f"/places/{area.tree.north.id}/figures?start=2026-03-01&end=2026-03-31")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and '<svg' in text and "<script" not in text.split("<svg", 1)[1].split("</svg>")[0]
    assert 'id="fig-received">1<' in text
    response = client.get(f"/places/{area.tree.north.id}/figures.csv?start=2026-03-01&end=2026-03-31")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["类型", "名称", "收到", "响应率", "办结率"] and "received" not in rows[0]
    assert rows[1][2] == "1" and rows[1][0] in ("合计", "Total")
    assert any(r[1] == "富成物业" for r in rows)
    assert client.get(f"/places/{area.tree.north.id}/figures?start=garbage").status_code == 200


def test_the_figures_count_a_change_at_once(client, auth, area):
    login(client, auth, area.moderator)
    url = f"/places/{area.tree.north.id}/figures?start=2026-03-01&end=2026-03-31"
    first = client.get(url).get_data(as_text=True)
    assert 'id="fig-received">0<' in first
    motion = assign(area)
    assert 'id="fig-received">1<' in client.get(url).get_data(as_text=True)
    do(motions.withdraw, motion, actor=area.moderator, reason="重复")
    assert 'id="fig-received">0<' in client.get(url).get_data(as_text=True)


def test_the_figures_period_is_at_most_five_years(client, auth, area):
    login(client, auth, area.moderator)
    text = client.get(f"/places/{area.tree.north.id}/figures?start=1900-01-01&end=2026-03-31").get_data(as_text=True)
    assert 'name="start" value="2021-03-27"' in text


def test_more_time_until_a_day_lasts_that_whole_day_and_is_shown_as_that_day(client, auth, area):
    from datetime import datetime

    assign_by_page(client, auth, area)
    motion = Motion.query.one()
    login(client, auth, area.manager)
    client.post_form(f"/motions/{motion.id}/acknowledge")
    client.post_form(f"/motions/{motion.id}/ask-time", {"until": "2026-03-16", "body": "等电梯配件"})
    db_motion = Motion.query.one()
    assert db_motion.extension_until == datetime(2026, 3, 16, 16, 0)   # midnight after the 16th in Beijing
    page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    asked = page.split("等电梯配件", 1)[0].rsplit("<dd>", 1)[1]
    assert "16" in asked and "24:00" in asked and "17" not in asked


def test_the_figures_period_counts_whole_local_days(client, auth, area):
    from datetime import datetime

    clock.set_now(datetime(2026, 2, 28, 15, 30))   # 23:30 on 28 February in Beijing
    assign(area)
    clock.set_now(datetime(2026, 2, 28, 16, 30))   # 00:30 on 1 March in Beijing
    assign(area)
    login(client, auth, area.moderator)
    march = client.get(f"/places/{area.tree.north.id}/figures?start=2026-03-01&end=2026-03-01").get_data(as_text=True)
    february = client.get(f"/places/{area.tree.north.id}/figures?start=2026-02-28&end=2026-02-28").get_data(as_text=True)
    assert 'id="fig-received">1<' in march and 'id="fig-received">1<' in february


def test_each_step_says_what_happened_and_what_comes_next(client, auth, area):
    assign_by_page(client, auth, area)
    motion = Motion.query.one()
    login(client, auth, area.manager)
    page = client.post_form(f"/motions/{motion.id}/acknowledge", follow_redirects=True).get_data(as_text=True)
    assert "已接单。下一步：全部或部分接受承办" in page and "已保存" not in page
    page = client.post_form(f"/motions/{motion.id}/answer", {"answer": "accept"},
                            follow_redirects=True).get_data(as_text=True)
    assert "您已接受承办。请随时发布进展" in page
    page = client.post_form(f"/motions/{motion.id}/ask-time", {"until": "2026-04-30", "body": "等配件"},
                            follow_redirects=True).get_data(as_text=True)
    assert "延期申请（至 2026/4/30 24:00）已发给主持人" in page
    login(client, auth, area.moderator)
    page = client.post_form(f"/motions/{motion.id}/decide-time", {"grant": "1"},
                            follow_redirects=True).get_data(as_text=True)
    assert "已同意延期，新的期限是 2026/4/30 24:00" in page


def test_the_new_motion_form_proposes_the_property_company(client, auth, area):
    import re

    login(client, auth, area.moderator)
    page = client.get(f"/places/{area.tree.b1.id}/motions/new").get_data(as_text=True)
    lead = page.split('name="lead"', 1)[1].split("</select>", 1)[0]
    chosen = re.findall(r'<option selected value="(\d+)">([^<]*)</option>', lead)
    assert len(chosen) == 1 and "物业" in chosen[0][1] and "城管" not in chosen[0][1]


def test_no_element_id_is_used_twice_on_a_motion_page(client, auth, area):
    import re

    assign_by_page(client, auth, area)
    motion = Motion.query.one()
    login(client, auth, area.manager)
    client.post_form(f"/motions/{motion.id}/answer", {"answer": "accept"})
    for who in (area.manager, area.moderator):
        login(client, auth, who)
        ids = re.findall(r'\sid="([^"]+)"', client.get(f"/motions/{motion.id}").get_data(as_text=True))
        assert sorted(i for i in set(ids) if ids.count(i) > 1) == []
    login(client, auth, area.manager)
    assert {"progress-body", "time-body", "complete-body"} <= set(re.findall(
        r'\sid="([^"]+)"', client.get(f"/motions/{motion.id}").get_data(as_text=True)))


def test_the_systems_own_reasons_are_worded_in_the_readers_language(client, auth, area):
    from consult.motions import service as motions
    from consult.motions.models import Answer, Score

    from .support import do

    motion = assign(area)
    do(motions.answer, motion, actor=area.manager, answer=Answer.accept)
    do(motions.complete, motion, actor=area.manager, evidence="修好了")
    for resident in area.residents[:3]:
        do(motions.rate, motion, actor=resident, score=Score.unsatisfied)
    assert motion.state is MotionState.reopened
    assert motion.updates[-1].body == "3户中有3户不满意。"     # stored in the site's language
    login(client, auth, area.residents[4])
    assert "3户中有3户不满意。" in client.get(f"/motions/{motion.id}").get_data(as_text=True)
    client.post_form("/language", {"locale": "en", "next": "/"})
    page = client.get(f"/motions/{motion.id}").get_data(as_text=True)
    assert "3 of 3 households are not satisfied." in page and "不满意。" not in page
