"""HttpClient sends through the client's transport, skipping httpx's client layer, and
behaves as `AsyncClient.send` would: body read, connection given back, errors mapped,
the request line logged for `-v`, and the client layer used whenever it is configured."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors.errors import RetriableError
from connectors.http import HttpClient, make_http_client
from connectors.registry import REGISTRY
from connectors.sandbox import SandboxServer
from sync.settings import Account


async def echo(request: Request) -> JSONResponse:
    body = await request.body()
    peer = request.client.port if request.client else None
    answer = {"path": request.url.path, "length": len(body), "peer": peer}
    return JSONResponse(answer, status_code=201, headers={"Set-Cookie": "sid=abc; Path=/"})


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    app = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])
    with SandboxServer(app) as running:
        yield running


def one_connection(server: SandboxServer) -> Account:
    account = REGISTRY["voso"].sandbox_kit.account("send", server.base_url)
    return account.model_copy(update={"concurrency": 1, "timeout": 2.0})


class CountedSends(httpx.AsyncClient):
    """An AsyncClient that counts the requests its client layer (`send`) handled."""

    sends = 0

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        self.sends += 1
        return await super().send(request, **kwargs)


def counted(account: Account, **options: Any) -> CountedSends:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    return CountedSends(base_url=account.base_url, timeout=2.0, limits=limits, **options)


async def test_requests_skip_the_client_layer_and_give_their_connection_back(
    server: SandboxServer,
) -> None:
    account = one_connection(server)
    http = counted(account)
    client = HttpClient(account, http=http)
    try:
        # One connection in the pool: a response whose body was left unread, or whose
        # connection was not given back, would hold it and the next request would time out.
        answers = [
            await client.request("POST", f"/items/{i}", json_body=b'{"a":1}') for i in range(20)
        ]
    finally:
        await client.aclose()
    assert http.sends == 0
    assert [a.status_code for a in answers] == [201] * 20
    bodies = [a.json() for a in answers]
    assert [b["path"] for b in bodies] == [f"/items/{i}" for i in range(20)]
    assert {b["length"] for b in bodies} == {7}
    assert len({b["peer"] for b in bodies}) == 1  # one keep-alive connection throughout
    assert answers[3].request.url == httpx.URL(f"{server.base_url}/items/3")
    assert answers[3].request.headers["Content-Type"] == "application/json"


async def test_a_configured_client_layer_is_used(server: SandboxServer) -> None:
    account = one_connection(server)
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    for options in ({"event_hooks": {"request": [hook]}}, {"follow_redirects": True}):
        http = counted(account, **options)
        client = HttpClient(account, http=http)
        try:
            await client.request("GET", "/first")
            await client.request("GET", "/second")
        finally:
            await client.aclose()
        assert http.sends == 2, options
    assert seen == ["/first", "/second"]


async def test_a_cookie_once_set_on_the_client_keeps_the_client_layer(
    server: SandboxServer,
) -> None:
    account = one_connection(server)
    http = counted(account, cookies={"sid": "given"})
    client = HttpClient(account, http=http)
    try:
        await client.request("GET", "/with-cookie")
    finally:
        await client.aclose()
    assert http.sends == 1


async def test_nothing_listening_is_a_retriable_connection_failure() -> None:
    account = REGISTRY["voso"].sandbox_kit.account("down", "http://127.0.0.1:9")
    client = HttpClient(account, http=make_http_client(account))
    try:
        with pytest.raises(RetriableError, match="connection failed"):
            await client.request("GET", "/nothing", retry=False)
    finally:
        await client.aclose()


async def test_the_request_line_is_logged_for_verbose_runs(
    server: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    account = one_connection(server)
    client = HttpClient(account)
    try:
        with caplog.at_level(logging.INFO, logger="httpx"):
            await client.request("POST", "/logged", json_body=b"{}")
    finally:
        await client.aclose()
    expected = f'HTTP Request: POST {server.base_url}/logged "HTTP/1.1 201 Created"'
    assert expected in caplog.messages
