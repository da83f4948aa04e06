"""Embedded encodings: base64, hex, binary, unicode escapes, URL escapes and HTML entities.

Each decoder finds candidate runs with a linear regex, decodes them, keeps only payloads that are
mostly printable UTF-8 text, and puts them back in place of the encoded run (context is kept).
Each returns the new text, or None when nothing decoded.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Callable
from urllib.parse import unquote

from gardefou.normalize._screen import Screen

_B64_CHARS = r"A-Za-z0-9+/_\-"
_B64_RE = re.compile(rf"(?<![{_B64_CHARS}])[{_B64_CHARS}]{{16,}}={{0,2}}")
_HEX_RE = re.compile(
    r"(?:\\x[0-9a-fA-F]{2}){4,}"
    r"|(?<![0-9a-zA-Z])0x[0-9a-fA-F]{2}(?:[ ,]{1,2}0x[0-9a-fA-F]{2}){3,}"
    r"|(?<![0-9a-zA-Z])[0-9a-fA-F]{2}(?:[ :,-][0-9a-fA-F]{2}){7,}(?![0-9a-zA-Z])"
    r"|(?<![0-9a-zA-Z])(?:[0-9a-fA-F]{2}){8,}(?![0-9a-zA-Z])"
)
_HEX_DIGITS_RE = re.compile(r"\\x|0x|[^0-9a-fA-F]")
_BIN_RE = re.compile(r"(?<![01])[01]{8}(?:[ ,]?[01]{8}){3,}(?![01])")
_UNICODE_ESCAPE_RE = re.compile(r"(?:\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8}){2,}")
_ONE_ESCAPE_RE = re.compile(r"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})")
_PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}")
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_WORDY_RE = re.compile(r"[\w\s]")
_MIN_PAYLOAD = 4
_MIN_PERCENT = 3
_MIN_NAMED_ENTITIES = 3


def text_payload(raw: bytes) -> str | None:
    """``raw`` as text when it is valid UTF-8, mostly printable and mostly words; else None."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    n = len(text)
    if n < _MIN_PAYLOAD or len(text.strip()) < _MIN_PAYLOAD:
        return None
    if len(_CONTROL_RE.findall(text)) * 20 > n:
        return None
    if len(_WORDY_RE.findall(text)) * 10 < n * 6:
        return None
    return text


def _decode_b64(run: str) -> str | None:
    body = run.rstrip("=")
    if len(body) % 4 == 1:
        return None
    urlsafe = "-" in body or "_" in body
    if urlsafe and ("+" in body or "/" in body):
        return None
    padded = body + "=" * (-len(body) % 4)
    try:
        if urlsafe:
            raw = base64.urlsafe_b64decode(padded)
        else:
            raw = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return text_payload(raw)


def _decode_hex(run: str) -> str | None:
    digits = _HEX_DIGITS_RE.sub("", run)
    if len(digits) % 2:
        return None
    return text_payload(bytes.fromhex(digits))


def _decode_bin(run: str) -> str | None:
    bits = run.replace(" ", "").replace(",", "")
    raw = int(bits, 2).to_bytes(len(bits) // 8, "big")
    return text_payload(raw)


def _decode_unicode_escapes(run: str) -> str | None:
    codes = [int(a or b, 16) for a, b in _ONE_ESCAPE_RE.findall(run)]
    chars: list[str] = []
    i = 0
    while i < len(codes):
        c = codes[i]
        if 0xD800 <= c < 0xDC00 and i + 1 < len(codes) and 0xDC00 <= codes[i + 1] < 0xE000:
            c = 0x10000 + ((c - 0xD800) << 10) + (codes[i + 1] - 0xDC00)  # a JSON surrogate pair
            i += 1
        elif 0xD800 <= c < 0xE000 or c > 0x10FFFF:
            return None
        chars.append(chr(c))
        i += 1
    return "".join(chars)


def _sub_runs(
    pattern: re.Pattern[str], decode: Callable[[str], str | None], text: str
) -> str | None:
    found = False

    def repl(m: re.Match[str]) -> str:
        nonlocal found
        decoded = decode(m.group())
        if decoded is None:
            return m.group()
        found = True
        return decoded

    out = pattern.sub(repl, text)
    return out if found else None


def decode_base64(text: str) -> str | None:
    """``text`` with embedded base64 (standard or URL-safe, padded or not) decoded in place."""
    return _sub_runs(_B64_RE, _decode_b64, text)


def decode_hex(text: str) -> str | None:
    """``text`` with hex runs (``\\x41`` escapes, ``0x41`` lists, spaced or contiguous) decoded."""
    return _sub_runs(_HEX_RE, _decode_hex, text)


def decode_binary(text: str) -> str | None:
    """``text`` with runs of 8-bit binary groups ("01100010 01101111 ...") decoded in place."""
    return _sub_runs(_BIN_RE, _decode_bin, text)


def decode_unicode_escapes(text: str) -> str | None:
    """``text`` with runs of ``\\u0062`` / ``\\U0001f4a3`` escapes decoded in place."""
    return _sub_runs(_UNICODE_ESCAPE_RE, _decode_unicode_escapes, text)


def decode_url(text: str) -> str | None:
    """``text`` with URL percent-escapes decoded, when it has at least three of them."""
    if len(_PERCENT_RE.findall(text)) < _MIN_PERCENT:
        return None
    out = unquote(text, errors="replace")
    return out if out != text else None


def decode_html(text: str) -> str | None:
    """``text`` with HTML entities decoded: any numeric one, or at least three named ones."""
    found = _ENTITY_RE.findall(text)
    if not found:
        return None
    if not any(e.startswith("&#") for e in found) and len(found) < _MIN_NAMED_ENTITIES:
        return None
    out = html.unescape(text)
    return out if out != text else None


Decoder = Callable[[str], str | None]


def decoders_for(text: str, scr: Screen) -> list[tuple[str, Decoder]]:
    """The decoders worth running on ``text``, by name, given its screen."""
    found: list[tuple[str, Decoder]] = []
    if scr.base64_run:
        found.append(("base64", decode_base64))
    if scr.hex_run or scr.hex_pairs or "\\x" in text or "0x" in text:
        found.append(("hex", decode_hex))
    if scr.binary:
        found.append(("binary", decode_binary))
    if "\\u" in text or "\\U" in text:
        found.append(("unicode-escapes", decode_unicode_escapes))
    if "%" in text:
        found.append(("url", decode_url))
    if "&" in text:
        found.append(("html-entities", decode_html))
    return found
