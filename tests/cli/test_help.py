"""Every command's --help names the values options take (`--sku SKU`, `--config FILE`) and
shows flags bare, never Typer's `<bool>`, `<str>` or `<list[str]>`."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from sync.cli import app
from tests.workers.conftest import OCOP_SYNC

COMMANDS = sorted(
    command.name or (command.callback.__name__ if command.callback else "")
    for command in app.registered_commands
)


def _help(*args: str) -> str:
    env = {**os.environ, "COLUMNS": "200"}
    result = subprocess.run(
        [OCOP_SYNC, *args, "--help"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_value_names_not_types(command: str) -> None:
    text = _help(command)
    assert not re.search(r"<(bool|str|int|float|path|list\[[a-z]+\])>", text), text
    assert re.search(r"--help\s+Show this message", text)  # a flag: nothing in between


def test_the_shared_options_have_their_value_names() -> None:
    text = " ".join(_help("sync").split())
    for shown in ("--sku SKU", "--config -c FILE", "--catalog FILE", "--account -a NAME"):
        assert shown in text
    assert "--via [inline|celery]" in text and "--json Print JSON" in text
