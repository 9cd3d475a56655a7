"""How many SMS segments a text costs: GSM-7 (160/153 septets) or UCS-2 (70/67 UTF-16 units).

Carriers bill and deliver per segment, so templates are kept short and `beian notify preview` shows the count.
A concatenated message loses room to its header, and a segment boundary never splits a GSM escape pair
or a UTF-16 surrogate pair, which is why the count is packed character by character.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True, slots=True)
class SegmentCount:
    """The encoding of a text, its length in that encoding's units, and the segments it needs."""

    encoding: Encoding
    units: int
    segments: int

    @property
    def single_limit(self) -> int:
        """Units that fit in one unconcatenated segment."""
        return 160 if self.encoding == "GSM-7" else 70

    @property
    def part_limit(self) -> int:
        """Units per segment once a message is concatenated."""
        return 153 if self.encoding == "GSM-7" else 67


def is_gsm7(text: str) -> bool:
    """Whether every character has a GSM-7 encoding (basic or extension table)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def _units(text: str, encoding: Encoding) -> list[int]:
    if encoding == "GSM-7":
        return [2 if ch in GSM7_EXTENDED else 1 for ch in text]
    return [
        2 if ord(ch) > 0xFFFF else 1 for ch in text
    ]  # astral characters are surrogate pairs in UCS-2/UTF-16


def count_segments(text: str) -> SegmentCount:
    """Count the segments of `text` as a carrier would."""
    encoding: Encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    units = _units(text, encoding)
    total = sum(units)
    single, part = (160, 153) if encoding == "GSM-7" else (70, 67)
    if total <= single:
        return SegmentCount(encoding, total, 1)
    segments, used = 1, 0
    for width in units:
        if used + width > part:
            segments, used = segments + 1, 0
        used += width
    return SegmentCount(encoding, total, segments)
