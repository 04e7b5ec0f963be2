"""Vietnamese listing sentences every mapping shares: place names, the OCOP line, the
producer, ingredients and shelf life, traceability.

Catalogs write a commune with its type ("xã Côn Minh", "phường Đức Xuân", "thị trấn Chợ
Rã") or without it ("Côn Minh"); a sentence that adds "xã" itself printed "xã xã Côn Minh"
and "xã phường Đức Xuân". `commune_name` and `province_name` add the administrative word
only when the value lacks one, and `doubled_admin_word` finds any such slip in a text.
"""

from __future__ import annotations

import re
from datetime import date

from sync.catalog import Address, Product
from sync.ocop import OcopStatus
from sync.text import ascii_fold, collapse_spaces

# Administrative units as they start a place name (longest first: "thành phố" before "thị").
ADMIN_WORDS = (
    "thành phố",
    "thị trấn",
    "thị xã",
    "đặc khu",
    "phường",
    "huyện",
    "quận",
    "tỉnh",
    "xã",
)
_ADMIN = "|".join(re.escape(word) for word in ADMIN_WORDS)
_STARTS_WITH_ADMIN = re.compile(rf"^(?:{_ADMIN}|tp\.?)\s", re.IGNORECASE)
# Two administrative words in a row ("xã xã", "xã phường", "tỉnh tỉnh"). "thị xã" is one word.
_DOUBLED = re.compile(rf"(?<!\w)(?<!thị )(?:{_ADMIN})\s+(?:{_ADMIN})(?!\w)", re.IGNORECASE)
# The provinces that are centrally-run cities ("thành phố Huế", not "tỉnh Huế"), 2025 list.
_CITIES = {"ha noi", "ho chi minh", "hai phong", "da nang", "can tho", "hue"}


def doubled_admin_word(text: str) -> str | None:
    """The first doubled administrative word in `text` ("xã xã", "xã phường"…), or None."""
    found = _DOUBLED.search(text)
    return found.group(0) if found else None


def _has_admin_word(name: str) -> bool:
    return bool(_STARTS_WITH_ADMIN.match(collapse_spaces(name) + " "))


def commune_name(commune: str) -> str:
    """The commune as written after "nay là": 'xã Côn Minh' stays, 'Côn Minh' gets 'xã'."""
    commune = collapse_spaces(commune)
    return commune if _has_admin_word(commune) else f"xã {commune}"


def province_name(province: str) -> str:
    """'Thái Nguyên' -> 'tỉnh Thái Nguyên', 'Hà Nội' -> 'thành phố Hà Nội'; a name that
    already says what it is stays as it is."""
    province = collapse_spaces(province)
    if _has_admin_word(province):
        return province
    kind = "thành phố" if ascii_fold(province).lower() in _CITIES else "tỉnh"
    return f"{kind} {province}"


def current_place(address: Address) -> str:
    """Where the producer is today: 'xã Côn Minh, tỉnh Thái Nguyên'."""
    province = address.current_province or address.province
    return f"{commune_name(address.commune)}, {province_name(province)}"


def origin_sentence(address: Address) -> str:
    """The address as printed on the certificate and, where the 2025 merger moved it to
    another province, where that is now."""
    origin = f"Nơi sản xuất: {address.as_printed}"
    if address.current_province and address.current_province != address.province:
        origin += f" (nay là {current_place(address)})"
    return origin + "."


def _vn_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def ocop_sentence(product: Product) -> str | None:
    """'Sản phẩm OCOP 5 sao, quyết định … ngày … của …, hiệu lực đến ….' (certified only)."""
    certificate = product.certificate
    if certificate is None or product.ocop.status is not OcopStatus.CERTIFIED:
        return None
    return (
        f"Sản phẩm OCOP {product.ocop.stars} sao, quyết định {certificate.decision_no} "
        f"ngày {_vn_date(certificate.decision_date)} của {certificate.issuer_name}, "
        f"hiệu lực đến {_vn_date(certificate.expires)}."
    )


def traceability_sentence(product: Product) -> str | None:
    """'Truy xuất nguồn gốc: <url> (<provider>).' where the product has a link (or QR)."""
    trace = product.traceability
    if trace is None:
        return None
    provider = f" ({trace.provider})" if trace.provider else ""
    return f"Truy xuất nguồn gốc: {trace.url}{provider}."


def producer_sentence(product: Product) -> str:
    """'Chủ thể: <producer>. Địa chỉ: <address as printed>.'"""
    return f"Chủ thể: {product.producer.name}. Địa chỉ: {product.address.as_printed}."


def ingredient_sentences(product: Product) -> list[str]:
    """'Thành phần: …' and 'Hạn sử dụng: <n> ngày.', each where the catalog gives it."""
    sentences = []
    if product.ingredients:
        sentences.append(f"Thành phần: {product.ingredients}")
    if product.shelf_life_days:
        sentences.append(f"Hạn sử dụng: {product.shelf_life_days} ngày.")
    return sentences
