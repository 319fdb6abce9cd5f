"""Household import from CSV or XLSX: building, entrance, room, area, owner name, phone and,
optionally, the property certificate number (不动产权证号).

Every row is checked before anything is written; one bad row rejects the whole file with
a report. Households are matched by address (building, entrance, room below the chosen
place), so importing the same file again changes nothing.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import permissions
from ..audit import service as audit
from ..errors import DomainError, InvalidInput
from ..extensions import db
from . import service as places
from .models import Household, Place, PlaceKind, Relation

# Accepted header names for each column, Chinese and English.
HEADERS = {
    "building": ("楼栋", "楼号", "楼", "building"),
    "entrance": ("单元", "楼门", "entrance"),
    "room": ("房号", "室", "户号", "room"),
    "area": ("面积", "专有面积", "建筑面积", "area"),
    "owner_name": ("业主姓名", "业主", "姓名", "owner_name", "owner"),
    "phone": ("手机号", "电话", "手机", "联系电话", "phone"),
    "certificate": ("不动产权证号", "产权证号", "房产证号", "certificate"),
}
REQUIRED = ("building", "room", "area")
MAX_ROWS = 20000


class ImportRejected(DomainError):
    code = "import_rejected"
    status = 422

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(_l("The file was not imported: %(n)d problems were found.", n=len(errors)))
        self.errors = errors


@dataclass
class ImportRow:
    line: int
    building: str
    entrance: str
    room: str
    area: Decimal
    owner_name: str
    phone: Optional[str]
    certificate: Optional[str] = None


@dataclass
class ImportReport:
    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    places_created: int = 0
    owners_created: int = 0
    owners_linked: int = 0
    rows: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.households_created or self.households_updated or self.places_created
                    or self.owners_created or self.owners_linked)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030, which covers GBK and GB2312 files
    saved by Chinese Excel."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(_l("The file is neither UTF-8 nor GB18030 text."))


def read_table(filename: str, data: bytes) -> list[list[str]]:
    if not data:
        raise InvalidInput(_l("The file is empty."))
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        except Exception:  # noqa: BLE001 — openpyxl raises many kinds for a broken file
            raise InvalidInput(_l("The spreadsheet could not be read."))
        return [["" if v is None else _cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    text = decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def _cell(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _map_header(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = name.strip().lower()
        for column, names in HEADERS.items():
            if key in names and column not in columns:
                columns[column] = index
    return columns


def parse_rows(table: list[list[str]]) -> list[ImportRow]:
    """Check every row; raise ``ImportRejected`` with all problems, or return the rows."""
    from ..accounts.service import clean_person_name, clean_phone

    if not table:
        raise InvalidInput(_l("The file is empty."))
    columns = _map_header(table[0])
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ImportRejected([(1, str(_l("Missing column: %(names)s", names=" / ".join(HEADERS[c][:2]))))
                              for c in missing])
    body = [(i + 2, row) for i, row in enumerate(table[1:]) if any(cell.strip() for cell in row)]
    if not body:
        raise InvalidInput(_l("The file has no households."))
    if len(body) > MAX_ROWS:
        raise InvalidInput(_l("At most %(n)d rows can be imported at once.", n=MAX_ROWS))

    errors: list[tuple[int, str]] = []
    rows: list[ImportRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    phone_names: dict[str, tuple[str, int]] = {}

    def cell(row, column):
        index = columns.get(column)
        return row[index].strip() if index is not None and index < len(row) else ""

    for line, row in body:
        problems = []
        building, entrance, room = cell(row, "building"), cell(row, "entrance"), cell(row, "room")
        name, phone = cell(row, "owner_name"), cell(row, "phone")
        certificate = cell(row, "certificate")
        if len(certificate) > 40:
            problems.append(str(_l("A property certificate number has at most 40 characters.")))
        area = None
        try:
            building = places.clean_name(building)
            if entrance:
                entrance = places.clean_name(entrance)
            room = places.clean_room(room)
        except DomainError as error:
            problems.append(str(error.message))
        try:
            area = places.parse_area(cell(row, "area"))
        except DomainError as error:
            problems.append(str(error.message))
        if phone:
            try:
                phone = clean_phone(phone)
            except DomainError as error:
                problems.append(str(error.message))
        if name:
            try:
                name = clean_person_name(name)
            except DomainError as error:
                problems.append(str(error.message))
        if phone and not name:
            problems.append(str(_l("A phone number needs the owner's name.")))
        if name and not phone:
            problems.append(str(_l("An owner needs a phone number.")))
        address = (building, entrance, room)
        if address in seen:
            problems.append(str(_l("The same room appears on row %(line)d.", line=seen[address])))
        else:
            seen[address] = line
        if phone and name:
            if phone in phone_names and phone_names[phone][0] != name:
                problems.append(str(_l("This phone number belongs to %(name)s on row %(line)d.",
                                       name=phone_names[phone][0], line=phone_names[phone][1])))
            phone_names.setdefault(phone, (name, line))
        if problems:
            errors.extend((line, p) for p in problems)
        else:
            rows.append(ImportRow(line, building, entrance, room, area, name, phone or None, certificate or None))
    if errors:
        raise ImportRejected(errors)
    return rows


def _child(parent: Place, kind: PlaceKind, name: str, report: ImportReport, *, actor) -> Place:
    existing = db.session.scalar(select(Place).where(Place.parent_id == parent.id, Place.name == name))
    if existing is not None:
        if existing.kind is not kind:
            raise ImportRejected([(0, str(_l("“%(name)s” exists here but is not a %(kind)s.",
                                              name=name, kind=kind.label)))])
        return existing
    report.places_created += 1
    return places.create_place(parent, kind, name, actor=actor)


def import_households(place: Place, filename: str, data: bytes, *, actor) -> ImportReport:
    """Import a household list into ``place`` (a community, compound or building)."""
    from ..accounts.models import User

    permissions.require(permissions.can_import_households(actor, place))
    if place.kind not in (PlaceKind.community, PlaceKind.compound, PlaceKind.building):
        raise InvalidInput(_l("Households are imported into a community, a compound or a building."))
    rows = parse_rows(read_table(filename, data))

    # Database checks before any write: a phone already held by someone of another name.
    phones = {r.phone for r in rows if r.phone}
    known = {u.phone: u for u in db.session.scalars(select(User).where(User.phone.in_(phones)))} if phones else {}
    conflicts = [(r.line, str(_l("This phone number is registered to another person.")))
                 for r in rows if r.phone in known and known[r.phone].name != r.owner_name]
    if conflicts:
        raise ImportRejected(conflicts)

    report = ImportReport(rows=len(rows))
    # Look each building, entrance and household up once, not once per row.
    places_by_name: dict[tuple[int, str], Place] = {}
    households = {(h.place_id, h.room): h for h in db.session.scalars(
        select(Household).join(Household.place).where(Place.path.startswith(place.path, autoescape=True)))}

    def child(parent: Place, kind: PlaceKind, name: str) -> Place:
        key = (parent.id, name)
        if key not in places_by_name:
            places_by_name[key] = _child(parent, kind, name, report, actor=actor)
        return places_by_name[key]

    for row in rows:
        if place.kind is PlaceKind.building:
            if row.building != place.name:
                raise ImportRejected([(row.line, str(_l("This row is for building %(name)s, not this one.",
                                                        name=row.building)))])
            building = place
        else:
            building = child(place, PlaceKind.building, row.building)
        unit = child(building, PlaceKind.entrance, row.entrance) if row.entrance else building
        household = households.get((unit.id, row.room))
        if household is None:
            household = places.add_household(unit, row.room, row.area, actor=actor)
            households[(unit.id, row.room)] = household
            report.households_created += 1
        elif household.area != row.area:
            places.update_household(household, row.room, row.area, actor=actor)
            report.households_updated += 1
        else:
            report.households_unchanged += 1
        if row.certificate and household.certificate_number != row.certificate:
            household.certificate_number = row.certificate
        if row.phone:
            owner = known.get(row.phone)
            if owner is None:
                owner = User(name=row.owner_name, phone=row.phone)
                db.session.add(owner)
                db.session.flush()
                known[row.phone] = owner
                report.owners_created += 1
            if not any(m.user_id == owner.id for m in household.members):
                places.attach_member(household, owner, Relation.owner, actor=actor)
                report.owners_linked += 1
    audit.record("household.import", place, actor=actor, place=place, filename=filename[:100],
                 rows=report.rows, created=report.households_created, updated=report.households_updated)
    return report
