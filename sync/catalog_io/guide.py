"""The catalog keeper's words: Vietnamese headers and values, and what to type in each column.

The importers accept every header and value here (columns.py aliases, cells.py enum words);
the workbook writer (workbook.py) and `ocop-sync template` show them.
"""

from __future__ import annotations

from enum import Enum, StrEnum

from sync.ocop import IssuerLevel, OcopStatus, ProducerKind

Lang = str  # "vi" | "en"
LANGS = ("vi", "en")

# Column name -> the Vietnamese header written by the template and the sample. Each one is
# an alias of its column (columns.py), so a filled-in template reads back as it was written.
VI_HEADERS: dict[str, str] = {
    "product_sku": "Mã sản phẩm",
    "slug": "Đường dẫn",
    "name": "Tên sản phẩm",
    "name_en": "Tên tiếng Anh",
    "description": "Mô tả",
    "criteria_version": "Bộ tiêu chí",
    "group": "Nhóm sản phẩm",
    "product_set": "Bộ sản phẩm",
    "stars": "Hạng sao",
    "score": "Điểm",
    "ocop_status": "Trạng thái OCOP",
    "decision_no": "Số quyết định",
    "decision_date": "Ngày quyết định",
    "issuer_level": "Cấp công nhận",
    "issuer_name": "Cơ quan công nhận",
    "valid_until": "Hiệu lực đến",
    "producer_name": "Chủ thể",
    "producer_kind": "Loại hình chủ thể",
    "producer_tax_id": "Mã số thuế",
    "producer_phone": "Điện thoại",
    "address_as_printed": "Địa chỉ in trên giấy chứng nhận",
    "commune": "Xã/Phường",
    "district": "Huyện",
    "province": "Tỉnh",
    "current_province": "Tỉnh hiện nay",
    "variant_sku": "Mã biến thể",
    "variant_label": "Tên biến thể",
    "net_quantity": "Khối lượng tịnh",
    "net_unit": "Đơn vị tính",
    "packaging": "Bao bì",
    "price": "Giá (VNĐ)",
    "stock": "Tồn kho",
    "weight_g": "Khối lượng (g)",
    "gtin": "Mã vạch (GTIN)",
    "shelf_life_days": "Hạn sử dụng (ngày)",
    "ingredients": "Thành phần",
    "standards": "Tiêu chuẩn",
    "geographical_indication": "Chỉ dẫn địa lý",
    "traceability_url": "Truy xuất nguồn gốc",
    "traceability_provider": "Đơn vị truy xuất",
    "images": "Hình ảnh",
    "tags": "Thẻ",
    "notes": "Ghi chú",
}

# The Vietnamese word written for each enumerated value (cells.py accepts it back).
VI_VALUES: dict[StrEnum, str] = {
    OcopStatus.PROPOSED: "đề xuất",
    OcopStatus.CERTIFIED: "đã công nhận",
    OcopStatus.EXPIRED: "hết hạn",
    OcopStatus.REVOKED: "thu hồi",
    IssuerLevel.DISTRICT: "cấp huyện",
    IssuerLevel.PROVINCE: "cấp tỉnh",
    IssuerLevel.CENTRAL: "cấp trung ương",
    ProducerKind.ENTERPRISE: "doanh nghiệp",
    ProducerKind.COOPERATIVE: "hợp tác xã",
    ProducerKind.COOPERATIVE_GROUP: "tổ hợp tác",
    ProducerKind.HOUSEHOLD_BUSINESS: "hộ kinh doanh",
}
VI_UNITS = {"g": "g", "kg": "kg", "ml": "ml", "l": "lít", "piece": "cái"}

# Enumerated columns -> the enum whose values their drop-down list offers.
ENUM_COLUMNS: dict[str, type[StrEnum]] = {
    "ocop_status": OcopStatus,
    "issuer_level": IssuerLevel,
    "producer_kind": ProducerKind,
}
# Codes that spreadsheets would turn into numbers (dropping leading zeros): kept as text.
TEXT_COLUMNS = ("product_sku", "variant_sku", "gtin", "producer_tax_id", "producer_phone")


def header(name: str, lang: Lang) -> str:
    """The header of column `name` in `lang`."""
    return VI_HEADERS[name] if lang == "vi" else name


def enum_word(value: Enum, lang: Lang) -> str:
    """An enumerated value as written in `lang`."""
    word = VI_VALUES.get(value) if lang == "vi" else None  # type: ignore[call-overload]
    return word or str(value.value)


def choices(name: str, lang: Lang) -> list[str]:
    """The drop-down values of an enumerated column."""
    return [enum_word(member, lang) for member in ENUM_COLUMNS[name]]


def units(lang: Lang) -> list[str]:
    """The drop-down values of the unit column."""
    return list(VI_UNITS.values()) if lang == "vi" else list(VI_UNITS)


# Column -> (required?, Vietnamese instruction, English instruction).
HELP: dict[str, tuple[bool, str, str]] = {
    "product_sku": (
        True,
        "Mã riêng của sản phẩm (chữ, số, . _ -). Các dòng cùng mã là các biến thể "
        "của một sản phẩm.",
        "Product code (letters, digits, . _ -). Rows with the same code are variants "
        "of one product.",
    ),
    "slug": (False, "Để trống: tạo tự động từ tên.", "Leave blank: made from the name."),
    "name": (
        True,
        "Tên sản phẩm có dấu, như in trên giấy chứng nhận.",
        "Product name with its diacritics, as on the certificate.",
    ),
    "name_en": (False, "Tên tiếng Anh (cho Alibaba.com).", "English name (for Alibaba.com)."),
    "description": (
        False,
        "Mô tả cho người mua; Voso và Postmart bắt buộc.",
        "Description for buyers; Voso and Postmart require it.",
    ),
    "criteria_version": (
        False,
        "Chọn: 1048/2019, 148/2023 (mặc định) hoặc 148+1489/2025.",
        "Pick 1048/2019, 148/2023 (default) or 148+1489/2025.",
    ),
    "group": (
        True,
        "Chọn trong danh sách nhóm của bộ tiêu chí đã chọn.",
        "Pick from the groups of the chosen criteria version.",
    ),
    "product_set": (
        False,
        "Bộ sản phẩm, ví dụ: Thực phẩm chế biến.",
        "Product set, e.g. Thực phẩm chế biến.",
    ),
    "stars": (True, "Chọn 3, 4 hoặc 5 sao.", "Pick 3, 4 or 5."),
    "score": (False, "Điểm đánh giá 0-100, ví dụ 91,14.", "Score 0-100, e.g. 91.14."),
    "ocop_status": (
        False,
        "Chọn: đã công nhận (mặc định), đề xuất, hết hạn, thu hồi.",
        "Pick certified (default), proposed, expired, revoked.",
    ),
    "decision_no": (
        False,
        "Số quyết định công nhận, ví dụ 2166/QĐ-UBND. Bắt buộc khi đã công nhận.",
        "Decision number, e.g. 2166/QĐ-UBND. Required when certified.",
    ),
    "decision_date": (False, "Ngày quyết định, dd/mm/yyyy.", "Decision date, dd/mm/yyyy."),
    "issuer_level": (
        False,
        "Chọn: cấp huyện, cấp tỉnh, cấp trung ương.",
        "Pick district, province or central.",
    ),
    "issuer_name": (
        False,
        "Cơ quan ký quyết định, ví dụ UBND tỉnh Bắc Kạn.",
        "Who signed, e.g. UBND tỉnh Bắc Kạn.",
    ),
    "valid_until": (
        False,
        "Để trống: 36 tháng kể từ ngày quyết định.",
        "Blank: 36 months from the decision date.",
    ),
    "producer_name": (
        True,
        "Tên chủ thể OCOP, ví dụ Hợp tác xã Tài Hoan.",
        "The OCOP producer, e.g. Hợp tác xã Tài Hoan.",
    ),
    "producer_kind": (
        True,
        "Chọn: doanh nghiệp, hợp tác xã, tổ hợp tác, hộ kinh doanh.",
        "Pick enterprise, cooperative, cooperative_group, household_business.",
    ),
    "producer_tax_id": (
        False,
        "10 chữ số (hoặc 10 + '-' + 3 cho chi nhánh); ô dạng văn bản.",
        "10 digits (or 10 + '-' + 3 for a branch); a text cell.",
    ),
    "producer_phone": (
        False,
        "0 hoặc +84 và 9-10 chữ số; ô dạng văn bản.",
        "0 or +84 and 9-10 digits; a text cell.",
    ),
    "address_as_printed": (
        True,
        "Địa chỉ đúng như in trên giấy chứng nhận.",
        "The address exactly as printed on the certificate.",
    ),
    "commune": (
        True,
        "Xã/phường hiện nay, ghi cả chữ xã/phường/thị trấn, ví dụ: xã Côn Minh.",
        "Current commune with its kind, e.g. xã Côn Minh.",
    ),
    "district": (False, "Huyện (trước 2025), nếu có.", "District (before 2025), if any."),
    "province": (
        True,
        "Tỉnh như in trên giấy chứng nhận, ví dụ Bắc Kạn.",
        "Province as printed on the certificate, e.g. Bắc Kạn.",
    ),
    "current_province": (
        False,
        "Tỉnh sau sáp nhập 2025, nếu khác, ví dụ Thái Nguyên.",
        "Province after the 2025 merger, if different.",
    ),
    "variant_sku": (
        True,
        "Mã riêng của từng quy cách (gói, hũ…); ô dạng văn bản.",
        "Code of each package size; a text cell.",
    ),
    "variant_label": (False, "Tên quy cách, ví dụ gói 500 g.", "Package name, e.g. gói 500 g."),
    "net_quantity": (
        True,
        "Số lượng tịnh, ví dụ 500 hoặc 0,5 (đơn vị ở cột Đơn vị tính), hay 500 g.",
        "Net quantity, e.g. 500 or 0.5 (unit in the unit column), or 500 g.",
    ),
    "net_unit": (False, "Chọn: g, kg, ml, lít, cái.", "Pick g, kg, ml, l, piece."),
    "packaging": (False, "Bao bì, ví dụ túi PE hút chân không.", "Packaging, e.g. vacuum bag."),
    "price": (
        True,
        "Giá bán lẻ, số nguyên đồng: 45000 hoặc 45.000.",
        "Retail price in whole đồng: 45000 or 45.000.",
    ),
    "stock": (True, "Số lượng tồn kho (số nguyên).", "Stock on hand (whole number)."),
    "weight_g": (True, "Khối lượng cả bao bì, gam.", "Shipping weight with packaging, grams."),
    "gtin": (
        False,
        "Mã vạch 8/12/13/14 số (thường 893…); ô dạng văn bản.",
        "GTIN 8/12/13/14 digits; a text cell.",
    ),
    "shelf_life_days": (False, "Hạn sử dụng, số ngày.", "Shelf life in days."),
    "ingredients": (False, "Thành phần.", "Ingredients."),
    "standards": (False, "Tiêu chuẩn, cách nhau bằng dấu ;", "Standards, separated by ;"),
    "geographical_indication": (
        False,
        "Chỉ dẫn địa lý, nếu có.",
        "Geographical indication, if any.",
    ),
    "traceability_url": (
        False,
        "Đường dẫn truy xuất nguồn gốc (mã QR).",
        "Traceability link (the QR target).",
    ),
    "traceability_provider": (False, "Đơn vị cung cấp truy xuất.", "Traceability provider."),
    "images": (
        False,
        "Đường dẫn ảnh, cách nhau bằng dấu ; (ảnh đầu là ảnh chính). Không có ảnh: không đăng bán.",
        "Image URLs separated by ; (first is the main one). No image: not listed.",
    ),
    "tags": (False, "Từ khoá, cách nhau bằng dấu ;", "Tags, separated by ;"),
    "notes": (False, "Ghi chú nội bộ, không được đồng bộ.", "Internal notes, never synced."),
}
