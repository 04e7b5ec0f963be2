"""CSV files: UTF-8 with or without BOM, ';' or ',' delimiter (sniffed from the header).

A CSV catalog is read from disk as a stream, never whole: `read_csv` finds the header and
returns a Table whose rows open the file again on every iteration, so the flat reader can
make two passes over a file of any size (see flat_stream).

Formula-like text is escaped on the way out and unescaped on the way in (sync.formula_text).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Generator, Iterator
from datetime import date
from pathlib import Path
from typing import TextIO

from sync.catalog import Catalog
from sync.catalog_io.flat_read import Row, Table
from sync.catalog_io.flat_write import Cell, catalog_rows
from sync.catalog_io.guide import Lang
from sync.catalog_io.results import CatalogFileError
from sync.formula_text import escape_csv, unescape_csv

_SAVE_AS = "save the sheet as 'CSV UTF-8'"
_CHUNK = 1 << 20  # characters read at a time when only checking the rest of a file


def _not_text(file: str) -> CatalogFileError:
    # NUL never occurs in CSV text: this is UTF-16 ("Unicode Text") or a binary file.
    return CatalogFileError(file, f"not a CSV text file (contains NUL bytes); {_SAVE_AS}")


def _not_utf8(path: Path, file: str) -> CatalogFileError:
    """The error for a file that does not decode, naming where (found again in binary)."""
    offset = 0
    try:
        with open(path, "rb") as raw:
            # '\n' is never part of a multi-byte sequence, so decoding line by line finds
            # the same first bad byte as decoding the whole file.
            for number, line in enumerate(raw, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    where = f"line {number}, byte {offset + exc.start}"
                    return CatalogFileError(file, f"not UTF-8 text ({where}); {_SAVE_AS}")
                offset += len(line)
    except OSError:
        pass  # the file went away meanwhile: still not UTF-8, just without a position
    return CatalogFileError(file, f"not UTF-8 text; {_SAVE_AS}")


def _cannot_read(file: str, exc: OSError) -> CatalogFileError:
    return CatalogFileError(file, f"cannot read: {exc.strerror or exc}")


def _open(path: Path) -> TextIO:
    # newline="": the csv module must see the line breaks inside quoted cells as written.
    return open(path, encoding="utf-8-sig", newline="")


def _rest_has_nul(handle: TextIO) -> bool:
    """Read the rest of `handle` (a decoding error raises); True if it holds a NUL."""
    found = False
    while chunk := handle.read(_CHUNK):
        found = found or "\x00" in chunk
    return found


def _checked_lines(handle: TextIO, file: str) -> Iterator[str]:
    for line in handle:
        if "\x00" in line:
            # A decoding error further on is reported first, as when the file was decoded
            # whole before being parsed; so read the rest before giving up.
            _rest_has_nul(handle)
            raise _not_text(file)
        yield line


def _records(path: Path, file: str, delimiter: str) -> Generator[tuple[int, list[str]], None, None]:
    """Every CSV record with its number (blank ones too); only CatalogFileError escapes.

    A file-level problem is reported like this whatever its place in the file: not UTF-8
    (anywhere) before NUL bytes before malformed CSV, which is what decoding, checking and
    parsing the whole text in that order reports.
    """
    try:
        with _open(path) as handle:
            reader = csv.reader(_checked_lines(handle, file), delimiter=delimiter, strict=False)
            try:
                yield from enumerate(reader, start=1)
            except csv.Error as exc:
                if _rest_has_nul(handle):
                    raise _not_text(file) from None
                raise CatalogFileError(file, f"malformed CSV: {exc}") from None
    except UnicodeDecodeError:
        raise _not_utf8(path, file) from None
    except OSError as exc:
        raise _cannot_read(file, exc) from None


def _blank(record: list[str]) -> bool:
    # One join and strip instead of one strip per cell: this runs for every row, twice.
    return not "".join(record).strip()


def _delimiter(path: Path, file: str) -> str:
    """';' or ',' from the first non-blank line; CatalogFileError if the text is blank."""
    try:
        with _open(path) as handle:
            for line in handle:
                # splitlines(): the same lines as splitting the whole text (it also breaks
                # on \v, \f, \x1c-\x1e, \x85, U+2028 and U+2029, which open() does not).
                header = next((part for part in line.splitlines() if part.strip()), None)
                if header is not None:
                    # Excel in Vietnamese (and most European) locales saves CSV with ';'.
                    return ";" if header.count(";") > header.count(",") else ","
    except UnicodeDecodeError:
        raise _not_utf8(path, file) from None
    except OSError as exc:
        raise _cannot_read(file, exc) from None
    raise CatalogFileError(file, "empty file")


def _stamp(path: Path, file: str) -> tuple[int, int]:
    try:
        status = os.stat(path)
    except OSError as exc:
        raise _cannot_read(file, exc) from None
    return status.st_size, status.st_mtime_ns


class CsvRows:
    """The non-blank data rows of a CSV file, read from disk again on every iteration.

    Iterating raises CatalogFileError (only) if the file is unreadable, damaged, or changed
    since `read_csv` looked at it (two passes over a changing file would not agree).
    """

    def __init__(
        self, path: Path, file: str, delimiter: str, header_row: int, stamp: tuple[int, int]
    ) -> None:
        self.path = path
        self.file = file
        self.delimiter = delimiter
        self.header_row = header_row
        self.stamp = stamp  # size and mtime when the file was first opened

    def __iter__(self) -> Iterator[Row]:
        return self._rows(unescape=True)

    def raw(self) -> Iterator[Row]:
        """The rows as written, formula escapes included (for `validate`'s warnings)."""
        return self._rows(unescape=False)

    def _rows(self, unescape: bool) -> Iterator[Row]:
        if _stamp(self.path, self.file) != self.stamp:
            raise CatalogFileError(self.file, "the file changed while it was being read")
        for number, record in _records(self.path, self.file, self.delimiter):
            if number > self.header_row and not _blank(record):
                # One join per row instead of a test per cell: rows are read twice, 100k+.
                if unescape and "\x00'" in "\x00" + "\x00".join(record):
                    record = [unescape_csv(cell) for cell in record]
                yield number, record


def read_csv(path: Path, file: str) -> Table:
    """The header of a CSV file and its rows, streamed from disk (CatalogFileError if not
    UTF-8 text, empty or malformed; a problem after the header shows when rows are read)."""
    stamp = _stamp(path, file)
    delimiter = _delimiter(path, file)
    records = _records(path, file, delimiter)
    try:
        # Blank lines keep their number but are not data; the first other record is the header.
        found = next(((n, r) for n, r in records if not _blank(r)), None)
    finally:
        records.close()  # the rows are read again, from the start, by CsvRows
    if found is None:
        raise CatalogFileError(file, "empty file (no header row)")
    header_row, header = found
    rows = CsvRows(path, file, delimiter, header_row, stamp)
    return Table(file=file, header_row=header_row, header=header, rows=rows)


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back to the same float
    if isinstance(value, str):
        return escape_csv(value)  # '=…' etc. stays text in a spreadsheet
    return str(value)


def csv_bytes(catalog: Catalog, lang: Lang = "en") -> bytes:
    """The catalog as CSV: UTF-8 with BOM (so Excel shows Vietnamese right), ',' delimiter,
    every data field quoted and formula-like text escaped (OWASP CSV injection guidance)."""
    header, rows = catalog_rows(catalog, lang)
    out = io.StringIO(newline="")
    # The header (our own column names) stays unquoted: a reader that keeps the BOM as text
    # then still sees `product_sku`, not a BOM before a quote.
    csv.writer(out, delimiter=",", lineterminator="\r\n").writerow(header)
    writer = csv.writer(out, delimiter=",", lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerows([_text(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")
