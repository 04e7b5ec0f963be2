"""Lazada's image service, client side: products may show only Lazada image URLs, so each
source image is migrated (`/image/migrate`, Lazada fetches the URL) once per account and
remembered.

Lazada names a migrated image after the hash of its bytes, so migrating one image twice
gives one URL; the cache saves the call. It is keyed by the hash of the source URL, per
account and shared by every client of that account in the process (one Celery worker makes
many clients). Reading a product back maps Lazada URLs to their sources through the same
cache. Lazada has no call that lists migrated images, so the account's migrations are also
remembered in the state database (the client's `media=`, connectors/image_upload.py
`Recall`): a new process reads them once, and looks up a Lazada URL it does not know. A URL
known nowhere (an image set by hand) stays as it is.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from connectors.base import stable_hash
from connectors.image_upload import MediaMemory, Recall, Remembered
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
    recalled: bool = False  # the account's remembered migrations were read (`Recall`)

    def add(self, source_url: str, lazada_url: str) -> None:
        """Remember one migrated image."""
        self.lazada_by_source[stable_hash(source_url)] = lazada_url
        self.source_by_lazada[lazada_url] = source_url

    def knows(self, lazada_url: str) -> bool:
        """True when `lazada_url` maps back to its source."""
        return lazada_url in self.source_by_lazada

    def absorb(self, upload: Remembered) -> None:
        """A remembered migration (`remembered`)."""
        kept = json.loads(upload.uploaded)
        self.lazada_by_source.setdefault(upload.key, kept["url"])
        self.source_by_lazada[upload.ref] = kept["source"]


def remembered(source_url: str, lazada_url: str) -> Remembered:
    """One migration as the state database keeps it. Listing content names images by their
    source URL, which can be long: the key is its hash, and the source travels in
    `uploaded` with the Lazada URL (Lazada fetched the bytes: no content hash of ours)."""
    uploaded = json.dumps({"url": lazada_url, "source": source_url}, ensure_ascii=False)
    return Remembered(stable_hash(source_url), "", lazada_url, uploaded)


_CACHES: dict[tuple[str, str], ImageCache] = {}


def cache_for(account: Account) -> ImageCache:
    """The image cache of `account` (per base URL and account name)."""
    return _CACHES.setdefault((account.base_url, account.name), ImageCache())


class Images:
    """Source image URLs -> Lazada image URLs (migrating what is missing) and back."""

    def __init__(
        self, account: Account, migrate: Migrate, memory: MediaMemory | None = None
    ) -> None:
        self.cache = cache_for(account)
        self.recall = Recall(self.cache, memory)
        self._migrate = migrate
        # One lock per image, made on first use, so listings sharing an image migrate it
        # once while different images migrate in parallel.
        self._locks: dict[str, asyncio.Lock] = {}

    async def lazada_urls(self, sources: list[str]) -> list[str]:
        """Lazada URLs for `sources`, in order."""
        await self.recall.ready()
        urls = []
        for source in sources:
            key = stable_hash(source)
            if key not in self.cache.lazada_by_source:
                async with self._locks.setdefault(key, asyncio.Lock()):
                    if key not in self.cache.lazada_by_source:
                        lazada_url = await self._migrate(source)
                        self.cache.source_by_lazada[lazada_url] = source
                        # Lazada names an image after its bytes, so another process's
                        # migration of this source is normally the same URL; the one kept
                        # first is used either way.
                        kept = await self.recall.keep(remembered(source, lazada_url))
                        self.cache.add(source, json.loads(kept.uploaded)["url"])
            urls.append(self.cache.lazada_by_source[key])
        return urls

    async def learn(self, lazada_urls: Iterable[str]) -> None:
        """Before `sources` in a scan: URLs the cache does not know yet are looked up in the
        account's memory (images another process migrated)."""
        await self.recall.learn(lazada_urls)

    def sources(self, lazada_urls: list[str]) -> list[str]:
        """Source URLs of Lazada image URLs; an unknown one is kept as it is."""
        return [self.cache.source_by_lazada.get(url, url) for url in lazada_urls]
