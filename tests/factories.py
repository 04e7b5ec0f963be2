"""Valid canonical products for tests, built in code (no dependency on examples/)."""

from __future__ import annotations

from typing import Any

from sync.catalog import Catalog, Product


def product_data(sku: str = "BK-TEST-01", **overrides: Any) -> dict[str, Any]:
    """Raw data of a valid, listable 4★ product with two variants."""
    data: dict[str, Any] = {
        "sku": sku,
        "name": "Tinh nghệ đỏ Bắc Kạn",
        "name_en": "Bac Kan red turmeric starch",
        "description": "Tinh bột nghệ nguyên chất, sản xuất tại Đồng Phúc, Ba Bể.",
        "ocop": {
            "criteria_version": "148/2023",
            "group": "Thực phẩm",
            "product_set": "Rau, củ, quả tươi và sơ chế",
            "stars": 4,
            "score": 78.5,
        },
        "certificate": {
            "decision_no": "1234/QĐ-UBND",
            "decision_date": "2025-03-15",
            "issuer_level": "province",
            "issuer_name": "UBND tỉnh Bắc Kạn",
        },
        "producer": {"name": "HTX Nông sản Đồng Phúc", "kind": "cooperative"},
        "address": {
            "as_printed": "Thôn Nà Làng, xã Đồng Phúc, huyện Ba Bể, tỉnh Bắc Kạn",
            "commune": "Đồng Phúc",
            "district": "Ba Bể",
            "province": "Bắc Kạn",
            "current_province": "Thái Nguyên",
        },
        "variants": [
            {
                "sku": f"{sku}-100G",
                "label": "hũ 100 g",
                "net_quantity": {"value": "100", "unit": "g"},
                "price": 85000,
                "stock": 40,
                "weight_g": 180,
                "gtin": "8930000000019",
            },
            {
                "sku": f"{sku}-500G",
                "label": "túi 500 g",
                "net_quantity": {"value": "500", "unit": "g"},
                "price": 390000,
                "stock": 12,
                "weight_g": 560,
            },
        ],
        "shelf_life_days": 365,
        "standards": ["TCCS 01:2024/ĐP", "VietGAP"],
        "images": [{"url": f"https://cdn.ocop-sample.example/{sku.lower()}/1.jpg"}],
        "tags": ["nghệ", "đặc sản Bắc Kạn"],
    }
    data.update(overrides)
    return data


def make_product(sku: str = "BK-TEST-01", **overrides: Any) -> Product:
    """A valid, listable product."""
    return Product.model_validate(product_data(sku, **overrides))


def make_catalog(n: int = 3) -> Catalog:
    """A small valid catalog of `n` distinct products."""
    return Catalog(products=[make_product(f"BK-TEST-{i:02d}") for i in range(1, n + 1)])
