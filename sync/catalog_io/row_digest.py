"""The digest of the file rows a product is built from: how a sync tells an unchanged
product without serialising it (`sync.plan.product_hash`).

A product is a function of its rows, of the file's header (which column is which) and of
the code that reads them. So the digest starts from a salt made of that code — every
module of the `sync` package, byte for byte, and the version of pydantic-core and the
`marshal` format — then the header, then each of the product's rows as read (cell values
in file order, row numbers left out: moving a product in the file does not change it). A
new release, or a change to how a cell is read, changes every digest: the next sync maps
every product once more and records the new digests, sending only what really changed.
The slug, which depends on the other products (`Catalog`), is added when hashing.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import pydantic_core

import sync

DIGEST_SIZE = 16
MARSHAL_FORMAT = 2


@cache
def code_salt() -> bytes:
    """Digest of the code that turns rows into products (the whole `sync` package)."""
    salt = hashlib.blake2b(digest_size=DIGEST_SIZE)
    salt.update(f"{pydantic_core.__version__}:{MARSHAL_FORMAT}".encode())
    root = Path(sync.__file__).parent
    for module in sorted(root.rglob("*.py")):
        salt.update(module.relative_to(root).as_posix().encode() + b"\0")
        salt.update(module.read_bytes())
    return salt.digest()


def encode_row(values: Sequence[object]) -> bytes:
    """A row's cells as unambiguous bytes (length-prefixed by `marshal`; `repr` for a cell
    type marshal does not know, such as a date from a workbook). The two never give the same
    bytes: marshal's hold NULs (its lengths), repr's never do."""
    cells = values if isinstance(values, list) else list(values)
    try:
        # Format 2: from 3 on, marshal writes a string or number it has seen before, or an
        # interned string, differently, so the same cells could give other bytes.
        return marshal.dumps(cells, MARSHAL_FORMAT)
    except ValueError:
        return repr(cells).encode()


class RowDigests:
    """Digests of products by their rows, for one file's header."""

    def __init__(self, header: Sequence[object]) -> None:
        self._start = hashlib.blake2b(code_salt(), digest_size=DIGEST_SIZE)
        self._start.update(encode_row(header))

    def start(self) -> hashlib.blake2b:
        """A new product's digest, to be `update`d with `encode_row` of each of its rows."""
        return self._start.copy()
