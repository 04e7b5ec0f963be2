"""/metrics as Prometheus reads it: parsed with prometheus_client's own text parser, the
counters moving by what a sync did, the state's figures equal to the state."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from connectors.sandbox import SandboxServer
from sync.observe import metrics
from sync.settings import Settings
from sync.state.store import StateStore
from tests.conftest import set_sandbox
from tests.engine.helpers import by_account, run_pass


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Samples called `name`, keyed by their sorted labels."""
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


def by(values: dict[tuple[tuple[str, str], ...], float], *keys: str) -> Counter[tuple[str, ...]]:
    """Sum the samples over every label but `keys`."""
    out: Counter[tuple[str, ...]] = Counter()
    for labels, value in values.items():
        named = dict(labels)
        # typeshed's Counter holds ints only; these sums are floats (as the samples are).
        out[tuple(named[k] for k in keys)] += value  # type: ignore[assignment]
    return out


def delta(after: Counter[tuple[str, ...]], before: Counter[tuple[str, ...]]) -> dict:
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


def test_counters_move_by_what_a_sync_did_and_gauges_equal_the_state(
    config_path: Path, settings: Settings, sandboxes: dict[str, SandboxServer]
) -> None:
    metrics.install()
    before = generate_latest().decode()
    # Some throttling on one marketplace, so that retries and throttles have something to count.
    set_sandbox(sandboxes["postmart"], fault_rate=0.3, faults=["throttle"])
    try:
        _plans, reports = run_pass(settings)
    finally:
        set_sandbox(sandboxes["postmart"], fault_rate=0.0)
    after = generate_latest().decode()
    runs = by_account(reports)

    pushes = delta(
        by(samples(after, "ocop_sync_pushes_total"), "account", "kind", "outcome"),
        by(samples(before, "ocop_sync_pushes_total"), "account", "kind", "outcome"),
    )
    expected = {
        (name, kind, "ok"): n for name, r in runs.items() for kind, n in r.done.items() if n
    }
    expected.update({(name, "create", "failed"): r.failed for name, r in runs.items() if r.failed})
    assert pushes == expected

    requests = delta(
        by(samples(after, "ocop_sync_marketplace_requests_total"), "account"),
        by(samples(before, "ocop_sync_marketplace_requests_total"), "account"),
    )
    assert requests == {(name,): r.requests for name, r in runs.items() if r.requests}
    statuses = by(samples(after, "ocop_sync_marketplace_requests_total"), "account", "status")
    throttles = by(samples(after, "ocop_sync_throttles_total"), "account")
    postmart = next(a.name for a in settings.accounts if a.marketplace == "postmart")
    assert throttles[(postmart,)] == statuses[(postmart, "429")] > 0
    retries = by(samples(after, "ocop_sync_retries_total"), "account")
    assert retries[(postmart,)] >= throttles[(postmart,)] - runs[postmart].failed

    store = StateStore(settings.state_url)
    try:
        text = metrics.exposition(store, settings).decode()
        listings = by(samples(text, "ocop_sync_listings"), "account", "status")
        counts = store.status_counts()
        assert listings == Counter(
            {(a, s): n for a, by_status in counts.items() for s, n in by_status.items()}
        )
        finished = by(samples(text, "ocop_sync_run_duration_seconds_count"), "account")
        assert finished == Counter({(name,): 1 for name in runs})
    finally:
        store.close()


def test_the_grafana_dashboard_queries_only_metrics_that_exist(
    config_path: Path, settings: Settings
) -> None:
    metrics.install()
    run_pass(settings)
    store = StateStore(settings.state_url)
    try:
        text = generate_latest().decode() + metrics.exposition(store, settings).decode()
    finally:
        store.close()
    exported = {f.name for f in text_string_to_metric_families(text)}  # declared, even if 0
    dashboard = (Path(__file__).parents[2] / "deploy/grafana/ocop-sync-dashboard.json").read_text()
    used = {
        re.sub(r"_(total|bucket|count|sum)$", "", name)
        for name in re.findall(r"ocop_sync_[a-z_]+", dashboard)
    }
    # Queue depth needs Redis to answer; every other one must be there after a sync.
    assert used - exported <= {"ocop_sync_queue_depth"}, used - exported
