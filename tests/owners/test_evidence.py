"""The evidence of the procedure before the vote and of the proxies, with the check of each
requirement."""
import io
from datetime import timedelta

from PIL import Image

from consult import clock
from consult.database import unit_of_work
from consult.owners import service as owners
from consult.owners.evidence import evidence
from consult.voting import service as voting
from consult.voting.models import Choice

from .conftest import T0, draft


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    return out.getvalue()


def requirement(requirements, start):
    return next(r for r in requirements if r[0].startswith(start))


def test_a_procedure_run_in_full_meets_every_requirement(app, tree, moderator, administrator, building, make_user):
    ballot = draft(tree, moderator)
    with unit_of_work():
        register = owners.publish_register(ballot, actor=moderator)
    with unit_of_work():
        objection = owners.object_to(register.entries[1], actor=building.owners[0], reason="面积不对")
    with unit_of_work():
        owners.settle(objection, actor=administrator, upheld=True, answer="按产权证更正", area="86.20")
    with unit_of_work():
        notice = owners.publish_notice(ballot, actor=moderator, matter="更换电梯")
    with unit_of_work():
        owners.record_posting(notice, actor=moderator, place=tree.b1, spot="1号楼大堂", posted_at=T0, photo=photo(),
                              config=app.config)
    son = make_user("王小明")
    with unit_of_work():
        owners.authorise_proxy(tree.b1, building.owners[0], actor=moderator, proxy=son.phone, ballot=ballot,
                               photo=photo(), config=app.config)
    clock.set_now(T0 + timedelta(days=20))
    with unit_of_work():
        voting.open_ballot(ballot, actor=moderator)
    with unit_of_work():
        owners.cast_by_proxy(ballot, building.owners[0].id, actor=son, choice="yes")
    with unit_of_work():
        voting.cast(ballot, actor=building.owners[1], choice=Choice.no)

    with app.test_request_context():     # the pack is a download: built in a request
        files, requirements = evidence(ballot)
    paths = {path: data for path, data, _title in files}
    assert {"owners/register.csv", "owners/register-objections.csv", "owners/notice.pdf",
            "owners/notice-delivery-log.csv", "owners/postings.csv", "owners/proxies.csv"} <= set(paths)
    assert paths["owners/notice.pdf"].startswith(b"%PDF")
    assert any(p.startswith("owners/postings/") for p in paths) and any(p.startswith("owners/proxies/") for p in paths)
    assert "86.20" in paths["owners/register-objections.csv"].decode("utf-8-sig")
    assert "由王小明代为投票" in paths["owners/proxies.csv"].decode("utf-8-sig")
    assert all(met for _label, met, _when, _detail in requirements), requirements
    assert requirement(requirements, "投票开始前15日公告")[2] == T0


def test_what_was_not_done_is_reported_unmet(app, tree, moderator, building):
    ballot = draft(tree, moderator)
    with unit_of_work():
        register = owners.publish_register(ballot, actor=moderator)
    with unit_of_work():
        owners.object_to(register.entries[0], actor=building.owners[1], reason="户主不对")
    with unit_of_work():
        owners.publish_notice(ballot, actor=moderator, matter="更换电梯")
    with app.test_request_context():
        _files, requirements = evidence(ballot)
    assert not requirement(requirements, "名册异议")[1]
    assert not requirement(requirements, "每位业主")[1]
    assert requirement(requirements, "名册公示")[1]


def test_the_evidence_pack_carries_the_procedure_before_the_vote(app, tree, moderator, building):
    import zipfile

    from consult.voting import evidence as pack

    ballot = draft(tree, moderator)
    with unit_of_work():
        owners.publish_register(ballot, actor=moderator)
    with unit_of_work():
        owners.publish_notice(ballot, actor=moderator, matter="更换电梯")
    with app.test_request_context():
        names = zipfile.ZipFile(io.BytesIO(pack.build_pack(ballot))).namelist()
        labels = [r.label for r in pack.compliance(ballot)]
    assert {"owners/register.csv", "owners/notice.pdf", "compliance.csv", "MANIFEST.sha256"} <= set(names)
    assert any(label.startswith("名册公示") for label in labels)
