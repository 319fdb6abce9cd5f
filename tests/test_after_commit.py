"""What happens after a commit: once, in order, after the commit and never after a rollback,
whichever transport ran the action."""
import pytest

from consult.database import collected, on_commit, unit_of_work
from consult.meetings import service as meetings


def test_callbacks_run_after_the_commit_in_order_and_once_per_key(app):
    ran = []
    with unit_of_work():
        on_commit(lambda: ran.append("first"))
        on_commit(lambda: ran.append("mail"), key="mail")
        on_commit(lambda: ran.append("mail again"), key="mail")
        on_commit(lambda: ran.append("second"))
        assert ran == []            # nothing before the commit
    assert ran == ["first", "mail", "second"]


def test_nothing_runs_after_a_rollback_and_nothing_is_kept_for_the_next_action(app):
    ran = []
    with pytest.raises(RuntimeError):
        with unit_of_work():
            on_commit(lambda: ran.append("lost"), key="mail")
            collected("meeting_events").append("lost")
            raise RuntimeError
    with unit_of_work():
        assert collected("meeting_events") == []
        on_commit(lambda: ran.append("kept"), key="mail")
    assert ran == ["kept"]


def test_a_failing_callback_neither_undoes_the_action_nor_stops_the_others(app, caplog):
    ran = []
    with unit_of_work():
        on_commit(lambda: 1 / 0)
        on_commit(lambda: ran.append("after"))
    assert ran == ["after"] and "after-commit callback" in caplog.text


def test_room_events_written_by_a_page_reach_the_room_after_the_commit_only(app, tree, make_user):
    from consult import clock
    from consult.accounts.models import Role
    from consult.meetings.models import MeetingForm, MeetingKind, Quorum

    moderator = make_user("社区主持人", role=Role.moderator, place=tree.fc)
    heard = []

    def listen(_sender, *, events):
        heard.extend(message["kind"] for _meeting, message in events)

    meetings.events_committed.connect(listen)
    try:
        with unit_of_work():
            meeting = meetings.schedule(tree.b1, actor=moderator, title="议事会", kind=MeetingKind.circle,
                                        form=MeetingForm.online, starts_at=clock.utcnow(), location="",
                                        quorum=Quorum.none, people=[moderator], free_items=["电梯"])
        with pytest.raises(RuntimeError):
            with unit_of_work():
                meetings.change_state(meeting, "start", actor=moderator)
                raise RuntimeError
        assert "start" not in heard
        with unit_of_work():
            meetings.change_state(meeting, "start", actor=moderator)
            assert "start" not in heard      # not before the commit
        assert heard[-1] == "start"
    finally:
        meetings.events_committed.disconnect(listen)
