"""Postmart partner-API request signing (our contract; docs/marketplaces/postmart.md §Auth).

    X-Signature = hex(HMAC-SHA256(api_secret, METHOD \\n canonical_path \\n timestamp \\n
                                  sha256_hex(body)))

`canonical_path` is the decoded URL path with every segment percent-encoded (RFC 3986:
only A-Z a-z 0-9 - _ . ~ stay as they are), then, if there is a query, "?" and the query
pairs, each name and value encoded the same way, sorted by encoded name then encoded value
and joined as name=value with "&". Client and sandbox both use this module, so a test with a
hand-computed vector (tests/connectors/test_postmart.py) guards it from both sides.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote

MAX_SKEW_SECONDS = 300  # a request's X-Timestamp may differ this much from the server clock
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


@lru_cache(maxsize=4096)
def _encoded_path(path: str) -> str:
    # A sync signs a handful of fixed paths (and one per listing id): encoding each anew
    # was a third of the signature's cost.
    return "/".join(_encode(segment) for segment in path.split("/"))


def canonical_path(path: str, query: Iterable[tuple[str, str]] = ()) -> str:
    """The path (segments encoded) plus the query sorted by encoded name, then value."""
    encoded_path = _encoded_path(path)
    pairs = sorted((_encode(name), _encode(value)) for name, value in query)
    if not pairs:
        return encoded_path
    return encoded_path + "?" + "&".join(f"{name}={value}" for name, value in pairs)


def string_to_sign(
    method: str, path: str, query: Iterable[tuple[str, str]], timestamp: str, body: bytes
) -> str:
    """The four lines the signature covers."""
    body_hash = hashlib.sha256(body).hexdigest()
    return "\n".join((method.upper(), canonical_path(path, query), timestamp, body_hash))


def sign(
    secret: str,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    timestamp: str,
    body: bytes,
) -> str:
    """Lowercase hex HMAC-SHA256 of the string to sign under `secret`."""
    message = string_to_sign(method, path, query, timestamp, body)
    return hmac.digest(secret.encode(), message.encode(), "sha256").hex()  # one-shot, in C


def signature_matches(expected: str, given: str) -> bool:
    """Constant-time comparison (case-insensitive hex), so timing leaks nothing."""
    return hmac.compare_digest(expected.lower().encode(), given.strip().lower().encode())
