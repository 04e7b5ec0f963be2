"""Shopee: signatures from Shopee's documentation, the sandbox's checks, per-model batch
results, batches of 50, paging, media reuse and the mapping's rules."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date

import httpx
import pytest

from connectors.base import Listing
from connectors.errors import ItemRejected, NotFoundError
from connectors.sandbox import SandboxConfig, SandboxServer
from connectors.sandbox.tokens import MemoryTokenProvider
from connectors.shopee import CONNECTOR as SHOPEE
from connectors.shopee import api
from connectors.shopee.client import ShopeeClient
from connectors.shopee.mapping import MAPPING
from connectors.shopee.signing import public_base_string, public_params, shop_base_string, sign
from tests.factories import make_product, product_data

TODAY = date(2026, 11, 29)


# -- signatures: the examples of open.shopee.com/developer-guide/16 ("API calls") ---------------
def test_shop_call_base_string_is_the_documented_example() -> None:
    base = shop_base_string(
        2001887, "/api/v2/shop/get_shop_info", 1655714431, "59777174636562737266615546704c6d",
        14701711,
    )  # fmt: skip
    assert base == (
        "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711"
    )


def test_public_call_base_string_is_the_documented_example() -> None:
    base = public_base_string(2001887, "/api/v2/public/get_shops_by_partner", 1655714431)
    assert base == "2001887/api/v2/public/get_shops_by_partner1655714431"


def test_signature_is_lowercase_hex_hmac_sha256_keyed_by_the_partner_key() -> None:
    # The guide publishes base strings, not the partner key of its sample signature, so the
    # signature is checked against the algorithm it names: HMAC-SHA256, hex, lowercase.
    base = "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711"
    key = "partner-key-of-the-app"
    expected = hmac.new(key.encode(), base.encode(), hashlib.sha256).hexdigest()
    assert sign(key, base) == expected == expected.lower() and len(expected) == 64
    assert sign(key + "x", base) != expected


# -- sandbox and client ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SHOPEE.sandbox_factory(SandboxConfig(seed=5))) as running:
        yield running


@pytest.fixture
async def client(
    server: SandboxServer, request: pytest.FixtureRequest
) -> AsyncIterator[ShopeeClient]:
    name = f"s-{abs(hash(request.node.nodeid)) % 10**8}"
    account = SHOPEE.sandbox_kit.account(name, server.base_url).model_copy(
        update={"rate_limit": 500.0, "timeout": 2.0}
    )
    grant = await SHOPEE.sandbox_kit.authorize(account)  # type: ignore[misc]
    client = ShopeeClient(account, tokens=MemoryTokenProvider(account, SHOPEE.oauth, grant))  # type: ignore[arg-type]
    yield client
    await client.aclose()


def requests(server: SandboxServer) -> int:
    return int(httpx.get(server.base_url + "/_sandbox/stats").json()["requests"])


async def test_sandbox_refuses_a_wrong_signature_and_a_stale_timestamp(
    server: SandboxServer,
) -> None:
    account = SHOPEE.sandbox_kit.account("sig-check", server.base_url)
    key = account.secret("partner_key")
    partner_id = account.secret("partner_id")
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        good = public_params(partner_id, key, api.TOKEN_GET, int(time.time()))
        wrong = {
            **good,
            "sign": sign(
                key + "?", public_base_string(partner_id, api.TOKEN_GET, int(good["timestamp"]))
            ),
        }
        stale = public_params(partner_id, key, api.TOKEN_GET, int(time.time()) - 301)
        body = {"code": "nope", "shop_id": 1, "partner_id": int(partner_id)}
        answers = [
            (await http.post(api.TOKEN_GET, params=p, json=body)).json()
            for p in (good, wrong, stale)
        ]
    assert [a["error"] for a in answers] == ["error_auth", "error_sign", "error_auth"]
    assert [a["message"] for a in answers] == ["Invalid code", "Wrong sign.", "Invalid timestamp."]


def _variant_copies(count: int) -> list[Listing]:
    base = MAPPING.map_product(
        make_product("BK-SHP"), SHOPEE.sandbox_kit.account("m", "http://x"), TODAY
    )[0]
    return [dataclasses.replace(base, sku=f"BK-SHP-{i:02d}") for i in range(count)]


async def test_prices_and_stocks_go_out_50_models_a_call_with_per_model_results(
    client: ShopeeClient, server: SandboxServer
) -> None:
    listings = _variant_copies(60)
    ids = [await client.create(listing) for listing in listings]
    item_id = ids[0].split(":")[0]
    assert {remote_id.split(":")[0] for remote_id in ids} == {item_id}  # one item, 60 models
    changed = [
        (rid, dataclasses.replace(lst, price=123000, stock=9))
        for rid, lst in zip(ids, listings, strict=True)
    ]
    changed.append((f"{item_id}:999999999", dataclasses.replace(listings[0], sku="GHOST-MODEL")))
    before = requests(server)
    results = await client.update_prices_stocks(changed)
    assert requests(server) - before == 4  # (50 + 11) models: two price and two stock calls
    assert [r.ok for r in results] == [True] * 60 + [False]
    assert isinstance(results[-1].error, ItemRejected) and "model not found" in str(
        results[-1].error
    )
    found = await client.find_by_sku("BK-SHP-59")
    assert found is not None and (found.price, found.stock) == (123000, 9)


async def test_only_the_field_that_changed_is_sent_per_model(
    client: ShopeeClient, server: SandboxServer
) -> None:
    listings = _variant_copies(3)
    ids = [await client.create(listing) for listing in listings]
    new = [dataclasses.replace(lst, price=99000, stock=4) for lst in listings]
    changed = {new[0].sku: ["price"], new[1].sku: ["stock"], new[2].sku: ["price", "stock"]}
    before = requests(server)
    results = await client.update_prices_stocks(list(zip(ids, new, strict=True)), changed=changed)
    assert [r.ok for r in results] == [True] * 3
    assert requests(server) - before == 2  # one update_price, one update_stock for the item
    found = [await client.find_by_sku(lst.sku) for lst in listings]
    prices_stocks = [(f.price, f.stock) for f in found if f is not None]
    old_price, old_stock = listings[0].price, listings[0].stock
    assert prices_stocks == [(99000, old_stock), (old_price, 4), (99000, 4)]


async def test_list_remote_pages_items_and_reads_every_model(client: ShopeeClient) -> None:
    created = {}
    for n in range(5):
        for listing in MAPPING.map_product(make_product(f"BK-PG{n}"), client.account, TODAY):
            created[listing.sku] = await client.create(listing)
    # One variant delisted: its model goes, its sibling stays on sale. Both delisted: the
    # last model stays in an unlisted item, which the listing still reads.
    for sku in ("BK-PG0-100G", "BK-PG1-100G", "BK-PG1-500G"):
        await client.delist(created[sku], sku)
    remote = {item.sku: item async for item in client.list_remote(page_size=2)}
    removed = {"BK-PG0-100G", "BK-PG1-100G"}
    assert {sku: item.remote_id for sku, item in remote.items()} == {
        sku: remote_id for sku, remote_id in created.items() if sku not in removed
    }
    assert remote["BK-PG0-500G"].active and remote["BK-PG2-100G"].active
    assert not remote["BK-PG1-500G"].active


async def test_an_image_is_uploaded_once_per_account(
    client: ShopeeClient, server: SandboxServer
) -> None:
    shared = [{"url": "https://cdn.ocop-sample.example/shared/1.jpg"}]
    first = MAPPING.map_product(make_product("BK-IMG1", images=shared), client.account, TODAY)
    second = MAPPING.map_product(make_product("BK-IMG2", images=shared), client.account, TODAY)
    await client.create(first[0])
    before = requests(server)
    await client.create(second[0])
    # search_item, add_item, get_model_list, init_tier_variation: no upload_image
    assert requests(server) - before == 4


async def test_unknown_remote_ids_and_rejections_keep_shopees_message(client: ShopeeClient) -> None:
    listing = _variant_copies(1)[0]
    with pytest.raises(NotFoundError):
        await client.update_price("not-an-id", listing)
    with pytest.raises(NotFoundError):
        await client.delist("424242:1", listing.sku)
    # Deliberately outside Listing.price's type: what Shopee does with a fractional price.
    bad = dataclasses.replace(listing, price=1500.5)  # type: ignore[arg-type]
    with pytest.raises(ItemRejected, match="whole number of dong"):
        await client.create(bad)


def test_mapping_flags_what_shopee_would_refuse() -> None:
    account = SHOPEE.sandbox_kit.account("m", "http://x")
    long_name = product_data("BK-LONG", name="Tinh nghệ " * 20)
    from sync.catalog import Product

    listings = MAPPING.map_product(Product.model_validate(long_name), account, TODAY)
    assert {issue.field for issue in listings[0].issues} >= {"item_name"}
    no_channels = account.model_copy(update={"options": {**account.options, "logistic_ids": []}})
    listings = MAPPING.map_product(make_product("BK-NOLOG"), no_channels, TODAY)
    assert any(issue.field == "logistic_info" for issue in listings[0].issues)
    ok = MAPPING.map_product(make_product("BK-OK"), account, TODAY)
    assert all(listing.ok for listing in ok)
    assert [listing.content["option"] for listing in ok] == ["hũ 100 g", "túi 500 g"]
    assert ok[0].content["weight"] == 0.56 and isinstance(ok[0].price, int)


def on_sale(server: SandboxServer, client: ShopeeClient, *skus: str) -> dict[str, int | None]:
    """Per SKU: the stock its model offers buyers, or None when nothing of it is on sale
    (no model, or a model of an unlisted item) — read from the sandbox's own state."""
    listed = httpx.get(server.base_url + "/_sandbox/listings", params={"skus": ",".join(skus)})
    shops = [records for shop, records in listed.json().items() if client.account.name in shop]
    records = {record["sku"]: record for record in shops[0]} if shops else {}
    return {
        sku: records[sku]["stock"] if sku in records and records[sku]["active"] else None
        for sku in skus
    }


async def test_delisting_one_variant_leaves_its_siblings_on_sale(
    client: ShopeeClient, server: SandboxServer
) -> None:
    small, large = MAPPING.map_product(make_product("BK-DL1"), client.account, TODAY)
    ids = {listing.sku: await client.create(listing) for listing in (small, large)}
    assert on_sale(server, client, small.sku, large.sku) == {
        small.sku: small.stock,
        large.sku: large.stock,
    }
    await client.delist(ids[small.sku], small.sku)
    assert on_sale(server, client, small.sku, large.sku) == {
        small.sku: None,
        large.sku: large.stock,
    }
    gone = await client.find_by_sku(small.sku)
    assert gone is None or not gone.active
    kept = await client.find_by_sku(large.sku)
    assert kept is not None and kept.active and kept.stock == large.stock

    await client.delist(ids[large.sku], large.sku)  # the last one on sale: the item goes
    assert on_sale(server, client, small.sku, large.sku) == {small.sku: None, large.sku: None}
    item_id = int(ids[large.sku].split(":")[0])
    assert [i["item_status"] for i in await client._base_info([item_id])] == ["UNLIST"]

    await client.relist(ids[large.sku], large.sku)
    assert on_sale(server, client, small.sku, large.sku) == {
        small.sku: None,
        large.sku: large.stock,
    }
    assert [i["item_status"] for i in await client._base_info([item_id])] == ["NORMAL"]


async def test_the_engine_brings_a_delisted_variant_back_as_a_model_of_its_sku(
    client: ShopeeClient, server: SandboxServer
) -> None:
    from connectors.http import RetryPolicy
    from sync.operations import perform
    from sync.plan import Operation, OpKind

    policy = RetryPolicy(max_attempts=3, base=0.01, cap=0.05)
    small, large = MAPPING.map_product(make_product("BK-DL2"), client.account, TODAY)
    ids = {listing.sku: await client.create(listing) for listing in (small, large)}
    for listing in (small, large):  # removed from the catalog, one after the other
        delist = Operation(
            OpKind.DELIST, client.account.name, listing.sku, listing.product_sku,
            remote_id=ids[listing.sku], changed=["status"],
        )  # fmt: skip
        assert (await perform(client, delist, policy)).ok
    assert on_sale(server, client, small.sku, large.sku) == {small.sku: None, large.sku: None}

    def relist(listing: Listing) -> Operation:
        # A delist clears the binding's hashes, so the plan's relist also updates.
        return Operation(
            OpKind.RELIST, client.account.name, listing.sku, listing.product_sku,
            listing=listing, remote_id=ids[listing.sku],
            changed=["content", "price", "stock", "status"],
        )  # fmt: skip

    # 100 g was removed beside a sibling on sale: it comes back as a new model of its SKU,
    # on sale alone (500 g, delisted last, stays off sale).
    back = await perform(client, relist(small), policy)
    assert back.ok and back.status == "listed", back.message
    assert back.remote_id != ids[small.sku]
    assert (
        back.remote_id is not None and back.remote_id.split(":")[0] == ids[small.sku].split(":")[0]
    )
    assert on_sale(server, client, small.sku, large.sku) == {
        small.sku: small.stock,
        large.sku: None,
    }
    found = await client.find_by_sku(small.sku)
    assert found is not None and found.active and found.remote_id == back.remote_id

    again = await perform(client, relist(large), policy)
    assert again.ok, again.message
    assert on_sale(server, client, small.sku, large.sku) == {
        small.sku: small.stock,
        large.sku: large.stock,
    }
    stats = httpx.get(server.base_url + "/_sandbox/stats").json()
    assert all(shop["duplicates"] == 0 for shop in stats["sellers"].values())


async def test_delist_and_relist_cost_two_calls_and_the_sandbox_checks_model_list(
    client: ShopeeClient, server: SandboxServer
) -> None:
    small, large = MAPPING.map_product(make_product("BK-DL3"), client.account, TODAY)
    ids = {listing.sku: await client.create(listing) for listing in (small, large)}
    item_id, large_model = (int(part) for part in ids[large.sku].split(":"))
    for remote_id, sku in ((ids[small.sku], small.sku), (ids[large.sku], large.sku)):
        before = requests(server)
        await client.delist(remote_id, sku)  # get_model_list, then update_tier_variation
        assert requests(server) - before == 2  # ... or unlist_item for the last model
    before = requests(server)
    await client.relist(ids[large.sku], large.sku)  # get_model_list, unlist_item
    assert requests(server) - before == 2
    with pytest.raises(NotFoundError):
        await client.relist(ids[small.sku], small.sku)

    tier = [{"name": api.TIER_NAME, "option_list": [{"option": "a"}, {"option": "b"}]}]
    for model_list, message in (
        ([{"model_id": 1, "tier_index": [0]}], "model_id 1 not found"),
        ([{"model_id": large_model, "tier_index": [2]}], "does not match an option"),
    ):
        body = {"item_id": item_id, "tier_variation": tier, "model_list": model_list}
        with pytest.raises(ItemRejected, match=message):
            await client._call("POST", api.UPDATE_TIER, json=body)
    found = await client.find_by_sku(large.sku)
    assert found is not None and found.active and found.content["option"] == "túi 500 g"
