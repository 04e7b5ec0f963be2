"""Settling a streamed sync's chunks without the account's bindings, when nothing moved.

A frequent sync (beat, `--watch`) mostly finds nothing to do, and at 100k products most of
what it spent finding that out was loading each account's binding index (0.2–0.3 s an
account on SQLite). A run that planned nothing at all — no operation, no refreshed hash, no
delist — leaves a mark on the account (sync.state.settled): per chunk of the catalog, the
digest of its SKUs and product hashes, and what the chunk's plan counted. The next run
settles a chunk whose digest is the same, at the same position, from the mark alone, and
loads the index only when a chunk differs.

That is the same answer the index would give, because everything a chunk's plan reads is
covered: the products (their hashes, which cover their file rows, the code that reads them
and their slug), the account's settings and selection, the day and the chunk size (the
context), and the account's bindings (any write to them deletes the mark, by trigger). Only
a run over the whole catalog without `force` reads or leaves a mark.
"""

from __future__ import annotations

import hashlib
from datetime import date

from sync.catalog_io.row_digest import code_salt
from sync.plan import AccountPlan, ChunkKeys, Operation, OpKind, PlanFilter, account_fingerprint
from sync.settings import Account
from sync.state.settled import SettledChunk, confirm_mark, open_mark, read_mark
from sync.state.store import StateStore

MARK_FORMAT = 1  # bump when what a mark holds or how chunks are digested changes


def chunk_digest(keys: ChunkKeys) -> str:
    """Digest of a chunk's variant SKUs in order and each one's product hash."""
    body = "\n".join(keys.skus) + "\0" + "\n".join(keys.hashes)
    return hashlib.blake2b(body.encode(), digest_size=16).hexdigest()


def mark_context(account: Account, today: date, chunk: int) -> str:
    """What else a chunk's plan depends on: the code, the account's settings and
    selection, the day (listability) and how the catalog is cut into chunks."""
    parts = [
        str(MARK_FORMAT),
        code_salt().hex(),
        account_fingerprint(account),
        account.select.model_dump_json(),
        today.isoformat(),
        str(chunk),
    ]
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


def marks_apply(flt: PlanFilter) -> bool:
    """Only a run over every listing that compares hashes may read or leave a mark."""
    return flt.everything and not flt.force


class Settler:
    """One account's side of one streamed run: settles chunks from the last mark while they
    match, and keeps what this run planned to leave the next mark if it planned nothing.
    A run the marks do not apply to gets one that settles nothing and confirms nothing.

        plan = settler.settle(digest)            # from the mark, or None:
        if plan is None:
            plan = ...                            # planned against the index
            settler.note(digest, plan)
        ...
        settler.confirm(fresh=...)                # once the run ended cleanly
    """

    def __init__(
        self, account: Account, store: StateStore, previous: list[SettledChunk], token: str
    ) -> None:
        self.account = account
        self._store = store
        self._previous = previous
        self._token = token  # "": this run may not leave a mark
        self._chunks: list[SettledChunk] = []  # this run's, while it planned nothing
        self._following = bool(previous)  # every chunk so far was settled from the mark
        self.pure = True  # nothing planned so far but no-ops, skips and out-of-scope

    @classmethod
    def open(
        cls, store: StateStore, account: Account, today: date, chunk: int, flt: PlanFilter
    ) -> Settler:
        """Read the account's mark and open this run's pending one (call under the lease)."""
        if not marks_apply(flt):
            return cls(account, store, [], token="")
        previous, token = open_mark(store, account.name, mark_context(account, today, chunk))
        return cls(account, store, previous, token)

    @classmethod
    def peek(
        cls, store: StateStore, account: Account, today: date, chunk: int, flt: PlanFilter
    ) -> Settler:
        """Read the account's mark for a dry run: it settles chunks alike, confirms nothing."""
        if not marks_apply(flt):
            return cls(account, store, [], token="")
        previous = read_mark(store, account.name, mark_context(account, today, chunk))
        return cls(account, store, previous, token="")

    def settle(self, digest: str) -> AccountPlan | None:
        """The plan of the next chunk from the mark, or None when it must be planned (then
        `note` it)."""
        position = len(self._chunks)
        if self._following and position < len(self._previous):
            known = self._previous[position]
            if known.digest == digest:
                self._chunks.append(known)
                name = self.account.name
                plan = AccountPlan(
                    self.account, noops=known.noops, out_of_scope=list(known.out_of_scope)
                )
                plan.skips = [
                    Operation(OpKind.SKIP, name, sku, product_sku, reason=reason)
                    for sku, product_sku, reason in known.skips
                ]
                return plan
        self._following = False
        return None

    def note(self, digest: str, plan: AccountPlan) -> None:
        """Keep what a chunk planned against the index counted."""
        self.pure = self.pure and not plan.operations and not plan.refreshes
        if self.pure:
            self._chunks.append(
                SettledChunk(
                    digest,
                    plan.noops,
                    tuple(plan.out_of_scope),
                    tuple((o.sku, o.product_sku, o.reason or "") for o in plan.skips),
                )
            )

    @property
    def settled_all(self) -> bool:
        """Every chunk of the catalog came from the mark, as many as it had: the removals
        are what they were then — none, since that run planned nothing."""
        return self._following and len(self._chunks) == len(self._previous)

    def removals(self, plan: AccountPlan) -> None:
        """Note the plan of the delists of removed products."""
        self.pure = self.pure and not plan.operations

    def confirm(self, *, fresh: bool) -> bool:
        """Leave the mark if this run planned nothing and no binding was written meanwhile;
        never for an account whose index said nothing was ever pushed (`fresh`)."""
        if not self.pure or fresh or not self._token:
            return False
        return confirm_mark(self._store, self.account.name, self._token, self._chunks)
