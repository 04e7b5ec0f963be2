"""GTIN (EAN-8/UPC-A/EAN-13/GTIN-14) check digits (GS1)."""

from __future__ import annotations


def gtin_check_digit(body: str) -> int:
    """Check digit for the digits before it (GS1 mod-10, weights 3,1 from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def validate_gtin(value: str) -> str:
    """Return the GTIN if its length and check digit are valid, else raise ValueError."""
    code = value.strip().replace(" ", "")
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        raise ValueError(f"GTIN must be 8, 12, 13 or 14 digits, got {value!r}")
    expected = gtin_check_digit(code[:-1])
    if int(code[-1]) != expected:
        raise ValueError(f"GTIN {code} has a wrong check digit (expected {expected})")
    return code


def make_gtin13(body12: str) -> str:
    """Complete 12 digits into a valid EAN-13 (used by the sample generator)."""
    return body12 + str(gtin_check_digit(body12))
