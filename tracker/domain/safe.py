"""Text made safe to show or send: control characters escaped visibly, credentials masked. Pure; no I/O.

Stored text (titles, notes, reasons, names, file paths) and text coming back from other systems (Twilio's
error messages) can carry anything a user pasted or a hostile one typed: CSI colour and clear-screen
sequences, OSC window-title sequences, BEL, a bare carriage return that overwrites a line, bidi overrides that
reverse what follows. A terminal acts on them. `visible` shows each one as an escape a reader can see
(`\\x1b`, `\\r`, `\\u202e`), so the text shown is the text stored, and the terminal is never driven by data.

`sms_text` removes the same characters from an SMS body (a phone shows no escapes), and `mask_credentials`
hides the password of any `user:password@host` pair in a URL or connection string before it is shown.
"""

from __future__ import annotations

import re

__all__ = ["UNSAFE", "json_text", "json_utf8", "mask_credentials", "sms_text", "visible"]

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""Arabic letter mark, LRM, RLM, the embeddings and overrides (LRE RLE PDF LRO RLO) and isolates (LRI RLI FSI PDI)."""

UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\u2028\u2029\ud800-\udfff]")
"""Every character a terminal may act on or that cannot be written as UTF-8: C0 (incl. ESC, BEL, CR, LF, TAB),
DEL, C1 (incl. the 8-bit CSI U+009B), bidi controls, the Unicode line and paragraph separators, and lone
surrogates (what Python makes of undecodable bytes in arguments)."""

_UNSAFE_KEEP_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}\u2028\u2029\ud800-\udfff]")
"""`UNSAFE` without LF and TAB."""

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, lines: bool = False) -> str:
    """`text` with every unsafe character (see `UNSAFE`) shown as a visible escape: ESC → `\\x1b`, CR → `\\r`,
    U+202E → `\\u202e`.

    One line by default (LF and TAB escaped too, so a value never breaks a table or an error line); with
    `lines`, LF and TAB are kept (a block of several lines, such as an SMS body). Printable text of every
    script, emoji and zero-width joiners are left alone.
    """
    pattern = _UNSAFE_KEEP_LINES if lines else UNSAFE
    return pattern.sub(_escape, text) if pattern.search(text) else text


_SMS_SPACE = re.compile("[\t\r\x0b\x0c\x85\u2028\u2029]")
_SMS_DROP = re.compile(f"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f{_BIDI}\ud800-\udfff]")


def sms_text(text: str) -> str:
    """A value fit for an SMS body: line-like breaks (TAB, CR, VT, FF, NEL, U+2028/9) become spaces and every other
    control character, bidi control or lone surrogate is dropped; LF is kept.

    A handset renders no escapes, and a control character would also force the costlier UCS-2 encoding.
    """
    if not (_SMS_SPACE.search(text) or _SMS_DROP.search(text)):
        return text
    return _SMS_DROP.sub("", _SMS_SPACE.sub(" ", text))


_TOKEN = re.compile(r"[^\s'\"`]*@[^\s'\"`]*")
"""A word holding an `@`: where a `user:secret@host` authority can be, also in a malformed URL."""
_AUTH_HEADER = re.compile(r"\b(?P<scheme>Basic|Bearer)(?P<gap>\s+)[A-Za-z0-9+/=._~-]{8,}", re.IGNORECASE)
"""An `Authorization` header value an endpoint echoed back (`Basic QUMxMjM6dG9rZW4=`)."""
_PASSWORD_PARAM = re.compile(r"\b(?P<key>password|passwd|pwd)=(?P<secret>[^\s&;]+)", re.IGNORECASE)
"""A password given as a parameter (`?password=…`, or a libpq `password=…` connection string)."""


def _mask_authority(match: re.Match[str]) -> str:
    """`scheme://user:secret@host` → `scheme://user:***@host`: the secret runs from the first `:` after the
    scheme's `//` (or the word's start) to the word's last `@`, so a password holding `@`, `/`, `:` or `#` is
    masked whole; a malformed URL (`postgresql+psycopg//u:pw@h`, `postgres:pw@h`) is masked too."""
    word = match.group()
    at = word.rfind("@")
    slashes = word.find("//", 0, at)
    start = slashes + 2 if slashes >= 0 else 0
    colon = word.find(":", start, at)
    return word if colon < 0 else f"{word[: colon + 1]}***{word[at:]}"


def mask_credentials(text: str) -> str:
    """`text` with every password shown as `***`: the secret of a `user:password@host` pair (the user name is
    kept; the password may hold `@`, `/` or `:`), a `password=` parameter, and a `Basic`/`Bearer` authorization value.

    Used on every database URL or connection string shown to a user, and on URLs and messages an endpoint
    echoes back (a Twilio API URL or error with basic-auth credentials).
    """
    if "@" in text:
        text = _TOKEN.sub(_mask_authority, text)
    if "=" in text:
        text = _PASSWORD_PARAM.sub(lambda m: f"{m.group('key')}=***", text)
    return _AUTH_HEADER.sub(lambda m: f"{m.group('scheme')}{m.group('gap')}***", text)


_JSON_RAW = re.compile(f"[\x7f-\x9f{_BIDI}\u2028\u2029\ud800-\udfff]")
_JSON_RAW_UTF8 = re.compile(rb"\x7f|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]")


def json_text(document: str) -> str:
    """A JSON document with DEL, C1 controls, bidi controls, U+2028/9 and lone surrogates (which UTF-8 cannot
    carry) written as `\\uXXXX` escapes.

    JSON escapes C0 itself but leaves these raw, and a terminal acts on some of them (U+009B is CSI). Outside
    strings a JSON document is ASCII, so the escapes land inside strings: the values decode unchanged.
    """
    return (
        _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", document)
        if _JSON_RAW.search(document)
        else document
    )


def json_utf8(document: bytes) -> bytes:
    """`json_text` for a UTF-8 encoded JSON document (the fast `list --json` path)."""
    if not _JSON_RAW_UTF8.search(document):
        return document
    return _JSON_RAW_UTF8.sub(lambda m: f"\\u{ord(m.group().decode()):04x}".encode(), document)
