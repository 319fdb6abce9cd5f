"""The seams between domains: they react to each other through signals, never call each
other's private functions, and the matter follows its ballots and motions by the signals
alone."""
import ast
from pathlib import Path

from consult.accounts.models import Role
from consult.database import unit_of_work
from consult.proposals.models import Category, Proposal, ProposalState
from consult.voting import service as voting
from consult.voting import signals as voting_signals
from consult.voting.models import Electorate, Secrecy

PACKAGE = Path(__file__).resolve().parent.parent / "consult"


def _domain(module: Path) -> str:
    parts = module.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else module.stem


def test_no_module_calls_a_private_function_of_another_domain():
    found = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        foreign = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level >= 1:
                in_package = _domain(path) != path.stem or path.parent != PACKAGE
                if node.level == 1 and in_package:
                    continue    # within its own domain
                base = (node.module or "").split(".")[0]
                for alias in node.names:
                    domain = base or alias.name
                    if domain and domain != _domain(path):
                        foreign[alias.asname or alias.name] = domain
                        if alias.name.startswith("_") and not alias.name.startswith("__"):
                            found.append(f"{path.relative_to(PACKAGE)}: imports {alias.name} from {domain}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id in foreign and node.attr.startswith("_") and not node.attr.startswith("__"):
                found.append(f"{path.relative_to(PACKAGE)}: {node.value.id}.{node.attr}")
    assert found == []


def test_a_service_calls_no_other_domains_service_to_tell_it_what_happened():
    """Ballots and motions say what happened; the matter follows in proposals."""
    for name in ("voting/service.py", "motions/service.py", "meetings/service.py", "minutes/service.py"):
        text = (PACKAGE / name).read_text(encoding="utf-8")
        assert "proposals import service" not in text and "proposals.service" not in text, name
    assert "meetings import service" not in (PACKAGE / "minutes/service.py").read_text(encoding="utf-8")


def test_the_moderator_roles_are_named_once():
    from consult.accounts.models import MODERATORS

    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "(Role.moderator, Role.administrator)" not in text.replace("MODERATORS = (Role.moderator, "
                                                                          "Role.administrator)", ""), path
    assert set(MODERATORS) == {Role.moderator, Role.administrator}


def test_a_closed_ballot_is_announced_and_the_matter_follows_it(app, tree, make_household, make_user):
    voter = make_user("王秀英", phone="13900000001", household=make_household(tree.e1, "101"))
    moderator = make_user("李书记", username="moderator", role=Role.moderator, place=tree.fc)
    heard = []

    def listen(ballot, *, passed, summary):
        heard.append((ballot.id, passed, bool(summary)))

    voting_signals.ballot_closed.connect(listen)
    try:
        with unit_of_work() as session:
            proposal = Proposal(place=tree.b1, author=voter, title="加装电梯", body="……",
                                state=ProposalState.accepted, category=session.query(Category).first())
            session.add(proposal)
            ballot = voting.draft_ballot(tree.b1, actor=moderator, question="加装电梯？", electorate=Electorate.households,
                                         secrecy=Secrecy.named, rule="simple_majority", proposal=proposal)
            assert proposal.state is ProposalState.under_deliberation   # drafted: the matter is deliberated
            voting.open_ballot(ballot, actor=moderator)
            voting.cast(ballot, actor=voter, choice="yes")
            voting.close_ballot(ballot, actor=moderator)
    finally:
        voting_signals.ballot_closed.disconnect(listen)
    assert heard == [(ballot.id, True, True)]
    assert proposal.state is ProposalState.decided


def test_every_lifecycle_is_one_table_of_one_transition_type():
    from consult.lifecycle import Lifecycle, Transition
    from consult.meetings.lifecycle import TRANSITIONS as MEETING
    from consult.minutes.lifecycle import TRANSITIONS as MINUTES
    from consult.motions.lifecycle import TRANSITIONS as MOTION
    from consult.proposals.lifecycle import TRANSITIONS as PROPOSAL
    from consult.voting.lifecycle import TRANSITIONS as BALLOT
    from consult.grids.lifecycle import TRANSITIONS as REPORT

    for table in (MEETING, MINUTES, MOTION, PROPOSAL, BALLOT, REPORT):
        assert isinstance(table, Lifecycle)
        assert all(isinstance(step, Transition) and step.action == action for action, step in table.items())
        states = {type(state) for step in table.values() for state in step.sources}
        assert len(states) == 1 and all(step.target is None or type(step.target) in states for step in table.values())


def test_the_states_a_matter_is_deliberated_in_come_from_the_table():
    from consult.proposals.lifecycle import DELIBERABLE, TRANSITIONS

    assert DELIBERABLE == {ProposalState.accepted, ProposalState.reopened, ProposalState.under_deliberation}
    assert DELIBERABLE == TRANSITIONS["deliberate"].sources | {TRANSITIONS["deliberate"].target}
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert '"under_deliberation")' not in text and "state.value in" not in text \
            and "state.value not in" not in text, path


def test_a_state_guard_refuses_with_its_own_words(app):
    from flask_babel import force_locale

    from consult.errors import InvalidTransition
    from consult.meetings.lifecycle import TRANSITIONS
    from consult.meetings.models import MeetingState

    assert TRANSITIONS.allows(MeetingState.live, "speak") and not TRANSITIONS.allows(MeetingState.paused, "speak")
    with force_locale("en"):
        try:
            TRANSITIONS.require(MeetingState.ended, "start", "not now")
        except InvalidTransition as error:
            assert error.message == "not now"
        else:
            raise AssertionError("an ended meeting started again")


def test_each_domain_declares_itself_and_the_app_takes_it(app):
    from consult import domains
    from consult.notifications.models import MESSAGES
    from consult.search.index import kinds

    declared = domains.declared()
    assert [d.name for d in declared] == list(domains.DOMAINS)
    assert {d.blueprint.name for d in declared if d.blueprint} == set(app.blueprints)
    assert [due.name for due in domains.due_work()] == ["reminders", "digest", "ballots", "ballot_results", "motions",
                                                         "minutes", "owner registers", "reports", "councils", "webhooks"]
    assert {k.name for k in kinds()} == {"proposal", "ballot", "statement", "motion", "minutes"}
    owners = {kind: d.name for d in declared for kind in d.messages}
    assert set(owners) == set(MESSAGES) and len(owners) == sum(len(d.messages) for d in declared)
    app_source = (PACKAGE / "app.py").read_text(encoding="utf-8")
    assert "noqa: F401" not in app_source and "import bp" not in app_source


def test_the_loop_does_each_domains_due_work_in_its_own_transaction(app, monkeypatch):
    from consult import domains, schedule

    ran = []
    work = [domains.Due("a", lambda: True, lambda: ran.append("a") or 2),
            domains.Due("b", lambda: False, lambda: ran.append("b") or 5),
            domains.Due("c", lambda: True, lambda: ran.append("c") or 1)]
    monkeypatch.setattr(domains, "due_work", lambda: work)
    assert schedule.run_once(app) == 3 and ran == ["a", "c"]


def test_pages_load_their_records_through_one_helper():
    import re

    hand_written = re.compile(r"db\.session\.get\([^)]*\)\s*or abort\(")
    for path in PACKAGE.rglob("*.py"):
        assert not hand_written.search(path.read_text(encoding="utf-8")), path


def test_the_loader_tells_a_missing_record_and_a_refused_one_apart_only_when_asked(app, tree, make_user):
    import pytest
    from flask_login import login_user
    from werkzeug.exceptions import Forbidden, NotFound

    from consult.places.models import Place
    from consult.web import load

    outsider = make_user("刘", role=Role.resident, place=tree.jb)
    with app.test_request_context():
        login_user(outsider)
        assert load(Place, tree.jb.id, lambda user, place: True).id == tree.jb.id
        with pytest.raises(NotFound):
            load(Place, 10 ** 6)
        with pytest.raises(NotFound):
            load(Place, tree.b1.id, lambda user, place: False)
        with pytest.raises(Forbidden):
            load(Place, tree.b1.id, lambda user, place: False, refuse=403)


def test_shared_helpers_live_outside_the_domains():
    from consult import forms, photos, web

    assert callable(photos.encode_photo) and callable(web.safe_next) and forms.ConfirmForm
    for name in ("voting", "motions", "meetings", "places", "notifications"):
        for path in (PACKAGE / name).glob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "proposals.photos" not in text and "accounts.forms import ConfirmForm" not in text, path
    assert "main.views import" not in (PACKAGE / "accounts" / "views.py").read_text(encoding="utf-8")


def test_safe_next_stays_on_this_site(app):
    from consult.web import safe_next

    with app.test_request_context():
        assert safe_next("/proposals/1") == "/proposals/1"
        for elsewhere in ("https://evil.example/", "//evil.example/x", None, "", "javascript:alert(1)"):
            assert safe_next(elsewhere) == "/"
