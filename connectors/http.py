"""Shared HTTP layer: one pooled httpx.AsyncClient per account, tenacity retries for transient
failures only, the marketplace's wait honoured, errors classified (design.md §4).

A concrete client subclasses `HttpClient` and overrides a few hooks instead of copying it:
`prepare` (auth headers, signing), `classify` (its error envelope), `refresh_auth`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from pydantic_core import from_json
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from connectors import observe
from connectors.base import Listing
from connectors.breaker import Breaker
from connectors.errors import (
    AuthError,
    ItemRejected,
    MarketplaceError,
    NotFoundError,
    RetriableError,
    ThrottledError,
)
from connectors.observe import LAST_STATUS, observers
from connectors.ratelimit import LocalRateLimiter, RateLimiter
from sync.settings import Account

if TYPE_CHECKING:
    import ssl

log = logging.getLogger("ocop_sync.http")
HTTPX_LOG = logging.getLogger("httpx")  # its request lines, which `-v` shows
URL_MEMO_MAX = 256  # joined URLs a client remembers (see HttpClient.absolute)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter, at least the marketplace's own wait."""

    max_attempts: int = 5
    max_delay: float = 60.0  # total seconds spent waiting, across attempts
    base: float = 0.25
    cap: float = 10.0

    def backoff(self, attempt: int) -> float:
        """Jittered wait before attempt `attempt + 1` (attempt counts from 1)."""
        return random.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))

    def wait_for(self, attempt: int, error: BaseException | None) -> float:
        """The wait after a failed attempt: backoff, or longer if the marketplace asked."""
        asked = getattr(error, "retry_after", None) or 0.0
        return max(float(asked), self.backoff(attempt))

    @classmethod
    def for_account(cls, account: Account) -> RetryPolicy:
        """The account's configured attempts and total delay."""
        return cls(max_attempts=account.max_attempts, max_delay=account.max_retry_delay)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form; dates are rare for APIs)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def answer_json(response: httpx.Response) -> Any:
    """The answer's JSON body, the same value `response.json()` gives, in less CPU.

    pydantic-core's parser took 5.8 µs for a 1.4 kB create answer where `json.loads` took
    8.9 µs, on every request. It reads UTF-8 only (what JSON on the wire is); anything it
    refuses (a BOM, UTF-16, not JSON at all) goes to `response.json()`, which then decides
    exactly as before, including raising the same error.
    """
    try:
        return from_json(response.content)
    except ValueError:
        return response.json()


# httpx's own `json=` encoding, without the circular-reference check (see listing_json).
_WIRE_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=False
)


def listing_json(
    listing: Listing,
    payload: Callable[[Listing], dict[str, Any]],
    first: dict[str, Any],
    last: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`HttpClient.request` arguments that send `payload(listing)`, the JSON object
    `{**first, **listing.content, **last}`.

    Normally the body is put together around `listing.content_wire()` — the content's text
    that its hash covers, encoded once for both: encoding the content for the body and
    again for the hash cost ~10 µs (Voso) to ~20 µs (Postmart) per create. The object is
    the same; only the content's keys come sorted. When that cannot be done (a key both in
    the content and around it, content JSON cannot carry, a value the encoder refuses)
    `payload(listing)` goes to httpx's `json=` exactly as before.
    """
    content = listing.content
    around = first if last is None else {**first, **last}
    wire = None if any(key in content for key in around) else listing.content_wire()
    if wire is not None:
        try:
            parts = (_WIRE_ENCODER.encode(first), wire, _WIRE_ENCODER.encode(last or {}))
        except (TypeError, ValueError):
            pass
        else:
            inner = ",".join(part[1:-1] for part in parts if len(part) > 2)
            return {"json_body": ("{" + inner + "}").encode()}
    return {"json": payload(listing)}


_tls: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    """The TLS settings every account's client verifies servers with: httpx's default
    (certifi's CAs, or SSL_CERT_FILE / SSL_CERT_DIR as first seen), made once per process.

    Made per client, loading the CA bundle cost ~40 ms of CPU (measured with process_time)
    for every run, Celery batch task and bench segment that opened a client — 20 µs per
    create over the floor figure's 2 000-create segments. A context is safe to share:
    httpcore only sets the same ALPN protocols on it for every connection (HTTP/1.1).
    """
    global _tls
    if _tls is None:
        _tls = httpx.create_ssl_context()
    return _tls


def make_http_client(
    account: Account, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The one pooled AsyncClient for an account: timeouts and pool sized from its settings."""
    limits = httpx.Limits(
        max_connections=account.concurrency, max_keepalive_connections=account.concurrency
    )
    tls: dict[str, Any] = {} if transport is not None else {"verify": tls_context()}
    return httpx.AsyncClient(
        base_url=account.base_url,
        timeout=httpx.Timeout(account.timeout, connect=min(account.timeout, 5.0)),
        limits=limits,
        transport=transport,
        headers={"User-Agent": "ocop-sync/0.1"},
        **tls,
    )


class HttpClient:
    """Base of every marketplace client: send, classify, retry. Hooks are overridden."""

    marketplace = "base"

    def __init__(
        self,
        account: Account,
        *,
        http: httpx.AsyncClient | None = None,
        limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.account = account
        self.http = http or make_http_client(account)
        self.limiter: RateLimiter = limiter or LocalRateLimiter(account.rate_limit)
        self.policy = policy or RetryPolicy.for_account(account)
        self.requests_sent = 0
        self.breaker = Breaker(account.name, account.base_url)
        self._urls: dict[str, httpx.URL] = {}  # see `absolute`

    # -- hooks ------------------------------------------------------------------------------
    async def prepare(self, request: httpx.Request) -> None:
        """Add auth headers or a signature to `request` (override)."""

    def classify(self, response: httpx.Response) -> MarketplaceError | None:
        """Turn an error answer into the taxonomy; None when the answer is a success."""
        status = response.status_code
        if status < 400:
            return None
        message = self.error_message(response)
        kw: dict[str, Any] = {"account": self.account.name, "status": status}
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return ThrottledError(message or "rate limited", retry_after=retry_after, **kw)
        if status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return RetriableError(message or "server error", retry_after=retry_after, **kw)
        if status in (401, 403):
            return AuthError(message or "authentication refused", **kw)
        if status == 404:
            return NotFoundError(message or "not found", **kw)
        return ItemRejected(message or f"rejected with HTTP {status}", **kw)

    def error_message(self, response: httpx.Response) -> str:
        """The marketplace's own message from an error body (override for its envelope)."""
        try:
            body = answer_json(response)
        except ValueError:
            return response.text[:200]
        if isinstance(body, dict):
            return str(body.get("message") or body.get("error") or "")[:500]
        return ""

    async def refresh_auth(self) -> bool:
        """Renew an expired session; True when a retry may now succeed (override)."""
        return False

    # -- sending ----------------------------------------------------------------------------
    async def _send_once(self, request: httpx.Request) -> httpx.Response:
        self.breaker.before_call()
        queued = time.perf_counter()
        await self.limiter.acquire()
        await self.prepare(request)
        started = time.perf_counter()
        self.requests_sent += 1
        try:
            response = await self._transmit(request)
        except httpx.TransportError as exc:
            error = self._transport_error(exc)
            self._observe(None, error, started - queued)
            raise error from None
        self.breaker.answered()
        LAST_STATUS.set(response.status_code)
        if log.isEnabledFor(logging.DEBUG):  # the arguments alone cost a few µs a request
            log.debug(
                "%s %s %s -> %s in %.0f ms",
                self.account.name,
                request.method,
                request.url.path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )
        problem = self.classify(response)
        self._observe(response.status_code, problem, started - queued)
        if problem is not None:
            if isinstance(problem, ThrottledError):
                # One throttle answer pauses every caller sharing this limiter.
                await self.limiter.cooldown(problem.retry_after or self.policy.backoff(1) + 0.5)
            raise problem
        return response

    async def _transmit(self, request: httpx.Request) -> httpx.Response:
        """`self.http.send(request)`, through the transport the client would pick for the
        request's URL (a proxy from the environment included), without the client's layer.

        That layer runs for every request an auth flow, a redirect loop and event hooks this
        client never configures, and files the answer's cookies into a jar no marketplace
        API here uses: ~95–120 µs of CPU a request on this machine, 12–15 % of a create
        against a loopback sandbox (same process, the two ways alternated over 16 segments
        of 1 000 creates, Voso and Postmart). Where the client does configure one of them
        (given from outside with auth, hooks, redirects followed or cookies), or the httpx
        in use has no `_transport_for_url`, the request goes through `send` as before.
        """
        http = self.http
        pick = getattr(http, "_transport_for_url", None)
        if (
            pick is None
            or http.auth is not None
            or http.follow_redirects
            or http.event_hooks["request"]
            or http.event_hooks["response"]
            or http.cookies
        ):
            return await http.send(request)
        response = await pick(request.url).handle_async_request(request)
        response.request = request
        try:
            await response.aread()  # reads the body, then gives the connection back
        except BaseException:
            await response.aclose()
            raise
        if HTTPX_LOG.isEnabledFor(logging.INFO):  # the line `send` logs, for `-v`
            HTTPX_LOG.info(
                'HTTP Request: %s %s "%s %d %s"',
                request.method,
                request.url,
                response.http_version,
                response.status_code,
                response.reason_phrase,
            )
        return response

    def _observe(self, status: int | None, error: BaseException | None, waited: float) -> None:
        for observer in observers:  # metrics, when installed (connectors/observe.py)
            observer.waited(self.account.name, waited)
            observer.answered(self.account.name, self.marketplace, status, error)

    def _retrying(self) -> None:
        observe.retrying(self.account.name, self.marketplace)

    def _transport_error(self, exc: httpx.TransportError) -> RetriableError:
        """No answer (refused, timed out, dropped), as the taxonomy's retriable error."""
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            self.breaker.connection_failed()
            reason = f"connection failed ({type(exc).__name__})"
        elif isinstance(exc, httpx.TimeoutException):
            reason = f"timeout after {self.account.timeout:g}s ({type(exc).__name__})"
        else:
            reason = f"connection failed ({type(exc).__name__})"
        return RetriableError(reason, account=self.account.name)

    async def request(
        self,
        method: str,
        url: str,
        *,
        retry: bool = True,
        json_body: bytes | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send with retries for transient failures (`retry=False`: exactly one attempt).

        `json_body`: a JSON document already encoded (see `listing_json`), sent with the
        headers httpx's `json=` gives (Content-Length, then Content-Type).
        """
        refreshed = False  # a refused session is renewed at most once per call

        target = self.absolute(url)
        if json_body is not None:
            kwargs["content"] = json_body

        def build() -> httpx.Request:
            request = self.http.build_request(method, target, **kwargs)
            if json_body is not None:
                # Set on the built request: a headers argument to build_request, which
                # normalises and merges it, cost 3.1 µs a request, this 1.1 µs.
                request.headers["Content-Type"] = "application/json"
            return request

        async def attempt() -> httpx.Response:
            nonlocal refreshed
            try:
                return await self._send_once(build())
            except AuthError:
                if refreshed or not await self.refresh_auth():
                    raise
                refreshed = True
                return await self._send_once(build())

        started = time.monotonic()
        try:
            # The first attempt runs outside tenacity: nearly every request succeeds at
            # once, and setting up AsyncRetrying cost ~25 µs of CPU per request (the
            # bench's floor figure counts every one of them).
            return await attempt()
        except RetriableError as error:
            if not retry or self._give_up(1, started):
                raise
            self._retrying()
            await asyncio.sleep(self.policy.wait_for(1, error))

        def wait(state: RetryCallState) -> float:
            # tenacity asks for the wait only once it has decided to try again.
            self._retrying()
            error = state.outcome.exception() if state.outcome else None
            return self.policy.wait_for(state.attempt_number + 1, error)

        def give_up(state: RetryCallState) -> bool:
            return self._give_up(state.attempt_number + 1, started)

        # Attempts 2, 3, …: tenacity numbers them from 1, hence the `+ 1` above.
        async for retrying in AsyncRetrying(
            stop=give_up,
            wait=wait,
            retry=retry_if_exception_type(RetriableError),
            reraise=True,
        ):
            with retrying:
                return await attempt()
        raise AssertionError("unreachable")  # pragma: no cover

    def absolute(self, path: str) -> httpx.URL:
        """`path` joined to the account's base URL, by httpx's own rules, remembered.

        httpx parses and merges a relative URL on every request (three URL objects, ~25 µs
        of CPU); the endpoints a sync calls per listing are a handful of fixed paths.
        Paths that carry an id fill the memo, so it is emptied when it grows large.
        """
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= URL_MEMO_MAX:
                self._urls.clear()
            url = self._urls[path] = self.http.build_request("GET", path).url
        return url

    def _give_up(self, attempts: int, started: float) -> bool:
        # Bounded attempts and bounded total waiting: a flapping marketplace cannot hold a
        # listing (or a worker) forever.
        if attempts >= self.policy.max_attempts:
            return True
        return time.monotonic() - started > self.policy.max_delay

    async def aclose(self) -> None:
        """Close the pooled HTTP client."""
        await self.http.aclose()
