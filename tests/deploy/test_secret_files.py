"""`*_FILE` variables (Docker secrets) read by the settings and the token cipher, and the
hint when the PostgreSQL driver is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from sync.settings import ConfigError, load_settings
from sync.state.cipher import cipher_from_env
from tests.workers.conftest import OCOP_SYNC

CONFIG = """
[[accounts]]
name = "voso-backan"
marketplace = "voso"
base_url = "http://127.0.0.1:9"
[accounts.credentials]
username = "from-the-file"
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in [k for k in os.environ if k.startswith("OCOP_SYNC_")]:
        monkeypatch.delenv(key)
    path = tmp_path / "ocop-sync.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def secret(tmp_path: Path, name: str, value: str) -> str:
    path = tmp_path / name
    path.write_text(value, encoding="utf-8")
    return str(path)


def test_settings_and_credentials_come_from_files(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql://ocop:s3cret@postgres:5432/ocop"
    monkeypatch.setenv("OCOP_SYNC_STATE_URL_FILE", secret(tmp_path, "state_url", url + "\n"))
    monkeypatch.setenv("OCOP_SYNC_REDIS_URL_FILE", secret(tmp_path, "redis", "redis://r:1/2"))
    monkeypatch.setenv(
        "OCOP_SYNC_ACCOUNT_VOSO_BACKAN_PASSWORD_FILE", secret(tmp_path, "pw", "pa ss\n")
    )
    monkeypatch.setenv("OCOP_SYNC_ACCOUNT_VOSO_BACKAN_USERNAME", "from-env")
    settings = load_settings(config)
    assert settings.state_url == url  # the trailing newline of the file is not part of it
    assert settings.redis_url == "redis://r:1/2"
    account = settings.account("voso-backan")
    assert account.secret("password") == "pa ss"
    assert account.secret("username") == "from-env"  # the environment wins over the file
    assert "pa ss" not in repr(settings)  # still a SecretStr


def test_an_empty_variable_counts_as_unset(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCOP_SYNC_ACCOUNT_VOSO_BACKAN_USERNAME", "")
    assert load_settings(config).account("voso-backan").secret("username") == "from-the-file"


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        ("OCOP_SYNC_STATE_URL", "set OCOP_SYNC_STATE_URL or OCOP_SYNC_STATE_URL_FILE, not both"),
        ("OCOP_SYNC_ACCOUNT_VOSO_BACKAN_PASSWORD", "not both"),
    ],
)
def test_both_the_variable_and_its_file_is_an_error(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, message: str
) -> None:
    monkeypatch.setenv(variable, "x")
    monkeypatch.setenv(variable + "_FILE", secret(tmp_path, "value", "y"))
    with pytest.raises(ConfigError, match=message):
        load_settings(config)


def test_an_unreadable_file_names_the_variable_and_the_path(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nope"
    monkeypatch.setenv("OCOP_SYNC_STATE_URL_FILE", str(missing))
    with pytest.raises(ConfigError, match=f"OCOP_SYNC_STATE_URL_FILE: cannot read {missing}"):
        load_settings(config)


def test_the_token_key_comes_from_a_file(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = Fernet(old.encode()).encrypt(b"tok").decode()
    env = {"OCOP_SYNC_SECRET_KEY_FILE": secret(tmp_path, "key", f"{new},{old}\n")}
    assert cipher_from_env(env).decrypt(token, account="shop") == "tok"  # a rotation list
    with pytest.raises(ConfigError, match="OCOP_SYNC_SECRET_KEY is not set"):
        cipher_from_env({})


BLOCK_PSYCOPG = """
import sys
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name == "psycopg" or name.startswith(("psycopg.", "psycopg_")):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, _Block())
"""


@pytest.mark.parametrize("command", [["status"], ["sync"], ["auth", "--status"]])
def test_a_postgres_url_without_the_driver_exits_2_with_the_install_hint(
    config: Path, tmp_path: Path, command: list[str]
) -> None:
    # The driver is installed here: a sitecustomize that refuses to import it is what an
    # installation without the `postgres` extra looks like to the CLI.
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCK_PSYCOPG, encoding="utf-8")
    catalog = Path(__file__).resolve().parents[2] / "examples" / "bac-kan" / "catalog.csv"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OCOP_SYNC_")},
        "PYTHONPATH": os.pathsep.join([str(blocker), *sys.path]),
        "OCOP_SYNC_STATE_URL": "postgresql://ocop:hunter2@127.0.0.1:5432/ocop",
        "OCOP_SYNC_ACCOUNT_VOSO_BACKAN_PASSWORD": "pw",
    }
    extra = ["--catalog", str(catalog)] if command == ["sync"] else []
    result = subprocess.run(
        [OCOP_SYNC, *command, "--config", str(config), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert "the database driver 'psycopg' is not installed" in message
    assert "pip install 'ocop-sync[postgres]'" in message
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr


def test_a_section_field_comes_from_a_file(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCOP_SYNC_CONSOLE__SESSION_KEY_FILE", secret(tmp_path, "session", "k3y\n"))
    monkeypatch.setenv("OCOP_SYNC_CONSOLE__LANGUAGE", "en")
    settings = load_settings(config)
    assert settings.console.session_key is not None
    assert settings.console.session_key.get_secret_value() == "k3y"
    assert settings.console.language == "en"  # the plain nested variable still applies
