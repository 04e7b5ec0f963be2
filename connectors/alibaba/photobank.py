"""Alibaba.com photobank, client side: a product's images must be photobank files (the
`<itemSchema>` carries each one's `fileId`), so each source image is uploaded once per
account and reused by the hash of its content (connectors/image_upload.py).

The listing content names images by their source URL (`image_key`), which the mapping
computes without a request. Uploads are named `<key>.<content hash>.jpg`: two sources with
the same bytes share one upload, and a new process (a cold cache) reads the account's
photobank (`alibaba.icbu.photobank.list`) to find both what is uploaded already and which
source key a photobank URL stands for, instead of uploading again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from connectors.alibaba.api import PHOTOBANK_LIST, PHOTOBANK_PAGE_MAX
from connectors.alibaba.schema import Image
from connectors.image_upload import Download, UploadCache, Uploader, image_key

__all__ = ["Photobank", "cache_for", "file_name", "image_key"]

Call = Callable[..., Awaitable[dict[str, Any]]]
Upload = Callable[[bytes, str], Awaitable[Image]]  # (bytes, file name) -> uploaded file
PhotobankCache = UploadCache[Image]


def file_name(key: str, digest: str) -> str:
    """The photobank file name of an upload (key and content hash, see the module doc)."""
    return f"{key}.{digest}.jpg"


# Per account and shared by every client of it in the process (a worker makes many).
_CACHES: dict[tuple[str, str], PhotobankCache] = {}


def cache_for(base_url: str, account: str) -> PhotobankCache:
    """The photobank cache of an account (per base URL and account name)."""
    return _CACHES.setdefault((base_url, account), PhotobankCache())


class Photobank(Uploader[Image]):
    """Resolves listing image keys to photobank files (uploading what is missing) and back."""

    def __init__(self, cache: PhotobankCache, call: Call, download: Download, upload: Upload):
        super().__init__(
            cache,
            download,
            lambda data, key, digest: upload(data, file_name(key, digest)),
            lambda image: image.url,
        )
        self._call = call
        self._load_lock: asyncio.Lock | None = None  # made lazily: locks bind to the loop

    async def keys(self, urls: list[str]) -> list[str]:
        """Source keys of photobank URLs; a URL we did not upload stays as it is."""
        if any(url not in self.cache.key_by_ref for url in urls):
            await self.before_upload()
        return self.known_keys(urls)

    async def before_upload(self) -> None:
        """Read the account's photobank once per process before uploading anything new."""
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
                    self.cache.remember(key, digest, image, image.url)
            if not photos or page * PHOTOBANK_PAGE_MAX >= int(data.get("total_item", 0)):
                break
            page += 1
        self.cache.loaded = True
