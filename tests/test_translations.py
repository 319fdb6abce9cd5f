"""The catalogue gives each message one translation: two entries for the same message
(as a merge of two branches can leave) would make the page's words depend on which came
first."""
import re
from collections import Counter
from pathlib import Path

CATALOGUES = sorted((Path(__file__).resolve().parent.parent / "consult" / "translations").glob("*/LC_MESSAGES/messages.po"))


def _messages(text: str):
    for entry in text.split("\n\n"):
        found = re.search(r'^msgid ((?:".*"\n?)+)', entry, re.M)
        if found is None or entry.lstrip().startswith("#~"):
            continue
        context = re.search(r'^msgctxt "(.*)"', entry, re.M)
        message = "".join(re.findall(r'"(.*)"', found.group(1)))
        if message:
            yield (context.group(1) if context else None, message)


def test_there_is_a_catalogue():
    assert CATALOGUES


def test_each_message_is_translated_once():
    for catalogue in CATALOGUES:
        counted = Counter(_messages(catalogue.read_text(encoding="utf-8")))
        assert counted, catalogue
        assert [m for m, n in counted.items() if n > 1] == [], catalogue


def test_a_repeated_message_is_found():
    text = 'msgid "Yes"\nmsgstr "是"\n\nmsgid "No"\nmsgstr "否"\n\nmsgid "Yes"\nmsgstr "对"\n'
    assert Counter(_messages(text))[(None, "Yes")] == 2
