"""The pages of the owners' procedure, as owners and staff use them."""
import io
from datetime import timedelta

from PIL import Image
from sqlalchemy import select

from consult import clock
from consult.database import unit_of_work
from consult.extensions import db
from consult.owners import service as owners
from consult.owners.models import ObjectionState, Proxy, RegisterObjection
from consult.voting import service as voting

from .conftest import T0, draft


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    return out.getvalue()


def login(auth, user):
    return auth.login(user.phone)


def test_moderator_publishes_and_owner_objects_on_the_page(client, auth, tree, moderator, administrator, building):
    ballot = draft(tree, moderator)
    moderator.username = "moderator"
    administrator.username = "admin2"
    db.session.commit()
    auth.login("moderator")
    page = client.post_form(f"/ballots/{ballot.id}/register/publish", follow_redirects=True).get_data(as_text=True)
    assert "名册已向业主公示" in page and "赵大山" in page          # staff read every name
    auth.logout()
    owner = building.owners[0]
    login(auth, owner)
    page = client.get(f"/ballots/{ballot.id}/register").get_data(as_text=True)
    assert "王秀英" in page and "赵**" in page and "赵大山" not in page
    entry = next(e for e in owners.register_of(ballot).entries if e.household.room == "102")
    page = client.post_form(f"/ballots/{ballot.id}/register/entries/{entry.id}/object",
                            {"reason": "102面积应为86.20"}, follow_redirects=True).get_data(as_text=True)
    assert "您的异议已记录" in page
    auth.logout()
    auth.login("admin2")
    objection = db.session.scalar(select(RegisterObjection))
    client.post_form(f"/ballots/{ballot.id}/register/objections/{objection.id}/settle",
                     {"decision": "upheld", "answer": "核对产权证", "area": "86.20"})
    db.session.refresh(objection)
    assert objection.state is ObjectionState.upheld and str(entry.area) == "86.20"


def test_a_resident_of_another_community_sees_no_register(client, auth, tree, moderator, building, make_user,
                                                          make_household):
    ballot = draft(tree, moderator)
    with unit_of_work():
        owners.publish_register(ballot, actor=moderator)
    stranger = make_user("外人", household=make_household(tree.jb, "101"))
    login(auth, stranger)
    assert client.get(f"/ballots/{ballot.id}/register").status_code == 404


def test_notice_page_log_and_posting(app, client, auth, tree, moderator, building):
    ballot = draft(tree, moderator)
    with unit_of_work():
        owners.publish_register(ballot, actor=moderator)
    moderator.username = "moderator"
    db.session.commit()
    auth.login("moderator")
    page = client.post_form(f"/ballots/{ballot.id}/notice", {"matter": "更换1号楼电梯"},
                            follow_redirects=True).get_data(as_text=True)
    assert "公告已发给每位业主" in page and "更换1号楼电梯" in page and "以上都不选" not in page
    page = client.get(f"/ballots/{ballot.id}/notice/log").get_data(as_text=True)
    assert page.count("未送达：请张贴公告") == 3
    response = client.post_form(f"/ballots/{ballot.id}/notice/log", {
        "place": str(tree.e1.id), "spot": "1单元公告栏", "posted_at": "2026-03-02T09:30",
        "photo": (io.BytesIO(photo()), "wall.png")}, content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "张贴记录及照片已保存" in page and page.count("未送达：请张贴公告") == 1


def test_proxy_authorised_on_the_page_votes_for_the_owner(client, auth, tree, moderator, building, make_user):
    ballot = draft(tree, moderator)
    with unit_of_work():
        owners.publish_register(ballot, actor=moderator)
    with unit_of_work():
        owners.publish_notice(ballot, actor=moderator, matter="更换电梯")
    son = make_user("王小明")
    owner = building.owners[0]
    login(auth, owner)
    page = client.post_form(f"/ballots/{ballot.id}/proxies", {"which": "mine", "mine-proxy": son.phone,
                                                             "mine-scope": "ballot"},
                            follow_redirects=True).get_data(as_text=True)
    assert "委托已生效" in page
    assert db.session.scalar(select(Proxy)).proxy_id == son.id
    auth.logout()
    clock.set_now(T0 + timedelta(days=20))
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)
    login(auth, son)
    page = client.get(f"/ballots/{ballot.id}/proxies").get_data(as_text=True)
    assert "代该业主投票" in page
    page = client.post_form(f"/ballots/{ballot.id}/proxies/{owner.id}/cast", {"choice": "yes"},
                            follow_redirects=True).get_data(as_text=True)
    assert "由您代为投票" in page
    auth.logout()
    login(auth, owner)
    page = client.get(f"/ballots/{ballot.id}").get_data(as_text=True)
    assert "由王**代为投票" in page          # a name the owner reads masked, as every resident does


def test_a_proxy_living_elsewhere_reads_the_ballot_and_finds_the_votes_held(client, auth, tree, moderator,
                                                                            building, make_user, make_household):
    ballot = draft(tree, moderator)
    with unit_of_work():
        owners.publish_register(ballot, actor=moderator)
    with unit_of_work():
        owners.publish_notice(ballot, actor=moderator, matter="更换电梯")
    daughter = make_user("王小红", household=make_household(tree.jb, "501"))   # another community
    clock.set_now(T0 + timedelta(days=20))
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)
    login(auth, daughter)
    assert client.get(f"/ballots/{ballot.id}").status_code == 404
    with unit_of_work():
        owners.authorise_proxy(tree.b1, building.owners[0], actor=building.owners[0], proxy=daughter.phone,
                               ballot=ballot)
    page = client.get(f"/ballots/{ballot.id}").get_data(as_text=True)
    assert "代委托您的业主投票（1）" in page and "业主名册" not in page
    assert client.get(f"/ballots/{ballot.id}/register").status_code == 404


def test_owner_binds_a_certificate_and_a_moderator_approves_it(app, client, auth, tree, moderator, building):
    app.config["OWNERS_CERTIFICATE_BINDING"] = True
    unit, owner = building.units[0], building.owners[0]
    unit.certificate_number = "C-101"
    db.session.commit()
    login(auth, owner)
    page = client.post_form("/owners/certificate", {"household": str(unit.id), "number": "C-101"},
                            follow_redirects=True).get_data(as_text=True)
    assert "工作人员将与名册核对证号" in page and "等待审核" in page
    auth.logout()
    moderator.username = "moderator"
    db.session.commit()
    auth.login("moderator")
    page = client.get(f"/places/{tree.b1.id}/certificates").get_data(as_text=True)
    assert "与名册一致" in page and "C-101" in page
    from consult.owners.models import CertificateClaim, ClaimState

    claim = db.session.scalar(select(CertificateClaim))
    client.post_form(f"/owners/certificates/{claim.id}/review", {"approve": "1"})
    db.session.refresh(claim)
    assert claim.state is ClaimState.approved


def test_the_delivery_log_is_for_staff_only(client, auth, tree, moderator, building, make_user):
    from consult.accounts.models import Role

    ballot = draft(tree, moderator)
    with unit_of_work():
        owners.publish_register(ballot, actor=moderator)
    with unit_of_work():
        owners.publish_notice(ballot, actor=moderator, matter="更换电梯")
    grid = make_user("网格员", role=Role.grid_worker, place=tree.b1)
    login(auth, building.owners[0])
    assert client.get(f"/ballots/{ballot.id}/notice").status_code == 200
    assert client.get(f"/ballots/{ballot.id}/notice/log").status_code == 403
    auth.logout()
    login(auth, grid)
    page = client.get(f"/ballots/{ballot.id}/notice/log").get_data(as_text=True)
    assert "公告送达记录" in page and "王秀英" in page
