"""Sandbox app keys that name their seller: `<prefix><seller>`, with the secret
`<secret prefix><seller>`, so tests and the demo need no registration step.

The Lazada and Alibaba.com sandboxes (one IOP gateway protocol) read the seller from the
`app_key` of a request's query string, for their rate limits and signature checks, and
from the consent page's `client_id`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.types import Scope


@dataclass(frozen=True)
class AppKeys:
    """One sandbox's derived app credentials."""

    key_prefix: str
    secret_prefix: str

    def credentials(self, seller: str) -> dict[str, str]:
        """The app credentials the sandbox accepts for seller `seller`."""
        return {"app_key": self.key_prefix + seller, "app_secret": self.secret(seller)}

    def secret(self, seller: str) -> str:
        """The app secret of seller `seller`'s app key."""
        return self.secret_prefix + seller

    def seller_of_key(self, app_key: str) -> str | None:
        """The seller an app key names; None when it is not one of this sandbox's."""
        seller = app_key.removeprefix(self.key_prefix)
        return seller if app_key.startswith(self.key_prefix) and seller else None

    def seller_of(self, scope: Scope) -> str | None:
        """The seller named by the `app_key` in the query string (no body needed)."""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        return self.seller_of_key((query.get("app_key") or [""])[0])
