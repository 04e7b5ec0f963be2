"""Per-account price and stock rules (settings.PriceRules / StockRules), one place for all
connectors."""

from __future__ import annotations

from decimal import Decimal

from sync.money import round_to, vnd_to_usd
from sync.settings import PriceRules, StockRules


def marketplace_price_vnd(price: int, rules: PriceRules) -> int:
    """Catalog price -> price shown, in đồng: markup %, fixed add, rounding, then floor."""
    amount = Decimal(price) * (1 + rules.markup_percent / 100) + rules.fixed_add
    return max(round_to(amount, rules.round_to), rules.floor)


def marketplace_price_usd(price: int, rules: PriceRules) -> Decimal:
    """The same price converted to USD with 2 decimals at the account's rate."""
    if rules.usd_rate is None:
        raise ValueError("this account needs price.usd_rate (VND per USD)")
    return vnd_to_usd(marketplace_price_vnd(price, rules), rules.usd_rate)


def stock_shown(stock: int, rules: StockRules) -> int:
    """Catalog stock -> stock shown: keep `buffer` back, show `share_percent` of the rest
    (rounded down: a channel never shows a unit it may not have), cap at `max_shown`,
    never below 0."""
    shown = max(0, stock - rules.buffer)
    if rules.share_percent != 100:
        shown = int(shown * rules.share_percent // 100)
    return min(shown, rules.max_shown) if rules.max_shown is not None else shown
