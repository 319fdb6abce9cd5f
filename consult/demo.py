"""The demo area: 大屯街道 with the five communities of its north cluster (大屯北片区),
their compounds, buildings, entrances and a few hundred households, grids,
organisations, and one sign-in account for each role.

Households and owners come from a seeded generator, so the area is the same every time;
passwords are random and printed once.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from .accounts import service as accounts
from .accounts.models import OrganisationKind, Role, RoleGrant, User
from .accounts.passwords import hash_password
from .extensions import db
from .places import service as places
from .places.models import Grid, Household, Place, PlaceKind, Relation

# community → compounds → number of buildings in each
AREA = {
    "富成花园社区": {"富成花园北区": 3, "富成花园南区": 2},
    "嘉铭园社区": {"嘉铭园一期": 3, "嘉铭园二期": 2},
    "融华嘉园社区": {"融华嘉园": 3},
    "欧陆经典社区": {"欧陆经典东院": 2, "欧陆经典西院": 2},
    "亚运新新家园社区": {"亚运新新家园朗月园": 2, "亚运新新家园明月园": 2},
}
# English names in the printed list: the console is not translated.
ROLE_NAMES = {
    Role.moderator: "Moderator", Role.grid_worker: "Grid worker", Role.building_leader: "Building leader",
    Role.property_manager: "Property manager", Role.committee_member: "Homeowners' committee member",
    Role.department_rep: "Department representative", Role.expert: "Expert",
}
DEPARTMENTS = ("城管执法队", "派出所", "消防救援站", "市场监管所")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ("秀英", "建国", "桂兰", "玉兰", "志强", "淑珍", "海燕", "国华", "丽娟", "振华", "凤英",
         "德明", "文静", "子涵", "浩然", "雨桐", "明轩", "春梅", "建军", "晓东", "慧敏", "永刚")


@dataclass
class DemoResult:
    accounts: list[tuple[str, str, str, str]] = field(default_factory=list)
    places: int = 0
    households: int = 0
    people: int = 0

    def summary(self) -> str:
        return (f"Demo area built: {self.places} places, {self.households} households, "
                f"{self.people} people.")


class _People:
    """Plausible names and unique mobile numbers."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.phones: set[str] = set()

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def phone(self) -> str:
        while True:
            phone = self.rng.choice(("13", "15", "18")) + f"{self.rng.randrange(10**9):09d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone


def _account(result: DemoResult, people: _People, *, role_label: str, username: str, name: str,
             where: str) -> User:
    password = secrets.token_urlsafe(9)
    user = User(name=name, username=username, phone=people.phone(), password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    result.accounts.append((role_label, username, password, where))
    return user


def build_demo(seed: int = 278) -> DemoResult:
    """Build the area inside the caller's transaction."""
    rng = random.Random(seed)
    people = _People(rng)
    result = DemoResult()

    # Nobody can grant the first administrator a role: it is written directly.
    admin = _account(result, people, role_label="Administrator", username="admin", name="系统管理员",
                     where="everywhere")
    db.session.add(RoleGrant(user=admin, role=Role.administrator))
    db.session.flush()

    subdistrict = places.create_place(None, PlaceKind.subdistrict, "大屯街道", actor=admin)
    communities: dict[str, Place] = {}
    buildings_of: dict[str, list[Place]] = {}
    households: list[Household] = []
    owners: list[User] = []
    for community_name, compounds in AREA.items():
        community = places.create_place(subdistrict, PlaceKind.community, community_name, actor=admin)
        communities[community_name] = community
        buildings_of[community_name] = []
        number = 0
        for compound_name, building_count in compounds.items():
            compound = places.create_place(community, PlaceKind.compound, compound_name, actor=admin)
            for _ in range(building_count):
                number += 1
                building = places.create_place(compound, PlaceKind.building, f"{number}号楼", actor=admin)
                buildings_of[community_name].append(building)
                # Older six-storey blocks: two flats per landing, one typical size each.
                typical = Decimal(rng.choice((58, 72, 86, 98, 120)))
                for e in range(1, rng.randint(2, 3) + 1):
                    entrance = places.create_place(building, PlaceKind.entrance, f"{e}单元", actor=admin)
                    for floor in range(1, 7):
                        for flat in (1, 2):
                            area = (typical + Decimal(rng.randint(-600, 600)) / 100).quantize(Decimal("0.01"))
                            household = places.add_household(entrance, f"{floor}0{flat}", area, actor=admin)
                            households.append(household)
        places.create_grid(community, "第一网格", [b.id for b in buildings_of[community_name][::2]], actor=admin)
        second = buildings_of[community_name][1::2]
        if second:
            places.create_grid(community, "第二网格", [b.id for b in second], actor=admin)

    # Owners: most households have one; some own two flats; a few flats have co-owners;
    # some have a family member or a tenant. None has a password yet.
    for household in households:
        roll = rng.random()
        if roll < 0.15:
            continue  # owner not yet on the list
        if roll < 0.22 and owners:
            owner = rng.choice(owners)  # a second flat of an owner
        else:
            owner = User(name=people.name(), phone=people.phone())
            db.session.add(owner)
            db.session.flush()
            owners.append(owner)
        places.attach_member(household, owner, Relation.owner, actor=admin)
        extra = rng.random()
        if extra < 0.08:
            kind = Relation.owner  # a co-owner
        elif extra < 0.20:
            kind = Relation.family
        elif extra < 0.28:
            kind = Relation.tenant
        else:
            continue
        other = User(name=people.name(), phone=people.phone())
        db.session.add(other)
        db.session.flush()
        places.attach_member(household, other, kind, actor=admin)

    fucheng = communities["富成花园社区"]
    north = next(c for c in fucheng.children if c.name == "富成花园北区")
    first_building = buildings_of["富成花园社区"][0]

    company = accounts.create_organisation(north, OrganisationKind.property_company,
                                           "北京富成物业服务有限公司", actor=admin)
    south = next(c for c in fucheng.children if c.name == "富成花园南区")
    accounts.create_organisation(south, OrganisationKind.property_company, "北京安居物业管理有限公司", actor=admin)
    committee = accounts.create_organisation(north, OrganisationKind.owners_committee, "富成花园北区业主委员会",
                                             actor=admin)
    departments = {name: accounts.create_organisation(subdistrict, OrganisationKind.department, f"大屯{name}",
                                                      actor=admin) for name in DEPARTMENTS}
    accounts.create_organisation(subdistrict, OrganisationKind.social_organisation, "大屯社区志愿者协会",
                                 actor=admin)

    def role_account(role: Role, username: str, name: str, *, place=None, grid=None, organisation=None,
                     title=None) -> User:
        where = place.full_name if place is not None else grid.name
        user = _account(result, people, role_label=ROLE_NAMES[role], username=username, name=name, where=where)
        if organisation is not None:
            accounts.add_organisation_member(organisation, user, actor=admin, title=title)
        accounts.grant_role(user, role, actor=admin, place=place, grid=grid, organisation=organisation)
        return user

    grid = db.session.scalar(select(Grid).where(Grid.community_id == fucheng.id, Grid.name == "第一网格"))
    role_account(Role.moderator, "moderator", "李书记", place=fucheng)
    role_account(Role.grid_worker, "gridworker", "张网格", grid=grid)
    role_account(Role.building_leader, "leader", "赵楼长", place=first_building)
    role_account(Role.property_manager, "property", "孙经理", place=north, organisation=company, title="项目经理")
    role_account(Role.committee_member, "committee", "周主任", place=north, organisation=committee, title="主任")
    role_account(Role.department_rep, "department", "吴队长", place=subdistrict,
                 organisation=departments["城管执法队"], title="队长")
    role_account(Role.expert, "expert", "郑律师", place=subdistrict)

    # The resident signs in as the owner of a flat in 富成花园北区 1号楼.
    resident_home = first_building.children[0].households[2]
    resident = _account(result, people, role_label="Resident", username="resident", name="王秀英",
                        where=resident_home.address)
    places.attach_member(resident_home, resident, Relation.owner, actor=admin)

    result.places = db.session.scalar(select(func.count()).select_from(Place))
    result.households = len(households)
    result.people = db.session.scalar(select(func.count()).select_from(User))
    return result
