"""Shopee media space, client side: images are uploaded once per account and reused.

A listing's content names its images by the hash of their source (mapping.image_key); the
cache maps each name to the image id Shopee gave it, and back. It is per process, shared by
every client of the account. Shopee has no call to list the media space, so the account's
uploads are also remembered in the state database (the client's `media=`,
connectors/image_upload.py `Recall`): a new process reads them once instead of uploading
again, and maps the image ids of items it reads back to our names.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from connectors.image_upload import MediaMemory, Recall, Remembered
from connectors.shopee.mapping import image_key
from sync.settings import Account

Upload = Callable[[str], Awaitable[str]]  # source url -> image id


@dataclass
class MediaCache:
    """One account's uploaded images: name <-> image id."""

    id_by_name: dict[str, str] = field(default_factory=dict)
    name_by_id: dict[str, str] = field(default_factory=dict)
    recalled: bool = False  # the account's remembered uploads were read (`Recall`)

    def knows(self, image_id: str) -> bool:
        """True when `image_id` maps back to one of our names."""
        return image_id in self.name_by_id

    def absorb(self, upload: Remembered) -> None:
        """A remembered upload (key: our name, uploaded and ref: the image id)."""
        self.id_by_name.setdefault(upload.key, upload.uploaded)
        self.name_by_id[upload.ref] = upload.key


# Shared by every client of an account in the process (a worker makes many clients).
_CACHES: dict[tuple[str, str], MediaCache] = {}


class MediaSpace:
    """Resolves image names to Shopee image ids, uploading what is missing."""

    def __init__(self, account: Account, upload: Upload, memory: MediaMemory | None = None):
        self.cache = _CACHES.setdefault((account.base_url, account.name), MediaCache())
        self.recall = Recall(self.cache, memory)
        self._upload = upload
        self._locks: dict[str, asyncio.Lock] = {}

    async def ids(self, names: list[str], sources: list[str]) -> list[str]:
        """Image ids for `names` (the listing's), uploading from `sources` when needed."""
        await self.recall.ready()
        by_name = {image_key(source): source for source in sources}
        for name in names:
            if name in self.cache.id_by_name:
                continue
            async with self._locks.setdefault(name, asyncio.Lock()):
                if name not in self.cache.id_by_name:
                    image_id = await self._upload(by_name[name])
                    self.cache.name_by_id[image_id] = name
                    # Shopee takes the image itself: no content hash of ours to keep. The
                    # id kept is ours unless another process uploaded this image first.
                    kept = await self.recall.keep(Remembered(name, "", image_id, image_id))
                    self.cache.id_by_name[name] = kept.uploaded
                    self.cache.name_by_id[kept.ref] = name
        return [self.cache.id_by_name[name] for name in names]

    async def learn(self, image_ids: Iterable[str]) -> None:
        """Before `names` in a scan: ids the cache does not know yet are looked up in the
        account's memory (images another process uploaded)."""
        await self.recall.learn(image_ids)

    def names(self, image_ids: list[str]) -> list[str]:
        """Our names for Shopee image ids; an id we did not upload stays as it is."""
        return [self.cache.name_by_id.get(image_id, image_id) for image_id in image_ids]
