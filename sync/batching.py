"""Cutting a stream into lists of a bounded size."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of at most `size` items, in order (the last one may be shorter)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def chunks_by(items: Iterable[T], size: int, key: Callable[[T], Hashable]) -> Iterator[list[T]]:
    """Lists of about `size` items, in order, that never split a run of items sharing a
    key: a list closes at the first key change once it holds `size` items (so a group
    larger than `size` stays whole)."""
    chunk: list[T] = []
    last: Hashable = object()
    for item in items:
        current = key(item)
        if len(chunk) >= size and current != last:
            yield chunk
            chunk = []
        chunk.append(item)
        last = current
    if chunk:
        yield chunk
