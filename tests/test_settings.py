"""Settings: environment first, then secrets.toml, then defaults; bad values name themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from bs_core.errors import SettingsError
from bs_core.settings import DEFAULT_BASE_URL, load_settings, read_secrets_file


def test_defaults_when_nothing_is_set():
    s = load_settings(env={}, secrets={})
    assert s.broadstreet_api_base_url == DEFAULT_BASE_URL
    assert s.sync_concurrency == 4 and s.data_dir == Path("./data") and s.mongodb_uri == ""
    assert s.demo_mode


def test_environment_wins_over_secrets():
    s = load_settings(
        env={"BS_SYNC_CONCURRENCY": "8", "BROADSTREET_API_TOKEN": "env-token-1"},
        secrets={"BS_SYNC_CONCURRENCY": 2, "BROADSTREET_API_TOKEN": "file-token", "BS_DATA_DIR": "/tmp/x"},
    )
    assert s.sync_concurrency == 8 and s.broadstreet_api_token == "env-token-1"
    assert s.data_dir == Path("/tmp/x") and not s.demo_mode
    assert "env-token-1" not in repr(s)


@pytest.mark.parametrize(
    "name,value",
    [
        ("BS_SYNC_CONCURRENCY", "four"),
        ("BS_SYNC_CONCURRENCY", "0"),
        ("BROADSTREET_API_BASE_URL", "ftp://api.example.com"),
        ("BROADSTREET_API_BASE_URL", "api.broadstreetads.com/api/1"),
        ("MONGODB_URI", "localhost:27017"),
        ("BS_READ_TIMEOUT", "soon"),
    ],
)
def test_invalid_values_fail_naming_the_setting(name, value):
    with pytest.raises(SettingsError, match=name):
        load_settings(env={name: value}, secrets={})


def test_secrets_file_is_read(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text('BROADSTREET_API_TOKEN = "from-file"\nBS_SYNC_CONCURRENCY = 6\n[section]\nx = 1\n')
    secrets = read_secrets_file(path)
    assert secrets == {"BROADSTREET_API_TOKEN": "from-file", "BS_SYNC_CONCURRENCY": 6}
    path.write_text("not = [valid")
    with pytest.raises(SettingsError, match="TOML"):
        read_secrets_file(path)
