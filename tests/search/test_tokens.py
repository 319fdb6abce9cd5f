"""The tokeniser, and the queries made of it for each engine."""
from consult.search.service import fts5_query, parse, tsquery
from consult.search.tokens import Run, fold, index_text, runs, tokens


def test_cjk_runs_become_overlapping_bigrams():
    assert tokens("电梯漏水") == ["电梯", "梯漏", "漏水"]
    assert tokens("充电桩") == ["充电", "电桩"]
    assert tokens("电梯") == ["电梯"]


def test_a_lone_cjk_character_stays_a_unigram():
    assert tokens("楼") == ["楼"]
    assert tokens("A栋") == ["a", "栋"]


def test_punctuation_and_latin_end_a_cjk_run():
    assert tokens("电梯，漏水。") == ["电梯", "漏水"]
    assert tokens("3号楼A栋电梯") == ["3", "号楼", "a", "栋电", "电梯"]


def test_latin_and_digits_are_lowercased_words():
    assert tokens("The Lift is OUT of order, call 12345!") == ["the", "lift", "is", "out", "of", "order", "call",
                                                               "12345"]
    assert tokens("e-mail user_name") == ["e", "mail", "user", "name"]


def test_full_width_letters_and_digits_and_accents_fold():
    assert tokens("ＬＩＦＴ　１２３号") == ["lift", "123", "号"]
    assert tokens("Café naïve") == ["cafe", "naive"]
    assert fold("Ｓtraße") == "strasse"


def test_kana_keeps_its_voicing_marks_and_hangul_is_bigrammed():
    assert tokens("エレベーター") == ["エレ", "レベ", "ベー", "ータ", "ター"]
    assert tokens("ガス") == ["ガス"]
    assert tokens("엘리베이터") == ["엘리", "리베", "베이", "이터"]


def test_index_text_joins_with_spaces_and_survives_nothing():
    assert index_text("电梯 Lift") == "电梯 lift"
    assert index_text("") == "" and index_text(None) == ""
    assert tokens("！？。…——") == []


def test_queries_are_phrases_of_each_run_all_required():
    found = parse("充电桩  Lift 电")
    assert found == [Run("充电桩", True), Run("lift", False), Run("电", True)]
    assert fts5_query(found) == '"充电 电桩" AND "lift" AND "电"*'
    assert tsquery(found) == "('充电' <-> '电桩') & ('lift') & '电':*"


def test_a_query_word_given_twice_is_searched_once():
    assert parse("电梯 电梯 ELEVATOR elevator") == [Run("电梯", True), Run("elevator", False)]
    assert runs("  ") == []
