"""Sort keys that order Chinese text by pinyin (汉语拼音), the order a Chinese reader expects.

Code-point order puts 上海 (U+4E0A) before 北京 (U+5317); a reader expects 北京 (běi) before 上海 (shàng).
`sort_key` turns text into a lower-case ASCII-ish key: every Han character becomes its pinyin syllable with
the tone number (pypinyin's `Style.TONE3`, phrases first so that 重庆 reads chóng, not zhòng), other
characters stay as they are. Keys are stored next to the text (`filing.title_key`, `organisation.name_key`)
so the database sorts 100,000 rows without calling Python.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import overload

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
KEY_LENGTH = 600
"""Longest key stored (the column's width); longer keys are cut, which only matters for ties."""


@lru_cache(maxsize=65_536)
def _syllables(run: str) -> str:
    """One run of Han characters as space-separated pinyin syllables with tone numbers ("bei3 jing1")."""
    from pypinyin import Style, lazy_pinyin  # deferred: its dictionaries take a third of a second to load

    return " ".join(lazy_pinyin(run, style=Style.TONE3, neutral_tone_with_five=True))


@overload
def sort_key(text: str) -> str: ...
@overload
def sort_key(text: None) -> None: ...
def sort_key(text: str | None) -> str | None:
    """The pinyin sort key of `text` (None stays None): "北京星河" → "bei3 jing1 xing1 he2".

    Non-Han text is kept, lower-cased, so "AI 助手" → "ai  zhu4 shou3"; digits and Latin letters sort
    before pinyin syllables of the same spelling only by their own characters. Pure; no I/O.
    """
    if text is None:
        return None
    parts: list[str] = []
    last = 0
    for match in _HAN.finditer(text):
        parts.append(text[last : match.start()].lower())
        parts.append(f" {_syllables(match.group())} ")
        last = match.end()
    parts.append(text[last:].lower())
    return " ".join("".join(parts).split())[:KEY_LENGTH]
