"""The flat CSV/XLSX layout: one row per variant, its columns and their header aliases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sync.catalog_io import cells
from sync.text import nfc

Level = Literal["product", "variant", "ignored"]


@dataclass(frozen=True)
class Column:
    """One column of the flat layout and where its value goes in the Product model."""

    name: str  # English canonical header (snake_case)
    level: Level
    path: tuple[str, ...]  # into the Product dict; for variant columns, into one Variant dict
    convert: cells.Converter
    aliases: tuple[str, ...] = ()
    required: bool = False


def _p(name: str, path: str, convert: cells.Converter, *aliases: str, req: bool = False) -> Column:
    return Column(name, "product", tuple(path.split(".")), convert, aliases, req)


def _v(name: str, path: str, convert: cells.Converter, *aliases: str, req: bool = False) -> Column:
    return Column(name, "variant", tuple(path.split(".")), convert, aliases, req)


T = cells.text
COLUMNS: tuple[Column, ...] = (
    _p("product_sku", "sku", T, "Mã sản phẩm", "Mã SP", req=True),
    _p("slug", "slug", T, "Đường dẫn"),
    _p("name", "name", T, "Tên sản phẩm", "Tên SP", "Tên", req=True),
    _p("name_en", "name_en", T, "Tên tiếng Anh", "Tên sản phẩm (tiếng Anh)"),
    _p("description", "description", T, "Mô tả", "Mô tả sản phẩm"),
    _p("criteria_version", "ocop.criteria_version", cells.criteria_version, "Bộ tiêu chí"),
    _p("group", "ocop.group", T, "Nhóm sản phẩm", "Nhóm", "Nhóm OCOP", req=True),
    _p("product_set", "ocop.product_set", T, "Bộ sản phẩm"),
    _p("stars", "ocop.stars", cells.stars, "Hạng sao", "Số sao", "Xếp hạng", req=True),
    _p("score", "ocop.score", cells.score, "Điểm", "Điểm đánh giá"),
    _p("ocop_status", "ocop.status", cells.ocop_status, "Trạng thái", "Trạng thái OCOP"),
    _p("decision_no", "certificate.decision_no", T, "Số quyết định", "Số QĐ"),
    _p("decision_date", "certificate.decision_date", cells.day, "Ngày quyết định", "Ngày QĐ"),
    _p("issuer_level", "certificate.issuer_level", cells.issuer_level, "Cấp công nhận"),
    _p("issuer_name", "certificate.issuer_name", T, "Cơ quan công nhận", "Cơ quan ban hành"),
    _p("valid_until", "certificate.valid_until", cells.day, "Hiệu lực đến", "Ngày hết hiệu lực"),
    _p("producer_name", "producer.name", T, "Chủ thể", "Tên chủ thể", req=True),
    _p("producer_kind", "producer.kind", cells.producer_kind, "Loại hình chủ thể", req=True),
    _p("producer_tax_id", "producer.tax_id", cells.digits_text(10), "Mã số thuế", "MST"),
    _p("producer_phone", "producer.phone", cells.digits_text(10), "Điện thoại", "Số điện thoại"),
    _p(
        "address_as_printed",
        "address.as_printed",
        T,
        "Địa chỉ",
        "Địa chỉ in trên giấy chứng nhận",
        req=True,
    ),
    _p("commune", "address.commune", T, "Xã", "Xã/Phường", "Phường/Xã", req=True),
    _p("district", "address.district", T, "Huyện", "Quận/Huyện"),
    _p("province", "address.province", T, "Tỉnh", "Tỉnh/Thành phố", req=True),
    _p("current_province", "address.current_province", T, "Tỉnh hiện nay", "Tỉnh mới"),
    _v("variant_sku", "sku", T, "Mã biến thể", "Mã phân loại", req=True),
    _v("variant_label", "label", T, "Tên biến thể", "Phân loại"),
    _v("net_quantity", "net_quantity", cells.quantity, "Khối lượng tịnh", "Định lượng", req=True),
    # The unit of a bare-number net quantity (a drop-down list in the template).
    _v("net_unit", "net_unit", cells.unit, "Đơn vị tính", "Đơn vị", "ĐVT", "unit"),
    _v("packaging", "packaging", T, "Bao bì", "Quy cách đóng gói", "Đóng gói"),
    _v("price", "price", cells.price, "Giá (VNĐ)", "Giá (VND)", "Giá", "Giá bán", req=True),
    _v("stock", "stock", cells.whole("stock count"), "Tồn kho", "Số lượng tồn", req=True),
    _v(
        "weight_g", "weight_g", cells.whole("weight"), "Khối lượng (g)", "Trọng lượng (g)", req=True
    ),
    _v("gtin", "gtin", cells.gtin, "Mã vạch", "GTIN", "EAN", "Mã vạch (GTIN)"),
    _p(
        "shelf_life_days",
        "shelf_life_days",
        cells.whole("day count"),
        "Hạn sử dụng (ngày)",
        "HSD (ngày)",
    ),
    _p("ingredients", "ingredients", T, "Thành phần"),
    _p("standards", "standards", cells.text_list, "Tiêu chuẩn", "Tiêu chuẩn chất lượng"),
    _p("geographical_indication", "geographical_indication", T, "Chỉ dẫn địa lý"),
    _p("traceability_url", "traceability.url", T, "Truy xuất nguồn gốc", "Link truy xuất"),
    _p("traceability_provider", "traceability.provider", T, "Đơn vị truy xuất"),
    _p("images", "images", cells.images, "Hình ảnh", "Ảnh"),
    _p("tags", "tags", cells.text_list, "Thẻ", "Từ khóa", "Từ khoá"),
    # A free-text notes column is common in hand-kept sheets; it is accepted and ignored.
    Column("notes", "ignored", (), T, ("Ghi chú",)),
)
# Optional nested objects: present only when one of their cells is filled.
OPTIONAL_GROUPS = ("certificate", "traceability")


def header_key(header: str) -> str:
    """Header comparison key: NFC, case-insensitive, '_' and spaces equivalent."""
    return " ".join(nfc(header).casefold().replace("_", " ").split())


def _index(columns: Iterable[Column]) -> dict[str, Column]:
    table: dict[str, Column] = {}
    for column in columns:
        for header in (column.name, *column.aliases):
            key = header_key(header)
            if key in table and table[key] is not column:  # pragma: no cover - caught by tests
                raise AssertionError(f"header {header!r} is ambiguous")
            table[key] = column
    return table


BY_HEADER = _index(COLUMNS)
BY_NAME = {column.name: column for column in COLUMNS}
EXPORTED = tuple(column for column in COLUMNS if column.level != "ignored")
REQUIRED = tuple(column for column in COLUMNS if column.required)


def match_header(header: str) -> Column | None:
    """The column a header cell names (English or Vietnamese), or None if unknown."""
    return BY_HEADER.get(header_key(header))


def column_for_loc(loc: tuple[str | int, ...], message: str) -> Column | None:
    """The column a pydantic error location points at (loc relative to product or variant)."""
    level: Level = "product"
    if loc[:1] == ("variants",) and len(loc) >= 2:
        level, loc = "variant", loc[2:]
    for column in COLUMNS:
        if column.level == level and loc[: len(column.path)] == column.path:
            return column
    # Errors raised by model validators carry the model's location, not a field's.
    if level == "product":
        if loc == ("ocop",):
            return BY_NAME["group" if "group" in message else "score"]
        if loc == ("certificate",):
            return BY_NAME["valid_until"]
        if loc == () and "certificate" in message:
            return BY_NAME["decision_no"]
        if loc == () and "image" in message:
            return BY_NAME["images"]
    return None
