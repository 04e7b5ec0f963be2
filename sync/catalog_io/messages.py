"""Turn pydantic validation errors into short, human messages (no pydantic URLs)."""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

_PATTERN_HINTS = {
    "sku": "may only use letters, digits, '.', '_' and '-' (1-64 characters)",
    "tax_id": "should be 10 digits, or 10 digits + '-' + 3 for a branch",
    "phone": "should be 0 or +84 followed by 9-10 digits",
    "slug": "should be lowercase ASCII words joined by '-'",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "≥"),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "≤"),
    "less_than": ("lt", "<"),
}
_NUMBER_TYPES = ("int_", "float_", "decimal_")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def describe(error: ErrorDetails) -> str:
    """A one-line reason for one pydantic error, e.g. "must be ≥ 1 (got 0)"."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    value = error.get("input")
    field = next((str(p) for p in reversed(error["loc"]) if isinstance(p, str)), "")
    if kind == "missing":
        return "required value is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "string_pattern_mismatch":
        hint = _PATTERN_HINTS.get(field, "has the wrong format")
        return f"{_shown(value)} {hint}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"too long ({len(str(value))} characters, max {ctx.get('max_length')})"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind in _BOUNDS:
        key, sign = _BOUNDS[kind]
        return f"must be {sign} {ctx.get(key)} (got {_shown(value)})"
    if kind in ("enum", "literal_error"):
        return f"{_shown(value)} is not one of {ctx.get('expected')}"
    if kind.startswith("url_"):
        return f"not a valid http(s) URL: {_shown(value)}"
    if kind.startswith(_NUMBER_TYPES):
        return f"not a number: {_shown(value)}"
    if kind.startswith(("date_", "datetime_")):
        return f"not a date: {_shown(value)} (use dd/mm/yyyy or yyyy-mm-dd)"
    if kind == "string_type":
        return f"expected text, got {type(value).__name__}"
    if kind in ("list_type", "tuple_type"):
        return "expected a list"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "expected an object"
    message = str(error.get("msg", kind))
    return message.removeprefix("Value error, ")
