"""Alibaba.com photobank, client side: a listing references photobank URLs, so each source
image is uploaded once per account and remembered.

Uploads are named deterministically from the source URL (`ocop-<hash>.<ext>`). The listing
content carries these names (`image_files`), the wire product the photobank URLs; the
per-account cache maps one to the other, and a cold cache (a new process) is filled from
`alibaba.icbu.photobank.list` before anything is uploaded again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from connectors.alibaba.top import LIST_PAGE_MAX, PHOTOBANK_LIST
from connectors.base import stable_hash
from sync.settings import Account

_EXTENSIONS = {".jpg": "jpg", ".jpeg": "jpg", ".png": "png", ".webp": "webp", ".gif": "gif"}

Call = Callable[..., Awaitable[dict[str, Any]]]
Upload = Callable[[str, str], Awaitable[str]]  # (source url, file name) -> photobank url


def image_file_name(source_url: str) -> str:
    """The photobank file name of a source image: stable, ASCII, keeps the image type."""
    suffix = PurePosixPath(urlsplit(source_url).path).suffix.lower()
    return f"ocop-{stable_hash(source_url)[:20]}.{_EXTENSIONS.get(suffix, 'jpg')}"


@dataclass
class PhotobankCache:
    """One account's photobank: file name <-> URL, and whether it was read from the server."""

    url_by_name: dict[str, str] = field(default_factory=dict)
    name_by_url: dict[str, str] = field(default_factory=dict)
    loaded: bool = False

    def add(self, name: str, url: str) -> None:
        """Remember one uploaded image (the first URL of a name wins, as lookups expect)."""
        self.url_by_name.setdefault(name, url)
        self.name_by_url[url] = name


# Per account and shared by every client of it in the process (one Celery worker makes
# many clients), so an image is uploaded once, not once per client.
_CACHES: dict[tuple[str, str], PhotobankCache] = {}


def cache_for(account: Account) -> PhotobankCache:
    """The photobank cache of `account` (per base URL and account name)."""
    return _CACHES.setdefault((account.base_url, account.name), PhotobankCache())


class Photobank:
    """Resolves listing image names to photobank URLs (uploading what is missing) and back."""

    def __init__(self, account: Account, call: Call, upload: Upload) -> None:
        self.cache = cache_for(account)
        self._call = call
        self._upload = upload
        # Locks are made lazily (they bind to the running loop): one for the first full
        # load, one per image so listings sharing an image upload it once while uploads of
        # different images proceed in parallel.
        self._load_lock: asyncio.Lock | None = None
        self._image_locks: dict[str, asyncio.Lock] = {}

    async def urls(self, names: list[str], sources: list[str]) -> list[str]:
        """Photobank URLs for `names`, uploading from `sources` whatever is not there yet."""
        by_name = {image_file_name(source): source for source in sources}
        if any(name not in self.cache.url_by_name for name in names) and not self.cache.loaded:
            if self._load_lock is None:
                self._load_lock = asyncio.Lock()
            async with self._load_lock:
                if not self.cache.loaded:
                    await self.load()
        for name in names:
            if name in self.cache.url_by_name:
                continue
            if name not in by_name:
                raise KeyError(name)
            async with self._image_locks.setdefault(name, asyncio.Lock()):
                if name not in self.cache.url_by_name:
                    self.cache.add(name, await self._upload(by_name[name], name))
        return [self.cache.url_by_name[name] for name in names]

    async def names(self, urls: list[str]) -> list[str]:
        """Image names for photobank URLs; an image not uploaded by us keeps its URL."""
        if any(url not in self.cache.name_by_url for url in urls) and not self.cache.loaded:
            await self.load()
        return [self.cache.name_by_url.get(url, url) for url in urls]

    async def load(self) -> None:
        """Read the account's whole photobank into the cache."""
        page = 1
        while True:
            data = await self._call(
                PHOTOBANK_LIST, {"current_page": str(page), "page_size": str(LIST_PAGE_MAX)}
            )
            photos = data.get("photos") or []
            for photo in photos:
                self.cache.add(str(photo["file_name"]), str(photo["url"]))
            if not photos or page * LIST_PAGE_MAX >= int(data.get("total_item", 0)):
                break
            page += 1
        self.cache.loaded = True
