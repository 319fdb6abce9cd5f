"""The demo area: 大屯街道 with the five communities of its north cluster (大屯北片区),
their compounds, buildings, entrances and a few hundred households, grids,
organisations, and one sign-in account for each role.

The area comes from a seeded generator, so it is the same every time; the passwords of
the sign-in accounts are random and printed once.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from .accounts import service as accounts
from .accounts.models import Organisation, OrganisationKind, Role, RoleGrant, User
from .accounts.passwords import hash_password
from .audit import service as audit
from .clock import travel_to, utcnow
from .extensions import db
from .conventions import service as conventions
from .conventions.models import ConventionKind
from .councils import service as councils
from .grids import service as reports
from .meetings import service as meetings
from .meetings.models import Meeting, MeetingForm, MeetingKind, MeetingState
from .motions import service as motions
from .places import service as places
from .permissions import community_of
from .places.models import Household, Place, PlaceKind, Relation
from .surveys import service as surveys
from .voting import service as voting
from .voting.models import Choice
from .surveys.models import AnswerScope, QuestionKind
from .visits import service as visits
from .visits.models import VisitOutcome
from .wishes import service as wishes

# community → compounds: (name, buildings, storeys, most entrances per building, flat sizes
# in m²). 嘉铭园B区 belongs to 融华嘉园社区 and 六王坟2号院 (old military housing, small
# five-storey blocks with one entrance) to 亚运新新家园社区, as the source articles tell.
AREA = {
    "富成花园社区": [("富成花园北区", 3, 6, 3, (89, 105, 128)), ("富成花园南区", 2, 6, 2, (72, 86, 98))],
    "嘉铭园社区": [("嘉铭园A区", 2, 9, 2, (110, 128, 145)), ("嘉铭园C区", 2, 6, 2, (98, 120, 160))],
    "融华嘉园社区": [("融华嘉园", 2, 6, 3, (76, 90, 108)), ("嘉铭园B区", 2, 6, 2, (86, 102))],
    "欧陆经典社区": [("欧陆经典", 3, 6, 4, (92, 118, 136))],
    "亚运新新家园社区": [("亚运新新家园", 2, 6, 2, (68, 82, 96)), ("六王坟2号院", 4, 5, 1, (55, 62, 70))],
}
# Fictitious companies; each compound signs its own contract.
PROPERTY_COMPANIES = ["北京恒安物业服务有限公司", "北京嘉诚物业管理有限公司", "北京华宇物业服务有限公司",
                      "北京瑞丰物业管理有限公司", "北京金盾物业服务有限公司", "北京鸿远物业管理有限公司",
                      "北京安泰物业服务有限公司", "北京鑫城物业管理有限公司", "北京康居物业服务有限公司"]
COMMITTEES = {"富成花园北区": "富成花园北区业主委员会", "欧陆经典": "欧陆经典业主委员会"}
DEPARTMENTS = ("城管执法队", "派出所", "消防救援站", "市场监管所")
ORDINALS = "一二三四五六七八九十"
LARGE_GRID_COMMUNITY = "富成花园社区"
# English labels: the console is not translated.
ROLE_NAMES = {
    Role.administrator: "Administrator", Role.moderator: "Moderator", Role.grid_worker: "Grid worker",
    Role.grid_leader: "Grid leader",
    Role.building_leader: "Building leader", Role.resident: "Resident",
    Role.property_manager: "Property manager", Role.committee_member: "Homeowners' committee member",
    Role.department_rep: "Department representative", Role.expert: "Expert",
}
# Common surnames appear more often, as they do on a real household list.
SURNAMES = "王王王李李李张张张刘刘陈陈杨杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈彭吕"
GIVEN = ("秀英", "建国", "桂兰", "玉兰", "志强", "淑珍", "海燕", "国华", "丽娟", "振华", "凤英", "德明",
         "文静", "子涵", "浩然", "雨桐", "明轩", "春梅", "建军", "晓东", "慧敏", "永刚", "玉堂", "荣田",
         "伟", "芳", "娜", "敏", "静", "磊", "军", "勇", "杰", "强", "霞", "平")
Q = Decimal("0.01")


@dataclass
class DemoResult:
    # (role label in English, login, password, where)
    accounts: list[tuple[str, str, str, str]] = field(default_factory=list)
    places: int = 0
    households: int = 0
    people: int = 0

    def summary(self) -> str:
        return (f"Demo area built: {self.places} places (1 subdistrict, {len(AREA)} communities), "
                f"{self.households} households, {self.people} people.")


class _People:
    """Plausible names and mobile numbers that are unique across the demo."""

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

    def listed(self) -> User:
        """Someone from the household list: no password until they register with a code."""
        user = User(name=self.name(), phone=self.phone())
        db.session.add(user)
        db.session.flush()
        return user


def build_demo(seed: int = 278) -> DemoResult:
    """Build the area inside the caller's transaction (flushes, never commits)."""
    rng = random.Random(seed)
    people = _People(rng)
    result = DemoResult()

    def password(role: Role, login: str, where: str) -> str:
        # Not from the seed: anyone can rerun the demo, nobody can recompute a password.
        pw = secrets.token_urlsafe(9)
        result.accounts.append((ROLE_NAMES[role], login, pw, where))
        return pw

    # Nobody can grant the first administrator a role: the row is written directly, and
    # recorded as the create-admin command records it. Everything after is done by admin.
    admin = User(name="系统管理员", username="admin", phone=people.phone(),
                 password_hash=hash_password(password(Role.administrator, "admin", "everywhere")))
    db.session.add(admin)
    db.session.add(RoleGrant(user=admin, role=Role.administrator))
    audit.record("account.create_admin", admin, actor=None)

    subdistrict = places.create_place(None, PlaceKind.subdistrict, "大屯街道", actor=admin)
    communities: dict[str, Place] = {}
    compounds: dict[str, Place] = {}
    first_building: dict[str, Place] = {}
    households: dict[str, list[Household]] = {}  # per community, in address order
    companies = rng.sample(PROPERTY_COMPANIES, k=sum(len(c) for c in AREA.values()))
    for community_name, layout in AREA.items():
        community = places.create_place(subdistrict, PlaceKind.community, community_name, actor=admin)
        communities[community_name] = community
        households[community_name] = []
        groups: list[list[Place]] = []
        for compound_name, building_count, storeys, most_entrances, sizes in layout:
            compound = places.create_place(community, PlaceKind.compound, compound_name, actor=admin)
            compounds[compound_name] = compound
            accounts.create_organisation(compound, OrganisationKind.property_company, companies.pop(),
                                         actor=admin)
            buildings = []
            for number in range(1, building_count + 1):
                building = places.create_place(compound, PlaceKind.building, f"{number}号楼", actor=admin)
                buildings.append(building)
                # Two flats per landing; a flat has the same area on every floor and in
                # every entrance of its building, as in a real slab block.
                areas = [(Decimal(rng.choice(sizes)) + Decimal(rng.randint(-300, 300)) / 100).quantize(Q)
                         for _ in (1, 2)]
                for e in range(1, rng.randint(1, most_entrances) + 1):
                    entrance = places.create_place(building, PlaceKind.entrance, f"{e}单元", actor=admin)
                    for floor in range(1, storeys + 1):
                        for flat, area in enumerate(areas, start=1):
                            households[community_name].append(
                                places.add_household(entrance, f"{floor}{flat:02d}", area, actor=admin))
            first_building[compound_name] = buildings[0]
            # Grids follow the compounds (院落网格); a lone compound is split in two.
            if len(layout) == 1:
                half = (len(buildings) + 1) // 2
                groups += [buildings[:half], buildings[half:]]
            else:
                groups.append(buildings)
        # 富成花园社区 draws one large grid (大网格) of its micro grids (微网格), as the
        # articles' "4 个大网格、11 个微网格".
        large = places.create_grid(community, "第一大网格", [], actor=admin) \
            if community_name == LARGE_GRID_COMMUNITY else None
        for i, group in enumerate(g for g in groups if g):
            name = f"第{ORDINALS[i]}微网格" if large is not None else f"第{ORDINALS[i]}网格"
            places.create_grid(community, name, [b.id for b in group], actor=admin, parent=large)

    # Two flats in 富成花园北区 1号楼 are kept for the resident and the building leader.
    home_building = first_building["富成花园北区"]
    home_entrance = home_building.children[0]
    resident_home = places.find_household(home_entrance, "302")
    leader_home = places.find_household(home_entrance, "101")

    # The household list: most flats have a listed owner, some owners hold a second flat
    # in the same community, a few flats have co-owners (the first stays the designated
    # voter), some a family member or tenant.
    for community_name, homes in households.items():
        owners: list[User] = []
        for household in homes:
            if household in (resident_home, leader_home) or rng.random() < 0.12:
                continue  # kept for an account below, or its owner is not on the list yet
            if owners and rng.random() < 0.06:
                owner = rng.choice(owners)
            else:
                owner = people.listed()
                owners.append(owner)
            places.attach_member(household, owner, Relation.owner, actor=admin)
            roll = rng.random()
            for limit, relation in ((0.07, Relation.owner), (0.19, Relation.family), (0.28, Relation.tenant)):
                if roll < limit:
                    places.attach_member(household, people.listed(), relation, actor=admin)
                    break

    committees = {name: accounts.create_organisation(compounds[compound], OrganisationKind.owners_committee,
                                                     name, actor=admin)
                  for compound, name in COMMITTEES.items()}
    departments = {name: accounts.create_organisation(subdistrict, OrganisationKind.department, f"大屯{name}",
                                                      actor=admin) for name in DEPARTMENTS}
    accounts.create_organisation(subdistrict, OrganisationKind.social_organisation, "大屯社区志愿者协会",
                                 actor=admin)

    def account(role: Role, login: str, name: str, where: str, *, place=None, household=None) -> User:
        user, _ = accounts.create_account(actor=admin, name=name, phone=people.phone(), username=login,
                                          password=password(role, login, where), household=household,
                                          place=place)
        return user

    def role_account(role: Role, login: str, name: str, *, place=None, grid=None, organisation=None,
                     title=None, household=None) -> User:
        where = place.full_name if place is not None else f"{grid.community.name} {grid.name}"
        user = account(role, login, name, where, household=household,
                       place=place if place is not None else grid.community)
        if organisation is not None:
            accounts.add_organisation_member(organisation, user, actor=admin, title=title)
        accounts.grant_role(user, role, actor=admin, place=place, grid=grid, organisation=organisation)
        return user

    fucheng = communities["富成花园社区"]
    north = compounds["富成花园北区"]
    home_grid = reports.grid_for(home_building)
    company = db.session.scalar(select(Organisation).where(
        Organisation.place_id == north.id, Organisation.kind == OrganisationKind.property_company))

    moderator = role_account(Role.moderator, "moderator", "李书记", place=fucheng)
    grid_worker = role_account(Role.grid_worker, "gridworker", "张网格", grid=home_grid)
    grid_leader = role_account(Role.grid_leader, "gridleader", "刘网格长", grid=home_grid.parent)
    # 楼门长 are neighbours: the leader owns a flat in the building they lead.
    leader = role_account(Role.building_leader, "leader", "赵凤英", place=home_building, household=leader_home)
    role_account(Role.property_manager, "property", "孙经理", place=north, organisation=company, title="项目经理")
    role_account(Role.committee_member, "committee", "周主任", place=north,
                 organisation=committees["富成花园北区业主委员会"], title="主任")
    role_account(Role.department_rep, "department", "吴队长", place=subdistrict,
                 organisation=departments["城管执法队"], title="队长")
    role_account(Role.expert, "expert", "郑律师", place=subdistrict)
    # The resident holds no role: owning a flat makes them a resident of its building.
    resident = account(Role.resident, "resident", "王秀英", resident_home.address, household=resident_home)
    build_practice(home_building, moderator=moderator, grid_worker=grid_worker, leader=leader, resident=resident,
                   rng=rng)
    build_reports(home_building, grid_worker=grid_worker, grid_leader=grid_leader, resident=resident,
                  company=company)
    build_organisations(fucheng, home_building, admin=admin, moderator=moderator, leader=leader,
                        grid=home_grid, departments=list(departments.values()))
    build_councils(fucheng, north, moderator=moderator,
                   parties=[company, committees["富成花园北区业主委员会"]])
    build_convention(home_building, moderator=moderator)

    result.places = db.session.scalar(select(func.count()).select_from(Place))
    result.households = db.session.scalar(select(func.count()).select_from(Household))
    result.people = db.session.scalar(select(func.count()).select_from(User))
    return result


def build_practice(building: Place, *, moderator: User, grid_worker: User, leader: User, resident: User,
                   rng: random.Random) -> None:
    """A few visits in the resident's building (敲门行动), one needs survey with answers
    (需求征集) and two small wishes (微心愿), one of them claimed by the building leader."""
    homes = [h for h in db.session.scalars(select(Household).join(Place).where(
        Place.path.startswith(building.path)).order_by(Household.id)) if h.members]
    heard = [("楼道声控灯坏了，晚上上下楼看不清。", VisitOutcome.follow_up),
             ("老人腿脚不便，想问问社区助餐点在哪里。", VisitOutcome.settled),
             ("", VisitOutcome.nobody_home),
             ("一切都好，希望小区多安排些健身器材。", VisitOutcome.nothing)]
    now = utcnow()
    for day, (home, (words, outcome)) in enumerate(zip(homes, heard), start=1):
        visits.log_visit(home, actor=grid_worker, visited_at=now - timedelta(days=day * 3, hours=2), heard=words,
                         outcome=outcome)

    community = community_of(building)
    survey = surveys.create_survey(community, actor=moderator, title="社区服务需求征集",
                                   description="请告诉我们您最需要的服务，我们会据此安排下半年的为民服务项目。",
                                   scope=AnswerScope.household)
    need = surveys.add_question(survey, actor=moderator, kind=QuestionKind.single, prompt="您家最需要哪项服务？",
                                options=["老年助餐", "上门理发", "家电维修", "儿童托管"])
    times = surveys.add_question(survey, actor=moderator, kind=QuestionKind.multiple,
                                 prompt="哪些时间方便参加活动？", options=["工作日上午", "工作日晚上", "周末"])
    rating = surveys.add_question(survey, actor=moderator, kind=QuestionKind.scale, prompt="您对物业服务的满意度")
    words = surveys.add_question(survey, actor=moderator, kind=QuestionKind.text, prompt="其他意见和建议")
    surveys.open_survey(survey, actor=moderator)
    for home in homes[:12]:
        surveys.answer_survey(survey, actor=home.members[0].user, answers={
            need.id: str(rng.randrange(4)), times.id: [str(i) for i in range(3) if rng.random() < 0.5] or ["2"],
            rating.id: str(rng.choice((3, 4, 4, 5, 5, 2))), words.id: ""})

    wishes.post_wish(resident.memberships[0].household.place, actor=resident, title="想学用智能手机挂号",
                     body="孩子不在身边，想请人教一教怎么在手机上预约挂号。")
    claimed = wishes.post_wish(resident.memberships[0].household.place, actor=resident, title="想请人帮忙换个灯泡",
                               body="厨房的灯坏了，自己够不着。")
    wishes.change_wish(claimed, "claim", actor=leader)


def build_reports(building: Place, *, grid_worker: User, grid_leader: User, resident: User,
                  company: Organisation) -> None:
    """The chain 群众报单—网格员承单—部门接单 in the resident's building: one report settled on
    the spot, one sent on to the property company, one nobody took up in time (it went to
    the grid leader), and one waiting for the grid worker."""
    place = resident.memberships[0].household.place
    now = utcnow()
    with travel_to(now - timedelta(days=6)):
        lamp = reports.raise_report(place, actor=resident, title="楼道声控灯不亮", body="三楼到四楼之间的灯坏了。")
    with travel_to(now - timedelta(days=6) + timedelta(minutes=40)):
        reports.settle_report(lamp, actor=grid_worker, outcome="已联系电工更换灯泡，当天修好。")
    with travel_to(now - timedelta(days=3)):
        door = reports.raise_report(place, actor=resident, title="单元门禁坏了", body="刷卡开不了门，外人随便进。")
    with travel_to(now - timedelta(days=3) + timedelta(hours=1)):
        reports.accept_report(door, actor=grid_worker)
        reports.dispatch_report(door, actor=grid_worker, organisations=[company], note="门禁属物业维保范围，请尽快修复。")
    with travel_to(now - timedelta(hours=6)):
        reports.raise_report(place, actor=resident, title="楼下有车长期占用消防通道")
    reports.escalate_late_reports()
    reports.raise_report(place, actor=resident, title="垃圾桶满了没人清")


def build_organisations(community: Place, building: Place, *, admin: User, moderator: User, leader: User, grid,
                        departments: list[Organisation]) -> None:
    """The Party organisations of 富成花园社区 — its committee (the moderator, as secretary),
    the grid's branch and the building's group, whose leader shows her membership (党员亮身份)
    — the community's 1+5+N roster, and two partners (社区合伙人)."""
    committee = accounts.create_organisation(community, OrganisationKind.party_committee, "富成花园社区党委",
                                             actor=admin)
    accounts.add_organisation_member(committee, moderator, actor=admin, title="书记")
    compound = building.parent
    branch = accounts.create_organisation(compound, OrganisationKind.party_branch, f"{grid.name}党支部",
                                          actor=admin)
    group = accounts.create_organisation(building, OrganisationKind.party_group, f"{building.name}党小组",
                                         actor=admin)
    accounts.add_organisation_member(branch, leader, actor=admin)
    member = accounts.add_organisation_member(group, leader, actor=admin, title="组长")
    db.session.flush()
    accounts.set_public_identity(member, True, actor=leader)
    # 1+5+N: the community, with law enforcement, police, fire and market supervision.
    motions.set_standing_responders(community, departments, actor=moderator)
    clinic = accounts.create_organisation(community, OrganisationKind.business, "康宁社区诊所", actor=admin)
    volunteers = db.session.scalar(select(Organisation).where(Organisation.name == "大屯社区志愿者协会"))
    accounts.register_partner(community, clinic, actor=moderator, offer="每月第一个周六上午义诊，测血压血糖")
    accounts.register_partner(community, volunteers, actor=moderator, offer="助老陪诊、上门理发、教老人用智能手机")


def build_councils(community: Place, compound: Place, *, moderator: User, parties: list[Organisation]) -> None:
    """月月有协商 in 富成花园社区 since five months, every meeting held; 三方联席会 of 富成花园北区
    since seven months, whose meeting of the last quarter was called off (the place page
    warns of it). Each occurrence is scheduled ahead as the server's loop would."""
    now = utcnow()
    with travel_to(now - timedelta(days=150)):
        monthly = councils.create_series(community, actor=moderator, title="富成花园社区月度议事会",
                                         kind=MeetingKind.circle, cadence_months=1, day_of_month=10,
                                         local_time="19:30", form=MeetingForm.in_person,
                                         location="社区党群服务中心议事厅", organisations=parties,
                                         invite_residents=False)
    with travel_to(now - timedelta(days=200)):
        three = councils.create_series(compound, actor=moderator, title="富成花园北区三方联席会",
                                       kind=MeetingKind.three_party, cadence_months=3, day_of_month=20,
                                       local_time="15:00", form=MeetingForm.in_person, location="北区物业服务中心",
                                       organisations=parties, invite_residents=False)
    moment = now - timedelta(days=200)
    while moment < now:
        with travel_to(moment):
            councils.schedule_due_occurrences()
        moment += timedelta(days=5)
    councils.schedule_due_occurrences()
    missed = councils.period_of(now, three.cadence_months) - 1
    past = db.session.scalars(select(Meeting).where(Meeting.series_id.in_((monthly.id, three.id)),
                                                    Meeting.state == MeetingState.scheduled, Meeting.starts_at < now)
                              .order_by(Meeting.starts_at)).all()
    for meeting in past:
        if meeting.series_id == three.id and councils.period_of(meeting.starts_at, 3) == missed:
            with travel_to(meeting.starts_at - timedelta(days=1)):
                meetings.cancel(meeting, actor=moderator, reason="物业项目经理更换，会议未能如期召开。")
            continue
        with travel_to(meeting.starts_at):
            meetings.change_state(meeting, "start", actor=moderator)
        with travel_to(meeting.starts_at + timedelta(minutes=90)):
            meetings.change_state(meeting, "end", actor=moderator)


BUILDING_CONVENTION = """第一条 爱护楼道环境，不在楼道、楼梯间堆放杂物和停放电动自行车。
第二条 垃圾分类投放，不高空抛物。
第三条 晚十点后不在室内大声喧哗，装修在规定时间内进行。
第四条 邻里互助，关心楼内独居老人。
第五条 本公约经本楼住户表决通过后施行，修订亦同。"""


def build_convention(building: Place, *, moderator: User) -> None:
    """楼栋公约 of the resident's building: drafted, adopted by the households' ballot and
    published with its hash; an amendment (文明养犬) drafted and open for comments."""
    convention = conventions.draft_convention(building, actor=moderator, kind=ConventionKind.residents,
                                              title=f"{building.name}楼栋公约", body=BUILDING_CONVENTION)
    version = convention.pending
    conventions.put_to_vote(version, actor=moderator)
    homes = [h for h in db.session.scalars(select(Household).join(Place).where(
        Place.path.startswith(building.path)).order_by(Household.id)) if h.members]
    for n, home in enumerate(homes[:10]):
        voting.cast(version.ballot, actor=home.members[0].user, choice=Choice.no if n % 5 == 4 else Choice.yes)
    voting.close_ballot(version.ballot, actor=moderator, reason="表决期内已收回过半住户的表决票")
    conventions.amend(convention, actor=moderator, body=BUILDING_CONVENTION + "\n第六条 文明养犬，出门拴绳，及时清理粪便。",
                      reason="多位住户提出增加文明养犬条款")
