"""HttpClient.absolute: the per-client memo of joined URLs follows httpx's own join rules."""

from __future__ import annotations

import httpx
import pytest

from connectors.http import URL_MEMO_MAX, HttpClient
from connectors.registry import REGISTRY


@pytest.mark.parametrize(
    "base", ["http://127.0.0.1:9", "http://127.0.0.1:9/", "http://127.0.0.1:9/gateway/v1"]
)
@pytest.mark.parametrize("path", ["/v2/seller/products", "products/P%2F1/price", "/a b/ç"])
async def test_absolute_joins_like_httpx_does(base: str, path: str) -> None:
    account = REGISTRY["voso"].sandbox_kit.account("urls", base)
    client = HttpClient(account)
    try:
        expected = client.http.build_request("GET", path).url
        assert client.absolute(path) == expected
        assert client.absolute(path) is client.absolute(path)  # remembered
    finally:
        await client.aclose()


async def test_the_memo_stays_bounded_when_paths_carry_ids() -> None:
    account = REGISTRY["voso"].sandbox_kit.account("urls", "http://127.0.0.1:9")
    client = HttpClient(account)
    try:
        urls = [client.absolute(f"/v2/seller/products/{i}") for i in range(3 * URL_MEMO_MAX)]
        assert len(client._urls) <= URL_MEMO_MAX
        assert urls[-1] == httpx.URL(
            f"http://127.0.0.1:9/v2/seller/products/{3 * URL_MEMO_MAX - 1}"
        )
    finally:
        await client.aclose()
