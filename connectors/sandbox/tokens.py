"""An in-memory TokenProvider for sandboxes (contract suite, benchmarks): the grant of
SandboxKit.authorize, refreshed through the connector's OAuthFlow. No persistence and no
cross-process lock — the engine's provider (sync/state/token_provider.py) has both."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from connectors.http import make_http_client
from connectors.oauth import OAuthFlow, TokenGrant, Tokens
from sync.settings import Account


class MemoryTokenProvider:
    """connectors.oauth.TokenProvider holding one account's tokens in memory."""

    def __init__(self, account: Account, flow: OAuthFlow, grant: TokenGrant) -> None:
        self.account = account
        self.flow = flow
        self.tokens = Tokens.of(grant, 1)
        self.refreshes = 0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"MemoryTokenProvider(account={self.account.name!r}, tokens=<hidden>)"

    async def current(self) -> Tokens:
        """The tokens, refreshed first when the access token has expired."""
        if self.tokens.access_expires_at <= datetime.now(UTC):
            return await self.refreshed(self.tokens)
        return self.tokens

    async def refreshed(self, stale: Tokens) -> Tokens:
        """Refresh once per stale version (concurrent callers share it)."""
        async with self._lock:
            if self.tokens.version > stale.version:
                return self.tokens
            async with make_http_client(self.account) as http:
                grant = await self.flow.refresh(self.account, self.tokens, http)
            self.tokens = Tokens.of(grant.keeping(self.tokens), self.tokens.version + 1)
            self.refreshes += 1
            return self.tokens
