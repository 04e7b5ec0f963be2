"""What `validate` warns about beyond row errors: what a sync will do with a valid catalog.

A row can be valid and its product still never listed (a proposed or revoked rating, an
expired certificate, no image), or listed now and taken down soon (a certificate running
out). These are warnings, not errors: the file is right, the keeper should still know.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import httpx

from sync.catalog import Product

# Certificates running out within this many days are announced: a renewal takes months.
EXPIRY_NOTICE_DAYS = 90


@dataclass(frozen=True)
class CatalogWarning:
    """One thing a keeper should know about a valid product or variant."""

    kind: str  # "not_listable" | "expiring" | "image"
    sku: str
    message: str

    def __str__(self) -> str:
        return f"{self.sku}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        """The warning as a JSON-ready dict (keys kind, sku, message)."""
        return {"kind": self.kind, "sku": self.sku, "message": self.message}


def product_warnings(product: Product, on: date) -> list[CatalogWarning]:
    """One warning per variant that will not be listed on `on` (and why), or one for a
    certificate that runs out within EXPIRY_NOTICE_DAYS."""
    verdict = product.listability(on)
    if not verdict.ok:
        reason = verdict.reason or "not listable"
        return [
            CatalogWarning("not_listable", v.sku, f"will not be listed: {reason}")
            for v in product.variants
        ]
    certificate = product.certificate
    if certificate is not None and certificate.expires - on <= timedelta(EXPIRY_NOTICE_DAYS):
        days = (certificate.expires - on).days
        return [
            CatalogWarning(
                "expiring",
                product.sku,
                f"certificate {certificate.decision_no} expires on "
                f"{certificate.expires.isoformat()} (in {days} days): renew it or the "
                "listings come down",
            )
        ]
    return []


def catalog_warnings(products: Iterable[Product], on: date) -> list[CatalogWarning]:
    """The warnings of every product, in catalog order."""
    return [warning for product in products for warning in product_warnings(product, on)]


async def _check(client: httpx.AsyncClient, sku: str, url: str) -> CatalogWarning | None:
    try:
        response = await client.head(url)
        if response.status_code in (405, 501):  # servers that refuse HEAD
            response = await client.get(url)
    except httpx.HTTPError as exc:
        return CatalogWarning("image", sku, f"image {url} is not reachable ({type(exc).__name__})")
    if response.status_code >= 400:
        return CatalogWarning("image", sku, f"image {url} answers HTTP {response.status_code}")
    kind = response.headers.get("content-type", "")
    if kind and not kind.startswith("image/"):
        return CatalogWarning("image", sku, f"image {url} is not an image ({kind})")
    return None


async def _check_all(
    pairs: list[tuple[str, str]], timeout: float, concurrency: int
) -> list[CatalogWarning]:
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=True, limits=limits) as client:

        async def one(sku: str, url: str) -> CatalogWarning | None:
            async with gate:
                return await _check(client, sku, url)

        found = await asyncio.gather(*(one(sku, url) for sku, url in pairs))
    return [warning for warning in found if warning is not None]


def image_warnings(
    products: Iterable[Product], timeout: float = 10.0, concurrency: int = 8
) -> list[CatalogWarning]:
    """One warning per image URL that does not answer with an image (each URL asked once)."""
    pairs: dict[str, str] = {}
    for product in products:
        for image in product.images:
            pairs.setdefault(str(image.url), product.sku)
    items = [(sku, url) for url, sku in pairs.items()]
    return asyncio.run(_check_all(items, timeout, concurrency)) if items else []
