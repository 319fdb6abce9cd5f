"""The PDF of two pages of minutes: its size, the fonts it embeds and the time to make it.

The minutes are drafted from a meeting and then written out by hand to fill two A4 pages
of Chinese text, as a recorder does; the draft is rendered anew each time (a draft is
never kept). ``python -m bench.pdf`` prints a table and writes bench/results/pdf.json."""
from __future__ import annotations

import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ITEMS = [
    ("1号楼加装电梯", ["一楼住户担心电梯噪音和采光，希望井道放在北侧。", "高层老人上下楼困难，盼望尽快开工。",
                   "费用按楼层分摊，高层多出，一楼不出资。", "施工期间楼道要保持畅通，消防通道不得占用。"],
     "采用北侧方案，报街道审批；二楼以上按楼层系数分摊费用。"),
    ("地下车库漏水", ["雨季车库积水，车辆多次被淹。", "物业说已报修三次，维修资金申请流程太长。",
                  "建议先做临时排水，再申请专项维修资金。"],
     "物业一周内完成临时排水，业委会启动维修资金表决。"),
    ("充电桩与停车", ["晚上充电桩排队，有人把车停在消防通道上。", "希望在地面停车场东侧增设十个充电桩。",
                  "新增车位按摇号分配，优先照顾残疾人家庭。"],
     "物业提交增设方案，下次议事会表决。"),
    ("垃圾分类投放点", ["投放点离单元门太近，夏天有异味。", "志愿者每周轮值，督促居民分类投放。"],
     "投放点北移二十米，社区联系环卫部门调整清运时间。"),
    ("广场舞噪音", ["晚上九点以后音响声音太大，影响老人和孩子休息。", "跳舞的居民愿意调低音量，希望有固定场地。"],
     "晚上八点半以后停止使用音响，社区协调小广场作为固定场地。"),
]


def minutes_body(repeat: int = 2) -> str:
    """Markdown of the recorder's minutes: the agenda items, what was said and decided."""
    lines = ["### 会议基本情况", "",
             "时间：2026年5月9日上午九点至十一点。地点：社区议事厅（线上同步）。主持人：社区居委会主任。",
             "出席：居民代表二十三人，网格员二人，物业项目经理一人，业委会委员三人，街道城建科一人。", ""]
    for round_ in range(repeat):
        for n, (title, sayings, decision) in enumerate(ITEMS, 1):
            lines += [f"### 议题{n + round_ * len(ITEMS)}：{title}", "", "#### 发言", ""]
            lines += [f"- 居民代表{k}：{saying}" for k, saying in enumerate(sayings, 1)]
            lines += ["", "#### 决定", "", f"**{decision}**", ""]
    lines += ["### 后续事项", "", "1. 物业按时反馈办理进度，社区每周跟踪。", "2. 纪要公示七天，居民可提出异议。", ""]
    return "\n".join(lines)


def _setup(app, pages: int):
    """Minutes of one ended meeting whose body fills ``pages`` pages: the version's id."""
    from bench.minutes import _setup as meetings_setup
    from consult.accounts.models import User
    from consult.database import unit_of_work
    from consult.extensions import db
    from consult.meetings.models import Meeting
    from consult.minutes import archive
    from consult.minutes import service as minutes
    from pypdf import PdfReader

    setup = meetings_setup(app, 1)
    with app.app_context(), app.test_request_context():
        moderator = db.session.get(User, setup["moderator"])
        with unit_of_work():
            record = minutes.start(db.session.scalar(db.select(Meeting)), actor=moderator)
        for repeat in range(1, 10):
            with unit_of_work():
                version = minutes.edit(record, actor=moderator, title="第1次议事会纪要", body=minutes_body(repeat))
            if len(PdfReader(io.BytesIO(archive.pdf(version))).pages) >= pages:
                return version.id
    raise AssertionError(f"the minutes never filled {pages} pages")


def bench_pdf(tmp: Path, runs: int = 5, pages: int = 2) -> dict:
    from pypdf import PdfReader

    from bench.__main__ import _app
    from consult.extensions import db
    from consult.minutes import archive
    from consult.minutes.models import MinutesVersion

    app = _app(tmp)
    version_id = _setup(app, pages)
    times = []
    with app.app_context(), app.test_request_context():
        version = db.session.get(MinutesVersion, version_id)
        for _ in range(runs):
            begin = time.perf_counter()
            made = archive.pdf(version)
            times.append(time.perf_counter() - begin)
        text = version.body
        db.engine.dispose()
    reader = PdfReader(io.BytesIO(made))
    fonts = sorted({str(font["/BaseFont"]).split("+")[-1]
                    for page in reader.pages for font in page["/Resources"]["/Font"].values()
                    for font in [font.get_object()]})
    return {"pages": len(reader.pages), "characters": len(text), "pdf_kb": round(len(made) / 1024, 1),
            "render_ms_median": round(statistics.median(times) * 1000), "render_ms_first": round(times[0] * 1000),
            "fonts": fonts}


def table(results: dict) -> list[tuple[str, str, str]]:
    return [(f"minutes PDF of {results['pages']} pages: size", f"{results['pdf_kb']} KB",
             ", ".join(results["fonts"])),
            ("… its render time", f"{results['render_ms_median']} ms",
             f"median of the runs; the first {results['render_ms_first']} ms")]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        results = bench_pdf(Path(tmp))
    rows = table(results)
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>10}  {note}")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "pdf.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
