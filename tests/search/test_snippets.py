"""Snippets: a window around the first hit, hits marked, text escaped, phone numbers masked."""
from consult.search.snippets import highlight, mask_numbers, pattern, snippet
from consult.search.tokens import runs


def test_the_hit_is_marked_and_the_rest_escaped():
    found = pattern(runs("电梯"))
    assert str(snippet("<b>3号楼</b>的电梯又坏了", found)) == "&lt;b&gt;3号楼&lt;/b&gt;的<mark>电梯</mark>又坏了"
    assert str(highlight("电梯 & 楼道灯", found)) == "<mark>电梯</mark> &amp; 楼道灯"


def test_a_long_text_is_cut_around_the_first_hit():
    body = "楼" * 200 + "充电桩不够用" + "车" * 200
    text = str(snippet(body, pattern(runs("充电"))))
    assert text.startswith("…") and text.endswith("…")
    assert "<mark>充电</mark>桩不够用" in text
    assert 80 <= len(text.replace("<mark>", "").replace("</mark>", "")) <= 82


def test_without_a_hit_the_beginning_is_shown():
    text = str(snippet("一" * 100, pattern(runs("电梯"))))
    assert text == "一" * 80 + "…"


def test_words_are_found_whole_case_and_width_insensitively():
    found = pattern(runs("lift"))
    assert str(snippet("The LIFT stopped; uplifted spirits; ｌｉｆｔ", found)) == \
        "The <mark>LIFT</mark> stopped; uplifted spirits; <mark>ｌｉｆｔ</mark>"


def test_folding_that_changes_the_length_keeps_marks_in_place():
    found = pattern(runs("strasse"))
    assert str(snippet("Die Straße ist nass", found)) == "Die <mark>Straße</mark> ist nass"


def test_phone_numbers_are_masked_keeping_the_length():
    assert mask_numbers("请联系13812345678") == "请联系138****5678"
    assert mask_numbers("138 1234 5678") == "138 **** 5678"
    assert mask_numbers("电话6431-2345，2024年") == "电话****-****，2024年"
    assert mask_numbers("１３８１２３４５６７８") == "１３８****５６７８"
    assert mask_numbers("房号1202，面积88.5") == "房号1202，面积88.5"


def test_snippets_and_titles_never_show_a_phone_number():
    found = pattern(runs("电话"))
    assert "13812345678" not in str(snippet("有事打电话13812345678找我", found))
    assert str(highlight("电话13812345678", found)) == "<mark>电话</mark>138****5678"
