"""A state "as a full sync leaves it", written without HTTP, for the no-op and freshness
figures at sizes where a real full sync takes too long on the machine at hand
(`--seeded-state`: a 100k full sync through the one sandbox process ran past an hour).

Every listing of every main account gets the binding a successful create records (status
listed, content and source hashes, price and stock as pushed, a remote id), through the
engine's own `plan_account` and `StateStore.record`, chunk by chunk. The sandboxes do not
hold these listings, so a figure may only send to listings synced for real: the no-op
sends nothing, and the freshness figure's products (those its events reprice, ~6 % of the
catalog) are synced for real first and left out of the seeding (`synced`).
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

from bench.accounts import authorized
from bench.context import Bench
from connectors.registry import get_connector
from sync.batching import chunks
from sync.catalog import Catalog
from sync.operations import succeeded
from sync.plan import OpKind, plan_account
from sync.state.models import BindingStatus

CHUNK = 2000


def seed_state(bench: Bench, synced: Collection[str] = ()) -> dict[str, Any]:
    """Record every main account's listings as created, but those of the products whose
    SKU is in `synced` (already synced for real); what was written."""
    started = time.perf_counter()
    # The runs of the no-op pass open each account's client like any run: OAuth accounts
    # (Alibaba.com) need their grant in the state, as after a real full sync.
    authorized(bench.state_url, bench.accounts())
    store = bench.store()
    written = 0
    try:
        products = [p for p in bench.catalog.products if p.sku not in synced]
        for batch in chunks(products, CHUNK):
            catalog = Catalog(products=batch)
            for account in bench.accounts():
                plan = plan_account(
                    catalog, account, get_connector(account.marketplace), {}, bench.today
                )
                results = [
                    succeeded(op, f"seeded-{op.sku}", BindingStatus.LISTED)
                    for op in plan.operations
                    if op.kind is OpKind.CREATE
                ]
                store.record(results)
                written += len(results)
    finally:
        store.close()
    return {"seeded": True, "bindings_written": written, "seconds": time.perf_counter() - started}
