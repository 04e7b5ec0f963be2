"""Marketplaces that take image bytes (Alibaba.com, TikTok Shop, Shopee): when the catalog's
images cannot be downloaded at all, the account stops once with one message naming the
option and the fix, and the other accounts finish; one broken image fails only its listings.
Images come from real loopback servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.image_upload import STOP_AFTER
from connectors.sandbox import SandboxServer
from sync.catalog import Catalog, Image
from sync.catalog_io import export_catalog
from sync.demo import write_config
from sync.settings import Account, load_settings
from sync.synthetic import synthetic_catalog
from tests.conftest import seller_stats
from tests.engine.conftest import write_test_config
from tests.engine.test_account_stops import closed_port
from tests.engine.test_cli_engine import ocop

# The option that makes each marketplace download images (all on by default).
FETCHING = {"alibaba": "photobank_fetch", "tiktok": "image_fetch", "shopee": "media_fetch"}
PRODUCTS = 40  # two variants each: 80 listings per account


def image_host(broken: tuple[str, ...] = (), everything_missing: bool = False) -> Starlette:
    """A loopback image host: a distinct small JPEG per path; 404 for `broken` paths."""

    async def image(request: Request) -> Response:
        path = request.url.path
        if everything_missing or any(b in path for b in broken):
            return Response(b"not found", status_code=404)
        return Response(b"\xff\xd8\xff\xe0 OCOP " + path.encode(), media_type="image/jpeg")

    return Starlette(routes=[Route("/{path:path}", image)])


@pytest.fixture
def images() -> Iterator[SandboxServer]:
    with SandboxServer(image_host(broken=("/syn-000007/",))) as server:
        yield server


def with_images(catalog: Catalog, base: str) -> Catalog:
    """The catalog with two images per product on `base` (`<base>/<sku>/1.jpg`, `2.jpg`)."""
    changed = catalog.model_copy(deep=True)
    for product in changed.products:
        product.images = [
            Image(url=f"{base}/{product.sku.lower()}/{n}.jpg", primary=n == 1) for n in (1, 2)
        ]
    return changed


def fetching_config(
    tmp_path: Path, sandboxes: dict[str, SandboxServer], image_base: str
) -> tuple[Path, list[Account]]:
    """One account per marketplace; those that take image bytes download them."""
    catalog = tmp_path / "catalog.csv"
    export_catalog(with_images(synthetic_catalog(PRODUCTS, seed=5), image_base), catalog)
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    config = write_test_config(tmp_path / "ocop-sync.toml", sandboxes, state_url, catalog)
    accounts = [
        a.model_copy(update={"options": {**a.options, FETCHING[a.marketplace]: True}})
        if a.marketplace in FETCHING
        else a
        for a in load_settings(config).accounts
    ]
    write_config(config, catalog, state_url, accounts)
    return config, accounts


def sync_json(config: Path) -> tuple[int, dict[str, dict]]:
    result = ocop("sync", "--config", str(config), "--json")
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, {r["account"]: r for r in json.loads(result.stdout)}


@pytest.mark.parametrize("why", ["refused", "all-404"])
def test_images_that_cannot_be_downloaded_stop_the_account_once_and_the_others_finish(
    tmp_path: Path, sandboxes: dict[str, SandboxServer], why: str
) -> None:
    if why == "refused":
        config, accounts = fetching_config(
            tmp_path, sandboxes, f"http://127.0.0.1:{closed_port()}/cdn"
        )
        code, reports = sync_json(config)
    else:
        with SandboxServer(image_host(everything_missing=True)) as host:
            config, accounts = fetching_config(tmp_path, sandboxes, host.base_url + "/cdn")
            code, reports = sync_json(config)
    assert code == 3
    for account in accounts:
        report = reports[account.name]
        listed = seller_stats(sandboxes[account.marketplace], account.name)["listings"]
        if account.marketplace not in FETCHING:
            # Voso and Postmart take only https images: they skip these http ones.
            assert report["failed"] == 0 and not report["stopped"], report
            if account.marketplace == "lazada":
                assert listed == 2 * PRODUCTS
            continue
        option = FETCHING[account.marketplace]
        stopped = report["stopped"]
        assert stopped and stopped.startswith("images cannot be downloaded"), report
        assert f"{option} = true" in stopped and f"{option} = false" in stopped
        assert "ocop-sync sandbox" in stopped
        assert listed == 0
        # Once: only the listings that failed before the account stopped carry their own
        # message (those of fewer than STOP_AFTER products, one failing URL each); every
        # other listing carries the stop message.
        own = [e for e in report["errors"] if e["message"] != stopped]
        assert len(own) < 2 * STOP_AFTER, (account.marketplace, stopped, own)
        assert all(e["message"].startswith(("cannot download image", "image ")) for e in own)
        assert len(report["errors"]) == 2 * PRODUCTS
        assert report["seconds"] < 30


def test_a_product_with_a_broken_image_fails_only_its_listings(
    tmp_path: Path, sandboxes: dict[str, SandboxServer], images: SandboxServer
) -> None:
    config, accounts = fetching_config(tmp_path, sandboxes, images.base_url + "/cdn")
    code, reports = sync_json(config)
    assert code == 3  # that product's listings failed
    for account in accounts:
        report = reports[account.name]
        assert not report["stopped"], report
        listed = seller_stats(sandboxes[account.marketplace], account.name)["listings"]
        if account.marketplace in FETCHING:
            assert report["failed"] == 2, report["errors"]
            assert {e["sku"].rsplit("-", 1)[0] for e in report["errors"]} == {"SYN-000007"}
            assert all("answered HTTP 404" in e["message"] for e in report["errors"])
            expected = 2 * (PRODUCTS - 1)
        else:
            assert report["failed"] == 0, report["errors"]
            expected = 2 * PRODUCTS
        if account.marketplace in FETCHING or account.marketplace == "lazada":
            assert listed == expected, account.marketplace
