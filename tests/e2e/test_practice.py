"""The grassroots practice on a phone: a grid worker's visit (敲门行动) raised as a matter,
a moderator's needs survey (需求征集) that a resident answers, and a resident's small wish
(微心愿) that someone of the community takes up."""
import pytest
from playwright.sync_api import expect

from consult.places.models import Place
from tests.e2e.conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.e2e


def walk_to(page, *names):
    page.goto("/places/")
    for name in names:
        page.get_by_role("link", name=name, exact=True).first.click()


def phone(browser, live_server):
    return browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                               base_url=live_server.url)


def test_grid_worker_logs_a_visit_and_raises_what_was_heard(phone_page):
    grid = phone_page
    sign_in(grid, "grid", "grid password")
    walk_to(grid, "大屯街道", "富成花园社区", "3号楼")
    grid.get_by_role("link", name="民情走访").click()
    expect(grid.locator(".lead")).to_contain_text("户中已见到 0 户")
    grid.get_by_text("记录走访：选择住户").click()
    grid.get_by_role("link", name="2单元 504").click()
    grid.get_by_label("结果").select_option(label="需跟进")
    grid.get_by_label("听到的情况").fill("赵奶奶说楼道扶手松了，下楼不敢扶。")
    grid.get_by_text("把听到的情况转为议题（代办）").click()
    grid.get_by_label("转为议题：标题").fill("3号楼2单元楼道扶手松动")
    grid.get_by_label("类别").select_option(index=0)
    grid.get_by_role("button", name="记录走访").click()
    expect(grid.locator(".flashes")).to_contain_text("已为居民代办提出议题")
    expect(grid.locator(".list")).to_contain_text("已转为议题")
    screenshot(grid, "visit-household-phone")
    grid.get_by_role("link", name="3号楼2单元楼道扶手松动").click()
    expect(grid.locator("h1")).to_have_text("3号楼2单元楼道扶手松动")
    walk_to(grid, "大屯街道", "富成花园社区", "3号楼")
    grid.get_by_role("link", name="民情走访").click()
    expect(grid.locator(".lead")).to_contain_text("户中已见到 1 户")
    screenshot(grid, "visits-place-phone")


def test_moderator_runs_a_survey_and_a_resident_answers_it(browser, live_server, phone_page):
    moderator = phone_page
    sign_in(moderator, "moderator", "moderator password")
    walk_to(moderator, "大屯街道", "富成花园社区")
    moderator.get_by_role("link", name="富成花园社区的问卷调查").click()
    moderator.get_by_text("新建问卷").click()
    moderator.get_by_label("标题").fill("社区服务需求征集")
    moderator.get_by_label("每户一份").check()
    moderator.get_by_role("button", name="起草问卷").click()
    moderator.get_by_text("添加问题").click()
    moderator.get_by_label("题型").select_option(label="单选题")
    moderator.get_by_label("问题").fill("您家最需要哪项服务？")
    moderator.get_by_label("选项，每行一个").fill("老年助餐\n上门理发\n家电维修")
    moderator.get_by_role("button", name="添加这个问题").click()
    moderator.get_by_text("添加问题").click()
    moderator.get_by_label("题型").select_option(label="文字回答")
    moderator.get_by_label("问题").fill("其他建议")
    moderator.get_by_role("button", name="添加这个问题").click()
    moderator.get_by_role("button", name="发布问卷").click()
    expect(moderator.locator("h1 .tag")).to_have_text("征集中")
    url = moderator.url

    context = phone(browser, live_server)
    resident = context.new_page()
    sign_in(resident, "13912340077", "resident password")
    resident.goto(url)
    screenshot(resident, "survey-answer-phone")
    resident.get_by_label("上门理发").check()
    resident.get_by_label("其他建议").fill("希望每月有一次上门理发")
    resident.get_by_role("button", name="提交我的回答").click()
    expect(resident.locator(".flashes")).to_contain_text("您的回答已计入")
    expect(resident.locator(".survey-results progress")).to_have_count(3)
    expect(resident.locator("body")).not_to_contain_text("希望每月有一次上门理发")
    screenshot(resident, "survey-resident-phone")
    context.close()

    moderator.reload()
    expect(moderator.locator(".survey-results").first).to_contain_text("上门理发")
    expect(moderator.locator("body")).to_contain_text("希望每月有一次上门理发")
    screenshot(moderator, "survey-moderator-phone")


def test_resident_posts_a_wish_that_someone_of_the_community_fulfils(browser, live_server, phone_page):
    resident = phone_page
    sign_in(resident, "13912340077", "resident password")
    walk_to(resident, "大屯街道", "富成花园社区", "3号楼")
    resident.get_by_role("link", name="3号楼的微心愿").click()
    resident.get_by_text("发布微心愿").click()
    resident.get_by_label("我的微心愿").fill("想学用智能手机挂号")
    resident.get_by_role("button", name="发布我的心愿").click()
    expect(resident.locator("h1 .tag")).to_have_text("待认领")
    expect(resident.get_by_role("button", name="认领这个心愿")).to_have_count(0)
    url = resident.url

    context = phone(browser, live_server)
    helper = context.new_page()
    sign_in(helper, "grid", "grid password")
    helper.goto(url)
    helper.get_by_role("button", name="认领这个心愿").click()
    expect(helper.locator("h1 .tag")).to_have_text("已认领")
    helper.get_by_label("是怎样完成的？").fill("周六上午上门教会了")
    helper.get_by_role("button", name="标记为已完成").click()
    expect(helper.locator("h1 .tag")).to_have_text("已完成，待确认")
    context.close()

    resident.reload()
    resident.get_by_role("button", name="确认：我的心愿已实现").click()
    expect(resident.locator("h1 .tag")).to_have_text("已圆梦")
    screenshot(resident, "wish-phone")


@pytest.fixture
def building_leader(e2e_database):
    """A building leader (楼门长) of 3号楼, who lives in it."""
    from consult import create_app
    from consult.accounts.models import Role, RoleGrant, User
    from consult.accounts.passwords import hash_password
    from consult.database import unit_of_work
    from consult.extensions import db
    from tests.conftest import config_for

    app = create_app(config_for(f"sqlite:///{e2e_database[0]}"))
    with app.app_context():
        if db.session.scalar(db.select(User).where(User.username == "leader")) is None:
            building = db.session.scalar(db.select(Place).where(Place.name == "3号楼"))
            with unit_of_work():
                leader = User(name="楼门长", username="leader", password_hash=hash_password("leader password"))
                db.session.add_all([leader, RoleGrant(user=leader, role=Role.building_leader, place=building)])
        db.engine.dispose()
    return "leader", "leader password"


def test_building_leader_knocks_and_finds_nobody_home(phone_page, building_leader):
    leader = phone_page
    sign_in(leader, *building_leader)
    walk_to(leader, "大屯街道", "富成花园社区", "3号楼")
    leader.get_by_role("link", name="民情走访").click()
    leader.get_by_text("记录走访：选择住户").click()
    leader.get_by_role("link", name="2单元 503").click()
    leader.get_by_label("结果").select_option(label="无人在家")
    leader.get_by_role("button", name="记录走访").click()
    expect(leader.locator(".flashes")).to_contain_text("走访已记录")
    expect(leader.locator(".list")).to_contain_text("无人在家")
    expect(leader.locator(".list")).to_contain_text("楼门长")
