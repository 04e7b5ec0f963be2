"""Images on TikTok Shop: a listing's main images must be URIs from Upload Product Image,
so each source image is uploaded once per shop and reused by the hash of its content.

The listing content names images by their source URL (`image_key`), which the mapping can
compute without a request; the client resolves a key to a TikTok URI here. Two keys whose
downloads have the same bytes share one upload (a producer reusing a photo under two URLs).
The cache is per process and per shop: TikTok has no call that lists uploaded images, so a
new process uploads an image again the first time it needs it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from connectors.base import stable_hash

Download = Callable[[str], Awaitable[bytes]]  # source url -> image bytes
Upload = Callable[[bytes, str], Awaitable[str]]  # (bytes, file name) -> TikTok uri


def image_key(source_url: str) -> str:
    """The stable name of a source image in listing content."""
    return f"img-{stable_hash(source_url)[:20]}"


def content_hash(data: bytes) -> str:
    """The hash uploads are reused by."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class ShopImages:
    """One shop's uploads: content hash -> URI, and each source key's hash and URI."""

    uri_by_hash: dict[str, str] = field(default_factory=dict)
    hash_by_key: dict[str, str] = field(default_factory=dict)
    key_by_uri: dict[str, str] = field(default_factory=dict)

    def remember(self, key: str, digest: str, uri: str) -> None:
        """Record that `key`'s bytes (hash `digest`) live at `uri`."""
        self.uri_by_hash.setdefault(digest, uri)
        self.hash_by_key[key] = digest
        self.key_by_uri.setdefault(uri, key)

    def uri_for_key(self, key: str) -> str | None:
        """The URI of a source key already seen, or None."""
        digest = self.hash_by_key.get(key)
        return self.uri_by_hash.get(digest) if digest else None


# Per shop (base URL, account) and shared by every client of it in the process: a Celery
# worker makes many clients, and an image should go up once, not once per client.
_SHOPS: dict[tuple[str, str], ShopImages] = {}


def shop_images(base_url: str, account: str) -> ShopImages:
    """The upload cache of one shop."""
    return _SHOPS.setdefault((base_url, account), ShopImages())


class ImageUploader:
    """Resolves listing image keys to TikTok URIs, uploading what the shop lacks."""

    def __init__(self, cache: ShopImages, download: Download, upload: Upload) -> None:
        self.cache = cache
        self._download = download
        self._upload = upload
        # One lock per content hash: listings sharing an image upload it once, while
        # different images go up in parallel. Made lazily (locks bind to the running loop).
        self._locks: dict[str, asyncio.Lock] = {}

    async def uris(self, keys: list[str], sources: list[str]) -> list[str]:
        """TikTok URIs for `keys`, uploading from `sources` whatever is missing.

        KeyError names a key that is neither cached nor among the listing's sources.
        """
        by_key = {image_key(source): source for source in sources}
        out: list[str] = []
        for key in keys:
            uri = self.cache.uri_for_key(key)
            if uri is None:
                if key not in by_key:
                    raise KeyError(key)
                uri = await self._resolve(key, by_key[key])
            out.append(uri)
        return out

    def keys(self, uris: list[str]) -> list[str]:
        """Source keys for TikTok URIs; a URI not uploaded by this process stays as it is."""
        return [self.cache.key_by_uri.get(uri, uri) for uri in uris]

    async def _resolve(self, key: str, source: str) -> str:
        data = await self._download(source)
        digest = content_hash(data)
        async with self._locks.setdefault(digest, asyncio.Lock()):
            uri = self.cache.uri_by_hash.get(digest)
            if uri is None:
                uri = await self._upload(data, f"{key}.jpg")
            self.cache.remember(key, digest, uri)
        return uri
