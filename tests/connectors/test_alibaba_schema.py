"""Alibaba.com's Schema flow against the sandbox: `<itemSchema>` documents built for sample
products and checked against the category's rendered schema, the photobank, the review
states, throttling and the envelope."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest

from connectors.alibaba import CONNECTOR, api
from connectors.alibaba import item_schema as f
from connectors.alibaba.client import AlibabaClient
from connectors.alibaba.envelope import InAudit
from connectors.alibaba.photobank import _CACHES
from connectors.alibaba.schema import MULTI, SINGLE, document_xml, parse_document, rule_problems
from connectors.base import Listing, Review
from connectors.errors import AuthError, ItemRejected, ThrottledError
from connectors.sandbox import SandboxServer
from sync.catalog import Product
from sync.samples.bac_kan import build_bac_kan_catalog
from sync.settings import Account
from tests.connectors import alibaba_kit
from tests.connectors.conftest import sandbox_call
from tests.connectors.oauth_seller import TODAY, stats

server, account, tokens = alibaba_kit.server, alibaba_kit.account, alibaba_kit.tokens
client, listings = alibaba_kit.client, alibaba_kit.listings


def sample_products() -> list[Product]:
    """One listable sample product per OCOP group, one with a certification, and one whose
    description carries markup and quotes."""
    products = [p for p in build_bac_kan_catalog().products if p.listability(TODAY).ok]
    chosen: dict[str, Product] = {}
    for product in products:
        chosen.setdefault(product.ocop.group, product)
    chosen["certified"] = next(p for p in products if "VietGAP" in p.standards)
    tricky = products[-1].model_copy(
        update={"description": "Mật ong <b>rừng</b> & \"sáp\" 'ong'\nHai dòng <script>x</script>"}
    )
    return [*chosen.values(), tricky]


async def test_item_schemas_of_sample_products_keep_the_rendered_schema(
    client: AlibabaClient, account: Account
) -> None:
    products = sample_products()
    assert len({p.ocop.group for p in products}) >= 4
    for product in products:
        listing = CONNECTOR.mapping.map_product(product, account, TODAY)[0]
        assert listing.ok, listing.issues
        schema = await client.schema(str(listing.content["category_id"]))
        images = await client.photobank.resolve(listing.content["image_files"], listing.images)
        text = document_xml(schema, f.item_values(schema, listing, images))
        root = ET.fromstring(text)
        fields = {el.get("id"): el for el in root.findall("field")}
        # Required fields present, each with the rendered type.
        required = {spec.id for spec in schema.fields.values() if spec.required}
        assert required <= set(fields), required - set(fields)
        for field_id, el in fields.items():
            assert field_id is not None
            spec = schema.fields[field_id]
            assert el.get("type") == spec.type
            if spec.image:
                continue
            if spec.type in SINGLE:  # single values: exactly one <value>, no <values>
                assert len(el.findall("value")) == 1 and el.find("values") is None
            if spec.type in MULTI:  # multiple values: <values><value/>…</values>
                assert el.find("value") is None and el.find("values") is not None
        # Images carry their photobank file id and URL, in the listing's order.
        values = fields[f.IMAGES].findall("value")
        assert [(v.get("fileFlag"), v.get("fileId"), v.text) for v in values] == [
            ("yes", i.file_id, i.url) for i in images
        ]
        # Keywords are multiple values; the unit is one option of the rendered ones.
        assert [v.text for v in fields[f.KEYWORDS].find("values") or []] == listing.content[
            "keywords"
        ]
        assert schema.fields[f.UNIT].option_name(fields[f.UNIT].findtext("value") or "")
        # The description is HTML, entity-encoded in the XML, with its images.
        html = fields[f.DESCRIPTION].findtext("value") or ""
        assert html.startswith("<p>") and "&lt;p&gt;" in text
        assert all(f'<img src="{i.url}" />' in html for i in images)
        # The sandbox's own check finds nothing wrong, and schema.add takes it.
        parsed, problems = parse_document(text, schema)
        assert problems + rule_problems(schema, parsed, partial=False) == []
        assert await client.create(listing)
    tricky = CONNECTOR.mapping.map_product(products[-1], account, TODAY)[0]
    found = await client.find_by_sku(tricky.sku)
    assert found is not None and found.content == tricky.content
    assert (
        "&lt;script&gt;" in found.content["description"]
        and "<script>" not in found.content["description"]
    )
    assert "&amp; &quot;sáp&quot; &#x27;ong&#x27;<br/>" in found.content["description"]


def publish(listing: Listing, xml: str) -> dict[str, str]:
    import json

    request = {"cat_id": listing.content["category_id"], "language": "en_US", "xml": xml}
    return {"param_product_top_publish_request": json.dumps(request)}


@pytest.mark.parametrize(
    ("breakage", "complaint"),
    [
        (lambda x: x.replace('fileFlag="yes" ', ""), "fileFlag"),
        (lambda x: x.replace("<values>", "", 1).replace("</values>", "", 1), "productKeywords"),
        (lambda x: x.replace('type="singleCheck"', 'type="input"', 1), "schema says"),
        (lambda x: x.replace('<field id="productTitle"', '<field id="nope"'), "productTitle"),
    ],
    ids=["image-without-file-flag", "multi-as-single", "wrong-type", "missing-required"],
)
async def test_the_sandbox_refuses_documents_that_break_the_rendered_schema(
    client: AlibabaClient, listings: list[Listing], breakage: object, complaint: str
) -> None:
    listing = listings[0]
    schema = await client.schema(str(listing.content["category_id"]))
    images = await client.photobank.resolve(listing.content["image_files"], listing.images)
    good = document_xml(schema, f.item_values(schema, listing, images))
    with pytest.raises(ItemRejected) as info:
        await client.call(api.SCHEMA_ADD, publish(listing, breakage(good)), retry=False)  # type: ignore[operator]
    assert info.value.code == api.SCHEMA_INVALID and complaint in info.value.message
    assert await client.find_by_sku(listing.sku) is None


async def test_images_are_uploaded_once_by_content_and_a_cold_cache_reads_the_photobank(
    client: AlibabaClient, account: Account, server: SandboxServer, listings: list[Listing]
) -> None:
    before = stats(server)["photobank_uploads"]
    for i, listing in enumerate(listings * 2):
        await client.create(dataclasses.replace(listing, sku=f"{listing.sku}-P{i}"))
    uploaded = stats(server)["photobank_uploads"] - before
    assert uploaded == len(set(listings[0].images))
    _CACHES.pop((account.base_url, account.name))  # a new process
    found = await client.find_by_sku(f"{listings[0].sku}-P0")
    assert found is not None and found.content == listings[0].content
    await client.create(dataclasses.replace(listings[0], sku=f"{listings[0].sku}-COLD"))
    assert stats(server)["photobank_uploads"] - before == uploaded


async def test_products_in_review_are_reported_pending_then_approved_or_rejected(
    client: AlibabaClient, server: SandboxServer, listings: list[Listing]
) -> None:
    sandbox_call(server, "/_sandbox/audit", {"seconds": 3600, "reject_word": "starch"})
    try:
        remote_id = await client.create(listings[0])
        found = await client.find_by_sku(listings[0].sku)
        assert found is not None and found.review is Review.PENDING
        with pytest.raises(InAudit) as info:  # a change during the review: retried later
            await client.update_price(remote_id, listings[0])
        assert info.value.code == api.IN_AUDIT and (info.value.retry_after or 0) >= 60
        sandbox_call(server, "/_sandbox/clock", {"advance": 3601})
        found = await client.find_by_sku(listings[0].sku)
        assert found is not None and found.review is Review.REJECTED
        assert found.review_reason and "starch" in found.review_reason
    finally:
        sandbox_call(server, "/_sandbox/clock", {"offset": 0})
        sandbox_call(server, "/_sandbox/audit", {"seconds": 0, "reject_word": None})
    other = dataclasses.replace(listings[1], sku=listings[1].sku + "-OK")
    await client.create(other)
    found = await client.find_by_sku(other.sku)
    assert found is not None and found.review is Review.APPROVED


async def test_the_throttle_answer_gives_the_ban_as_retry_after(
    client: AlibabaClient, server: SandboxServer
) -> None:
    sandbox_call(
        server,
        "/_sandbox/config",
        {"fault_rate": 1.0, "faults": ["throttle"], "throttle_seconds": 2},
    )
    try:
        with pytest.raises(ThrottledError) as info:
            await client.call(api.PRODUCT_LIST, {"page_size": "1"}, retry=False)
    finally:
        sandbox_call(server, "/_sandbox/config", {"fault_rate": 0.0, "throttle_seconds": 1.0})
    assert info.value.retry_after == 2.0 and info.value.code == api.THROTTLED


async def test_the_legacy_product_calls_are_refused_as_the_platform_does(
    client: AlibabaClient,
) -> None:
    # product.add needs a permission apps no longer get: nothing this account sends can
    # succeed, so it stops the account; product.update is offline: this call is wrong.
    with pytest.raises(AuthError) as refused:
        await client.call(api.LEGACY_ADD, {"product": "{}"}, retry=False)
    assert refused.value.code == api.INSUFFICIENT_PERMISSION
    with pytest.raises(ItemRejected) as offline:
        await client.call(api.LEGACY_UPDATE, {"product": "{}"}, retry=False)
    assert offline.value.code == api.API_OFFLINE


async def test_list_remote_pages_thirty_at_most_and_reads_each_product(
    client: AlibabaClient, listings: list[Listing], server: SandboxServer
) -> None:
    for i in range(4):
        await client.create(dataclasses.replace(listings[0], sku=f"{listings[0].sku}-L{i}"))
    before = stats(server)["requests"]
    remote = [item async for item in client.list_remote(page_size=100)]
    assert sorted(r.sku for r in remote) == [f"{listings[0].sku}-L{i}" for i in range(4)]
    assert stats(server)["requests"] - before == 1 + 4  # one page, one product.get each
