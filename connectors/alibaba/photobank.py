"""Alibaba.com photobank, client side: a product's images must be photobank files (the
`<itemSchema>` carries each one's `fileId`), so each source image is uploaded once per
account and reused by the hash of its content.

The listing content names images by their source URL (`image_key`), which the mapping
computes without a request. Uploads are named `<key>.<content hash>.jpg`: two sources with
the same bytes share one upload, and a new process (a cold cache) reads the account's
photobank (`alibaba.icbu.photobank.list`) to find both what is uploaded already and which
source key a photobank URL stands for, instead of uploading again.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.alibaba.api import PHOTOBANK_LIST, PHOTOBANK_PAGE_MAX
from connectors.alibaba.schema import Image
from connectors.base import stable_hash
from sync.settings import Account

Call = Callable[..., Awaitable[dict[str, Any]]]
Download = Callable[[str], Awaitable[bytes]]  # source url -> image bytes
Upload = Callable[[bytes, str], Awaitable[Image]]  # (bytes, file name) -> uploaded file


def image_key(source_url: str) -> str:
    """The stable name of a source image in listing content."""
    return f"img-{stable_hash(source_url)[:20]}"


def content_hash(data: bytes) -> str:
    """The hash uploads are reused by."""
    return hashlib.sha256(data).hexdigest()[:24]


def file_name(key: str, digest: str) -> str:
    """The photobank file name of an upload (key and content hash, see the module doc)."""
    return f"{key}.{digest}.jpg"


@dataclass
class PhotobankCache:
    """One account's photobank: content hash -> file, source key -> hash, URL -> key."""

    file_by_hash: dict[str, Image] = field(default_factory=dict)
    hash_by_key: dict[str, str] = field(default_factory=dict)
    key_by_url: dict[str, str] = field(default_factory=dict)
    loaded: bool = False

    def remember(self, key: str, digest: str, image: Image) -> None:
        """Record that `key`'s bytes (hash `digest`) are the photobank file `image`."""
        self.file_by_hash.setdefault(digest, image)
        self.hash_by_key[key] = digest
        self.key_by_url.setdefault(image.url, key)

    def file_for_key(self, key: str) -> Image | None:
        """The file of a source key already seen, or None."""
        digest = self.hash_by_key.get(key)
        return self.file_by_hash.get(digest) if digest else None


# Per account and shared by every client of it in the process (a worker makes many).
_CACHES: dict[tuple[str, str], PhotobankCache] = {}


def cache_for(account: Account) -> PhotobankCache:
    """The photobank cache of `account` (per base URL and account name)."""
    return _CACHES.setdefault((account.base_url, account.name), PhotobankCache())


class Photobank:
    """Resolves listing image keys to photobank files (uploading what is missing) and back."""

    def __init__(self, account: Account, call: Call, download: Download, upload: Upload):
        self.cache = cache_for(account)
        self._call, self._download, self._upload = call, download, upload
        # Made lazily (locks bind to the running loop): one for the photobank read, one per
        # content hash so listings sharing an image upload it once.
        self._load_lock: asyncio.Lock | None = None
        self._locks: dict[str, asyncio.Lock] = {}

    async def files(self, keys: list[str], sources: list[str]) -> list[Image]:
        """Photobank files for `keys`, uploading from `sources` whatever is missing.

        KeyError names a key that is neither known nor among the listing's sources.
        """
        by_key = {image_key(source): source for source in sources}
        out: list[Image] = []
        for key in keys:
            image = self.cache.file_for_key(key)
            if image is None:
                if key not in by_key:
                    raise KeyError(key)
                image = await self._resolve(key, by_key[key])
            out.append(image)
        return out

    async def keys(self, urls: list[str]) -> list[str]:
        """Source keys of photobank URLs; a URL we did not upload stays as it is."""
        if any(url not in self.cache.key_by_url for url in urls):
            await self._ensure_loaded()
        return [self.cache.key_by_url.get(url, url) for url in urls]

    async def _resolve(self, key: str, source: str) -> Image:
        data = await self._download(source)
        digest = content_hash(data)
        if digest not in self.cache.file_by_hash:
            await self._ensure_loaded()
        async with self._locks.setdefault(digest, asyncio.Lock()):
            image = self.cache.file_by_hash.get(digest)
            if image is None:
                image = await self._upload(data, file_name(key, digest))
            self.cache.remember(key, digest, image)
        return image

    async def _ensure_loaded(self) -> None:
        if self.cache.loaded:
            return
        if self._load_lock is None:
            self._load_lock = asyncio.Lock()
        async with self._load_lock:
            if not self.cache.loaded:
                await self._load()

    async def _load(self) -> None:
        """Read the account's whole photobank: files we uploaded, by hash and by key."""
        page = 1
        while True:
            data = await self._call(
                PHOTOBANK_LIST, {"current_page": str(page), "page_size": str(PHOTOBANK_PAGE_MAX)}
            )
            photos = data.get("photos") or []
            for photo in photos:
                key, _, rest = str(photo.get("file_name", "")).partition(".")
                digest = rest.removesuffix(".jpg")
                if key.startswith("img-") and digest:
                    image = Image(str(photo["file_id"]), str(photo["photobank_url"]))
                    self.cache.remember(key, digest, image)
            if not photos or page * PHOTOBANK_PAGE_MAX >= int(data.get("total_item", 0)):
                break
            page += 1
        self.cache.loaded = True
