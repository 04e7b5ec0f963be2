"""Lazada's image service, client side: products may show only Lazada image URLs, so each
source image is migrated (`/image/migrate`, Lazada fetches the URL) once per account and
remembered.

Lazada names a migrated image after the hash of its bytes, so migrating one image twice
gives one URL; the cache saves the call. It is keyed by the hash of the source URL, per
account and shared by every client of that account in the process (one Celery worker makes
many clients). Reading a product back maps Lazada URLs to their sources through the same
cache; a URL the cache does not know (a cold process, an image set by hand) stays as it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from connectors.base import stable_hash
from sync.settings import Account

Migrate = Callable[[str], Awaitable[str]]  # source url -> Lazada image url


def migrate_payload(source_url: str) -> str:
    """The documented `/image/migrate` payload for one image."""
    return f"<Request><Image><Url>{escape(source_url)}</Url></Image></Request>"


@dataclass
class ImageCache:
    """One account's migrated images: source hash -> Lazada URL, and back."""

    lazada_by_source: dict[str, str] = field(default_factory=dict)
    source_by_lazada: dict[str, str] = field(default_factory=dict)

    def add(self, source_url: str, lazada_url: str) -> None:
        """Remember one migrated image."""
        self.lazada_by_source[stable_hash(source_url)] = lazada_url
        self.source_by_lazada[lazada_url] = source_url


_CACHES: dict[tuple[str, str], ImageCache] = {}


def cache_for(account: Account) -> ImageCache:
    """The image cache of `account` (per base URL and account name)."""
    return _CACHES.setdefault((account.base_url, account.name), ImageCache())


class Images:
    """Source image URLs -> Lazada image URLs (migrating what is missing) and back."""

    def __init__(self, account: Account, migrate: Migrate) -> None:
        self.cache = cache_for(account)
        self._migrate = migrate
        # One lock per image, made on first use, so listings sharing an image migrate it
        # once while different images migrate in parallel.
        self._locks: dict[str, asyncio.Lock] = {}

    async def lazada_urls(self, sources: list[str]) -> list[str]:
        """Lazada URLs for `sources`, in order."""
        urls = []
        for source in sources:
            key = stable_hash(source)
            if key not in self.cache.lazada_by_source:
                async with self._locks.setdefault(key, asyncio.Lock()):
                    if key not in self.cache.lazada_by_source:
                        self.cache.add(source, await self._migrate(source))
            urls.append(self.cache.lazada_by_source[key])
        return urls

    def sources(self, lazada_urls: list[str]) -> list[str]:
        """Source URLs of Lazada image URLs; an unknown one is kept as it is."""
        return [self.cache.source_by_lazada.get(url, url) for url in lazada_urls]
