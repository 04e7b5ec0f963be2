"""connectors/image_upload.ImageFetcher against a real loopback image host: many broken
images are not an unreachable host, and a stopped fetcher recovers once images answer."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.errors import ImagesUnreachable, ItemRejected
from connectors.image_upload import ImageFetcher
from connectors.sandbox import SandboxServer
from sync.settings import Account


class Host:
    """An image host that serves /good/* until told to serve nothing."""

    def __init__(self) -> None:
        self.down = False
        self.app = Starlette(routes=[Route("/{path:path}", self.image)])

    async def image(self, request: Request) -> Response:
        if self.down or not request.url.path.startswith("/good/"):
            return Response(b"", status_code=404)
        return Response(b"\xff\xd8 " + request.url.path.encode(), media_type="image/jpeg")


def _account() -> Account:
    return Account(name="img-test", marketplace="alibaba", base_url="http://127.0.0.1:9")


async def test_many_broken_images_after_a_good_one_fail_alone_and_none_at_all_stops() -> None:
    host = Host()
    with SandboxServer(host.app) as server:
        async with httpx.AsyncClient() as http:
            fetcher = ImageFetcher(
                http, _account(), option="photobank_fetch", title="Alibaba.com", cooldown=0.2
            )
            assert await fetcher(server.base_url + "/good/1.jpg")
            # Twice the stop threshold of broken images: the good one still answers, so
            # each fails alone.
            for n in range(2 * fetcher.stop_after):
                with pytest.raises(ItemRejected):
                    await fetcher(f"{server.base_url}/broken/{n}.jpg")
            assert not fetcher.stopped
            host.down = True  # now nothing answers: the account stops
            with pytest.raises(ImagesUnreachable) as stop:
                for n in range(fetcher.stop_after):
                    with pytest.raises(ItemRejected):
                        await fetcher(f"{server.base_url}/good/{n + 10}.jpg")
            assert fetcher.stopped
            assert "photobank_fetch = false" in str(stop.value)
            with pytest.raises(ImagesUnreachable):  # at once, no request
                await fetcher(server.base_url + "/good/1.jpg")
            host.down = False
            await asyncio.sleep(0.25)  # the cooldown: one download is a probe
            assert await fetcher(server.base_url + "/good/1.jpg")
            assert not fetcher.stopped


async def test_without_fetching_the_url_stands_in_for_the_image() -> None:
    account = _account().model_copy(update={"options": {"photobank_fetch": False}})
    async with httpx.AsyncClient() as http:
        fetcher = ImageFetcher(http, account, option="photobank_fetch", title="Alibaba.com")
        assert await fetcher("https://cdn.example/a.jpg") == b"https://cdn.example/a.jpg"
