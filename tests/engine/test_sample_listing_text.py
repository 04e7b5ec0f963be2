"""Listing text that reads right: the whole Bắc Kạn sample synced to every sandbox, then every
stored text checked for a doubled administrative word ("xã xã Côn Minh"), and every
rendered description checked for the facts a buyer looks for. Also: an Alibaba account
configured exactly as docs/configuration.md shows syncs the sample without failures."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.listing_text import doubled_admin_word
from connectors.registry import REGISTRY
from connectors.sandbox import SandboxServer
from sync.catalog_io import export_catalog
from sync.samples.bac_kan import REFERENCE_DATE, build_bac_kan_catalog
from sync.settings import load_settings
from tests.conftest import seller_listings, seller_stats
from tests.engine.conftest import write_test_config
from tests.engine.helpers import run_pass

TODAY = REFERENCE_DATE
DOCS = Path(__file__).parents[2] / "docs" / "configuration.md"


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


@pytest.fixture
def sample_path(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.csv"
    export_catalog(build_bac_kan_catalog(), path, lang="vi")
    return path


def test_no_text_in_any_sandbox_repeats_an_administrative_word_after_syncing_the_sample(
    tmp_path: Path, sandboxes: dict[str, SandboxServer], sample_path: Path
) -> None:
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    config = write_test_config(tmp_path / "ocop-sync.toml", sandboxes, state_url, sample_path)
    settings = load_settings(config)
    _, reports = run_pass(settings)
    assert all(r.failed == 0 and not r.stopped for r in reports), [r.errors[:3] for r in reports]
    listable = sum(len(p.variants) for p in build_bac_kan_catalog() if p.listability(TODAY).ok)
    for account in settings.accounts:
        server = sandboxes[account.marketplace]
        items = seller_listings(server, account.name)
        assert items, account.name
        doubled = {
            found
            for item in items
            for text in _texts(item)
            if (found := doubled_admin_word(html.unescape(text)))
        }
        assert doubled == set(), (account.marketplace, doubled)
        if account.marketplace != "shopee":  # Shopee keeps one item per product
            assert seller_stats(server, account.name)["active"] == listable, account.marketplace


def _description(content: dict[str, Any]) -> str:
    text = str(content["description"])
    # The HTML marketplaces: compare the words, not the markup.
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


@pytest.mark.parametrize("marketplace", sorted(REGISTRY))
def test_every_sample_description_names_the_rating_decision_producer_and_traceability(
    marketplace: str,
) -> None:
    connector = REGISTRY[marketplace]
    account = connector.sandbox_kit.account(f"{marketplace}-text", "http://127.0.0.1:9")
    star_word = "-star" if marketplace == "alibaba" else " sao"
    checked = 0
    for product in build_bac_kan_catalog():
        if not product.listability(TODAY).ok:
            continue
        for listing in connector.mapping.map_product(product, account, TODAY):
            text = " ".join(_description(listing.content).split())
            where = f"{marketplace} {listing.sku}"
            assert doubled_admin_word(text) is None, (where, doubled_admin_word(text))
            assert f"OCOP {product.ocop.stars}{star_word}" in text, where
            assert product.certificate is not None
            assert product.certificate.decision_no in text, where
            # Diacritics kept: the producer's Vietnamese name, as written in the catalog.
            producer = " ".join(product.producer.name.split())
            assert producer in text or producer.replace("&", "và") in text, where
            if product.traceability is not None:
                assert str(product.traceability.url) in text, where
            checked += 1
    assert checked >= 295


def _docs_alibaba_block() -> str:
    section = DOCS.read_text(encoding="utf-8").split("### Alibaba.com accounts", 1)[1]
    return section.split("```toml", 1)[1].split("```", 1)[0]


def test_an_alibaba_account_configured_as_the_docs_show_syncs_the_sample_without_failures(
    tmp_path: Path,
    sandboxes: dict[str, SandboxServer],
    sample_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    block = _docs_alibaba_block()
    name = re.search(r'^name = "([^"]+)"', block, re.M)
    assert name is not None
    seller = f"{name.group(1)}-{tmp_path.name[-6:].replace('_', 'x').lower()}"
    # Exactly the documented account, on this test's sandbox and under a fresh seller name.
    block = block.replace(f'"{name.group(1)}"', f'"{seller}"')
    block = re.sub(
        r'^base_url = "[^"]*"', f'base_url = "{sandboxes["alibaba"].base_url}"', block, flags=re.M
    )
    block = re.sub(r'^app_key = "[^"]*"', f'app_key = "ak-{seller}"', block, flags=re.M)
    config = tmp_path / "ocop-sync.toml"
    state = tmp_path / "state.db"
    config.write_text(
        f'catalog = "{sample_path}"\nstate_url = "sqlite:///{state}"\n{block}', encoding="utf-8"
    )
    # The secrets come from the environment, as the documentation says.
    from connectors.alibaba.sandbox import sandbox_credentials

    env = "OCOP_SYNC_ACCOUNT_" + seller.upper().replace("-", "_")
    secrets = sandbox_credentials(seller)
    monkeypatch.setenv(f"{env}_APP_SECRET", secrets["app_secret"])
    monkeypatch.setenv(f"{env}_SESSION", secrets["session"])
    settings = load_settings(config)
    _, reports = run_pass(settings)

    catalog = build_bac_kan_catalog()
    wanted = sum(len(p.variants) for p in catalog if p.listability(TODAY).ok and p.ocop.stars >= 4)
    (report,) = reports
    assert report.failed == 0 and not report.stopped, report.errors[:3]
    assert report.done["create"] == wanted
    assert seller_stats(sandboxes["alibaba"], seller)["active"] == wanted
