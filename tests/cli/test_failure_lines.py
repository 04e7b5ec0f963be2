"""Failure lines print the marketplace's words as they are, square brackets included."""

from __future__ import annotations

import pytest

from sync.cli.common import print_failures
from sync.engine.runs import RunReport


def test_bracketed_account_prefixes_and_messages_are_printed_not_taken_for_markup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = RunReport(
        account="voso-backan",
        planned={"create": 2},
        failed=1,
        errors=[("SKU-1", "[voso-backan] invalid [category] 123")],
        stopped="[voso-backan] Unreachable: nothing listening at http://127.0.0.1:9",
    )
    print_failures([report])
    out, err = capsys.readouterr()
    assert "[voso-backan] invalid [category] 123" in out
    assert "[voso-backan] Unreachable: nothing listening" in err
