"""`connectors.signed_form`: the form fields Alibaba.com and Lazada sign are the ones the
request sends, whether kept by the call or read back from the body."""

from __future__ import annotations

import httpx

from connectors.signed_form import form_arguments, form_fields

FIELDS = {
    "param_product_top_publish_request": '{"xml": "<p a=\'1\'>Mật ong Bắc Kạn & 100%</p>"}',
    "empty": "",
    "plus": "a+b c=d&e",
}


def _request(**arguments: object) -> httpx.Request:
    with httpx.Client() as client:
        url = "http://gateway.test/sync"
        return client.build_request("POST", url, **arguments)  # type: ignore[arg-type]


def test_the_fields_a_call_kept_are_the_ones_its_body_sends() -> None:
    request = _request(params={"method": "m"}, **form_arguments(FIELDS))
    kept = dict(form_fields(request))
    assert kept == FIELDS
    # The body says the same, decoded the slow way (what a request built elsewhere gets).
    plain = _request(params={"method": "m"}, data=FIELDS)
    assert plain.content == request.content
    assert dict(form_fields(plain)) == FIELDS


def test_a_body_that_is_not_a_form_has_no_fields() -> None:
    assert list(form_fields(_request(json={"a": "b"}))) == []
    assert list(form_fields(_request(files={"image": ("x.jpg", b"\xff\xd8")}))) == []
