"""Sample catalogs: the Bắc Kạn sample (real counts, mostly made-up content).

`python -m sync.samples` writes examples/bac-kan/catalog.{json,csv,xlsx}.
"""

from __future__ import annotations

from sync.samples.bac_kan import REFERENCE_DATE, build_bac_kan_catalog

__all__ = ["REFERENCE_DATE", "build_bac_kan_catalog"]
