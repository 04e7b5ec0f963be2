"""Form fields a gateway signs (Alibaba.com, Lazada), handed from the call that builds the
request to the hook that signs it (`prepare`).

Both gateways sign the form fields with the query. Read back out of the encoded body, a
field had to be percent-decoded again: an Alibaba.com create carries its product document
as several kB of encoded XML (median 6.2 kB on the bench catalog), and decoding the form
bodies was 8 % of an inline Alibaba.com run's CPU. The call keeps the dict it encoded on
the request instead; a request built elsewhere (a test's, say) is still read from its body.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

import httpx

FORM = "application/x-www-form-urlencoded"
_FIELDS = "ocop_sync.form_fields"  # a request extension: httpx and httpcore ignore unknown keys


def form_arguments(fields: Mapping[str, str]) -> dict[str, Any]:
    """`build_request` arguments that send `fields` as a form and keep them for signing."""
    return {"data": fields, "extensions": {_FIELDS: fields}}


def form_fields(request: httpx.Request) -> Iterable[tuple[str, str]]:
    """The request's form fields as sent: the call's own, else decoded from a form body;
    none when the body is not a form (JSON, multipart)."""
    fields: Mapping[str, str] | None = request.extensions.get(_FIELDS)
    if fields is not None:
        return fields.items()
    if request.headers.get("content-type", "").startswith(FORM):
        return parse_qsl(request.content.decode(), keep_blank_values=True)
    return ()
