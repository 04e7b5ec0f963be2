"""The contract every connector passes against its own sandbox, over real loopback HTTP."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from connectors.base import Connector, Listing, MarketplaceClient
from connectors.errors import AuthError, ItemRejected, RetriableError
from connectors.http import RetryPolicy
from connectors.idempotency import create_once
from connectors.ratelimit import Unlimited
from connectors.sandbox import SandboxServer
from sync.settings import Account
from tests.connectors.conftest import sandbox_call

POLICY = RetryPolicy(max_attempts=6, max_delay=20, base=0.05, cap=0.5)


def with_price_stock(listing: Listing, price: int | str, stock: int) -> Listing:
    return dataclasses.replace(listing, price=price, stock=stock)


async def test_listing_lifecycle_create_find_update_price_stock_delist_relist(
    client: MarketplaceClient, listings: list[Listing]
) -> None:
    listing = listings[0]
    remote_id = await client.create(listing)
    found = await client.find_by_sku(listing.sku)
    assert found is not None and found.remote_id == remote_id and found.active
    assert found.content_hash == listing.content_hash
    assert (found.price, found.stock) == (listing.price, listing.stock)

    edited = dataclasses.replace(listing, content={**listing.content})
    title_key = next(k for k, v in listing.content.items() if isinstance(v, str) and v)
    edited.content[title_key] = listing.content[title_key] + " (mới)"
    await client.update(remote_id, edited)
    found = await client.find_by_sku(listing.sku)
    assert found is not None and found.content_hash == edited.content_hash

    other = listings[1] if len(listings) > 1 else listing
    cheaper = with_price_stock(edited, other.price, listing.stock)
    await client.update_price(remote_id, cheaper)
    restocked = with_price_stock(cheaper, cheaper.price, listing.stock + 7)
    await client.update_stock(remote_id, restocked)
    found = await client.find_by_sku(listing.sku)
    assert found is not None
    assert (found.price, found.stock) == (other.price, listing.stock + 7)

    await client.delist(remote_id, listing.sku)
    found = await client.find_by_sku(listing.sku)
    assert found is not None and not found.active
    await client.relist(remote_id, listing.sku)
    found = await client.find_by_sku(listing.sku)
    assert found is not None and found.active


async def test_find_by_unknown_sku_returns_none(client: MarketplaceClient) -> None:
    assert await client.find_by_sku("NO-SUCH-SKU") is None


async def test_list_remote_pages_through_every_listing(
    client: MarketplaceClient, listings: list[Listing]
) -> None:
    created = {}
    for i in range(5):
        for listing in listings:
            copy = dataclasses.replace(listing, sku=f"{listing.sku}-{i}")
            created[copy.sku] = await client.create(copy)
    remote = [item async for item in client.list_remote(page_size=3)]
    assert {item.sku: item.remote_id for item in remote} == created


async def test_batch_price_stock_update_reports_each_item(
    connector: Connector, client: MarketplaceClient, listings: list[Listing]
) -> None:
    items = []
    for i in range(4):
        listing = dataclasses.replace(listings[0], sku=f"{listings[0].sku}-B{i}")
        items.append((await client.create(listing), listing))
    changed = [
        (rid, with_price_stock(item, listings[-1].price, 3 + i))
        for i, (rid, item) in enumerate(items)
    ]
    changed.append(("999999999", dataclasses.replace(listings[0], sku="GHOST")))
    results = await client.update_prices_stocks(changed)
    assert [r.sku for r in results] == [item.sku for _, item in changed]
    assert [r.ok for r in results] == [True] * 4 + [False]
    for i, (_, listing) in enumerate(changed[:4]):
        found = await client.find_by_sku(listing.sku)
        assert found is not None and found.stock == 3 + i and found.price == listings[-1].price


async def test_rejected_listing_surfaces_marketplace_message(
    connector: Connector, client: MarketplaceClient, listings: list[Listing]
) -> None:
    bad = connector.sandbox_kit.invalid_listing(listings[0])
    with pytest.raises(ItemRejected) as info:
        await client.create(bad)
    assert info.value.message  # the marketplace's own words, not a generic text
    assert client.account.name in str(info.value)
    assert await client.find_by_sku(bad.sku) is None


async def test_wrong_credentials_fail_fast_naming_the_account_without_the_secret(
    connector: Connector,
    account: Account,
    sandbox_ctl: SandboxServer,
    client_kwargs: dict[str, Any],
) -> None:
    from pydantic import SecretStr

    # OAuth marketplaces: valid tokens, but the app's own secret (partner key, app secret)
    # is wrong, so every signature is refused.
    wrong = {k: SecretStr("WrOnG-" + v.get_secret_value()) for k, v in account.credentials.items()}
    bad_account = account.model_copy(update={"credentials": wrong})
    client = connector.client_factory(bad_account, **client_kwargs)
    before = sandbox_call(sandbox_ctl, "/_sandbox/stats")["requests"]
    try:
        with pytest.raises(AuthError) as info:
            await client.find_by_sku("ANY")
    finally:
        await client.aclose()
    text = str(info.value)
    assert account.name in text
    for secret in wrong.values():
        assert secret.get_secret_value() not in text
    # Not retried forever: a handful of requests at most (a login and the call).
    assert sandbox_call(sandbox_ctl, "/_sandbox/stats")["requests"] - before <= 3


async def test_throttle_answers_are_honoured_and_every_call_succeeds(
    connector: Connector,
    account: Account,
    sandbox_ctl: SandboxServer,
    listings: list[Listing],
    client_kwargs: dict[str, Any],
) -> None:
    sandbox_call(sandbox_ctl, "/_sandbox/config", {"rate_limit": 5})
    client = connector.client_factory(account, limiter=Unlimited(), **client_kwargs)
    try:
        before = sandbox_call(sandbox_ctl, "/_sandbox/stats")["throttled"]
        results = await asyncio.gather(*(client.find_by_sku(f"X-{i}") for i in range(15)))
    finally:
        await client.aclose()
    assert results == [None] * 15
    assert sandbox_call(sandbox_ctl, "/_sandbox/stats")["throttled"] > before


async def test_transient_server_errors_are_retried(
    client: MarketplaceClient, sandbox_ctl: SandboxServer
) -> None:
    sandbox_call(
        sandbox_ctl, "/_sandbox/config", {"fault_rate": 0.5, "faults": ["error500", "error503"]}
    )
    before = sandbox_call(sandbox_ctl, "/_sandbox/stats")["faults_injected"]
    results = [await client.find_by_sku(f"Y-{i}") for i in range(12)]
    assert results == [None] * 12
    assert sandbox_call(sandbox_ctl, "/_sandbox/stats")["faults_injected"] > before


@pytest.mark.parametrize("fault", ["drop", "slow"])
async def test_create_whose_answer_was_lost_is_not_duplicated(
    fault: str, client: MarketplaceClient, sandbox_ctl: SandboxServer, listings: list[Listing]
) -> None:
    listing = dataclasses.replace(listings[0], sku=f"{listings[0].sku}-{fault.upper()}")
    # One call before the faults: a session-based client logs in on its first call, and the
    # fault must hit the create itself, not that login.
    assert await client.find_by_sku(listing.sku) is None
    # Likewise a client that uploads images before its create (Alibaba's photobank): a
    # sibling listing with the same images is created first, so they are uploaded already.
    await client.create(dataclasses.replace(listing, sku=f"{listing.sku}-WARM"))
    sandbox_call(sandbox_ctl, "/_sandbox/config", {"fault_rate": 1.0, "faults": [fault]})
    with pytest.raises(RetriableError):
        await client.create(listing)  # processed by the sandbox, answer lost
    sandbox_call(sandbox_ctl, "/_sandbox/config", {"fault_rate": 0.0})
    # A create is one request on most marketplaces, and that request was processed. On
    # Shopee a variant joining an existing item takes two (the variation option, then the
    # model) and the lost one may be the first: the retry must then make the model, and
    # only that. Either way nothing the lost create made is made again.
    made = await client.find_by_sku(listing.sku)
    outcome = await create_once(client, listing, POLICY)
    assert outcome.created == (made is None)
    if made is not None:
        assert outcome.remote_id == made.remote_id
    stats = sandbox_call(sandbox_ctl, "/_sandbox/stats")
    assert stats["sellers"][_seller(stats, client)]["duplicates"] == 0
    found = await client.find_by_sku(listing.sku)
    assert found is not None and found.remote_id == outcome.remote_id


async def test_create_once_under_random_faults_lists_each_sku_exactly_once(
    client: MarketplaceClient, sandbox_ctl: SandboxServer, listings: list[Listing]
) -> None:
    sandbox_call(
        sandbox_ctl,
        "/_sandbox/config",
        {"fault_rate": 0.3, "faults": ["error500", "drop", "throttle"]},
    )
    skus = [f"{listings[0].sku}-R{i}" for i in range(12)]
    for sku in skus:
        await create_once(
            client, dataclasses.replace(listings[0], sku=sku), POLICY, known_absent=True
        )
    sandbox_call(sandbox_ctl, "/_sandbox/config", {"fault_rate": 0.0})
    remote = [item.sku async for item in client.list_remote(page_size=50)]
    assert sorted(remote) == sorted(skus)


def _seller(stats: dict, client: MarketplaceClient) -> str:
    """The sandbox's seller key for this client (the only seller whose SKUs we created)."""
    sellers = stats["sellers"]
    matches = [s for s in sellers if client.account.name in s]
    assert len(matches) == 1, sellers
    return matches[0]
