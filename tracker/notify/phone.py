"""Phone numbers in E.164 form. Chinese mobile numbers may be written the way people write them (138…)."""

from __future__ import annotations

import re
import unicodedata

from tracker.errors import UsageError

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-().·/]")
_PHONE_IN_TEXT = re.compile(r"\+?\d[\d\s-]{6,}\d")


def normalise_phone(text: str) -> str:
    """`138 0013 8000`, `+86 138-0013-8000`, `0086…` or full-width digits → `+8613800138000`; refuse anything else."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    compact = _SEPARATORS.sub("", raw)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if _CN_MOBILE.match(compact):
        compact = "+86" + compact
    elif compact.startswith("86") and _CN_MOBILE.match(compact[2:]):
        compact = "+" + compact
    if not _E164.match(compact):
        raise UsageError(
            f"{text!r} is not a phone number in E.164 form",
            hint="write +<country code><number>, e.g. +8613800138000, or a Chinese mobile number 138…",
        )
    if compact.startswith("+86") and not _CN_MOBILE.match(compact[3:]):
        # SMS reach only mobile numbers; a Chinese landline would fail at Twilio with 21614.
        raise UsageError(f"{text!r} is not a Chinese mobile number", hint="11 digits starting with 13–19")
    return compact


def mask_phone(phone: str) -> str:
    """`+8613800138000` → `+86138****8000`, for logs and error messages."""
    digits = phone.strip()
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:-8]}****{digits[-4:]}"


def mask_phones_in(text: str) -> str:
    """Mask every phone-number-like run of digits in a message (Twilio's error texts quote the number)."""
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(re.sub(r"[\s-]", "", m.group(0))), text)
