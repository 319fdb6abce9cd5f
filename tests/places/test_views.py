import io

import pytest
from sqlalchemy import func, select

from consult.accounts.models import InviteCode, Role
from consult.extensions import db
from consult.places.models import Household, Place, Relation


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def signed_in_admin(client, auth, admin):
    auth.login("admin")
    return admin


def test_admin_adds_a_building_on_the_place_page(client, signed_in_admin, tree):
    response = client.post_form(f"/places/{tree.north.id}/children", {"kind": "building", "name": "7号楼"})
    assert response.status_code == 302
    assert db.session.scalar(select(Place).where(Place.name == "7号楼")).parent_id == tree.north.id


def test_wrong_child_kind_is_refused_and_nothing_saved(client, signed_in_admin, tree):
    before = count(Place)
    client.post_form(f"/places/{tree.north.id}/children", {"kind": "entrance", "name": "9单元"})
    assert count(Place) == before


def test_delete_place_with_children_shows_reason(client, signed_in_admin, tree):
    response = client.post_form(f"/places/{tree.b1.id}/delete", {"confirmed": "1"}, follow_redirects=True)
    assert response.status_code == 200
    assert db.session.get(Place, tree.b1.id) is not None
    assert "1号楼" in response.get_data(as_text=True)
    assert 'class="flash flash-error"' in response.get_data(as_text=True)


def test_unknown_place_is_404(client, signed_in_admin):
    response = client.get("/places/999999")
    assert response.status_code == 404
    assert "status-code" in response.get_data(as_text=True)


def test_unknown_place_is_a_json_404_for_the_api(client, signed_in_admin):
    response = client.get("/places/999999", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "http_404"


def test_import_page_reports_bad_rows_and_imports_nothing(client, signed_in_admin, tree):
    csv = "楼栋,单元,房号,面积,业主姓名,手机号\n3号楼,1单元,101,abc,王秀英,13912340001\n".encode("gb18030")
    before = count(Household), count(Place)
    response = client.post_form(f"/places/{tree.north.id}/import",
                                {"file": (io.BytesIO(csv), "list.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "<td class=\"num\">2</td>" in response.get_data(as_text=True)
    assert (count(Household), count(Place)) == before


def test_import_page_imports_a_good_file(client, signed_in_admin, tree):
    csv = "楼栋,单元,房号,面积,业主姓名,手机号\n3号楼,1单元,101,86.5,王秀英,13912340001\n".encode("utf-8-sig")
    response = client.post_form(f"/places/{tree.north.id}/import",
                                {"file": (io.BytesIO(csv), "list.csv")}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert count(Household) == 1


def test_import_refuses_other_file_types(client, signed_in_admin, tree):
    response = client.post_form(f"/places/{tree.north.id}/import",
                                {"file": (io.BytesIO(b"x"), "list.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert count(Household) == 0


def test_invite_sheet_makes_and_shows_codes(client, signed_in_admin, tree, make_household):
    make_household(tree.e1, "101")
    make_household(tree.e1, "102")
    client.post_form(f"/places/{tree.b1.id}/invites")
    codes = db.session.scalars(select(InviteCode.code)).all()
    page = client.get(f"/places/{tree.b1.id}/invites").get_data(as_text=True)
    assert len(codes) == 2 and all(code in page for code in codes)


def test_grid_worker_prints_invites_for_their_grid_only(client, auth, tree, make_household, make_user, admin):
    from consult.places import service as places

    grid = places.create_grid(tree.fc, "第一网格", [tree.b1.id], actor=admin)
    db.session.commit()
    make_user("网格员", username="gridworker", role=Role.grid_worker, grid=grid)
    auth.login("gridworker")
    assert client.get(f"/places/{tree.b1.id}/invites").status_code == 200
    assert client.get(f"/places/{tree.b2.id}/invites").status_code == 403


def test_household_page_masks_neighbours_for_a_resident(client, auth, tree, make_household, make_user):
    household = make_household(tree.e1, "101")
    make_user("王秀英", phone="13912345678", household=household)
    make_user("张建国", phone="13987654321", household=household, relation=Relation.family)
    auth.login("13912345678")
    text = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "王秀英" in text and "13912345678" in text      # themselves, in full
    assert "张建国" not in text and "张**" in text          # a co-member, masked
    assert "13987654321" not in text and "139****4321" in text


def test_household_page_shows_full_data_to_the_building_leader(client, auth, tree, make_household, make_user):
    household = make_household(tree.e1, "101")
    make_user("王秀英", phone="13912345678", household=household)
    make_user("楼门长", username="leader", role=Role.building_leader, place=tree.b1)
    auth.login("leader")
    text = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "王秀英" in text and "13912345678" in text


def test_other_households_are_closed_to_a_resident(client, auth, tree, make_household, make_user):
    mine, theirs = make_household(tree.e1, "101"), make_household(tree.e1, "102")
    make_user(phone="13912345678", household=mine)
    auth.login("13912345678")
    assert client.get(f"/households/{theirs.id}").status_code == 403


def test_overlong_household_room_refused(client, signed_in_admin, tree):
    client.post_form(f"/places/{tree.e1.id}/households", {"room": "9" * 21, "area": "80"})
    assert count(Household) == 0


def test_grant_role_on_place_page(client, signed_in_admin, tree, make_user):
    person = make_user("赵主持", phone="13900009999")
    client.post_form(f"/places/{tree.fc.id}/roles", {"login": "13900009999", "role": "moderator",
                                                      "organisation_id": ""})
    assert [g.role for g in person.grants] == [Role.moderator]


def test_grant_role_to_unknown_person_is_refused(client, signed_in_admin, tree):
    response = client.post_form(f"/places/{tree.fc.id}/roles", {"login": "13900000000", "role": "moderator",
                                                                 "organisation_id": ""}, follow_redirects=True)
    assert 'class="flash flash-error"' in response.get_data(as_text=True)


def test_audit_log_page_lists_changes(client, signed_in_admin, tree):
    client.post_form(f"/places/{tree.north.id}/children", {"kind": "building", "name": "7号楼"})
    text = client.get(f"/places/{tree.sub.id}/audit").get_data(as_text=True)
    assert "place.create" in text


def test_a_building_counts_the_households_of_its_entrances(client, signed_in_admin, tree, make_household):
    make_household(tree.e1, "101")
    make_household(tree.e2, "201")
    page = client.get(f"/places/{tree.b1.id}").get_data(as_text=True)
    assert 'id="household-count">(2)<' in page and "住户列在各单元下" in page and "暂无住户" not in page


def test_adding_a_household_says_what_comes_next(client, signed_in_admin, tree):
    page = client.post_form(f"/places/{tree.e1.id}/households", {"room": "301", "area": "88.5"},
                            follow_redirects=True).get_data(as_text=True)
    assert "已添加住户 301。下一步：添加成员或打印邀请码。" in page and "已保存" not in page
