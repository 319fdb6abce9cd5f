"""长辈模式: a switch in the header of every page, remembered on the account (in the browser
for a visitor), settable by the grid worker who serves a resident's household; at home
four large tiles with what waits behind each."""
import re

from sqlalchemy import select

from consult.accounts.models import Role
from consult.audit.models import AuditEntry
from consult.database import unit_of_work
from consult.extensions import db
from consult.voting import service as voting
from consult.voting.models import Electorate, Secrecy


def do(operation, *args, **kwargs):
    with unit_of_work():
        return operation(*args, **kwargs)


def elders(page: str) -> bool:
    return bool(re.search(r'<html lang="[^"]+" class="elders">', page))


def tiles(page: str) -> dict[str, str]:
    """Tile key → its count, as the home page shows them."""
    return dict(re.findall(r'<a class="tile tile-(\w+)".*?<span class="tile-count[^"]*">(\d+)</span>', page, re.S))


def test_a_resident_turns_it_on_from_the_header_and_it_stays_on_their_account(client, auth, tree, make_household,
                                                                              make_user):
    resident = make_user("王秀英", phone="13911112222", household=make_household(tree.e1, "301"))
    moderator = make_user("李书记", role=Role.moderator, place=tree.fc)
    ballot = do(voting.draft_ballot, tree.b1, actor=moderator, question="是否加装电梯？",
                electorate=Electorate.households, secrecy=Secrecy.named, rule="simple_majority")
    do(voting.open_ballot, ballot, actor=moderator)
    auth.login("13911112222")
    page = client.get("/proposals/").get_data(as_text=True)
    assert not elders(page) and 'action="/elders"' in page and 'aria-pressed="false"' in page

    client.post_form("/elders", {"on": "1", "next": "/proposals/"})
    db.session.refresh(resident)
    assert resident.elders_mode
    page = client.get("/proposals/").get_data(as_text=True)
    assert elders(page) and 'aria-pressed="true"' in page

    home = client.get("/").get_data(as_text=True)
    assert tiles(home) == {"raise": "0", "vote": "1", "meet": "0", "messages": tiles(home)["messages"]}
    assert int(tiles(home)["messages"]) >= 1          # the ballot's opening was announced
    assert "我要说事" in home and "投票" in home and "会议" in home and "消息" in home
    assert 'class="tile tile-vote" href="/ballots/"' in home
    assert "What needs you now" not in home and 'id="needs-heading"' not in home
    assert 'id="needs-heading"' in client.get("/?all=1").get_data(as_text=True)

    # Another browser, the same account: still on.
    auth.logout()
    auth.login("13911112222")
    assert elders(client.get("/").get_data(as_text=True))
    do(voting.cast, ballot, actor=resident, choice="yes")
    assert tiles(client.get("/").get_data(as_text=True))["vote"] == "0"

    client.post_form("/elders", {"on": "0", "next": "/"})
    db.session.refresh(resident)
    assert not resident.elders_mode and not elders(client.get("/").get_data(as_text=True))


def test_a_visitor_has_it_in_this_browser(client):
    assert not elders(client.get("/login").get_data(as_text=True))
    answer = client.post_form("/elders", {"on": "1", "next": "/login"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login")
    assert elders(client.get("/login").get_data(as_text=True))


def test_a_grid_worker_turns_it_on_for_a_resident_they_serve_and_it_is_audited(client, auth, tree, make_household,
                                                                                make_user):
    household = make_household(tree.e1, "301")
    grandmother = make_user("赵奶奶", phone="13911113333", household=household)
    make_user("陈网格员", username="grid", role=Role.grid_worker, place=tree.b1)
    make_user("刘网格员", username="other", role=Role.grid_worker, place=tree.b2)
    make_user("张建国", phone="13911114444", household=make_household(tree.e1, "302"))

    auth.login("grid")
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert f'action="/people/{grandmother.id}/elders"' in page and "开启长辈模式" in page
    answer = client.post_form(f"/people/{grandmother.id}/elders", {"on": "1", "next": f"/households/{household.id}"})
    assert answer.status_code == 302
    db.session.refresh(grandmother)
    assert grandmother.elders_mode
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "已为赵奶奶开启长辈模式" in page and "使用长辈模式" in page and "关闭长辈模式" in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.elders_mode"))
    assert entry.target_id == grandmother.id and entry.place_id == tree.e1.id
    auth.logout()

    # Neither a grid worker of another building nor a neighbour may.
    for login in ("other", "13911114444"):
        auth.login(login)
        assert client.post_form(f"/people/{grandmother.id}/elders", {"on": "0"}).status_code == 404
        auth.logout()
    db.session.refresh(grandmother)
    assert grandmother.elders_mode

    # She signs in: her pages are in elders' mode.
    auth.login("13911113333")
    assert elders(client.get("/").get_data(as_text=True))
