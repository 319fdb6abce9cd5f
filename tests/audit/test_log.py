import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from consult.audit import service as audit
from consult.audit.models import AuditEntry
from consult.database import unit_of_work
from consult.extensions import db
from consult.places import service as places
from consult.places.models import PlaceKind


def test_every_change_is_recorded_in_the_same_transaction(tree, admin):
    with unit_of_work():
        b = places.create_place(tree.north, PlaceKind.building, "7号楼", actor=admin)
        places.add_household(b, "101", "80", actor=admin)
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["place.create", "household.create"]


def test_a_failed_action_leaves_no_entry(tree, admin):
    with pytest.raises(Exception):
        with unit_of_work():
            places.create_place(tree.north, PlaceKind.building, "7号楼", actor=admin)
            places.add_household(tree.north, "101", "80", actor=admin)  # not a building
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_entries_cannot_be_changed_through_the_orm(tree, admin):
    with unit_of_work():
        places.create_place(tree.north, PlaceKind.building, "7号楼", actor=admin)
    entry = db.session.scalars(select(AuditEntry)).one()
    entry.action = "forged"
    with pytest.raises(RuntimeError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entries SET action = 'forged'",
    "DELETE FROM audit_entries",
])
def test_entries_cannot_be_changed_in_the_database(tree, admin, statement):
    with unit_of_work():
        places.create_place(tree.north, PlaceKind.building, "7号楼", actor=admin)
    with pytest.raises(DBAPIError):
        db.session.execute(text(statement))
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry.action)) == "place.create"


def test_entries_for_a_place_include_places_below(tree, admin):
    with unit_of_work():
        places.create_place(tree.north, PlaceKind.building, "7号楼", actor=admin)
        places.create_place(tree.jm, PlaceKind.building, "9号楼", actor=admin)
    entries, total = audit.entries_for(tree.fc)
    assert total == 1 and entries[0].detail["name"] == "7号楼"
    assert audit.entries_for(tree.sub)[1] == 2
