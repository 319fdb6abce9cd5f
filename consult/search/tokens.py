"""Text to search tokens, the same for what is indexed and for what is searched.

Chinese has no spaces between words, and residents write new words all the time (充电桩,
共享单车), so no dictionary is used: a run of CJK characters becomes its overlapping
character bigrams (电梯漏水 → 电梯 梯漏 漏水), a lone CJK character stays as it is, and
any other run of letters and digits is one lowercased word. The engines (SQLite FTS5 with
``unicode61``, PostgreSQL ``to_tsvector('simple', …)``) only split the result at spaces.

Text is folded first: NFKC (full-width ＡＢＣ１２３ → abc123), case folding, and Latin
accents removed (café → cafe), so that the two engines see the same tokens.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Han (with extensions and compatibility ideographs), kana and Hangul: scripts written
# without spaces between words, bigrammed.
CJK = ("\u3005\u3007\u3040-\u30ff\u3100-\u312f\u31a0-\u31bf\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
       "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f")
_RUN = re.compile(f"([{CJK}]+)|([^\\W_{CJK}]+)")
# Combining accents of Latin, Greek and Cyrillic letters (not the kana voicing marks).
_ACCENTS = re.compile("[\u0300-\u036f]")
WORD_CHARS = f"[^\\W_{CJK}]"


def fold(text: str) -> str:
    """The form in which text is compared: NFKC, case-folded, Latin accents removed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFC", _ACCENTS.sub("", unicodedata.normalize("NFD", text)))
    return text


@dataclass(frozen=True)
class Run:
    """A stretch of folded text that is searched as one: a CJK run or a word."""
    text: str
    cjk: bool

    @property
    def tokens(self) -> list[str]:
        if self.cjk and len(self.text) > 1:
            return [self.text[i:i + 2] for i in range(len(self.text) - 1)]
        return [self.text]


def runs(text: str) -> list[Run]:
    return [Run(m.group(1) or m.group(2), m.group(1) is not None) for m in _RUN.finditer(fold(text or ""))]


def tokens(text: str) -> list[str]:
    return [token for run in runs(text) for token in run.tokens]


def index_text(text: str) -> str:
    """What the engines index: the tokens separated by spaces."""
    return " ".join(tokens(text))
