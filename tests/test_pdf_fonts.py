"""The PDFs' Chinese faces come with the app: the checks of tests/pdf_fonts.py can fail (a
system whose Chinese fonts are hidden draws no Chinese by itself), the bundled faces draw
what the documents are made of under either system, and ``python -m consult.pdf --check``
says what the machine lacks."""
import builtins
import subprocess
import sys

import pytest

from consult import pdf
from tests.pdf_fonts import (HIDDEN, NONE, PLAIN, ROOT, SYSTEM, assert_bundled_faces_draw_the_chinese, chinese,
                             embedded_faces, environment, make_pdf, shown_text)

PAGE = """<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">
<style>html {{ font-family: {family}; }} h1 {{ font-family: "Consult Sans"; }}</style></head>
<body><h1>3号楼楼道灯维修议事会纪要</h1>
<ul><li>居民王璟：楼道灯不亮已有两周，晚上老人上下楼容易摔倒。</li>
<li>网格员李喆、业主张堃、赵昇：同意由物业在7日内更换LED灯（约120元，由公共收益支出）。</li></ul>
<p>表决结果：赞成18户，反对1户，弃权2户；通过。SHA-256：9f86d081884c7d65</p></body></html>"""


@pytest.fixture
def pango():
    from tests.conftest import service_missing

    try:
        import weasyprint  # noqa: F401
    except OSError:
        service_missing("Pango, for PDF export (Debian: libpango-1.0-0 libpangoft2-1.0-0)")


def test_with_the_chinese_fonts_hidden_weasyprint_alone_draws_no_chinese(pango, tmp_path):
    html = PAGE.format(family='"Noto Serif CJK SC", "Noto Sans CJK SC", serif')
    made = make_pdf(html, environment(HIDDEN, tmp_path), PLAIN)
    drawn = set().union(*embedded_faces(made).values())
    assert not drawn & chinese(shown_text(html))
    with pytest.raises(AssertionError):
        assert_bundled_faces_draw_the_chinese(html, made)


@pytest.mark.parametrize("fonts", [SYSTEM, HIDDEN, NONE])
def test_the_bundled_faces_draw_rare_names_digits_and_latin(pango, tmp_path, fonts):
    html = PAGE.format(family='"Consult Serif"')
    made = make_pdf(html, environment(fonts, tmp_path))
    assert_bundled_faces_draw_the_chinese(html, made)
    assert set(embedded_faces(made)) == {"Consult-Serif", "Consult-Sans"}
    assert {"璟", "喆", "堃", "昇"} <= embedded_faces(made)["Consult-Serif"]
    assert len(made) < 40_000                                 # the faces cut down to the page


def test_a_face_is_cut_down_to_the_characters_asked_for():
    small = pdf.subset_face("NotoSerifSC-Regular.otf", "议事会")
    assert len(small) < 20_000 < (pdf.font_dir() / "NotoSerifSC-Regular.otf").stat().st_size
    assert "议" in pdf.document_characters("<p>议事&#20250;</p>") and "会" in pdf.document_characters("&#20250;")


def test_the_check_passes_on_this_machine(pango):
    done = subprocess.run([sys.executable, "-m", "consult.pdf", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_the_check_names_the_fix_when_pango_is_missing(monkeypatch):
    real_import = builtins.__import__

    def without_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", without_pango)
    problems = pdf.check()
    assert len(problems) == 1 and "apt-get install libpango-1.0-0 libpangoft2-1.0-0" in problems[0]
    assert pdf.main(["--check"]) == 1


def test_make_run_checks_first():
    recipe = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True).stdout
    assert recipe.index("consult.pdf --check") < recipe.index("consult.serve")
