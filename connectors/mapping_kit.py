"""Pieces every marketplace mapping needs alike: the product's images in the order buyers
see them, the issues every listing of a product shares, one listing per variant, and
weights in kilograms.

What differs between marketplaces (image limits, how they word a cut, package sides, the
rules of each field) stays in connectors/<name>/; these helpers take it as arguments.
Vietnamese listing sentences live in connectors/listing_text.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from connectors.base import Listing, ListingIssue
from sync.catalog import Product, Variant
from sync.settings import Account

# (product, variant, account, the product's images, this variant's copy of the shared
# issues) -> the variant's listing: what a marketplace's mapping writes itself.
MapVariant = Callable[[Product, Variant, Account, list[str], list[ListingIssue]], Listing]


def image_urls(product: Product, limit: int | None = None) -> list[str]:
    """The product's image URLs, primary first (marketplaces show the first as the cover),
    the rest in catalog order; the first `limit` only when one is given."""
    ordered = sorted(product.images, key=lambda image: not image.primary)  # stable sort
    return [str(image.url) for image in ordered[:limit]]


def images_cut_warning(product: Product, limit: int, says: str) -> ListingIssue | None:
    """A warning when the product has more images than `limit`: "<n> images, <says> <limit>:
    the rest are left out" (`says` names the marketplace, e.g. "Lazada takes")."""
    if len(product.images) <= limit:
        return None
    return ListingIssue(
        "images",
        f"{len(product.images)} images, {says} {limit}: the rest are left out",
        "warning",
    )


def listings_per_variant(
    product: Product,
    account: Account,
    map_variant: MapVariant,
    shared: list[ListingIssue],
    images_max: int,
    says: str,
) -> list[Listing]:
    """One listing per variant, for marketplaces that list each variant on its own.

    Every variant gets the product's images (primary first, at most `images_max`) and its
    own copy of the `shared` issues plus the warning when images are cut (`says` names the
    marketplace, as in `images_cut_warning`); `map_variant` adds the rest."""
    images = image_urls(product, images_max)
    cut = images_cut_warning(product, images_max, says)
    if cut is not None:
        shared = [*shared, cut]
    return [
        map_variant(product, variant, account, images, list(shared)) for variant in product.variants
    ]


def product_issues(product: Product, today: date) -> list[ListingIssue]:
    """What every listing of the product shares: not listable today (an OCOP reason; a
    missing image is left to the marketplace's image rule) and no description (a warning)."""
    issues: list[ListingIssue] = []
    listability = listability_issue(product, today)
    if listability is not None:
        issues.append(listability)
    if not product.description:
        issues.append(
            ListingIssue(
                "description",
                "no product description: the listing describes only the OCOP facts",
                "warning",
            )
        )
    return issues


def listability_issue(product: Product, today: date) -> ListingIssue | None:
    """The `ocop` issue of a product not listable today, or None. A product without images
    is left to the image rule, which says so more precisely."""
    listable = product.listability(today)
    if not listable.ok and product.images:
        return ListingIssue("ocop", listable.reason or "not listable")
    return None


def kilograms(grams: int) -> str:
    """Grams as a plain decimal number of kilograms: 1250 -> "1.25", 2000 -> "2"."""
    return f"{(Decimal(grams) / 1000).normalize():f}"
