"""What the motion tests share: a fixed start time, organisations with members, and one
transaction per service call."""
from datetime import datetime

from consult.accounts.models import Organisation, OrganisationMember
from consult.database import unit_of_work
from consult.extensions import db
from consult.motions import service as motions

T0 = datetime(2026, 3, 2, 1, 0)   # 09:00 in Shanghai


def organisation(place, kind, name, *members):
    org = Organisation(place=place, kind=kind, name=name)
    db.session.add(org)
    for person in members:
        db.session.add(OrganisationMember(organisation=org, user=person))
    db.session.commit()
    return org


def do(operation, *args, **kwargs):
    with unit_of_work():
        return operation(*args, **kwargs)


def assign(area, place=None, orgs=None, **kw):
    return do(motions.assign, place or area.tree.b1, actor=area.moderator, title="修复1号楼电梯",
              body="电梯停运三天，需维修并说明原因", organisations=orgs or [area.company], **kw)
