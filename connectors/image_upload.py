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

Remembered uploads: Shopee, Lazada and TikTok Shop have no call that lists what an account
uploaded, and their listings read back name images by the marketplace's own references (an
image id, a Lazada URL, a TikTok URI). A process that did not upload them could not tell
which source image a reference stands for, so every listing it read back would look edited.
Their clients therefore take a `MediaMemory` from the engine (`media=`, for connectors whose
`Connector.remembers_media` is set): the account's uploads kept in the state database, which
connectors never import. A per-process cache stays the fast path: `Recall` fills it from the
memory once per process and account, asks the memory for references it does not know (an
upload another process made since), and writes each new upload through. The first upload
of a key stays the key's: two processes that uploaded one image at once both use the one
the memory kept, so the reference a listing carries always maps back to its key (the other
upload stays unused).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

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


@dataclass(frozen=True)
class Remembered:
    """One upload of an account as the state database keeps it (see the module doc)."""

    key: str  # our name of the source image, as listing content carries it
    digest: str  # content hash of the bytes uploaded; "" where the marketplace fetched them
    ref: str  # how the marketplace names the upload in listings read back
    uploaded: str  # what the client needs to use the upload again, in its own text form


class MediaMemory(Protocol):
    """One account's uploads in the state database; the engine hands it to a client."""

    async def load(self) -> list[Remembered]:
        """Every upload remembered for the account, oldest first."""
        ...

    async def find(self, refs: Sequence[str]) -> list[Remembered]:
        """The uploads remembered under these references (an unknown one is not there)."""
        ...

    async def remember(self, upload: Remembered) -> Remembered:
        """Keep one upload unless its key has one already; the key's upload as kept (this
        one, or the one another process kept first, which every process then uses)."""
        ...

    async def forget(self, uploads: Sequence[Remembered]) -> None:
        """Drop these uploads where they are still their key's (the marketplace refused
        them as unknown); a key's newer upload from another process stays."""
        ...


class Remembering(Protocol):
    """A per-process upload cache that `Recall` fills from an account's MediaMemory."""

    recalled: bool  # the memory's rows were read into it (once per process and account)

    def knows(self, ref: str) -> bool:
        """True when the cache can map `ref` back to a source key."""
        ...

    def absorb(self, upload: Remembered) -> None:
        """Take one remembered upload in; what the cache learnt in this process stays."""
        ...


class Recall:
    """One client's link between its account's per-process cache and its MediaMemory.

    Without a memory (tools and tests that build a client by hand) every call is a no-op and
    the cache behaves as it always did.
    """

    def __init__(self, cache: Remembering, memory: MediaMemory | None) -> None:
        self.cache = cache
        self.memory = memory
        self._lock: asyncio.Lock | None = None  # made on first use: locks bind to the loop

    async def ready(self) -> None:
        """Read the account's remembered uploads into the cache, once per process."""
        if self.memory is None or self.cache.recalled:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # concurrent listings of one client read the rows once
            if not self.cache.recalled:
                for upload in await self.memory.load():
                    self.cache.absorb(upload)
                self.cache.recalled = True

    async def learn(self, refs: Iterable[str]) -> None:
        """Make the cache know `refs` where the memory does: an upload made by another
        process after this one read the memory is asked for by its reference."""
        await self.ready()
        if self.memory is None:
            return
        unknown = [ref for ref in dict.fromkeys(refs) if ref and not self.cache.knows(ref)]
        if unknown:
            for upload in await self.memory.find(unknown):
                self.cache.absorb(upload)

    async def keep(self, upload: Remembered) -> Remembered:
        """Write one new upload through to the memory; the key's upload to use from now on
        (`upload` itself, unless another process kept one for the key first)."""
        if self.memory is None:
            return upload
        return await self.memory.remember(upload)

    async def forget(self, uploads: Sequence[Remembered]) -> None:
        """Drop uploads the marketplace refused as unknown from the memory."""
        if self.memory is not None and uploads:
            await self.memory.forget(uploads)


@dataclass
class UploadCache(Generic[T]):
    """One account's uploads: content hash -> upload, source key -> hash, reference -> key."""

    by_hash: dict[str, T] = field(default_factory=dict)
    hash_by_key: dict[str, str] = field(default_factory=dict)
    key_by_ref: dict[str, str] = field(default_factory=dict)
    loaded: bool = False  # the marketplace's own list of uploads was read (where it has one)
    recalled: bool = False  # the account's MediaMemory was read (`Recall`)
    # Source key -> the upload the MediaMemory holds for it, used over a content-hash match
    # (two processes may have uploaded one image: every process uses the one kept).
    by_key: dict[str, T] = field(default_factory=dict)
    # Remembered text -> upload (an upload's text form is `Uploader`'s `encode`).
    decode: Callable[[str], Any] = str

    def remember(self, key: str, digest: str, uploaded: T, ref: str) -> None:
        """Record that `key`'s bytes (hash `digest`) are `uploaded`, referred to as `ref`."""
        self.by_hash.setdefault(digest, uploaded)
        self.hash_by_key[key] = digest
        self.key_by_ref.setdefault(ref, key)

    def for_key(self, key: str) -> T | None:
        """The upload of a source key already seen, or None."""
        pinned = self.by_key.get(key)
        if pinned is not None:
            return pinned
        digest = self.hash_by_key.get(key)
        return self.by_hash.get(digest) if digest else None

    def pin(self, key: str, uploaded: T, ref: str) -> None:
        """`key` uses `uploaded` (what the MediaMemory kept for it), referred to as `ref`
        (a reference shared by keys with the same bytes reads back as the first of them)."""
        self.by_key[key] = uploaded
        self.key_by_ref.setdefault(ref, key)

    def knows(self, ref: str) -> bool:
        """True when `ref` maps back to a source key."""
        return ref in self.key_by_ref

    def absorb(self, upload: Remembered) -> None:
        """A remembered upload: the key's, and a content-hash match for new keys."""
        uploaded = self.decode(upload.uploaded)
        if upload.digest:
            self.by_hash.setdefault(upload.digest, uploaded)
            self.hash_by_key.setdefault(upload.key, upload.digest)
        if upload.key not in self.by_key:
            self.pin(upload.key, uploaded, upload.ref)
        else:
            self.key_by_ref.setdefault(upload.ref, upload.key)


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
        *,
        memory: MediaMemory | None = None,  # the account's uploads in the state database
        encode: Callable[[T], str] = str,  # an upload's text form there (`cache.decode` back)
    ) -> None:
        self.cache = cache
        self._download, self._upload, self._ref = download, upload, ref
        self.recall = Recall(cache, memory)
        self._encode = encode
        # One lock per content hash, made on first use (locks bind to the running loop):
        # listings sharing an image upload it once, different images go up in parallel.
        self._locks: dict[str, asyncio.Lock] = {}

    async def resolve(self, keys: list[str], sources: list[str]) -> list[T]:
        """Uploads for `keys`, from the listing's `sources` whatever is missing.

        KeyError names a key that is neither known nor among the listing's sources.
        """
        await self.recall.ready()
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

    async def learn(self, refs: Iterable[str]) -> None:
        """Before `known_keys` in a scan: references the cache does not know yet are looked
        up in the account's memory (uploads made by another process)."""
        await self.recall.learn(refs)

    async def forget(self, keys: Iterable[str]) -> None:
        """The marketplace refused the uploads of these keys as unknown (one it no longer
        keeps, a sandbox that restarted): drop them here and from the memory, so the next
        `resolve` uploads again. References already read back still map to their keys."""
        stale: list[Remembered] = []
        for key in dict.fromkeys(keys):
            uploaded = self.cache.for_key(key)
            if uploaded is None:
                continue
            digest = self.cache.hash_by_key.pop(key, "")
            stale.append(Remembered(key, digest, self._ref(uploaded), self._encode(uploaded)))
            # Every key sharing the refused upload (same bytes) must upload again too.
            for other in [k for k, u in self.cache.by_key.items() if u == uploaded]:
                del self.cache.by_key[other]
            for gone in [d for d, u in self.cache.by_hash.items() if u == uploaded]:
                del self.cache.by_hash[gone]
        await self.recall.forget(stale)

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
            ref = self._ref(uploaded)
            self.cache.remember(key, digest, uploaded, ref)
            kept = await self.recall.keep(Remembered(key, digest, ref, self._encode(uploaded)))
            if kept.ref != ref:  # another process kept an upload of this key first: use it
                uploaded = self.cache.decode(kept.uploaded)
            self.cache.pin(key, uploaded, kept.ref)
        return uploaded
