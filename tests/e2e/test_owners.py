"""An owners' decision in the browser: owners check the register in public and object to
an entry, an administrator settles it; an owner authorises a proxy, who votes for them."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.e2e


def _setup(database, question, *, open_it: bool):
    """A building of its own (so that no other test's lists change) with three owners, and
    an owners' ballot drafted on it; with ``open_it``, its register checked and frozen and
    its notice given long enough ago, and the ballot open."""
    from sqlalchemy import select

    from consult import clock, create_app
    from consult.accounts.models import User
    from consult.accounts.passwords import hash_password
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.owners import service as owners
    from consult.places import service as places
    from consult.places.models import Place, PlaceKind, Relation
    from consult.voting import service as voting
    from consult.voting.models import Electorate, Secrecy
    from tests.conftest import config_for

    app = create_app(config_for(f"sqlite:///{database}", OWNERS_PROCEDURE=True))
    suffix = "1" if open_it else "0"
    with app.app_context(), app.test_request_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        moderator = db.session.scalar(select(User).where(User.username == "moderator"))
        community = db.session.scalar(select(Place).where(Place.name == "富成花园社区"))
        now = clock.utcnow()
        with unit_of_work():
            building = places.create_place(community, PlaceKind.building, "19号楼" if open_it else "29号楼", actor=admin)
            people = {}
            for room, area, name, phone in (("101", "88.00", "周业主", f"1391234{suffix}101"),
                                            ("102", "92.50", "吴业主", f"1391234{suffix}102"),
                                            ("201", "60.00", "郑业主", f"1391234{suffix}201")):
                person = User(name=name, phone=phone, password_hash=hash_password("owner password"))
                db.session.add(person)
                places.attach_member(places.add_household(building, room, area, actor=admin), person,
                                     Relation.owner, actor=admin)
                people[room] = person
            if open_it:
                db.session.add(User(name="周小明", phone=f"1391234{suffix}999",
                                    password_hash=hash_password("proxy password")))
        clock.set_now(now - timedelta(days=30) if open_it else now)
        try:
            opens_at = clock.utcnow() + timedelta(days=16)
            with unit_of_work():
                ballot = voting.draft_ballot(building, actor=moderator, question=question,
                                             electorate=Electorate.owners, secrecy=Secrecy.named,
                                             rule="civil_code_278", opens_at=opens_at,
                                             closes_at=max(now, opens_at) + timedelta(days=7))
            if open_it:
                with unit_of_work():
                    owners.publish_register(ballot, actor=moderator)
                with unit_of_work():
                    owners.publish_notice(ballot, actor=moderator, matter="19号楼外墙保温改造，费用从维修资金支出。")
        finally:
            clock.set_now(None)
        if open_it:
            with unit_of_work():
                voting.open_ballot(ballot, actor=moderator)
        ballot_id = ballot.id
        db.engine.dispose()
    return ballot_id, suffix


def test_owners_check_the_register_and_an_objection_is_settled(browser, live_server, phone_page, e2e_database):
    ballot_id, suffix = _setup(e2e_database[0], "是否同意更换29号楼电梯？", open_it=False)
    moderator = browser.new_context(viewport=PHONE, base_url=live_server.url).new_page()
    sign_in(moderator, "moderator", "moderator password")
    moderator.goto(f"/ballots/{ballot_id}")
    moderator.locator(".owners-procedure").get_by_role("link", name="业主名册").click()
    moderator.get_by_role("button", name="公示名册").click()
    expect(moderator.locator(".flash-success")).to_contain_text("名册已向业主公示")
    # Opening now is refused, with the reason.
    moderator.goto(f"/ballots/{ballot_id}")
    moderator.get_by_role("button", name="现在开始投票").click()
    expect(moderator.locator(".flash-error")).to_contain_text("业主名册公示至")

    owner = phone_page
    sign_in(owner, f"1391234{suffix}101", "owner password")
    owner.goto(f"/ballots/{ballot_id}/register")
    own = owner.locator(".entry.own")
    expect(own).to_contain_text("周业主")
    expect(own).to_contain_text("88.00")
    other = owner.locator(".entry", has_text="102")
    expect(other).to_contain_text("吴**")
    expect(owner.locator(".register")).not_to_contain_text("吴业主")
    other.locator("summary").click()
    other.get_by_label("这一条有什么问题？").fill("102室产权证上的面积是90.50平方米")
    screenshot(owner, "owners-register-objection-phone")
    other.get_by_role("button", name="提交异议").click()
    expect(owner.locator(".flash-success")).to_contain_text("您的异议已记录")
    expect(owner.locator(".entry", has_text="102")).to_contain_text("等待答复")
    assert owner.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    admin = browser.new_context(viewport=PHONE, base_url=live_server.url).new_page()
    sign_in(admin, "admin", "admin password")
    admin.goto(f"/ballots/{ballot_id}/register")
    expect(admin.locator(".meta")).to_contain_text("1条异议等待答复")
    settle = admin.locator("form.settle")
    settle.get_by_label("决定").select_option("upheld")
    settle.get_by_label("处理理由").fill("与不动产权证核对，面积应为90.50平方米")
    settle.get_by_label("更正后的面积（平方米）").fill("90.50")
    settle.get_by_role("button", name="处理异议").click()
    expect(admin.locator(".flash-success")).to_contain_text("异议已处理")
    entry = admin.locator(".entry", has_text="102")
    expect(entry).to_contain_text("90.50")
    expect(entry).to_contain_text("成立，已更正")

    owner.reload()
    expect(owner.locator(".entry", has_text="102")).to_contain_text("与不动产权证核对")


def test_an_owner_authorises_a_proxy_who_votes_for_them(browser, live_server, phone_page, e2e_database):
    ballot_id, suffix = _setup(e2e_database[0], "是否同意19号楼外墙保温改造？", open_it=True)
    owner = browser.new_context(viewport=PHONE, base_url=live_server.url).new_page()
    sign_in(owner, f"1391234{suffix}101", "owner password")
    owner.goto(f"/ballots/{ballot_id}")
    owner.locator(".owners-procedure").get_by_role("link", name="书面委托").click()
    owner.get_by_label("受托人：手机号或用户名").fill(f"1391234{suffix}999")
    owner.get_by_role("button", name="确认委托").click()
    expect(owner.locator(".flash-success")).to_contain_text("委托已生效")

    proxy = phone_page
    sign_in(proxy, f"1391234{suffix}999", "proxy password")
    proxy.goto(f"/ballots/{ballot_id}/proxies")
    held = proxy.locator(".held")
    expect(held).to_contain_text("周**")
    held.get_by_label("赞成", exact=True).check()
    screenshot(proxy, "owners-proxy-vote-phone")
    held.get_by_role("button", name="代该业主投票").click()
    expect(proxy.locator(".flash-success")).to_contain_text("由您代为投票")
    expect(proxy.locator(".held")).to_contain_text("该业主的票已投出")
    assert proxy.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    owner.goto(f"/ballots/{ballot_id}")
    expect(owner.locator(".voted")).to_contain_text("由周**代为投票")
    expect(owner.locator(".voted")).to_contain_text("赞成")
    # The one vote is taken: the owner has no voting form any more, and the proxy cannot be revoked.
    expect(owner.get_by_role("button", name="投票", exact=True)).to_have_count(0)
    owner.goto(f"/ballots/{ballot_id}/proxies")
    expect(owner.get_by_role("button", name="撤销")).to_have_count(0)
