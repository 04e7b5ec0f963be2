"""sync.selection: which rule leaves a product out of an account, as plan --details says."""

from __future__ import annotations

from sync.selection import left_out, product_left_out
from sync.settings import Selection
from tests.factories import make_product


def test_no_rule_takes_everything() -> None:
    assert left_out(Selection(), make_product("BK-A")) == {}


def test_producer_matches_by_name_without_case_or_by_tax_id() -> None:
    product = make_product("BK-A")
    name = product.producer.name
    assert product_left_out(Selection(producers=[name.upper()]), product) is None
    product.producer.tax_id = "4700263427"
    assert product_left_out(Selection(producers=["4700263427"]), product) is None
    reason = product_left_out(Selection(producers=["HTX Khác"]), product)
    assert reason == f"producer {name} is not in select.producers"


def test_min_stars_names_the_rule() -> None:
    product = make_product("BK-A")  # a 4★ product
    assert product_left_out(Selection(min_stars=4), product) is None
    assert product_left_out(Selection(min_stars=5), product) == ("4★ is below select.min_stars = 5")


def test_places_match_with_or_without_their_administrative_word() -> None:
    product = make_product("BK-A")  # xã Đồng Phúc, Bắc Kạn (now Thái Nguyên)
    assert product_left_out(Selection(communes=["xã Đồng Phúc"]), product) is None
    assert product_left_out(Selection(provinces=["tỉnh Thái Nguyên"]), product) is None
    assert product_left_out(Selection(provinces=["Bắc Kạn"]), product) is None
    assert "select.provinces" in (product_left_out(Selection(provinces=["Huế"]), product) or "")


def test_groups_match_any_spelling_and_tags_any_one() -> None:
    product = make_product("BK-A", tags=["đặc sản", "nghệ"])
    assert product_left_out(Selection(groups=["thuc pham"]), product) is None
    assert product_left_out(Selection(tags=["Nghệ"]), product) is None
    assert product_left_out(Selection(tags=["chè"]), product) == "no tag in select.tags"


def test_sku_lists_work_per_variant() -> None:
    product = make_product("BK-A")
    first, second = (v.sku for v in product.variants)
    assert left_out(Selection(exclude_skus=[first]), product) == {
        first: f"{first} is in select.exclude_skus"
    }
    assert left_out(Selection(include_skus=[first]), product) == {
        second: f"{second} is not in select.include_skus"
    }
    assert set(left_out(Selection(exclude_skus=["BK-A"]), product)) == {first, second}
