"""The place tree: browsing, administration, households, grids, invite sheets, imports,
roles and organisations in a place."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import permissions
from ..accounts import service as accounts
from ..accounts.forms import IdentityForm, OrganisationForm, OrganisationMemberForm, PartnerForm
from ..accounts.models import (
    InviteCode,
    Organisation,
    OrganisationKind,
    OrganisationMember,
    PARTNER_KINDS,
    PARTY_KINDS,
    Partner,
    Role,
    RoleGrant,
)
from ..errors import NotFound
from ..forms import ConfirmForm
from ..extensions import db
from ..councils import service as councils
from ..motions import service as motions
from ..motions.forms import RosterForm
from ..web import confirm_first, load, perform
from . import importer
from . import service as places
from .forms import (
    GridForm,
    HouseholdForm,
    ImportForm,
    MemberForm,
    MovePlaceForm,
    PlaceForm,
    RenamePlaceForm,
    RoleGrantForm,
)
from .models import ALLOWED_PARENTS, HOUSEHOLD_PLACE_KINDS, Grid, Household, HouseholdMember, Place, PlaceKind, Relation

bp = Blueprint("places", __name__)


def load_place(place_id: int) -> Place:
    place = load(Place, place_id, permissions.can_view_place, refuse=403)
    return place


def require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def _person_by_login(login: str):
    person = accounts.find_by_login(login)
    if person is None:
        raise NotFound(_("Nobody with this phone number or username is registered."))
    return person


def _child_kinds(place: Place) -> list[PlaceKind]:
    return [k for k, parents in ALLOWED_PARENTS.items() if place.kind in parents]


def _organisation_choices(place: Place):
    """Organisations serving this place or a place above it."""
    ids = place.ancestor_ids
    orgs = db.session.scalars(select(Organisation).where(Organisation.place_id.in_(ids))
                              .order_by(Organisation.name)).all()
    return [("", "—")] + [(str(o.id), o.name) for o in orgs]


@bp.get("/places/")
@login_required
def index():
    roots = places.roots()
    return render_template("places/index.html", roots=roots, form=PlaceForm())


@bp.post("/places/")
@login_required
def create_root():
    require(permissions.can_create_root_place(current_user))
    form = PlaceForm()
    if form.validate_on_submit():
        outcome = perform(places.create_place, None, PlaceKind(form.kind.data), form.name.data, actor=current_user)
        if outcome.ok:
            flash(_("%(name)s is added. Next: add the places inside it.", name=outcome.value.name), "success")
            return redirect(url_for("places.detail", place_id=outcome.value.id))
    return redirect(url_for("places.index"))


@bp.get("/places/<int:place_id>")
@login_required
def detail(place_id: int):
    place = load_place(place_id)
    manage = permissions.can_manage_place(current_user, place)
    grants = db.session.scalars(select(RoleGrant).where(RoleGrant.place_id == place.id)).all()
    grids = db.session.scalars(select(Grid).where(Grid.community_id == place.id).order_by(Grid.name)).all() \
        if place.kind is PlaceKind.community else []
    organisations = db.session.scalars(select(Organisation).where(Organisation.place_id == place.id)
                                       .order_by(Organisation.name)).all()
    child_form = PlaceForm()
    child_form.kind.choices = [(k.value, k.label) for k in _child_kinds(place)]
    grant_form = RoleGrantForm()
    grant_form.organisation_id.choices = _organisation_choices(place)
    partner_form = PartnerForm()
    eligible = motions.eligible_organisations(place)
    partner_form.organisation_id.choices = [(str(o.id), o.name) for o in eligible if o.kind in PARTNER_KINDS]
    roster_form = RosterForm()
    roster_form.organisations.choices = [(str(o.id), f"{o.name}（{o.kind.label}）") for o in eligible]
    roster = motions.standing_responders(place)
    roster_form.organisations.data = [str(o.id) for o in roster[1]] if roster[0] is place else []
    return render_template(
        "places/detail.html", place=place, manage=manage, grants=grants, grids=grids,
        partners=accounts.partners_of(place), partner_form=partner_form, roster=roster, roster_form=roster_form,
        missed_councils=councils.missed_cadences(place),
        manage_partners=permissions.can_manage_partners(current_user, place),
        manage_roster=permissions.can_manage_roster(current_user, place),
        organisations=organisations, child_form=child_form, grant_form=grant_form,
        household_form=HouseholdForm(), org_form=OrganisationForm(), confirm=ConfirmForm(),
        can_hold_households=place.kind in HOUSEHOLD_PLACE_KINDS,
        see_people=permissions.can_see_personal_data(current_user, place),
        household_count=places.household_count(place),
    )


@bp.post("/places/<int:place_id>/children")
@login_required
def create_child(place_id: int):
    place = load_place(place_id)
    require(permissions.can_manage_place(current_user, place))
    form = PlaceForm()
    form.kind.choices = [(k.value, k.label) for k in _child_kinds(place)]
    if form.validate_on_submit():
        outcome = perform(places.create_place, place, PlaceKind(form.kind.data), form.name.data, actor=current_user)
        if outcome.ok:
            flash(_("%(name)s is added under %(place)s.", name=outcome.value.name, place=place.name), "success")
    else:
        flash(_("Choose a kind and give a name."), "error")
    return redirect(url_for("places.detail", place_id=place.id))


@bp.route("/places/<int:place_id>/edit", methods=["GET", "POST"])
@login_required
def edit(place_id: int):
    place = load_place(place_id)
    require(permissions.can_manage_place(current_user, place))
    rename = RenamePlaceForm(name=place.name, prefix="rename")
    move = MovePlaceForm(prefix="move")
    parents = db.session.scalars(select(Place).where(Place.kind.in_(ALLOWED_PARENTS[place.kind]))
                                 .order_by(Place.path)).all()
    move.parent_id.choices = [(str(p.id), p.full_name) for p in parents
                              if p.id != place.parent_id and permissions.can_manage_place(current_user, p)]
    status = 200
    if request.method == "POST":
        if "rename-name" in request.form and rename.validate_on_submit():
            outcome = perform(places.rename_place, place, rename.name.data, actor=current_user)
        elif "move-parent_id" in request.form and move.validate_on_submit():
            target = load(Place, request.form.get("move-parent_id", type=int))
            outcome = perform(places.move_place, place, target, actor=current_user)
        else:
            abort(400)
        if outcome.ok:
            flash(_("The place is changed: it is now %(name)s.", name=place.full_name), "success")
            return redirect(url_for("places.detail", place_id=place.id))
        status = outcome.status
    return render_template("places/edit.html", place=place, rename=rename, move=move,
                           confirm=ConfirmForm()), status


@bp.post("/places/<int:place_id>/delete")
@login_required
def delete(place_id: int):
    place = load_place(place_id)
    require(permissions.can_manage_place(current_user, place))
    ConfirmForm().validate_on_submit() or abort(400)
    asking = confirm_first(
        question=_("Delete %(name)s?", name=place.name),
        consequence=_("The place is removed for good. Only an empty place can be deleted: one with no places, "
                      "households or records below it."),
        back=url_for("places.edit", place_id=place.id))
    if asking is not None:
        return asking
    parent_id = place.parent_id
    outcome = perform(places.delete_place, place, actor=current_user)
    if outcome.ok:
        flash(_("Deleted."), "success")
        return redirect(url_for("places.detail", place_id=parent_id) if parent_id else url_for("places.index"))
    return redirect(url_for("places.edit", place_id=place_id))


# --- households ---------------------------------------------------------------------------

@bp.post("/places/<int:place_id>/households")
@login_required
def create_household(place_id: int):
    place = load_place(place_id)
    require(permissions.can_manage_place(current_user, place))
    form = HouseholdForm()
    if form.validate_on_submit():
        outcome = perform(places.add_household, place, form.room.data, form.area.data, actor=current_user)
        if outcome.ok:
            flash(_("Household %(room)s is added. Next: add its members or print its invite code.",
                    room=outcome.value.room), "success")
            return redirect(url_for("places.household", household_id=outcome.value.id))
    else:
        flash(_("Give a room number and a floor area."), "error")
    return redirect(url_for("places.detail", place_id=place.id))


def load_household(household_id: int) -> Household:
    return load(Household, household_id, permissions.can_view_household, refuse=403)


@bp.route("/households/<int:household_id>", methods=["GET", "POST"])
@login_required
def household(household_id: int):
    household = load_household(household_id)
    manage = permissions.can_manage_place(current_user, household.place)
    form = HouseholdForm(obj=household)
    status = 200
    if request.method == "POST":
        require(manage)
        if form.validate_on_submit():
            outcome = perform(places.update_household, household, form.room.data, form.area.data,
                              actor=current_user)
            if outcome.ok:
                flash(_("The household is changed: room %(room)s, %(area)s m².", room=household.room,
                        area=household.area), "success")
                return redirect(url_for("places.household", household_id=household.id))
            status = outcome.status
        else:
            status = 422
    invite = accounts.usable_invite(household) if permissions.can_manage_invites(current_user, household.place) else None
    return render_template("places/household.html", household=household, manage=manage, form=form,
                           member_form=MemberForm(), confirm=ConfirmForm(), invite=invite,
                           invites=permissions.can_manage_invites(current_user, household.place)), status


@bp.post("/households/<int:household_id>/delete")
@login_required
def delete_household(household_id: int):
    household = load_household(household_id)
    require(permissions.can_manage_place(current_user, household.place))
    ConfirmForm().validate_on_submit() or abort(400)
    asking = confirm_first(
        question=_("Delete the household %(room)s?", room=household.room),
        consequence=_("The household and its invite codes are removed for good."),
        back=url_for("places.household", household_id=household.id))
    if asking is not None:
        return asking
    place_id = household.place_id
    outcome = perform(places.delete_household, household, actor=current_user)
    if outcome.ok:
        flash(_("Deleted."), "success")
        return redirect(url_for("places.detail", place_id=place_id))
    return redirect(url_for("places.household", household_id=household_id))


@bp.post("/households/<int:household_id>/members")
@login_required
def add_member(household_id: int):
    household = load_household(household_id)
    require(permissions.can_manage_place(current_user, household.place))
    form = MemberForm()
    if form.validate_on_submit():
        def add():
            person = _person_by_login(form.login.data)
            return places.add_member(household, person, Relation(form.relation.data), actor=current_user)
        if perform(add).ok:
            flash(_("The member is added to the household. They can now sign in and take part."), "success")
    return redirect(url_for("places.household", household_id=household.id))


def _load_member(member_id: int) -> HouseholdMember:
    member = load(HouseholdMember, member_id, lambda user, m: permissions.can_manage_place(user, m.household.place),
                  refuse=403)
    ConfirmForm().validate_on_submit() or abort(400)
    return member


@bp.post("/members/<int:member_id>/remove")
@login_required
def remove_member(member_id: int):
    member = _load_member(member_id)
    household_id = member.household_id
    if perform(places.remove_member, member, actor=current_user).ok:
        flash(_("Removed."), "success")
    return redirect(url_for("places.household", household_id=household_id))


@bp.post("/members/<int:member_id>/voter")
@login_required
def designate_voter(member_id: int):
    member = _load_member(member_id)
    if perform(places.designate_voter, member, actor=current_user).ok:
        flash(_("This member now votes for the household."), "success")
    return redirect(url_for("places.household", household_id=member.household_id))


# --- invite codes -----------------------------------------------------------------------------

@bp.route("/places/<int:place_id>/invites", methods=["GET", "POST"])
@login_required
def invites(place_id: int):
    """The printable sheet: one code per household. POST fills in missing codes."""
    place = load_place(place_id)
    require(permissions.can_manage_invites(current_user, place))
    if request.method == "POST":
        ConfirmForm().validate_on_submit() or abort(400)
        outcome = perform(accounts.issue_invites_for, place, actor=current_user)
        if outcome.ok:
            flash(_("Every household now has a code."), "success")
        return redirect(url_for("places.invites", place_id=place.id))
    sheet = [(h, accounts.usable_invite(h)) for h in places.households_in(place)]
    return render_template("places/invites.html", place=place, sheet=sheet, confirm=ConfirmForm())


@bp.post("/households/<int:household_id>/invite")
@login_required
def issue_invite(household_id: int):
    household = load(Household, household_id, lambda user, h: permissions.can_manage_invites(user, h.place),
                     refuse=403)
    ConfirmForm().validate_on_submit() or abort(400)
    if perform(accounts.issue_invite, household, actor=current_user).ok:
        flash(_("A new invite code has been made; the old one no longer works."), "success")
    return redirect(url_for("places.household", household_id=household.id))


@bp.post("/invites/<int:invite_id>/revoke")
@login_required
def revoke_invite(invite_id: int):
    invite = load(InviteCode, invite_id, lambda user, i: permissions.can_manage_invites(user, i.household.place),
                  refuse=403)
    ConfirmForm().validate_on_submit() or abort(400)
    if perform(accounts.revoke_invite, invite, actor=current_user).ok:
        flash(_("The invite code has been revoked."), "success")
    return redirect(url_for("places.household", household_id=invite.household_id))


# --- import ---------------------------------------------------------------------------------

@bp.route("/places/<int:place_id>/import", methods=["GET", "POST"])
@login_required
def import_households(place_id: int):
    place = load_place(place_id)
    require(permissions.can_import_households(current_user, place))
    form = ImportForm()
    report, errors, status = None, [], 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            outcome = perform(importer.import_households, place, upload.filename or "", upload.read(),
                              actor=current_user)
        finally:
            upload.close()
        if outcome.ok:
            report = outcome.value
        else:
            errors = getattr(outcome.error, "errors", [])
            status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("places/import.html", place=place, form=form, report=report,
                           errors=errors), status


# --- grids ------------------------------------------------------------------------------------

def _building_choices(community: Place):
    buildings = db.session.scalars(community.descendants_query()
                                   .where(Place.kind == PlaceKind.building).order_by(Place.path)).all()
    return [(str(b.id), b.full_name) for b in buildings]


@bp.route("/places/<int:place_id>/grids", methods=["GET", "POST"])
@login_required
def grids(place_id: int):
    community = load_place(place_id)
    require(permissions.can_manage_place(current_user, community) and community.kind is PlaceKind.community)
    form = GridForm()
    form.buildings.choices = _building_choices(community)
    large = db.session.scalars(select(Grid).where(Grid.community_id == community.id, Grid.parent_id.is_(None))
                               .order_by(Grid.name)).all()
    form.parent_id.choices = [("", _("None: a grid of its own"))] + [(str(g.id), g.name) for g in large]
    status = 200
    if form.validate_on_submit():
        parent = next((g for g in large if str(g.id) == form.parent_id.data), None)
        outcome = perform(places.create_grid, community, form.name.data, form.buildings.data or [],
                          actor=current_user, parent=parent)
        if outcome.ok:
            flash(_("The grid %(name)s is made. Next: give it a grid worker.", name=outcome.value.name), "success")
            return redirect(url_for("places.grid", grid_id=outcome.value.id))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("places/grid_new.html", community=community, form=form), status


@bp.route("/grids/<int:grid_id>", methods=["GET", "POST"])
@login_required
def grid(grid_id: int):
    grid = load(Grid, grid_id, lambda user, g: permissions.can_view_place(user, g.community), refuse=403)
    manage = permissions.can_manage_grid(current_user, grid)
    form = GridForm(name=grid.name, buildings=[str(b.id) for b in grid.buildings])
    form.buildings.choices = _building_choices(grid.community)
    form.parent_id.choices = [("", "")]
    status = 200
    if request.method == "POST":
        require(manage)
        if form.validate_on_submit():
            outcome = perform(places.set_grid_buildings, grid, form.buildings.data or [], actor=current_user)
            if outcome.ok:
                flash(_("The grid's buildings are changed."), "success")
                return redirect(url_for("places.grid", grid_id=grid.id))
            status = outcome.status
    grants = db.session.scalars(select(RoleGrant).where(RoleGrant.grid_id == grid.id)).all()
    return render_template("places/grid.html", grid=grid, manage=manage, form=form, grants=grants,
                           councils=councils.grid_meetings(grid),
                           grant_form=RoleGrantForm(), confirm=ConfirmForm()), status


@bp.post("/grids/<int:grid_id>/delete")
@login_required
def delete_grid(grid_id: int):
    grid = load(Grid, grid_id, permissions.can_manage_grid, refuse=403)
    ConfirmForm().validate_on_submit() or abort(400)
    community_id = grid.community_id
    if perform(places.delete_grid, grid, actor=current_user).ok:
        flash(_("Deleted."), "success")
        return redirect(url_for("places.detail", place_id=community_id))
    return redirect(url_for("places.grid", grid_id=grid_id))


# --- roles in places and grids --------------------------------------------------------------

def _grant(form: RoleGrantForm, *, place=None, grid=None):
    person = _person_by_login(form.login.data)
    organisation = None
    if form.organisation_id.data:
        organisation = db.session.get(Organisation, int(form.organisation_id.data)) \
            if str(form.organisation_id.data).isdigit() else None
        if organisation is None:
            raise NotFound(_("No such organisation."))
    return accounts.grant_role(person, Role(form.role.data), actor=current_user, place=place, grid=grid,
                               organisation=organisation)


@bp.post("/places/<int:place_id>/roles")
@login_required
def grant_role(place_id: int):
    place = load_place(place_id)
    require(permissions.has_role(current_user, place, Role.administrator))
    form = RoleGrantForm()
    form.organisation_id.choices = _organisation_choices(place)
    if form.validate_on_submit():
        if perform(_grant, form, place=place).ok:
            flash(_("The role has been granted."), "success")
    else:
        flash(_("Give a phone number or username and a role."), "error")
    return redirect(url_for("places.detail", place_id=place.id) + "#roles")


@bp.post("/grids/<int:grid_id>/roles")
@login_required
def grant_grid_role(grid_id: int):
    grid = load(Grid, grid_id, permissions.can_manage_grid, refuse=403)
    form = RoleGrantForm()
    if form.role.data != Role.grid_leader.value:
        form.role.data = Role.grid_worker.value
    form.organisation_id.choices = [("", "—")]
    if form.validate_on_submit():
        if perform(_grant, form, grid=grid).ok:
            flash(_("The role has been granted."), "success")
    return redirect(url_for("places.grid", grid_id=grid.id))


# --- organisations ----------------------------------------------------------------------------

@bp.post("/places/<int:place_id>/organisations")
@login_required
def create_organisation(place_id: int):
    place = load_place(place_id)
    require(permissions.can_manage_place(current_user, place))
    form = OrganisationForm()
    if form.validate_on_submit():
        outcome = perform(accounts.create_organisation, place, OrganisationKind(form.kind.data), form.name.data,
                          actor=current_user)
        if outcome.ok:
            flash(_("%(name)s is added. Next: add its members, who will receive its motions.",
                    name=outcome.value.name), "success")
            return redirect(url_for("places.organisation", organisation_id=outcome.value.id))
    else:
        flash(_("Give the organisation a name."), "error")
    return redirect(url_for("places.detail", place_id=place.id))


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
@login_required
def organisation(organisation_id: int):
    organisation = load(Organisation, organisation_id, lambda user, o: permissions.can_view_place(user, o.place),
                        refuse=403)
    manage = permissions.can_manage_organisation(current_user, organisation)
    form = OrganisationMemberForm()
    if request.method == "POST":
        require(manage)
        if form.validate_on_submit():
            def add():
                return accounts.add_organisation_member(organisation, _person_by_login(form.login.data),
                                                        actor=current_user, title=form.title.data)
            if perform(add).ok:
                flash(_("The member is added: they now see the organisation's motions on their desk."), "success")
        return redirect(url_for("places.organisation", organisation_id=organisation.id))
    return render_template("places/organisation.html", organisation=organisation, manage=manage, form=form,
                           confirm=ConfirmForm(), identity_form=IdentityForm(),
                           party=organisation.kind in PARTY_KINDS)


@bp.post("/organisation-members/<int:member_id>/identity")
@login_required
def member_identity(member_id: int):
    """党员亮身份: the member shows or hides their membership beside their name."""
    member = load(OrganisationMember, member_id, lambda user, m: m.user_id == user.id, refuse=403)
    form = IdentityForm()
    form.validate_on_submit() or abort(400)
    if perform(accounts.set_public_identity, member, form.shown.data == "1", actor=current_user).ok:
        flash(_("Your Party membership is shown beside your name.") if member.public_identity
              else _("Your Party membership is no longer shown."), "success")
    return redirect(url_for("places.organisation", organisation_id=member.organisation_id))


# --- partners (社区合伙人) and the 1+5+N roster -----------------------------------------------------

@bp.post("/places/<int:place_id>/partners")
@login_required
def register_partner(place_id: int):
    place = load(Place, place_id, permissions.can_manage_partners, refuse=403)
    form = PartnerForm()
    if form.validate_on_submit() and str(form.organisation_id.data or "").isdigit():
        organisation = db.session.get(Organisation, int(form.organisation_id.data))
        if organisation is None:
            abort(404)
        if perform(accounts.register_partner, place, organisation, actor=current_user, offer=form.offer.data).ok:
            flash(_("%(name)s is now a partner of %(place)s.", name=organisation.name, place=place.name), "success")
    else:
        flash(_("Choose the organisation."), "error")
    return redirect(url_for("places.detail", place_id=place.id) + "#partners")


@bp.post("/partners/<int:partner_id>/remove")
@login_required
def remove_partner(partner_id: int):
    partner = load(Partner, partner_id, lambda user, p: permissions.can_manage_partners(user, p.place), refuse=403)
    ConfirmForm().validate_on_submit() or abort(400)
    place_id = partner.place_id
    if perform(accounts.remove_partner, partner, actor=current_user).ok:
        flash(_("Removed."), "success")
    return redirect(url_for("places.detail", place_id=place_id) + "#partners")


@bp.post("/places/<int:place_id>/roster")
@login_required
def set_roster(place_id: int):
    place = load(Place, place_id, permissions.can_manage_roster, refuse=403)
    form = RosterForm()
    form.validate_on_submit() or abort(400)
    ids = {int(i) for i in form.organisations.data if str(i).isdigit()}
    chosen = list(db.session.scalars(select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.id)))
    if perform(motions.set_standing_responders, place, chosen, actor=current_user).ok:
        flash(_("The standing roster is saved."), "success")
    return redirect(url_for("places.detail", place_id=place.id) + "#roster")


@bp.post("/organisation-members/<int:member_id>/remove")
@login_required
def remove_organisation_member(member_id: int):
    member = load(OrganisationMember, member_id,
                  lambda user, m: permissions.can_manage_organisation(user, m.organisation), refuse=403)
    ConfirmForm().validate_on_submit() or abort(400)
    organisation_id = member.organisation_id
    if perform(accounts.remove_organisation_member, member, actor=current_user).ok:
        flash(_("Removed."), "success")
    return redirect(url_for("places.organisation", organisation_id=organisation_id))
