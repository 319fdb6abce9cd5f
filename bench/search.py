"""Full-text search over an archive of 100,000 documents of generated Chinese (and some
English) community matters: proposals, meeting statements, motions and ballots in a
subdistrict of four communities. Times searches of common two-character words and of
rarer terms, through ``consult.search.search`` and through the search page, from the
subdistrict, a community and a building, as a resident. Also the rebuild of the index, the
size of the index and the cost of keeping it at each write. Aim: p95 under 100 ms.

``python -m bench.search [--count N] [--queries N] [--pg URL]`` prints the figures as
JSON; with ``--pg`` (or CONSULT_BENCH_DATABASE_URL) PostgreSQL is measured too — the
schema of that database is dropped first."""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

CHUNK = 5000
SHARES = {"proposal": 0.70, "statement": 0.20, "motion": 0.09, "ballot": 0.01}
COMMON = ["电梯", "漏水", "停车", "噪音", "物业", "楼道", "绿化", "垃圾"]
RARER = ["充电桩", "垃圾分类", "高空抛物", "消防通道", "适老化", "快递柜", "电梯 漏水", "elevator"]

PLACES = ["楼道", "地下车库", "小区东门", "电梯间", "楼顶", "自行车棚", "垃圾站", "儿童游乐场", "单元门口", "中心花园",
          "健身区", "北侧空地", "南门岗亭", "地面停车场"]
WHEN = ["最近", "这几天", "上周开始", "每天晚上", "一到周末", "入冬以来", "这个月", "好几年了"]
ASKS = ["希望物业尽快处理。", "请社区协调解决。", "大家一起商量个办法。", "已经反映过很多次了。", "建议召开议事会讨论。",
        "麻烦网格员上报一下。", "请业委会牵头。", "希望能给个答复。"]
# (weight, title, sentences): how often residents raise each matter and how they put it.
TOPICS = [
    (20, "电梯故障", ["电梯经常故障停运", "电梯困人，等了半个小时才有人来", "电梯异响，坐着心里不踏实",
                  "老楼加装电梯的费用怎么分摊", "电梯年检标志过期了"]),
    (12, "漏水", ["楼顶漏水，屋里墙皮都泡了", "暖气管道漏水", "楼上卫生间漏水渗到我家", "下雨天楼道漏水"]),
    (15, "停车难", ["小区停车位不够", "外来车辆乱停乱放", "有车停在消防通道上", "地下车库停车费太高"]),
    (6, "充电桩", ["电动车没有地方充电", "希望安装充电桩", "飞线充电很危险", "充电桩坏了没人修"]),
    (6, "垃圾分类", ["垃圾分类桶不够", "垃圾清运不及时，味道很大", "有人不按垃圾分类投放"]),
    (8, "噪音扰民", ["晚上广场舞噪音太大", "装修噪音影响休息", "空调外机噪音"]),
    (6, "绿化", ["绿化带被占用种菜", "树枝太长挡住窗户，需要修剪", "草坪没人浇水"]),
    (10, "物业服务", ["物业服务态度差", "物业费收费不透明", "保安不在岗"]),
    (5, "楼道堆物", ["楼道堆放杂物，存在消防隐患", "自行车堆在楼道里"]),
    (1, "高空抛物", ["有人高空抛物，差点砸到孩子"]),
    (2, "适老化改造", ["楼道里加装扶手，方便老人", "适老化改造什么时候开始"]),
    (2, "快递柜", ["快递柜太少，快递堆在门口"]),
    (4, "路灯", ["路灯不亮，晚上回家很黑"]),
    (3, "宠物", ["遛狗不拴绳", "宠物粪便没人清理"]),
    (3, "门禁", ["门禁卡坏了", "单元门禁经常打不开"]),
]
ENGLISH = ["The elevator in building {n} is broken again.", "Parking is a problem at night.",
           "Water is leaking from the roof.", "Please fix the street lights near the east gate."]


def _percentiles(times: list[float]) -> dict:
    times = sorted(times)
    return {"median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(int(len(times) * 0.95) - 1, 0)], 1)}


class Writer:
    """Generated titles and bodies, two to five sentences about one or two matters."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.weights = [t[0] for t in TOPICS]

    def topic(self):
        return self.rng.choices(TOPICS, self.weights)[0]

    def sentence(self, topic) -> str:
        rng = self.rng
        return f"{rng.choice(PLACES)}{rng.choice(WHEN)}{rng.choice(topic[2])}，{rng.choice(ASKS)}"

    def document(self) -> tuple[str, str]:
        rng = self.rng
        first = self.topic()
        topics = [first] + ([self.topic()] if rng.random() < 0.3 else [])
        body = [self.sentence(rng.choice(topics)) for _ in range(rng.randint(2, 5))]
        if rng.random() < 0.03:
            body.append(rng.choice(ENGLISH).format(n=rng.randint(1, 30)))
        return f"{rng.randint(1, 30)}号楼{first[1]}", "".join(body)


def _setup(app) -> dict:
    """Subdistrict → 4 communities → 3 compounds each → 10 buildings each; 400 residents,
    one of them (the searcher) in the first building; a moderator of the subdistrict."""
    from consult.accounts.models import Role, RoleGrant, User
    from consult.accounts.passwords import hash_password
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.places import service as places
    from consult.places.models import Household, HouseholdMember, PlaceKind, Relation

    with app.app_context():
        with unit_of_work():
            moderator = User(name="街道管理员", username="bench", password_hash=hash_password("bench password"))
            db.session.add_all([moderator, RoleGrant(user=moderator, role=Role.administrator)])
            db.session.flush()
            sub = places.create_place(None, PlaceKind.subdistrict, "大屯街道", actor=moderator)
            communities, buildings = [], []
            for c in range(1, 5):
                community = places.create_place(sub, PlaceKind.community, f"第{c}社区", actor=moderator)
                communities.append(community)
                for k in range(1, 4):
                    compound = places.create_place(community, PlaceKind.compound, f"{c}-{k}小区", actor=moderator)
                    buildings += [places.create_place(compound, PlaceKind.building, f"{c}-{k}-{b}号楼", actor=moderator)
                                  for b in range(1, 11)]
        with unit_of_work():
            users = [User(name=f"居民{n}", phone=f"1{3500000000 + n:010d}") for n in range(400)]
            users[0].password_hash = hash_password("bench password")
            db.session.add_all(users)
            db.session.flush()
            for n, user in enumerate(users):
                household = Household(place_id=buildings[n % len(buildings)].id, room=f"{n // 120 + 1}01",
                                      area=88)
                db.session.add(household)
                db.session.add(HouseholdMember(household=household, user=user, relation=Relation.owner,
                                               is_designated_voter=True))
        return {"sub": sub.id, "communities": [c.id for c in communities], "buildings": [b.id for b in buildings],
                "users": [u.id for u in users], "resident": users[0].id, "resident_phone": users[0].phone,
                "admin": moderator.id}


def _load(app, setup: dict, count: int, seed: int) -> dict:
    """``count`` documents over the last three years, in bulk (around the ORM, so the
    index is built afterwards by ``reindex``)."""
    from consult.clock import utcnow
    from consult.extensions import db
    from consult.meetings.models import Invitee, Meeting, Statement
    from consult.motions.models import Motion
    from consult.proposals.models import Category, Proposal
    from consult.voting.models import Ballot

    writer, rng = Writer(seed), random.Random(seed + 1)
    now = utcnow()
    buildings, users = setup["buildings"], setup["users"]
    sizes = {kind: int(count * share) for kind, share in SHARES.items()}
    sizes["proposal"] += count - sum(sizes.values())

    def moment():
        return now - timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))

    with app.app_context():
        categories = db.session.scalars(select(Category.id)).all()
        tiers = ["home"] * 6 + ["circle"] * 3 + ["platform"]
        meetings = []
        for n in range(max(sizes["statement"] // 50, 1)):
            meetings.append({"place_id": rng.choice(buildings), "title": f"{writer.topic()[1]}议事会（第{n + 1}期）",
                             "kind": "circle", "form": "hybrid", "starts_at": moment(), "state": "ended",
                             "moderator_id": setup["admin"], "last_seq": 0, "speakers_open": False,
                             "quorum": "none", "location": "社区议事厅"})
        meeting_ids = db.session.scalars(insert(Meeting).returning(Meeting.id, sort_by_parameter_order=True),
                                         meetings).all()
        # The searcher is invited to the meetings of their building.
        own = [{"meeting_id": mid, "user_id": setup["resident"], "response": "accepted"}
               for mid, m in zip(meeting_ids, meetings) if m["place_id"] == buildings[0]]
        if own:
            db.session.execute(insert(Invitee), own)
        for kind, model in (("proposal", Proposal), ("statement", Statement), ("motion", Motion),
                            ("ballot", Ballot)):
            for offset in range(0, sizes[kind], CHUNK):
                rows = []
                for _ in range(offset, min(offset + CHUNK, sizes[kind])):
                    title, body = writer.document()
                    at = moment()
                    if kind == "proposal":
                        rows.append({"place_id": rng.choice(buildings), "title": title, "body": body,
                                     "category_id": rng.choice(categories), "tier": rng.choice(tiers),
                                     "state": "accepted", "author_id": rng.choice(users), "cosign_count": 0,
                                     "created_at": at, "updated_at": at})
                    elif kind == "statement":
                        rows.append({"meeting_id": rng.choice(meeting_ids), "author_id": rng.choice(users),
                                     "body": body, "at": at})
                    elif kind == "motion":
                        rows.append({"place_id": rng.choice(buildings), "title": title, "body": body,
                                     "state": "in_progress", "created_by_id": setup["admin"], "created_at": at,
                                     "complete_by": at + timedelta(days=7), "raters": "place", "whistle": False})
                    else:
                        rows.append({"place_id": rng.choice(buildings), "question": f"是否同意{title}的处理方案？",
                                     "electorate": "households", "secrecy": "named", "rule": "simple_majority",
                                     "state": "closed", "created_by_id": setup["admin"], "created_at": at,
                                     "opened_at": at, "closed_at": at + timedelta(days=7)})
                db.session.execute(insert(model), rows)
                db.session.commit()
    return sizes


def _index_size(app) -> dict:
    from consult.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            row = db.session.execute(text(
                "SELECT pg_total_relation_size('search_documents'), pg_relation_size('ix_search_documents_tsv'), "
                "pg_column_size(tsv) FROM search_documents LIMIT 1")).one()
            average = db.session.scalar(text("SELECT avg(pg_column_size(tsv)) FROM search_documents"))
            return {"documents_table_with_indexes_mb": round(row[0] / 2 ** 20, 1),
                    "gin_index_mb": round(row[1] / 2 ** 20, 1), "tsvector_bytes_per_document": round(average)}
        try:
            sizes = dict(db.session.execute(text(
                "SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'search%' GROUP BY name")).all())
        except Exception:   # SQLite built without the dbstat table
            db.session.rollback()
            return {}
        fts = sum(v for k, v in sizes.items() if k.startswith("search_fts"))
        return {"documents_table_mb": round(sizes.get("search_documents", 0) / 2 ** 20, 1),
                "fts5_index_mb": round(fts / 2 ** 20, 1)}


def _token_figures(app) -> dict:
    from consult.extensions import db
    from consult.search.models import SearchDocument

    with app.app_context():
        rows = db.session.execute(select(SearchDocument.title, SearchDocument.body, SearchDocument.title_tokens,
                                         SearchDocument.body_tokens).limit(2000)).all()
    characters = sum(len(r[0]) + len(r[1]) for r in rows)
    tokens = sum(len(r[2].split()) + len(r[3].split()) for r in rows)
    return {"characters_per_document": round(characters / len(rows)), "tokens_per_document": round(tokens / len(rows))}


def _write_cost(app, setup: dict, writes: int = 300) -> dict:
    """Raising a proposal through the ORM, one transaction each, with the index kept and
    without (the listener taken off for the measurement)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.proposals.models import Category, Proposal
    from consult.search import index

    writer = Writer(99)
    figures = {}
    with app.app_context():
        category = db.session.scalar(select(Category.id))
        for name in ("with_index", "without_index"):
            if name == "without_index":
                event.remove(Session, "after_flush", index._after_flush)
            try:
                times = []
                for n in range(writes):
                    title, body = writer.document()
                    begin = time.perf_counter()
                    with unit_of_work():
                        db.session.add(Proposal(place_id=setup["buildings"][n % 7], title=title, body=body,
                                                category_id=category, author_id=setup["resident"]))
                    times.append((time.perf_counter() - begin) * 1000)
                figures[name] = _percentiles(times)
            finally:
                if name == "without_index":
                    event.listen(Session, "after_flush", index._after_flush)
        with unit_of_work():
            index.reindex()
    return figures


def _searches(app, setup: dict, queries: int) -> dict:
    from consult.accounts.models import User
    from consult.extensions import db
    from consult.places.models import Place
    from consult.search import search

    scopes = [("subdistrict", setup["sub"]), ("community", setup["communities"][0]),
              ("building", setup["buildings"][0])]
    figures = {}
    with app.app_context():
        resident = db.session.get(User, setup["resident"])
        places = {name: db.session.get(Place, pid) for name, pid in scopes}
        counts = {}
        for words in (COMMON, RARER):
            for word in words:
                counts[word] = search(places["subdistrict"], word, viewer=resident).total
        figures["results_in_subdistrict"] = counts   # at most service.CANDIDATES
        for label, words in (("two_character_words", COMMON), ("rarer_terms", RARER)):
            times, by_scope = [], {name: [] for name, _ in scopes}
            for n in range(queries):
                name = scopes[n % len(scopes)][0]
                begin = time.perf_counter()
                search(places[name], words[n % len(words)], viewer=resident, page=1 + (n // 7) % 3)
                elapsed = (time.perf_counter() - begin) * 1000
                times.append(elapsed)
                by_scope[name].append(elapsed)
            figures[f"service_{label}"] = {**_percentiles(times),
                                           "by_place": {k: _percentiles(v) for k, v in by_scope.items()}}
        db.session.remove()

    client = app.test_client()
    login = client.post("/login", data={"identifier": setup["resident_phone"], "password": "bench password"})
    assert login.status_code == 302, login.status_code
    for label, words in (("two_character_words", COMMON), ("rarer_terms", RARER)):
        times = []
        for n in range(queries):
            place_id = scopes[n % len(scopes)][1]
            url = f"/places/{place_id}/search"
            begin = time.perf_counter()
            response = client.get(url, query_string={"q": words[n % len(words)]})
            times.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, response.status_code
        figures[f"page_{label}"] = _percentiles(times)
    return figures


def compare_segmenters(count: int = 20_000, seed: int = 278) -> dict:
    """Bigrams against jieba (precise mode, as an index would use it) on the generated
    documents: tokens per document, time to cut, and for each query how many of the
    documents that contain it are found, a query matching as a phrase of its tokens.
    Needs ``jieba``, which the application does not use."""
    import logging

    import jieba

    from consult.search.tokens import fold, runs, tokens

    jieba.setLogLevel(logging.WARNING)
    writer = Writer(seed)
    texts = [fold(" ".join(writer.document())) for _ in range(count)]

    def contains(sequence: list[str], phrase: list[str]) -> bool:
        n = len(phrase)
        return any(sequence[i:i + n] == phrase for i in range(len(sequence) - n + 1))

    def cut(text: str) -> list[str]:
        return [t for t in jieba.lcut(text) if t.strip() and any(c.isalnum() for c in t)]

    figures = {}
    for name, tokenise in (("bigrams", tokens), ("jieba", cut)):
        tokenise(texts[0])   # jieba loads its dictionary on first use
        begin = time.perf_counter()
        cut_texts = [tokenise(t) for t in texts]
        figures[name] = {"tokens_per_document": round(sum(map(len, cut_texts)) / count, 1),
                         "ms_per_1000_documents": round((time.perf_counter() - begin) * 1000 / count * 1000, 1)}
        figures[name]["_cut"] = cut_texts
    recall = {}
    for query in [w for w in COMMON + RARER if " " not in w] + ["充电", "电动", "快递", "老化", "抛物"]:
        truth = {i for i, t in enumerate(texts) if fold(query) in t}
        found = {}
        for name, tokenise in (("bigrams", None), ("jieba", cut)):
            if name == "bigrams":
                phrases = [run.tokens for run in runs(query)]
            else:
                phrases = [cut(fold(query))]
            hits = {i for i, toks in enumerate(figures[name]["_cut"]) if all(contains(toks, p) for p in phrases)}
            found[name] = {"found": len(hits & truth), "missed": len(truth - hits), "other": len(hits - truth)}
        recall[query] = {"containing": len(truth), **found}
    for name in ("bigrams", "jieba"):
        del figures[name]["_cut"]
    figures["queries"] = recall
    return figures


def bench_search(tmp: Path, uri: str | None = None, count: int = 100_000, queries: int = 200) -> dict:
    """Load ``count`` documents, rebuild the index, then time ``queries`` searches of each
    sort through the service and through the page."""
    from bench.__main__ import _app
    from bench.voting import reset_postgres
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.search import index

    if uri:
        reset_postgres(uri)
    app = _app(tmp, uri)
    start = time.perf_counter()
    setup = _setup(app)
    sizes = _load(app, setup, count, seed=278)
    results = {"engine": "postgresql" if uri else "sqlite", "documents": sizes,
               "load_s": round(time.perf_counter() - start, 1)}
    with app.app_context():
        start = time.perf_counter()
        with unit_of_work():
            counts = index.reindex()
        results["reindex_s"] = round(time.perf_counter() - start, 1)
        results["indexed"] = sum(counts.values())
        if uri:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.session.remove()
    results.update(_token_figures(app))
    results["index_size"] = _index_size(app)
    results.update(_searches(app, setup, queries))
    results["write_ms"] = _write_cost(app, setup)
    with app.app_context():
        db.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--pg", default=os.environ.get("CONSULT_BENCH_DATABASE_URL"),
                        help="PostgreSQL URL; its schema is dropped first")
    parser.add_argument("--jieba", action="store_true", help="only compare bigrams with jieba (needs jieba)")
    args = parser.parse_args()
    if args.jieba:
        print(json.dumps(compare_segmenters(), indent=2, ensure_ascii=False))
        return
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "sqlite").mkdir()
        results["sqlite"] = bench_search(Path(tmp) / "sqlite", None, args.count, args.queries)
        if args.pg:
            (Path(tmp) / "pg").mkdir()
            results["postgresql"] = bench_search(Path(tmp) / "pg", args.pg, args.count, args.queries)
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
