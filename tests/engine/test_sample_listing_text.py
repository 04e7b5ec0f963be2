"""Listing text that reads right: the whole Bắc Kạn sample synced to every sandbox, then every
stored text checked for a doubled administrative word ("xã xã Côn Minh"), and every
rendered description checked for the facts a buyer looks for."""

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
