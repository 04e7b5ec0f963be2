"""Uploaded images are remembered in the state database: a process other than the one that
uploaded them (a later `reconcile`, another Celery worker) reads the marketplace's image
references back as the listing's own images, so nothing looks edited and nothing is sent
again."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from connectors.image_upload import Remembered, UploadCache, Uploader, content_hash, image_key
from connectors.sandbox import SandboxServer
from sync.settings import Settings
from sync.state.media import MediaStore, StoredMediaMemory
from sync.state.store import StateStore
from tests.engine.helpers import run_pass
from tests.engine.test_cli_engine import ocop

SOURCES = [f"https://anh.example/bk/{n}.jpg" for n in range(3)]


def reconcile_reports(config_path: Path) -> dict[str, dict[str, object]]:
    """`ocop-sync reconcile --json` in a process of its own, per account."""
    observed = ocop("reconcile", "--config", str(config_path), "--json")
    assert observed.returncode == 0, observed.stdout + observed.stderr
    return {r["account"]: r for r in json.loads(observed.stdout)["observed"]}


def test_a_cold_process_reads_uploaded_images_back_as_the_listings_own(
    settings: Settings, sandboxes: dict[str, SandboxServer], config_path: Path
) -> None:
    run_pass(settings)  # uploads every image from this process
    # Twice: the first scan also approves the listings a marketplace reviewed, which the
    # second then compares like the others.
    for scan in (1, 2):
        reports = reconcile_reports(config_path)
        assert sorted(reports) == sorted(a.name for a in settings.accounts)
        edited = {name: r["edited"] for name, r in reports.items() if r["edited"]}
        assert edited == {}, f"scan {scan}"
        assert all(r["missing"] == [] and r["error"] is None for r in reports.values())
    planned = ocop("plan", "--config", str(config_path), "--json")
    assert planned.returncode == 0, planned.stderr
    changes = {
        p["account"]: {k: n for k, n in p["counts"].items() if k in ("create", "update") and n}
        for p in json.loads(planned.stdout)
    }
    assert changes == {a.name: {} for a in settings.accounts}


def test_uploads_are_kept_per_account_and_key_and_the_first_writer_wins(state_url: str) -> None:
    store = StateStore(state_url)
    try:
        media = MediaStore(store)
        first = Remembered("img-a", "d1", "ref-1", "ref-1")
        assert media.remember("shop-1", first) == first
        # Another process uploaded the same image meanwhile: it gets the first upload back.
        assert media.remember("shop-1", Remembered("img-a", "d1", "ref-2", "ref-2")) == first
        second = Remembered("img-b", "", "https://lazada.example/x.jpg", '{"url": "x"}')
        assert media.remember("shop-1", second) == second
        other = Remembered("img-a", "d9", "ref-9", "ref-9")
        assert media.remember("shop-2", other) == other  # per account
        assert media.load("shop-1") == [first, second]
        assert media.find("shop-1", ["ref-1", "ref-2", "ref-9", second.ref]) == [first, second]
        assert media.find("shop-2", ["ref-9", "ref-9"]) == [other]
        # Refused as unknown: dropped only where the key still has that reference.
        assert media.forget("shop-1", [Remembered("img-a", "d1", "ref-2", "ref-2")]) == 0
        assert media.forget("shop-1", [first]) == 1
        assert media.load("shop-1") == [second] and media.load("shop-2") == [other]

        # Many processes at once, each with its own connections: one row, one winner.
        def race(n: int) -> Remembered:
            racer = StateStore(state_url, migrate=False)
            try:
                return MediaStore(racer).remember("shop-3", Remembered("img-c", "", f"r{n}", ""))
            finally:
                racer.close()

        with ThreadPoolExecutor(max_workers=6) as pool:
            kept = set(pool.map(race, range(6)))
        assert len(kept) == 1 and [k.key for k in MediaStore(store).load("shop-3")] == ["img-c"]
    finally:
        store.close()


class Process:
    """One process's view of a shop's uploads: its own cache, the shared state database."""

    def __init__(self, store: StateStore) -> None:
        self.uploads: list[str] = []
        self.uploader = Uploader(
            UploadCache[str](),
            self.download,
            self.upload,
            str,
            memory=StoredMediaMemory(store, "shop"),
        )

    async def download(self, source: str) -> bytes:
        return source.encode()

    async def upload(self, data: bytes, key: str, digest: str) -> str:
        await asyncio.sleep(0.01)  # a request: another process may upload meanwhile
        self.uploads.append(key)
        return f"uri-{id(self)}-{key}"

    async def read_back(self, refs: list[str]) -> list[str]:
        """What a scan does with a listing's image references."""
        await self.uploader.learn(refs)
        return self.uploader.known_keys(refs)


def test_a_cold_process_reuses_remembered_uploads_and_reads_references_back(
    state_url: str,
) -> None:
    keys = [image_key(source) for source in SOURCES]

    async def scenario(store: StateStore) -> None:
        warm = Process(store)
        refs = await warm.uploader.resolve(keys[:2], SOURCES)
        assert warm.uploads == keys[:2]
        cold = Process(store)
        assert await cold.read_back(refs) == keys[:2]
        assert await cold.uploader.resolve(keys[:2], SOURCES) == refs  # nothing uploaded
        assert cold.uploads == []
        # Uploaded by the first process after the second read the memory: found by reference.
        later = await warm.uploader.resolve(keys[2:], SOURCES)
        assert await cold.read_back(later) == keys[2:]
        assert await cold.read_back(["uri-set-by-hand"]) == ["uri-set-by-hand"]
        kept = {r.key: r for r in MediaStore(store).load("shop")}
        assert kept[keys[0]].digest == content_hash(SOURCES[0].encode())

    store = StateStore(state_url)
    try:
        asyncio.run(scenario(store))
    finally:
        store.close()


def test_two_cold_processes_uploading_one_image_both_use_the_one_kept(state_url: str) -> None:
    key = image_key(SOURCES[0])

    async def scenario(store: StateStore) -> None:
        one, two = Process(store), Process(store)
        await one.uploader.recall.ready()
        await two.uploader.recall.ready()  # both read an empty memory
        used = await asyncio.gather(
            one.uploader.resolve([key], SOURCES), two.uploader.resolve([key], SOURCES)
        )
        assert one.uploads == two.uploads == [key]  # both uploaded it...
        assert used[0] == used[1]  # ...and both use the upload kept first
        third = Process(store)
        assert await third.read_back(used[0]) == [key]
        assert await one.read_back(used[0]) == await two.read_back(used[0]) == [key]

    store = StateStore(state_url)
    try:
        asyncio.run(scenario(store))
    finally:
        store.close()
