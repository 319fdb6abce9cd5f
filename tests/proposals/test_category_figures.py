"""Matters per category, year on year (同比), and per month beside the year before."""
from datetime import datetime

import pytest
from sqlalchemy import select

from consult.accounts.models import Role
from consult.clock import travel_to
from consult.database import unit_of_work
from consult.extensions import db
from consult.proposals import figures
from consult.proposals import service as proposals
from consult.proposals.models import Category, ProposalState


@pytest.fixture
def area(tree, make_household, make_user):
    resident = make_user("居民", phone="13900000001", household=make_household(tree.e1, "101"))
    moderator = make_user("书记", username="moderator", role=Role.moderator, place=tree.fc)
    return type("Area", (), dict(resident=resident, moderator=moderator, categories=list(
        db.session.scalars(select(Category).order_by(Category.position)))[:2]))


def raise_at(area, tree, at, category, title="楼道堆物"):
    with travel_to(at), unit_of_work():
        return proposals.raise_proposal(tree.b1, actor=area.resident, title=title, body="详情见标题", category=category)


def test_categories_count_the_period_beside_the_same_period_a_year_before(app, area, tree):
    parking, noise = area.categories
    for month in (3, 4, 5):
        raise_at(area, tree, datetime(2025, month, 10, 2, 0), parking)
    raise_at(area, tree, datetime(2025, 3, 10, 2, 0), parking, title="去年同期又一件")
    raise_at(area, tree, datetime(2026, 3, 10, 2, 0), parking)
    raise_at(area, tree, datetime(2026, 3, 11, 2, 0), parking)
    for day in (12, 13, 14):
        raise_at(area, tree, datetime(2026, 3, day, 2, 0), noise)
    merged = raise_at(area, tree, datetime(2026, 3, 15, 2, 0), noise)
    merged.state = ProposalState.merged
    db.session.commit()
    rows = figures.by_category(tree.fc, datetime(2026, 2, 28, 16, 0), datetime(2026, 5, 31, 16, 0))
    assert [(r.category.id, r.count, r.last_year) for r in rows] == [(noise.id, 3, 0), (parking.id, 2, 4)]
    assert rows[0].change is None and rows[1].change == -0.5
    assert figures.by_category(tree.jm, datetime(2026, 1, 1), datetime(2026, 6, 1)) == []


def test_months_of_a_year_beside_the_year_before_in_local_time(app, area, tree):
    parking = area.categories[0]
    raise_at(area, tree, datetime(2025, 12, 31, 17, 0), parking)   # 1 January 2026 in Shanghai
    raise_at(area, tree, datetime(2025, 2, 10, 2, 0), parking)
    this, last = figures.monthly_two_years(tree.fc, 2026)
    assert this[0] == 1 and sum(this) == 1
    assert last[1] == 1 and sum(last) == 1
    assert figures.two_years_chart(tree.fc, 2026) is not None
    assert figures.two_years_chart(tree.jm, 2026) is None


def test_a_year_before_a_leap_day_is_the_28th(app):
    assert figures.year_before(datetime(2028, 2, 29, 4, 0)) == datetime(2027, 2, 28, 4, 0)


def test_the_figures_page_shows_categories_year_on_year(client, auth, area, tree):
    parking = area.categories[0]
    raise_at(area, tree, datetime(2025, 3, 10, 2, 0), parking)
    raise_at(area, tree, datetime(2025, 3, 11, 2, 0), parking)
    raise_at(area, tree, datetime(2026, 3, 10, 2, 0), parking)
    auth.login("moderator")
    page = client.get(f"/places/{tree.fc.id}/figures?start=2026-03-01&end=2026-03-31").get_data(as_text=True)
    assert 'id="categories"' in page and parking.name_zh in page and "下降 50.00%" in page
