"""Shopee media space, client side: images are uploaded once per account and reused.

A listing's content names its images by the hash of their source (mapping.image_key); the
cache maps each name to the image id Shopee gave it, and back. Shopee has no call to list
the media space, so a new process uploads an image again the first time it needs it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from connectors.shopee.mapping import image_key
from sync.settings import Account

Upload = Callable[[str], Awaitable[str]]  # source url -> image id


@dataclass
class MediaCache:
    """One account's uploaded images: name <-> image id."""

    id_by_name: dict[str, str] = field(default_factory=dict)
    name_by_id: dict[str, str] = field(default_factory=dict)


# Shared by every client of an account in the process (a worker makes many clients).
_CACHES: dict[tuple[str, str], MediaCache] = {}


class MediaSpace:
    """Resolves image names to Shopee image ids, uploading what is missing."""

    def __init__(self, account: Account, upload: Upload) -> None:
        self.cache = _CACHES.setdefault((account.base_url, account.name), MediaCache())
        self._upload = upload
        self._locks: dict[str, asyncio.Lock] = {}

    async def ids(self, names: list[str], sources: list[str]) -> list[str]:
        """Image ids for `names` (the listing's), uploading from `sources` when needed."""
        by_name = {image_key(source): source for source in sources}
        for name in names:
            if name in self.cache.id_by_name:
                continue
            async with self._locks.setdefault(name, asyncio.Lock()):
                if name not in self.cache.id_by_name:
                    image_id = await self._upload(by_name[name])
                    self.cache.id_by_name[name] = image_id
                    self.cache.name_by_id[image_id] = name
        return [self.cache.id_by_name[name] for name in names]

    def names(self, image_ids: list[str]) -> list[str]:
        """Our names for Shopee image ids; an id we did not upload stays as it is."""
        return [self.cache.name_by_id.get(image_id, image_id) for image_id in image_ids]
