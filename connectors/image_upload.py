"""Images a marketplace takes only as uploaded bytes (Alibaba.com's photobank, TikTok Shop's
product images, Shopee's media space): download each source image from where the catalog
says it is, upload it once per account, and stop an account whose images cannot be had.

Uploads are reused by the hash of their content: two source URLs with the same bytes (a
producer reusing a photo) share one upload. The listing content names each image by a key
computed from its source URL (`image_key`), which a mapping can compute without a request;
the client resolves keys to the marketplace's own references here, and back.

Downloads: one broken image fails its listing (`ItemRejected` for an answer other than 200,
`RetriableError` when the image host does not answer). When no image can be downloaded at
all — a catalog whose image URLs answer nowhere (the sample's made-up host), a firewall, a
wrong host — every listing would fail on its own after its retries. So `ImageFetcher`
counts the distinct image URLs that failed in a row with no download succeeding between
them (a listing's retries download the same URL: they count once). At `STOP_AFTER` it
downloads again the last image that did download, if any: when that still answers, the
failures were broken images and only their listings fail; otherwise it stops the account
once with `ImagesUnreachable`, whose message names the account option and the fix. Like
the marketplace breaker (connectors/breaker.py) it lets one download through as a probe
after `COOLDOWN` seconds, so a long-lived worker's client recovers once images answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import httpx

from connectors.base import stable_hash
from connectors.errors import ImagesUnreachable, ItemRejected, RetriableError
from sync.settings import Account

STOP_AFTER = 8  # distinct image URLs failing in a row (about one per product: see above)
COOLDOWN = 60.0  # seconds before a stopped fetcher tries one download again

T = TypeVar("T")  # what the marketplace gives back for an upload (a file, a URI)
Download = Callable[[str], Awaitable[bytes]]  # source url -> image bytes


def image_key(source_url: str) -> str:
    """The stable name of a source image in listing content."""
    return f"img-{stable_hash(source_url)[:20]}"


def content_hash(data: bytes) -> str:
    """The hash uploads are reused by (Alibaba.com keeps it in the photobank file name)."""
    return hashlib.sha256(data).hexdigest()[:24]


@dataclass(frozen=True)
class Fetched:
    """A downloaded image: its bytes and the content type its host gave."""

    data: bytes
    content_type: str


class ImageFetcher:
    """Downloads one account's source images over the client's HTTP pool, and stops the
    account when none can be downloaded (see the module doc).

    `option` is the account option that turns downloading off, `title` the marketplace's
    name as a seller knows it; both go into the stop message. With `fetch` false (our
    sandboxes only, which serve no image files) the URL's own bytes stand in for the image.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        account: Account,
        *,
        option: str,
        title: str,
        stop_after: int = STOP_AFTER,
        cooldown: float = COOLDOWN,
    ) -> None:
        self.http = http
        self.account = account.name
        self.option = option
        self.title = title
        self.fetch = bool(account.options.get(option, True))
        self.stop_after = stop_after
        self.cooldown = cooldown
        self.failed: set[str] = set()  # distinct URLs failed since the last success
        self.last_failure = ""
        self.last_good = ""  # the last URL that downloaded, to tell "all" from "many"
        self._stopped_at: float | None = None
        self._probing = False
        self._stop_message = ""  # one message per stop, whatever is in flight meanwhile

    @property
    def stopped(self) -> bool:
        """True while downloads fail at once."""
        return self._stopped_at is not None

    async def __call__(self, source: str) -> bytes:
        """The image's bytes (`Download`)."""
        return (await self.fetch_image(source)).data

    async def fetch_image(self, source: str) -> Fetched:
        """Download `source`; ItemRejected or RetriableError for this image, ImagesUnreachable
        once the account's images cannot be downloaded at all."""
        if not self.fetch:
            return Fetched(source.encode(), "image/jpeg")
        self._before_download()
        try:
            answer = await self.http.get(source)  # the image host, not the marketplace
        except httpx.HTTPError as exc:
            await self._failed(source, type(exc).__name__)
            raise RetriableError(
                f"cannot download image {source} ({type(exc).__name__})", account=self.account
            ) from None
        if answer.status_code != 200:
            await self._failed(source, f"HTTP {answer.status_code}")
            raise ItemRejected(
                f"image {source} answered HTTP {answer.status_code}", account=self.account
            )
        self._succeeded(source)
        return Fetched(answer.content, answer.headers.get("content-type", "image/jpeg"))

    def _before_download(self) -> None:
        if self._stopped_at is None:
            return
        if not self._probing and time.monotonic() - self._stopped_at >= self.cooldown:
            self._probing = True  # this download is the probe
            return
        raise self._stop_error()

    def _succeeded(self, source: str) -> None:
        self.failed.clear()
        self.last_good = source
        self._stopped_at = None
        self._probing = False

    async def _failed(self, source: str, reason: str) -> None:
        if self._stopped_at is not None and not self._probing:
            raise self._stop_error()  # a download that was in flight when the account stopped
        self.failed.add(source)
        self.last_failure = f"{source}: {reason}"
        if not self._probing and len(self.failed) < self.stop_after:
            return
        # Many broken images in a row, or only broken ones? An image that downloaded before
        # tells: when it still answers, these listings fail on their own and the rest go on
        # (uploads already made are not downloaded again, so successes can be rare).
        if not self._probing and self.last_good and await self._answers(self.last_good):
            self.failed.clear()
            return
        self._stopped_at = time.monotonic()
        self._probing = False
        self._stop_message = (
            f"images cannot be downloaded: {len(self.failed)} image URLs failed in a row and "
            f"none answered (last {self.last_failure}). {self.title} takes each image's "
            f"bytes ([accounts.options] {self.option} = true, the default): make the "
            "catalog's image URLs answer from this machine; only against `ocop-sync "
            f"sandbox`, which needs no image bytes, set {self.option} = false"
        )
        raise self._stop_error()

    async def _answers(self, source: str) -> bool:
        try:
            return (await self.http.get(source)).status_code == 200
        except httpx.HTTPError:
            return False

    def _stop_error(self) -> ImagesUnreachable:
        return ImagesUnreachable(self._stop_message, account=self.account)


@dataclass
class UploadCache(Generic[T]):
    """One account's uploads: content hash -> upload, source key -> hash, reference -> key."""

    by_hash: dict[str, T] = field(default_factory=dict)
    hash_by_key: dict[str, str] = field(default_factory=dict)
    key_by_ref: dict[str, str] = field(default_factory=dict)
    loaded: bool = False  # the marketplace's own list of uploads was read (where it has one)

    def remember(self, key: str, digest: str, uploaded: T, ref: str) -> None:
        """Record that `key`'s bytes (hash `digest`) are `uploaded`, referred to as `ref`."""
        self.by_hash.setdefault(digest, uploaded)
        self.hash_by_key[key] = digest
        self.key_by_ref.setdefault(ref, key)

    def for_key(self, key: str) -> T | None:
        """The upload of a source key already seen, or None."""
        digest = self.hash_by_key.get(key)
        return self.by_hash.get(digest) if digest else None


class Uploader(Generic[T]):
    """Resolves listing image keys to uploads (downloading and uploading what is missing)
    and the marketplace's references back to keys. A marketplace that can list its uploads
    overrides `before_upload` to read them into the cache first (a cold process)."""

    def __init__(
        self,
        cache: UploadCache[T],
        download: Download,
        upload: Callable[[bytes, str, str], Awaitable[T]],  # (bytes, key, hash) -> upload
        ref: Callable[[T], str],  # how listings read back name an upload
    ) -> None:
        self.cache = cache
        self._download, self._upload, self._ref = download, upload, ref
        # One lock per content hash, made on first use (locks bind to the running loop):
        # listings sharing an image upload it once, different images go up in parallel.
        self._locks: dict[str, asyncio.Lock] = {}

    async def resolve(self, keys: list[str], sources: list[str]) -> list[T]:
        """Uploads for `keys`, from the listing's `sources` whatever is missing.

        KeyError names a key that is neither known nor among the listing's sources.
        """
        by_key = {image_key(source): source for source in sources}
        out: list[T] = []
        for key in keys:
            uploaded = self.cache.for_key(key)
            if uploaded is None:
                if key not in by_key:
                    raise KeyError(key)
                uploaded = await self._resolve(key, by_key[key])
            out.append(uploaded)
        return out

    def known_keys(self, refs: list[str]) -> list[str]:
        """Source keys of the marketplace's references; one not in the cache stays as it is."""
        return [self.cache.key_by_ref.get(ref, ref) for ref in refs]

    async def before_upload(self) -> None:
        """Called before uploading bytes the cache does not know (override)."""

    async def _resolve(self, key: str, source: str) -> T:
        data = await self._download(source)
        digest = content_hash(data)
        if digest not in self.cache.by_hash:
            await self.before_upload()
        async with self._locks.setdefault(digest, asyncio.Lock()):
            uploaded = self.cache.by_hash.get(digest)
            if uploaded is None:
                uploaded = await self._upload(data, key, digest)
            self.cache.remember(key, digest, uploaded, self._ref(uploaded))
        return uploaded
