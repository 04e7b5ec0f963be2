"""The connector contract: what every marketplace implements.

A marketplace is one folder under `connectors/` with a mapping (canonical product -> listing
payloads + completeness issues), an async client (its HTTP protocol) and a sandbox (a real
HTTP server speaking the same protocol), registered in `connectors/registry.py`.
"""

from __future__ import annotations

import collections.abc
import hashlib
import json
import operator
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from connectors.oauth import OAuthFlow, TokenGrant
    from sync.catalog import Product
    from sync.settings import Account


PRICE_AND_STOCK = frozenset({"price", "stock"})
# Per SKU, which of "price" and "stock" changed (`update_prices_stocks`); None: both.
ChangedFields = collections.abc.Mapping[str, Collection[str]] | None  # (`Mapping` is ours)


def fields_to_send(changed: ChangedFields, sku: str) -> frozenset[str]:
    """Which of price and stock to send for `sku`: those that changed; both when not told
    (or when told neither, which no plan makes)."""
    if changed is None:
        return PRICE_AND_STOCK
    fields = PRICE_AND_STOCK.intersection(changed.get(sku, PRICE_AND_STOCK))
    return fields or PRICE_AND_STOCK


# The bytes `json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`
# gives, from one encoder made once: `json.dumps` with options builds a JSONEncoder per call,
# and the circular-reference check walks every container; the two cost ~1.9 µs of the
# ~11.7 µs a listing's content hash took (Voso creates; a mapping never builds cycles).
_HASH_ENCODER = json.JSONEncoder(
    sort_keys=True, ensure_ascii=False, separators=(",", ":"), check_circular=False
)


# The same text, refusing NaN and infinite floats as httpx's `json=` does: what
# `Listing.content_wire` gives a request body.
_WIRE_CONTENT_ENCODER = json.JSONEncoder(
    sort_keys=True,
    ensure_ascii=False,
    separators=(",", ":"),
    check_circular=False,
    allow_nan=False,
)


def stable_hash(payload: Any) -> str:
    """Short, stable hash of a JSON-serialisable payload (key order does not matter)."""
    return _digest(_HASH_ENCODER.encode(payload))


def _digest(raw: str) -> str:
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class ListingIssue:
    """One completeness/validation finding for a listing (like Akeneo's completeness)."""

    field: str
    message: str
    severity: Literal["error", "warning"] = "error"


@dataclass
class Listing:
    """One listing in a marketplace's own format, keyed by `sku` (usually the variant SKU).

    `content` is everything except price and stock (those have fast paths); `price` is in the
    marketplace's unit as it will be sent (int VND, or a USD string for Alibaba).
    """

    sku: str
    product_sku: str
    content: dict[str, Any]
    price: int | str
    stock: int
    images: list[str] = field(default_factory=list)
    issues: list[ListingIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no issue is an error (warnings do not block a push)."""
        return not any(issue.severity == "error" for issue in self.issues)

    @cached_property
    def content_hash(self) -> str:
        """Hash of the content part; a change means a full update.

        Cached: the plan compares it and the result records it, and a mapping never
        changes `content` after building the listing.
        """
        return stable_hash(self.content)

    def content_wire(self) -> str | None:
        """`content` as compact JSON with sorted keys — the very text `content_hash` covers —
        for a request body; None when it holds what JSON cannot carry (a NaN or infinite
        float, an object the encoder does not know): the caller then lets httpx refuse it
        as before.

        Remembers the hash on the way, so the result of the create or update does not
        encode the content a second time. The text itself is not kept: a plan holds many
        listings and each needs it for one request.
        """
        try:
            raw = _WIRE_CONTENT_ENCODER.encode(self.content)
        except (TypeError, ValueError):
            return None
        if "content_hash" not in self.__dict__:
            self.__dict__["content_hash"] = _digest(raw)  # == stable_hash(self.content)
        return raw


class Review(StrEnum):
    """Where a listing stands in the marketplace's own review (TikTok Shop, Alibaba.com put
    new and changed products through one before they are on sale)."""

    PENDING = "pending"  # under review: not on sale yet, not a failure
    APPROVED = "approved"
    REJECTED = "rejected"  # `review_reason` has the marketplace's words


@dataclass(frozen=True)
class RemoteListing:
    """A listing as the marketplace reports it."""

    remote_id: str
    sku: str
    active: bool
    price: int | str
    stock: int
    content: dict[str, Any]
    review: Review | None = None  # None: the marketplace has no review, or it is over
    review_reason: str | None = None

    @property
    def content_hash(self) -> str:
        """Hash of the remote content, comparable with `Listing.content_hash`."""
        return stable_hash(self.content)


@dataclass(frozen=True)
class ItemResult:
    """Outcome of one item inside a batch call (partial success is normal)."""

    sku: str
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True when this item succeeded."""
        return self.error is None


class Mapping(Protocol):
    """Canonical product -> this marketplace's listings."""

    def map_product(self, product: Product, account: Account, today: date) -> list[Listing]:
        """The product's listings (one per variant or per product) with their issues."""
        ...


class MarketplaceClient(Protocol):
    """Async client for one account. Each call raises from connectors.errors on failure."""

    account: Account

    async def find_by_sku(self, sku: str) -> RemoteListing | None:
        """The remote listing with this seller SKU, or None."""
        ...

    async def create(self, listing: Listing) -> str:
        """Create the listing, return its remote id. Not retried by the HTTP layer."""
        ...

    async def update(self, remote_id: str, listing: Listing) -> None:
        """Replace content, price and stock of an existing listing."""
        ...

    async def update_price(self, remote_id: str, listing: Listing) -> None:
        """Send only the price."""
        ...

    async def update_stock(self, remote_id: str, listing: Listing) -> None:
        """Send only the stock."""
        ...

    async def update_prices_stocks(
        self, items: Sequence[tuple[str, Listing]], *, changed: ChangedFields = None
    ) -> list[ItemResult]:
        """Price and stock for many listings in as few calls as the marketplace allows.

        `changed` says per SKU which of "price" and "stock" changed (None: both): a
        marketplace that sets them by separate calls sends only those (`fields_to_send`);
        one whose call takes both sends both, as they are."""
        ...

    async def delist(self, remote_id: str, sku: str) -> None:
        """Take the listing off sale (kept remotely, can be relisted)."""
        ...

    async def relist(self, remote_id: str, sku: str) -> None:
        """Put a delisted listing back on sale."""
        ...

    def list_remote(self, page_size: int = 100) -> AsyncIterator[RemoteListing]:
        """Every listing of this account, page by page."""
        ...

    async def aclose(self) -> None:
        """Close the underlying HTTP client."""
        ...


@dataclass(frozen=True)
class SandboxKit:
    """How tests and the demo use this marketplace's sandbox."""

    # A valid account for seller `name` on a sandbox at `base_url` (sandbox credentials).
    account: Callable[[str, str], Account]
    # A copy of a valid listing that the marketplace must reject (its own rule broken).
    invalid_listing: Callable[[Listing], Listing]
    # OAuth marketplaces: the shop owner's consent on the sandbox (it hands out a code the
    # way the real consent page redirects with one), exchanged for the account's first grant.
    authorize: Callable[[Account], Awaitable[TokenGrant]] | None = None


@dataclass(frozen=True)
class Connector:
    """A registry entry: how to map, how to talk, how to sandbox one marketplace."""

    name: str
    title: str
    mapping: Mapping
    client_factory: Callable[..., MarketplaceClient]
    sandbox_factory: Callable[..., Starlette]  # (SandboxConfig) -> app
    sandbox_kit: SandboxKit
    batch_size: int = 1  # items per update_prices_stocks call (1 = no batch endpoint)
    feed_exporter: Callable[..., None] | None = None  # bulk-upload file for the web portal
    # True when the marketplace reviews new and changed listings before they go on sale:
    # the engine then records a pushed listing as in review until the client reports
    # `RemoteListing.review` approved (or rejected, with the reason).
    reviews: bool = False
    # Credential keys an account must have (checked before any request is sent).
    credentials: tuple[str, ...] = ()
    # Set for marketplaces whose shops authorise us by OAuth: the client factory then takes
    # `tokens=` (a connectors.oauth.TokenProvider the engine builds over the token store).
    oauth: OAuthFlow | None = None
    # True for marketplaces whose listings read back name images by references of their
    # own that no call lists (Shopee image ids, Lazada image URLs, TikTok URIs): the client
    # factory then takes `media=` (a connectors.image_upload.MediaMemory the engine builds
    # over the state database), so any process maps those references back to our images.
    remembers_media: bool = False
    # Whether a stored remote id and one the marketplace lists name the same listing. Equal
    # ids by default; a connector whose id form grew (TikTok's `product:sku` after bare
    # product ids) says older stored ids still name the listing.
    same_remote: Callable[[str, str], bool] = operator.eq
    # Account options that say how to reach or authorise the shop (a consent page's URL),
    # not what a listing looks like: left out of the account fingerprint, so changing one
    # does not make every listing's stored source hash stale (`sync.plan.account_fingerprint`).
    connection_options: frozenset[str] = frozenset()
