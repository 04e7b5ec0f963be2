"""The catalog snapshot the workers read by SKU: the same products as the streamed reader,
built once per version of the file, shared by processes."""

from __future__ import annotations

import csv
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sync.catalog_io import export_catalog, open_catalog
from sync.catalog_io import snapshot as snapshots
from sync.catalog_io.snapshot import (
    CatalogSnapshot,
    SnapshotFailed,
    SnapshotPending,
    snapshot_file,
)
from sync.plan import product_hash
from sync.samples.bac_kan import build_bac_kan_catalog


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("OCOP_SYNC_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def sample_csv(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.csv"
    export_catalog(build_bac_kan_catalog(), path)
    return path


def test_the_snapshot_holds_what_the_streamed_reader_admits_in_its_order(
    sample_csv: Path,
) -> None:
    streamed = [(p.sku, product_hash(p)) for p in open_catalog(sample_csv)]
    snapshot = CatalogSnapshot.of(sample_csv)
    assert [(p.sku, product_hash(p)) for p in snapshot] == streamed
    assert snapshot.count == len(streamed) == 182


def test_products_are_read_by_variant_or_product_sku_and_rows_in_error_are_held(
    sample_csv: Path, tmp_path: Path
) -> None:
    rows = list(csv.reader(sample_csv.open(encoding="utf-8")))
    header, body = rows[0], rows[1:]
    price = header.index(next(h for h in header if "price" in h.lower()))
    body[3][price] = "45.000,5"  # a decimal part in VND: that row fails to load
    broken = tmp_path / "broken.csv"
    with broken.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([header, *body])

    stream = open_catalog(broken)
    expected = {p.sku: p for p in stream}
    snapshot = CatalogSnapshot.of(broken)
    assert snapshot.held == stream.held() and snapshot.held
    some = list(expected.values())[10:13]
    variant = some[0].variants[-1].sku
    found = snapshot.products([variant, some[1].sku, some[2].variants[0].sku, "NO-SUCH-SKU"])
    assert [p.sku for p in found] == [p.sku for p in some]
    assert [product_hash(p) for p in found] == [product_hash(p) for p in some]
    assert snapshot.product_sku(variant) == some[0].sku
    assert snapshot.product_sku("NO-SUCH-SKU") is None


def test_a_changed_file_gets_a_new_snapshot_and_the_old_one_goes(
    sample_csv: Path, own_cache: Path
) -> None:
    first = snapshot_file(sample_csv)
    assert snapshot_file(sample_csv) == first  # unchanged: built once
    catalog = build_bac_kan_catalog()
    catalog.products = catalog.products[:50]
    export_catalog(catalog, sample_csv)
    os.utime(sample_csv, ns=(1, 1))  # a different modification time, whatever the clock
    second = snapshot_file(sample_csv)
    assert second != first and not first.exists()
    assert CatalogSnapshot(second).count == 50


def test_processes_asking_at_once_build_one_snapshot_and_read_the_same(
    sample_csv: Path, own_cache: Path
) -> None:
    code = (
        "import sys; from sync.catalog_io.snapshot import CatalogSnapshot; "
        "s = CatalogSnapshot.of(sys.argv[1]); print(s.file, s.count)"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(sample_csv)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "OCOP_SYNC_CACHE_DIR": str(own_cache)},
        )
        for _ in range(4)
    ]
    outs = {p.communicate(timeout=120)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(outs) == 1 and outs.pop().endswith(" 182")
    assert len(list(own_cache.glob("catalog-*.sqlite"))) == 1
    assert not list(own_cache.glob("*.partial"))


def _until_built(path: Path, timeout: float = 120.0) -> Path:
    """Ask like a worker task does until the detached builder is done."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return snapshot_file(path, wait=False)
        except SnapshotPending:
            assert time.monotonic() < deadline, "the detached builder never finished"
            time.sleep(0.1)


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file counts as large: built by a detached process when a worker asks."""
    monkeypatch.setattr(snapshots, "INLINE_BYTES", 0)
    snapshots._builders.clear()


def test_a_small_file_is_built_by_the_asking_worker_itself(
    sample_csv: Path, own_cache: Path
) -> None:
    snapshots._builders.clear()
    file = snapshot_file(sample_csv, wait=False)  # ~0.2 MB: no process started for it
    assert snapshots._builders == []
    assert CatalogSnapshot(file).count == 182


@pytest.mark.usefixtures("large")
def test_a_worker_never_builds_a_large_one_in_its_own_time_a_detached_process_does(
    sample_csv: Path, own_cache: Path
) -> None:
    assert not list(own_cache.glob("*.lock"))  # nothing built yet
    with pytest.raises(SnapshotPending):
        snapshot_file(sample_csv, wait=False)
    (builder,) = snapshots._builders  # started, detached, in a session of its own
    assert os.getsid(builder.pid) == builder.pid
    assert CatalogSnapshot(_until_built(sample_csv)).count == 182
    assert builder.wait(timeout=60) == 0


@pytest.mark.usefixtures("large")
def test_a_worker_with_patience_gets_the_file_the_builder_made(sample_csv: Path) -> None:
    file = snapshot_file(sample_csv, wait=False, patience=120)
    assert CatalogSnapshot(file).count == 182
    assert len(snapshots._builders) == 1


@pytest.mark.usefixtures("large")
def test_while_a_builder_holds_the_lock_no_second_one_is_started(
    sample_csv: Path, own_cache: Path
) -> None:
    # A first ask to learn the lock's place (it starts a builder, which we let finish).
    snapshots._builders.clear()
    with pytest.raises(SnapshotPending):
        snapshot_file(sample_csv, wait=False)
    _until_built(sample_csv)
    os.utime(sample_csv, ns=(2, 2))  # a new version of the file
    snapshots._builders.clear()
    (lock,) = own_cache.glob("*.lock")
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as a builder at work would
        for _ in range(3):
            with pytest.raises(SnapshotPending):
                snapshot_file(sample_csv, wait=False)
        assert snapshots._builders == []
        fcntl.flock(handle, fcntl.LOCK_UN)
    assert CatalogSnapshot(_until_built(sample_csv)).count == 182


@pytest.mark.usefixtures("large")
def test_a_catalog_that_cannot_be_read_fails_the_waiting_tasks_with_its_reason(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "catalog.xlsx"
    broken.write_bytes(b"not a workbook at all")
    deadline = time.monotonic() + 120
    with pytest.raises(SnapshotFailed) as failed:
        while time.monotonic() < deadline:
            try:
                snapshot_file(broken, wait=False)
            except SnapshotPending:
                time.sleep(0.1)
    assert str(broken) in str(failed.value)
    # Reported, not retried in a loop: the next ask fails at once, no new builder.
    snapshots._builders.clear()
    with pytest.raises(SnapshotFailed):
        snapshot_file(broken, wait=False)
    assert snapshots._builders == []


def test_a_small_catalog_that_cannot_be_read_fails_the_asking_worker_with_its_reason(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "catalog.xlsx"
    broken.write_bytes(b"not a workbook at all")
    with pytest.raises(SnapshotFailed) as failed:
        snapshot_file(broken, wait=False)
    assert str(broken) in str(failed.value)
