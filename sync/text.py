"""Vietnamese text helpers: NFC normalisation, ASCII slugs, display sorting."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# đ/Đ have no Unicode decomposition, so NFKD + dropping combining marks leaves them alone;
# slug libraries then emit "dj" or drop them. Transliterate explicitly.
_DD = str.maketrans({"đ": "d", "Đ": "D"})
_NON_SLUG = re.compile(r"[^a-z0-9]+")

# Vietnamese alphabet order for display sorting (code-point order puts Ă, Â, Đ, Ơ, Ư after Z).
_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxyfjwz"
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
# Tone marks sort after the base letter: none, grave, hook, tilde, acute, dot below.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_VOWEL_MARKS = {"\u0306": "ă", "\u0302": "^", "\u031b": "'"}


def nfc(value: str) -> str:
    """Return `value` in Unicode NFC (macOS and some websites produce NFD)."""
    return unicodedata.normalize("NFC", value)


def nfc_deep(value: Any) -> Any:
    """NFC-normalise every string inside nested dicts/lists/tuples."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, dict):
        return {nfc_deep(k): nfc_deep(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(nfc_deep(v) for v in value)
    return value


def is_nfc(value: str) -> bool:
    """True when `value` is already NFC."""
    return unicodedata.is_normalized("NFC", value)


def ascii_fold(value: str) -> str:
    """Strip Vietnamese diacritics: 'Miến dong Đà' -> 'Mien dong Da'."""
    decomposed = unicodedata.normalize("NFKD", value.translate(_DD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slugify(value: str, max_length: int = 80) -> str:
    """ASCII, lowercase, hyphen-separated slug; đ becomes d."""
    slug = _NON_SLUG.sub("-", ascii_fold(value).lower()).strip("-")
    return slug[:max_length].rstrip("-")


def collapse_spaces(value: str) -> str:
    """Collapse runs of whitespace to one space and trim."""
    return " ".join(value.split())


def _letter_key(ch: str) -> tuple[int, int]:
    decomposed = unicodedata.normalize("NFD", ch.lower())
    base, marks = decomposed[0], decomposed[1:]
    tone = 0
    letter = base
    for mark in marks:
        if mark in _TONES:
            tone = _TONES[mark]
        elif mark == "\u0306" and base == "a":
            letter = "ă"
        elif mark == "\u0302" and base in "aeo":
            letter = {"a": "â", "e": "ê", "o": "ô"}[base]
        elif mark == "\u031b" and base in "ou":
            letter = {"o": "ơ", "u": "ư"}[base]
    if base == "đ":
        letter = "đ"
    rank = _RANK.get(letter)
    if rank is None:
        # Digits and punctuation first, then other letters after the Vietnamese ones.
        return (-1 if not letter.isalpha() else len(_ALPHABET), ord(letter))
    return (rank, tone)


def vietnamese_sort_key(value: str) -> tuple[tuple[int, ...], ...]:
    """Sort key following Vietnamese alphabet order: a ă â b c d đ e ê ... (tones after base)."""
    letters = [_letter_key(ch) for ch in nfc(value)]
    # Base letters decide first; tones only break ties (as in dictionaries).
    return (tuple(k[0] for k in letters), tuple(k[1] for k in letters))
