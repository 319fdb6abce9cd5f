import hashlib

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from consult.conventions import service as conventions
from consult.conventions.models import ConventionKind, VersionState
from consult.database import unit_of_work
from consult.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from consult.extensions import db
from consult.notifications.models import Notification
from consult.voting import service as voting
from consult.voting.models import Choice

TEXT = "第一条 爱护公共环境，不在楼道堆放杂物。\n第二条 邻里和睦，互谅互让。  "


def do(operation, *args, **kwargs):
    with unit_of_work():
        return operation(*args, **kwargs)


def adopt(area, version, yes=2):
    do(conventions.put_to_vote, version, actor=area.moderator)
    for n, resident in enumerate(area.residents):
        do(voting.cast, version.ballot, actor=resident, choice=Choice.yes if n < yes else Choice.no)
    do(voting.close_ballot, version.ballot, actor=area.moderator, reason="全部住户已投票")


def test_a_convention_is_drafted_adopted_by_ballot_and_published_with_its_hash(area, tree):
    convention = do(conventions.draft_convention, tree.fc, actor=area.moderator, kind=ConventionKind.residents,
                    title="富成花园社区居民公约", body=TEXT)
    draft = convention.pending
    assert draft.number == 1 and draft.state is VersionState.draft and convention.in_force is None
    adopt(area, draft)
    assert draft.state is VersionState.adopted and convention.in_force == draft
    canonical = "富成花园社区居民公约\nv1\n\n第一条 爱护公共环境，不在楼道堆放杂物。\n第二条 邻里和睦，互谅互让。\n"
    assert draft.sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "convention.adopted")).all()
    assert set(told) == {r.id for r in area.residents}
    assert conventions.conventions_in(tree.e1) == [convention] and conventions.conventions_in(tree.jm) == []


def test_a_convention_voted_down_is_not_in_force(area, tree):
    convention = do(conventions.draft_convention, tree.fc, actor=area.moderator, kind=ConventionKind.procedure,
                    title="议事规则", body=TEXT)
    adopt(area, convention.pending, yes=1)
    assert convention.versions[0].state is VersionState.rejected and convention.in_force is None


def test_an_amendment_is_a_new_version_adopted_the_same_way(area, tree):
    convention = do(conventions.draft_convention, tree.fc, actor=area.moderator, kind=ConventionKind.residents,
                    title="居民公约", body=TEXT)
    first = convention.pending
    with pytest.raises(InvalidTransition):
        do(conventions.amend, convention, actor=area.moderator, body="新", reason="修订")
    adopt(area, first)
    with pytest.raises(InvalidInput):
        do(conventions.amend, convention, actor=area.moderator, body=TEXT, reason="没改")
    second = do(conventions.amend, convention, actor=area.moderator, body=TEXT + "\n第三条 文明养犬。",
                reason="居民提出增加养犬条款")
    assert second.number == 2 and convention.in_force == first
    with pytest.raises(Conflict):
        do(conventions.amend, convention, actor=area.moderator, body="另一版", reason="又改")
    adopt(area, second)
    assert first.state is VersionState.superseded and convention.in_force == second
    assert first.body == TEXT.strip() and first.sha256 != second.sha256


def test_an_adopted_version_never_changes_and_only_moderators_draft(area, tree):
    with pytest.raises(NotAllowed):
        do(conventions.draft_convention, tree.fc, actor=area.residents[0], kind=ConventionKind.residents,
           title="公约", body=TEXT)
    convention = do(conventions.draft_convention, tree.fc, actor=area.moderator, kind=ConventionKind.residents,
                    title="公约", body=TEXT)
    version = convention.pending
    do(conventions.edit_draft, version, actor=area.moderator, body=TEXT + "\n第三条")
    adopt(area, version)
    with pytest.raises(InvalidTransition):
        do(conventions.edit_draft, version, actor=area.moderator, body="改了")
    with force_locale("en"), pytest.raises(InvalidTransition, match="draft"):
        do(conventions.put_to_vote, version, actor=area.moderator)


def test_management_rules_are_voted_by_the_owners_under_article_278(area, tree):
    convention = do(conventions.draft_convention, tree.north, actor=area.moderator, kind=ConventionKind.management,
                    title="北区管理规约", body=TEXT)
    do(conventions.put_to_vote, convention.pending, actor=area.moderator)
    ballot = convention.pending.ballot
    assert ballot.electorate.value == "owners" and ballot.rule == "civil_code_278"
