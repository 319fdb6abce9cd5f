import io
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from consult.accounts.models import User
from consult.database import unit_of_work
from consult.extensions import db
from consult.places.importer import ImportRejected, import_households
from consult.places.models import Household, HouseholdMember, Place

CSV = (
    "楼栋,单元,房号,面积,业主姓名,手机号\n"
    "3号楼,1单元,101,86.50,王秀英,13912340001\n"
    "3号楼,1单元,102,72.3,张建国,13912340002\n"
    "3号楼,2单元,201,120,王秀英,13912340001\n"
    "4号楼,,301,55.00,,\n"
)


def counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (Place, Household, User, HouseholdMember))


def run(place, data: bytes, actor, filename="households.csv"):
    with unit_of_work():
        return import_households(place, filename, data, actor=actor)


def test_import_creates_buildings_entrances_households_and_owners(tree, admin):
    report = run(tree.north, CSV.encode("utf-8"), admin)
    assert report.households_created == 4
    assert report.places_created == 4  # 3号楼, its two entrances, 4号楼
    assert report.owners_created == 2 and report.owners_linked == 3
    owner = db.session.scalar(select(User).where(User.phone == "13912340001"))
    assert owner.password_hash is None
    assert sorted(h.room for h in owner.households) == ["101", "201"]
    h = db.session.scalar(select(Household).where(Household.room == "102"))
    assert h.area == Decimal("72.30") and h.place.name == "1单元" and h.place.parent.name == "3号楼"
    assert db.session.scalar(select(Household).where(Household.room == "301")).place.name == "4号楼"


def test_reimport_changes_nothing(tree, admin):
    run(tree.north, CSV.encode("utf-8"), admin)
    before = counts()
    report = run(tree.north, CSV.encode("utf-8"), admin)
    assert counts() == before
    assert not report.changed and report.households_unchanged == 4


def test_reimport_with_a_new_area_updates_it(tree, admin):
    run(tree.north, CSV.encode("utf-8"), admin)
    report = run(tree.north, CSV.replace("72.3", "73.10").encode("utf-8"), admin)
    assert report.households_updated == 1
    assert db.session.scalar(select(Household).where(Household.room == "102")).area == Decimal("73.10")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "gbk"])
def test_chinese_encodings_are_read(tree, admin, encoding):
    run(tree.north, CSV.encode(encoding), admin)
    assert db.session.scalar(select(User.name).where(User.phone == "13912340002")) == "张建国"


def test_english_headers_and_xlsx(tree, admin):
    wb = Workbook()
    ws = wb.active
    ws.append(["building", "entrance", "room", "area", "owner_name", "phone"])
    ws.append(["5号楼", "1单元", 101, 66.5, "刘芳", 13912340009])
    buffer = io.BytesIO()
    wb.save(buffer)
    report = run(tree.north, buffer.getvalue(), admin, filename="list.xlsx")
    assert report.households_created == 1
    assert db.session.scalar(select(User.name).where(User.phone == "13912340009")) == "刘芳"


def test_bad_rows_reject_the_whole_file_with_a_report(tree, admin):
    bad = (
        "楼栋,单元,房号,面积,业主姓名,手机号\n"
        "3号楼,1单元,101,86.50,王秀英,13912340001\n"   # fine
        "3号楼,1单元,102,-5,张建国,13912340002\n"      # area
        "3号楼,1单元,,70,李四,13912340003\n"           # room missing
        "3号楼,1单元,101,70,赵五,1391234\n"            # duplicate room, bad phone
        "3号楼,1单元,105,70,钱六,13912340001\n"        # phone of another name
    )
    before = counts()
    with pytest.raises(ImportRejected) as rejected:
        run(tree.north, bad.encode("utf-8"), admin)
    lines = sorted({line for line, _ in rejected.value.errors})
    assert lines == [3, 4, 5, 6]
    assert counts() == before


def test_missing_columns_rejected(tree, admin):
    with pytest.raises(ImportRejected) as rejected:
        run(tree.north, "楼栋,房号\n3号楼,101\n".encode(), admin)
    assert rejected.value.errors[0][0] == 1


def test_phone_registered_to_another_name_rejected(tree, admin, make_user):
    make_user("陈先生", phone="13912340001")
    before = counts()
    with pytest.raises(ImportRejected):
        run(tree.north, CSV.encode("utf-8"), admin)
    assert counts() == before


def test_undecodable_file_rejected(tree, admin):
    from consult.errors import InvalidInput

    with pytest.raises(InvalidInput):
        run(tree.north, b"\xff\xfe\x00\x00\x81\x30", admin)


def test_import_into_building_checks_the_building_name(tree, admin):
    data = "楼栋,房号,面积\n1号楼,901,80\n2号楼,902,80\n".encode()
    before = counts()
    with pytest.raises(ImportRejected):
        run(tree.b1, data, admin)
    assert counts() == before
