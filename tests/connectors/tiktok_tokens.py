"""A test-local TokenProvider for the TikTok tests: the engine's semantics (one refresh out
of many concurrent ones, a loser gets the winner's pair) kept in memory, over the
connector's own OAuth flow against its sandbox. The engine's StoredTokenProvider does the
same over the state database."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx

from connectors.oauth import OAuthFlow, TokenGrant, Tokens
from sync.settings import Account


def as_tokens(grant: TokenGrant, version: int) -> Tokens:
    """A grant as stored, at `version`."""
    fields = {f.name: getattr(grant, f.name) for f in dataclasses.fields(TokenGrant)}
    return Tokens(**fields, version=version)


class MemoryTokens:
    """connectors.oauth.TokenProvider in memory; `refreshes` counts real refresh calls."""

    def __init__(self, account: Account, flow: OAuthFlow, grant: TokenGrant) -> None:
        self.account, self.flow = account, flow
        self.tokens = as_tokens(grant, 1)
        self.refreshes = 0
        self._lock = asyncio.Lock()

    async def current(self) -> Tokens:
        """The pair last stored."""
        return self.tokens

    async def refreshed(self, stale: Tokens) -> Tokens:
        """Refresh unless someone already replaced `stale`."""
        async with self._lock:
            if stale.version < self.tokens.version:
                return self.tokens
            async with httpx.AsyncClient(timeout=5.0) as http:
                grant = await self.flow.refresh(self.account, self.tokens, http)
            self.refreshes += 1
            self.tokens = as_tokens(grant, self.tokens.version + 1)
            return self.tokens
