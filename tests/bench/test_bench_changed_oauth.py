"""`python -m bench --only changedoauth`: the 1 % figure on Shopee, Lazada and TikTok Shop,
opt-in, with accounts of its own. It asserts what the protocols allow, never a speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.__main__ import OPT_IN, parse_args
from bench.report import OPT_IN_KEYS


def test_the_oauth_figure_is_opt_in() -> None:
    assert "changedoauth" in OPT_IN and "changedoauth" not in parse_args([]).only
    assert parse_args(["--only", "changedoauth"]).only == ["changedoauth"]


def test_the_oauth_figure_counts_each_marketplaces_requests_per_changed_listing(
    tmp_path: Path,
) -> None:
    out = tmp_path / "bench.json"
    command = [sys.executable, "-m", "bench", "--size", "100", "--only", "changedoauth"]
    proc = subprocess.run(
        [*command, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    figures = json.loads(out.read_text())["figures"]
    assert set(figures) == set(OPT_IN_KEYS)
    details = figures["changed_oauth_requests_per_listing"]["details"]
    assert details["full_sync"]["failed"] == 0
    changed = details["variants_changed"]
    assert changed == 2  # every 100th of 200 variants, each in a different product
    for marketplace in ("lazada", "shopee", "tiktok"):
        entry = details[marketplace]
        assert entry["listings_changed"] == changed and entry["other_operations"] == {}
        # No client sends fewer calls than the documented API needs for these changes.
        assert entry["requests"] >= entry["protocol_minimum"], marketplace
    # Lazada: both SKUs in one price_quantity/update call (up to 50 SKUs of any products).
    assert details["lazada"]["requests"] == details["lazada"]["protocol_minimum"] == 1
    # Shopee and TikTok Shop: one update_price or update_stock call per item at least; the
    # clients send only the call of the field that changed, so exactly that.
    for marketplace in ("shopee", "tiktok"):
        assert details[marketplace]["protocol_minimum"] == 2
        assert details[marketplace]["requests"] == 2, marketplace
